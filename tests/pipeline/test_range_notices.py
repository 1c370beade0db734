"""An inline marker a range adds is reported wherever it sits on the key's line, however long
the line: the notice names it and SARIF keeps the finding as suppressed, under review.

Every repository is real, under tmp_path; keys are built at run time (tests/keys.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.policy.inline import INLINE_MARKERS
from tests.cli_helpers import Outcome, keyleak
from tests.keys import openai_key
from tests.repos import pull_request

#: more text between a key and its marker than a finding's line keeps either side of the key
FAR = "# " + "this line says a great deal before it gets to the point " * 3


def in_range(capsys: pytest.CaptureFixture[str], repo: Path, span: str, *extra: str) -> Outcome:
    return keyleak(capsys, repo, "history", str(repo), "--range", span, "-j", "1", *extra)


@pytest.mark.parametrize("marker", [marker.decode() for marker in INLINE_MARKERS])
def test_a_marker_far_along_the_line_is_reported_and_under_review(
    repo: Path, capsys: pytest.CaptureFixture[str], marker: str
) -> None:
    """Every marker the policy honours, however far from the key on the line the range adds."""
    key = openai_key()
    span = pull_request(repo, {"app.py": f'API_KEY = "{key}"  {FAR}{marker}\n'})

    outcome = in_range(capsys, repo, span, "--format", "json")

    assert outcome.code == 1, outcome.err
    told = "\n".join(outcome.report()["notes"])
    assert f"app.py:1: the range adds an inline marker ({marker})" in told
    sarif = in_range(capsys, repo, span, "--format", "sarif")
    results = json.loads(sarif.out)["runs"][0]["results"]
    assert [s["status"] for r in results for s in r.get("suppressions", [])] == ["underReview"]


def test_a_marker_before_the_key_far_along_the_line_is_reported(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    span = pull_request(repo, {"app.py": f'x = "keyleak:allow"; {FAR}; API_KEY = "{key}"\n'})

    outcome = in_range(capsys, repo, span, "--format", "json")

    assert outcome.code == 1, outcome.err
    assert "the range adds an inline marker (keyleak:allow)" in "\n".join(outcome.report()["notes"])


def test_a_marker_on_another_line_is_not_the_keys(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    span = pull_request(repo, {"app.py": f'# keyleak:allow\nAPI_KEY = "{key}"\n'})

    outcome = in_range(capsys, repo, span, "--format", "json")

    assert outcome.code == 1, outcome.err
    assert "inline marker" not in "\n".join(outcome.report()["notes"])
