"""Every format tells the same story of whether a history's secret is still present and where
it was removed: text, JSON, SARIF, CSV and the HTML table and timeline arrow.

Real repositories under tmp_path; keys built at run time (tests/keys.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.model import History, Removal
from scanner.report import ReportOptions
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.keys import openai_key
from tests.report.test_formats import render
from tests.report.test_html_format import ALICE, ALICE_FIX, BOB, audit_result
from tests.repos import commit, config_line, merged_and_dropped


def history(capsys: pytest.CaptureFixture[str], repo: Path, output: str) -> Outcome:
    argv = ["history", str(repo), "--format", output, "-j", "1", "--no-progress"]
    return keyleak(capsys, repo, *argv)


def kept_by_a_tag(repo: Path) -> str:
    """A key HEAD dropped but a tag still holds; returns the commit that dropped it."""
    commit(repo, {"key.py": config_line(openai_key())}, "add a key")
    git(repo, "tag", "v1")
    return commit(repo, {"key.py": None}, "drop it")


def html_row(text: str) -> str:
    [row] = re.findall(r'<tr data-provider="[^"]*".*?</tr>', text, re.S)
    return row


def test_a_merge_that_dropped_it_is_removed_in_every_format(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    merge = merged_and_dropped(repo, openai_key())

    [finding] = history(capsys, repo, "json").findings()
    removed = finding["history"]["removed"]
    assert removed["sha"] == merge

    [result] = json.loads(history(capsys, repo, "sarif").out)["runs"][0]["results"]
    assert result["properties"]["history"] == finding["history"]

    [row] = csv.DictReader(io.StringIO(history(capsys, repo, "csv").out))
    assert (row["still_present"], row["removed_commit"]) == ("false", merge)
    assert row["removed_date"] == removed["date"]

    text = history(capsys, repo, "text").out
    assert f"until {merge[:12]}" in text and "still present" not in text
    assert f"main at {merge[:12]}" in text

    page = history(capsys, repo, "html").out
    row_html = html_row(page)
    assert 'data-present="no"' in row_html
    assert f"→ {removed['date'][:10]}" in row_html and "still present" not in row_html
    assert '<g class="span removed">' in page and '<g class="span present">' not in page
    assert 'class="arrow"' not in page


def test_a_key_a_tag_keeps_is_still_present_in_every_format(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dropped = kept_by_a_tag(repo)

    [finding] = history(capsys, repo, "json").findings()
    assert finding["history"]["still_present"] is True
    assert finding["history"]["in_head"] is False
    assert finding["history"]["removed"] is None

    [row] = csv.DictReader(io.StringIO(history(capsys, repo, "csv").out))
    assert (row["still_present"], row["removed_commit"], row["removed_date"]) == ("true", "", "")

    text = history(capsys, repo, "text").out
    assert "still present" in text and "in HEAD" in text
    assert f"main at {dropped[:12]}" in text

    page = history(capsys, repo, "html").out
    assert 'data-present="yes"' in html_row(page)
    assert '<g class="span present">' in page and 'class="arrow"' in page


def test_a_secret_no_ref_reached_has_no_arrow_and_no_removal() -> None:
    """A history of a revision no ref points at: not present, and no removal to show; its bar
    ends where it was last seen."""
    [first, *_] = audit_result().findings
    trail = History(ALICE, ALICE_FIX, None, ("app/settings.py",), False, ("main",))
    result = replace(audit_result(), findings=(replace(first, history=trail),))

    page = render("html", ReportOptions(), result)

    assert 'data-present="no"' in html_row(page)
    assert "still present" not in html_row(page)
    assert f"last seen {ALICE_FIX.date[:10]}" in html_row(page)
    assert '<g class="span present">' not in page and 'class="arrow"' not in page
    text = render("text", ReportOptions(), result)
    assert "still present" not in text and "last seen" in text


def test_text_groups_the_refs_a_commit_dropped_it_from() -> None:
    [first, *_] = audit_result().findings
    branches = tuple(Removal(f"feature/{n}", ALICE_FIX) for n in range(5))
    trail = History(
        ALICE, ALICE, ALICE_FIX, ("a.py",), False, ("main",), False, (*branches, Removal("v1", BOB))
    )
    result = replace(audit_result(), findings=(replace(first, history=trail),))

    # prose wraps between words: read it as one line
    text = " ".join(render("text", ReportOptions(), result).split())

    fix, bob = f"{ALICE_FIX.sha[:12]} ({ALICE_FIX.date[:10]})", f"{BOB.sha[:12]} ({BOB.date[:10]})"
    assert f"feature/0, feature/1, feature/2 and 2 more at {fix}; v1 at {bob}" in text
