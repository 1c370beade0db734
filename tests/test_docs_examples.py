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

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

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


PINS = re.compile(r"^\s+rev: (\S+)$|uses: keyleak/keyleak@(\S+)$", re.MULTILINE)


def pinned_revisions() -> list[tuple[str, str]]:
    documents = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    return [
        (document.name, rev or action)
        for document in documents
        for rev, action in PINS.findall(document.read_text(encoding="utf-8"))
    ]


def test_the_documents_pin_keyleak() -> None:
    names = {name for name, _ in pinned_revisions()}
    assert {"README.md", "pre-commit.md", "ci.md"} <= names


@pytest.mark.parametrize(("document", "revision"), pinned_revisions())
def test_a_pinned_revision_is_a_commit_of_this_repository_with_the_hook_and_the_action(
    document: str, revision: str
) -> None:
    """A `rev:` or `@…` the documents name must exist: a tag that was never made (v0.1.0 was
    named before any release) fails every user's first `pre-commit install`."""
    shallow = git(ROOT, "rev-parse", "--is-shallow-repository").stdout.strip()
    if shallow == "true":
        pytest.skip("a shallow clone may not hold the pinned commit")
    assert (
        re.fullmatch(r"[0-9a-f]{40}", revision)
        or git(ROOT, "rev-parse", "-q", "--verify", f"refs/tags/{revision}", check=False).returncode
        == 0
    ), f"{document}: {revision} is neither a full commit id nor a tag"
    manifest = git(ROOT, "show", f"{revision}:.pre-commit-hooks.yaml", check=False)
    assert manifest.returncode == 0, f"{document}: {revision} is not a commit of this repository"
    assert "- id: keyleak" in manifest.stdout
    assert git(ROOT, "cat-file", "-e", f"{revision}:action.yml", check=False).returncode == 0
