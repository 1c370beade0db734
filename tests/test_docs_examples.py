"""Output the documents show is output keyleak prints: the example is run and compared line by
line, with only what differs from run to run (the masked key's visible ends, the fingerprint,
the size and the time) left out of the comparison."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_helpers import keyleak, write
from tests.conftest import git
from tests.keys import openai_key

DOCS = Path(__file__).resolve().parent.parent / "docs"

VARYING = (
    (re.compile(r"sk-proj-\S\S…\S{4}"), "<masked key>"),
    (re.compile(r"fingerprint: [0-9a-f]{16}"), "fingerprint: <fingerprint>"),
    (re.compile(r"; [\d,.]+ [KMG]?B; [\d.]+s\)"), "; <size>; <time>)"),
)


def normalized(text: str) -> list[str]:
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    return text.strip("\n").splitlines()


def example_under(document: Path, heading: str) -> str:
    """The first fenced block after `heading`."""
    text = document.read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    match = re.search(r"^```[a-z]*\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert match, f"no example under {heading!r} in {document.name}"
    return match.group(1)


def test_the_blocked_commit_example_is_what_the_hook_prints(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = example_under(DOCS / "pre-commit.md", "## A blocked commit")
    offending = next(line for line in shown.splitlines() if line.startswith("    | "))
    line_number = int(shown.split(":", 2)[1])
    # the file the example was made from: the shown line, at its number, with a real key
    code = offending.removeprefix("    | ").replace(
        re.search(r"sk-proj-\S\S…\S{4}", offending).group(0),  # type: ignore[union-attr]
        openai_key(),
    )
    lines = ["from openai import OpenAI", *[""] * (line_number - 2), code]
    write(repo, "config.py", "\n".join(lines) + "\n")
    git(repo, "add", "config.py")

    outcome = keyleak(capsys, repo, "staged")

    assert outcome.code == 1
    assert normalized(outcome.out + outcome.err) == normalized(shown)
