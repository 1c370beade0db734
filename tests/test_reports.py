"""Golden files for every output format: run with UPDATE_GOLDEN=1 to rewrite them."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from scanner.findings import fingerprint, redact
from scanner.model import Finding, Location, ScanResult, Severity, Skipped
from scanner.report import FORMATS, ReportOptions, writer_for

GOLDEN = Path(__file__).parent / "golden"
# Not key-shaped on purpose: golden files are committed.
FAKE_SECRET = "sk-proj-EXAMPLE-not-a-real-key-0000-EXAMPLE-x9Qz"


def sample_result() -> ScanResult:
    def finding(path: str, line: int, column: int) -> Finding:
        return Finding(
            rule_id="openai-project-key",
            rule_name="OpenAI project API key",
            provider="openai",
            severity=Severity.CRITICAL,
            remediation="Revoke it, then read it from OPENAI_API_KEY.",
            location=Location(path=path, line=line, column=column, end_line=line),
            secret=FAKE_SECRET,
            redacted=redact(FAKE_SECRET, "sk-proj-"),
            fingerprint=fingerprint("openai-project-key", FAKE_SECRET.encode()),
        )

    return ScanResult(
        findings=(finding("app/settings.py", 12, 15), finding("deploy/.env", 3, 16)),
        skipped=(Skipped("assets/logo.png", "binary"),),
        files_scanned=42,
        bytes_scanned=123_456,
        suppressed=1,
        elapsed=0.25,
    )


def render(format_name: str, options: ReportOptions) -> str:
    stream = io.StringIO()
    writer_for(format_name)(sample_result(), stream, options)
    return stream.getvalue()


@pytest.mark.parametrize("format_name", FORMATS)
def test_format_matches_golden_file(format_name: str) -> None:
    golden = GOLDEN / f"report.{format_name}"
    text = render(format_name, ReportOptions())
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("format_name", FORMATS)
def test_secret_only_shown_when_asked(format_name: str) -> None:
    assert FAKE_SECRET not in render(format_name, ReportOptions(redact=True))
    assert FAKE_SECRET in render(format_name, ReportOptions(redact=False))


def test_json_is_versioned_and_counts_match() -> None:
    document = json.loads(render("json", ReportOptions()))
    assert document["version"] == 1
    assert document["stats"]["findings"] == len(document["findings"]) == 2
    jsonl = [json.loads(line) for line in render("jsonl", ReportOptions()).splitlines()]
    assert jsonl == document["findings"]


def test_text_colour_only_when_asked() -> None:
    assert "\033[" not in render("text", ReportOptions(color=False))
    assert "\033[" in render("text", ReportOptions(color=True))
