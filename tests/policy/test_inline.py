from __future__ import annotations

from pathlib import Path

import pytest

from scanner.policy.inline import INLINE_MARKERS, inline_allowed
from tests.cli_helpers import scan_json, staged_json, write
from tests.conftest import git
from tests.keys import openai_key, random_text

MARKERS = [marker.decode() for marker in INLINE_MARKERS]
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def pem_block() -> list[str]:
    """A PEM-framed private key with a random body, assembled so no file holds one."""
    label = "RSA " + "PRIVATE KEY"
    body = [random_text(64, BASE64) for _ in range(6)]
    return [f"-----BEGIN {label}-----", *body, f"-----END {label}-----"]


def test_every_marker_is_known() -> None:
    assert MARKERS == [
        "keyleak:allow",
        "gitleaks:allow",
        "pragma: allowlist secret",
        "trufflehog:ignore",
        "kingfisher:ignore",
        "betterleaks:allow",
    ]


@pytest.mark.parametrize("marker", MARKERS)
def test_each_marker_silences_its_own_line_only(
    repo: Path, capsys: pytest.CaptureFixture[str], marker: str
) -> None:
    allowed, before, after = openai_key(), openai_key(), openai_key()
    write(
        repo,
        "a.py",
        f"before = '{before}'\nallowed = '{allowed}'  # {marker}\nafter = '{after}'\n",
    )
    outcome = scan_json(capsys, repo, ".")
    assert outcome.code == 1
    assert outcome.secrets() == {before, after}
    assert outcome.report()["stats"]["suppressed"] == 1


def test_a_marker_on_the_line_before_does_not_count(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    write(repo, "a.py", f"# gitleaks:allow\nkey = '{key}'\n")
    assert scan_json(capsys, repo, ".").secrets() == {key}


@pytest.mark.parametrize("where", ["begin", "end"])
def test_a_marker_on_the_begin_or_end_line_silences_a_pem_block(
    repo: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    lines = pem_block()
    # the BEGIN line must end at its dashes for the block to match, so its marker comes first
    if where == "begin":
        lines[0] = "# pragma: allowlist secret " + lines[0]
    else:
        lines[-1] += "  # pragma: allowlist secret"
    write(repo, "unmarked.pem", "\n".join(pem_block()) + "\n")
    write(repo, "key.pem", "\n".join(lines) + "\n")
    outcome = scan_json(capsys, repo, ".")
    assert [f["location"]["path"] for f in outcome.findings()] == ["unmarked.pem"]
    assert outcome.report()["stats"]["suppressed"] == 1


def test_a_marker_outside_the_pem_block_does_not_silence_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = pem_block()
    write(repo, "key.pem", "# keyleak:allow\n" + "\n".join(lines) + "\n# keyleak:allow\n")
    outcome = scan_json(capsys, repo, ".")
    assert outcome.code == 1
    assert [f["rule_id"] for f in outcome.findings()] == ["private-key-pem"]


def test_markers_can_be_switched_off(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = [openai_key(), openai_key()]
    write(repo, "a.py", f"a = '{keys[0]}'  # keyleak:allow\nb = '{keys[1]}'  # gitleaks:allow\n")
    assert scan_json(capsys, repo, ".").code == 0
    write(repo, ".keyleak.toml", "inline_ignores = false\n")
    outcome = scan_json(capsys, repo, ".")
    assert outcome.secrets() == set(keys)
    assert outcome.report()["stats"]["suppressed"] == 0


def test_markers_work_in_the_hook(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    allowed, reported = openai_key(), openai_key()
    write(repo, "a.py", f"a = '{allowed}'  # trufflehog:ignore\nb = '{reported}'\n")
    git(repo, "add", "a.py")
    outcome = staged_json(capsys, repo)
    assert outcome.secrets() == {reported}


def test_inline_allowed_checks_only_the_lines_a_match_spans() -> None:
    content = b"one\ntwo SECRET kingfisher:ignore\nthree SECRET\n"
    first = content.index(b"SECRET")
    second = content.index(b"SECRET", first + 1)
    assert inline_allowed(content, first, first + 6)
    assert not inline_allowed(content, second, second + 6)
    assert not inline_allowed(content, first, first + 6, markers=())
