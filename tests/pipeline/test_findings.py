from __future__ import annotations

import hashlib

import pytest

from scanner.model import Chunk, Match, Provenance
from scanner.pipeline.findings import LineIndex, make_findings
from scanner.redaction import fingerprint, redact, vendor_prefix
from scanner.rules import load_rules
from tests.keys import openai_key


@pytest.mark.parametrize(
    ("secret", "prefix", "expected"),
    [
        ("sk-proj-Ab_" + "Q" * 60 + "x9Qz", "sk-proj-", "sk-proj-Ab…x9Qz"),
        ("ghp_" + "a1" * 18, "ghp_", "ghp_a1…a1a1"),
        ("AKIA" + "Z" * 12 + "WXYZ", "", "AK…WXYZ"),
        ("ghp_short", "ghp_", "g…"),
        ("-----BEGIN EC PRIVATE KEY-----\r\nMIIE\n", "", "-----BEGIN EC PRIVATE KEY-----…"),
        ("hunter2", "", "h…"),
        ("abc", "", "…"),
    ],
)
def test_redaction_keeps_kind_and_tail_only(secret: str, prefix: str, expected: str) -> None:
    assert redact(secret, prefix) == expected


def test_redaction_of_every_shipped_rule_shows_at_most_six_secret_characters() -> None:
    for rule in load_rules().rules:
        prefix = vendor_prefix(rule)
        for example in rule.examples:
            shown = redact(example.secret, prefix)
            if "\n" in example.secret:
                continue
            assert len(shown.replace("…", "")) <= len(prefix) + 6, (rule.id, shown)


def test_fingerprint_is_sha256_of_rule_and_secret() -> None:
    expected = hashlib.sha256(b"openai-project-key\0sk-proj-abc").hexdigest()
    assert fingerprint("openai-project-key", b"sk-proj-abc") == expected
    assert fingerprint("other-rule", b"sk-proj-abc") != expected


def test_line_numbers_map_through_provenance() -> None:
    chunk = Chunk(b"one\ntwo\nthree", Provenance("f", "staged", line_numbers=(10, 20, 30)))
    index = LineIndex(chunk)
    assert [index.line_of(0), index.line_of(5), index.line_of(9), index.line_of(1)] == [
        10,
        20,
        30,
        10,
    ]


def test_column_counts_characters_not_bytes() -> None:
    chunk = Chunk("é = 'x'".encode(), Provenance("f"))
    assert LineIndex(chunk).column_of(len("é = '".encode())) == 6


def test_multiline_match_spans_lines_and_inline_allow_applies_to_any_of_them() -> None:
    rules = load_rules().by_id()
    key = openai_key().encode()
    content = b"a\n" + key + b"\nb"
    match = Match("openai-project-key", 2, 2 + len(key), key)
    findings, suppressed = make_findings(Chunk(content, Provenance("f")), [match], rules)
    assert suppressed == 0
    assert (findings[0].location.line, findings[0].location.end_line) == (2, 2)
    allowed = b"a\n" + key + b" # keyleak:allow\nb"
    findings, suppressed = make_findings(Chunk(allowed, Provenance("f")), [match], rules)
    assert (findings, suppressed) == ([], 1)
