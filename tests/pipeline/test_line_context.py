"""The offending line kept with each finding: every secret on it redacted, long lines cut."""

from __future__ import annotations

import pytest

from scanner.model import Chunk, Finding, Match, Provenance
from scanner.pipeline.findings import make_findings
from scanner.pipeline.line_context import CONTEXT, LineContext
from scanner.rules import load_rules
from tests.keys import openai_key


def findings_for(content: bytes, *secrets: bytes) -> list[Finding]:
    matches = [
        Match("openai-project-key", content.index(s), content.index(s) + len(s), s) for s in secrets
    ]
    findings, _ = make_findings(Chunk(content, Provenance("f")), matches, load_rules().by_id())
    return findings


def test_line_holds_the_redacted_secret_in_place() -> None:
    key = openai_key()
    (finding,) = findings_for(
        f'x = 1\n  OPENAI_API_KEY = "{key}"\t# prod\r\ny\n'.encode(), key.encode()
    )
    assert finding.line_text == f'  OPENAI_API_KEY = "{finding.redacted}" # prod'


def test_every_secret_on_the_line_is_redacted() -> None:
    first, second = openai_key(), openai_key()
    content = f"keys = ['{first}', '{second}']\n".encode()
    findings = findings_for(content, first.encode(), second.encode())
    expected = f"keys = ['{findings[0].redacted}', '{findings[1].redacted}']"
    assert [f.line_text for f in findings] == [expected, expected]


def test_a_copy_of_the_secret_no_rule_matched_is_redacted_too() -> None:
    key = openai_key("", 20)
    # only the first copy is a match: the second is glued to other text
    (finding,) = findings_for(f'k="{key}";o=x{key}zz\n'.encode(), key.encode())
    assert finding.line_text == f'k="{finding.redacted}";o=x{finding.redacted}zz'


def test_inline_allowed_secret_on_the_line_is_redacted_too() -> None:
    allowed, found = openai_key(), openai_key()
    content = f"a = '{found}'; b = '{allowed}'  # keyleak:allow\n".encode()
    rules = load_rules().by_id()
    matches = [
        Match("openai-project-key", content.index(s), content.index(s) + len(s), s)
        for s in (found.encode(), allowed.encode())
    ]
    findings, suppressed = make_findings(Chunk(content, Provenance("f")), matches, rules)
    assert suppressed == 2  # the allow comment covers its whole line
    content = f"a = '{found}'\nb = '{allowed}'  # keyleak:allow\n".encode()
    matches = [
        Match("openai-project-key", content.index(s), content.index(s) + len(s), s)
        for s in (found.encode(), allowed.encode())
    ]
    findings, suppressed = make_findings(Chunk(content, Provenance("f")), matches, rules)
    assert suppressed == 1
    assert allowed not in findings[0].line_text and found not in findings[0].line_text


def test_long_lines_keep_only_the_context_around_the_secret() -> None:
    key = openai_key()
    content = ("a" * 5000 + f"'{key}'" + "z" * 5000).encode()
    (finding,) = findings_for(content, key.encode())
    assert (
        finding.line_text
        == "…" + "a" * (CONTEXT - 1) + f"'{finding.redacted}'" + "z" * (CONTEXT - 1) + "…"
    )


def test_multiline_secret_shows_its_first_line_only() -> None:
    body = "\n".join(openai_key() for _ in range(3))
    content = f"key = '''{body}'''\nnext\n".encode()
    match = Match("openai-project-key", 9, 9 + len(body), body.encode())
    context = LineContext(content, [match], ["-----BEGIN…"])
    assert context.line(match, "-----BEGIN…") == "key = '''-----BEGIN…"


def test_a_secret_reaching_into_the_line_from_above_is_redacted() -> None:
    body = "A" * 30 + "\n" + "B" * 30
    second = openai_key()
    content = f"{body} '{second}'\n".encode()
    first = Match("x", 0, len(body), body.encode())
    start = content.index(second.encode())
    other = Match("y", start, start + len(second), second.encode())
    line = LineContext(content, [first, other], ["A…", "sk-proj-…"]).line(other, "sk-proj-…")
    assert "B" not in line and line == "A… 'sk-proj-…'"


@pytest.mark.parametrize("control", ["\x1b[31m", "\x00", "\x07", "\u009b"])
def test_control_characters_never_reach_the_line(control: str) -> None:
    key = openai_key()
    (finding,) = findings_for(f"x{control} = '{key}'".encode(), key.encode())
    assert control not in finding.line_text and finding.line_text.startswith("x\ufffd")


@pytest.mark.parametrize("filler", ["a", "é", "😀"])
def test_context_is_whole_characters_of_any_width(filler: str) -> None:
    key = openai_key()
    content = (filler * 3000 + f" {key} " + filler * 3000).encode()
    (finding,) = findings_for(content, key.encode())
    side = filler * (CONTEXT - 1)
    assert finding.line_text == f"…{side} {finding.redacted} {side}…"


def test_one_long_line_of_many_secrets_gives_each_its_own_context() -> None:
    keys = [openai_key() for _ in range(200)]
    content = " ".join(keys).encode()
    findings = findings_for(content, *(key.encode() for key in keys))
    assert len(findings) == 200
    for finding in findings:
        assert finding.redacted in finding.line_text
        assert not any(key in finding.line_text for key in keys)
        assert len(finding.line_text) <= 2 * CONTEXT + len(finding.redacted) + 2
