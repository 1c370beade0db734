"""Context (test, docs, example paths) lowers a finding's severity one level and never hides it;
demo credentials and local or example hosts are `info`, which fails no run by default."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from scanner.model import Severity, one_lower
from scanner.policy.context import path_context
from tests.cli_helpers import keyleak, scan_json, write
from tests.conftest import git
from tests.keys import openai_key, random_text, secret_value


@pytest.mark.parametrize(
    ("path", "context"),
    [
        ("tests/certs/server.key", "test"),
        ("pkg/testing/data.py", "test"),
        ("src/__tests__/app.js", "test"),
        ("test_settings.py", "test"),
        ("pkg/conftest.py", "test"),
        ("cmd/main_test.go", "test"),
        ("web/app.spec.ts", "test"),
        ("docs/howto/config.txt", "docs"),
        ("docs_src/security/tutorial004.py", "docs"),
        ("t/unit/security/__init__.py", "test"),
        ("README.md", "docs"),
        ("guide.rst", "docs"),
        ("pyjwt-2.10.1/PKG-INFO", "docs"),
        ("PyJWT.egg-info/PKG-INFO", "docs"),
        ("examples/app/settings.py", "example"),
        ("docs/examples/run.py", "example"),
        ("samples/x.yaml", "example"),
    ],
)
def test_test_docs_and_example_paths_have_their_context(path: str, context: str) -> None:
    found = path_context(path)
    assert found is not None and found[0] == context


@pytest.mark.parametrize(
    "path", ["src/app/settings.py", "latest/config.yaml", "contest.py", "notes.txt", "docsy/x"]
)
def test_other_paths_have_no_context(path: str) -> None:
    assert path_context(path) is None


def test_one_lower_steps_down_and_stops_at_info() -> None:
    assert one_lower(Severity.CRITICAL) is Severity.HIGH
    assert one_lower(Severity.LOW) is Severity.INFO
    assert one_lower(Severity.INFO) is Severity.INFO


def test_a_key_in_a_test_path_is_one_level_lower_with_its_context_and_still_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    write(tmp_path, "src/app.py", f'KEY = "{key}"\n')
    write(tmp_path, "tests/test_app.py", f'KEY = "{key}"\n')
    outcome = scan_json(capsys, tmp_path, ".")
    assert outcome.code == 1
    by_path = {f["location"]["path"]: f for f in outcome.findings()}
    real, in_test = by_path["src/app.py"], by_path["tests/test_app.py"]
    assert real["context"] is None and real["severity_reason"] == ""
    assert in_test["context"] == "test"
    assert in_test["severity"] == one_lower(Severity(real["severity"])).value
    assert in_test["severity_reason"] == "test file"

    write(tmp_path, "src/app.py", "nothing here\n")
    assert scan_json(capsys, tmp_path, ".").code == 1  # context lowers, never hides


#: SQLAlchemy's demo password, made to pass SQL Server's password policy; assembled here, as a
#: whole it would be this repository's own finding
TIGER = "tiger" + "^5HHH"


def demo_lines() -> str:
    return (
        f'engine = create_engine("mssql+pyodbc://scott:{TIGER}@mssql2022:1433/test")\n'
        f'DB = "postgresql://app:{secret_value()}@localhost:5432/app"\n'
        f'CACHE = "redis://svc:{secret_value()}@cache.example.com:6379/0"\n'
        f'BROKER = "amqp://svc:{secret_value()}@127.0.0.1:5672//"\n'
    )


def test_demo_credentials_and_local_hosts_are_info_and_do_not_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "app/settings.py", demo_lines())
    outcome = scan_json(capsys, tmp_path, ".")
    reasons = {
        f["location"]["line"]: (f["severity"], f["severity_reason"]) for f in outcome.findings()
    }
    assert reasons == {
        1: ("info", "demo credentials"),
        2: ("info", "local host"),
        3: ("info", "example host"),
        4: ("info", "local host"),
    }
    assert outcome.code == 0


def test_a_real_looking_url_password_stays_at_its_rule_severity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "app/settings.py", f'DB = "postgresql://scott:{secret_value()}@db.corp.io/a"\n')
    outcome = scan_json(capsys, tmp_path, ".")
    assert [f["severity"] for f in outcome.findings()] == ["medium"]
    assert outcome.code == 1


def test_a_demo_pair_in_key_value_form_is_info(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "app/db.py", f'connect(user="scott", password="{TIGER}")\n')
    write(tmp_path, "app/db.yaml", "username: scott\npassword: tiger-2024\n")
    write(tmp_path, "app/real.yaml", f"username: scott\npassword: {secret_value()}\n")
    outcome = scan_json(capsys, tmp_path, ".")
    found = {f["location"]["path"]: f["severity"] for f in outcome.findings()}
    assert found == {"app/db.py": "info", "app/db.yaml": "info", "app/real.yaml": "low"}
    assert outcome.code == 1


def test_text_output_folds_info_findings_into_its_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    write(tmp_path, "app/settings.py", demo_lines() + f'KEY = "{key}"\n')
    outcome = keyleak(capsys, tmp_path, "scan", ".")
    assert outcome.code == 1
    assert "scott" not in outcome.out  # the info findings' lines are not listed
    assert outcome.out.count("app/settings.py:") == 1
    assert "4 info findings not listed" in outcome.out


def test_min_severity_filters_what_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "app/settings.py", demo_lines() + f'KEY = "{openai_key()}"\n')
    everything = scan_json(capsys, tmp_path, ".")
    assert {f["severity"] for f in everything.findings()} >= {"info"}
    high = scan_json(capsys, tmp_path, ".", "--min-severity", "high")
    assert high.findings() and all(f["severity"] in ("critical", "high") for f in high.findings())
    assert "4 findings below --min-severity high not reported" in high.report()["notes"]

    write(tmp_path, "app/settings.py", demo_lines())
    low = scan_json(capsys, tmp_path, ".", "--min-severity", "low")
    assert low.findings() == [] and low.code == 0


@pytest.mark.parametrize("form", ["jsonl", "sarif", "csv", "junit", "html", "text"])
def test_every_format_shows_the_context_and_the_reason(
    form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "docs/setup.py", f'KEY = "{openai_key()}"\n')
    outcome = keyleak(capsys, tmp_path, "scan", ".", "--format", form)
    assert outcome.code == 1
    assert "docs path" in outcome.out
    if form == "jsonl":
        finding = json.loads(outcome.out.splitlines()[0])
        assert finding["context"] == "docs"
    if form == "sarif":
        result = json.loads(outcome.out)["runs"][0]["results"][0]
        assert result["properties"]["context"] == "docs"
    if form == "csv":
        row = next(csv.DictReader(io.StringIO(outcome.out)))
        assert row["context"] == "docs"
        assert row["severity_reason"] == "docs path, lowered from critical"


def test_sarif_level_of_info_is_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "app/settings.py", demo_lines())
    outcome = keyleak(capsys, tmp_path, "scan", ".", "--format", "sarif")
    levels = {r["level"] for r in json.loads(outcome.out)["runs"][0]["results"]}
    assert levels == {"note"}


def test_low_lowered_to_info_by_context_still_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner.config.verification import FailOn
    from scanner.model import Finding, Location
    from scanner.policy.context import with_context
    from scanner.policy.fail_on import fails

    any_: FailOn = "any"
    low = Finding(
        rule_id="r",
        rule_name="r",
        provider="p",
        severity=Severity.LOW,
        remediation="",
        location=Location(path="tests/x.py", line=1, column=1, end_line=1),
        secret=random_text(12),
        redacted="x",
        fingerprint="f",
    )
    lowered = with_context(low)
    assert lowered.severity is Severity.INFO and lowered.base_severity is Severity.LOW
    assert fails(lowered, any_)
    from dataclasses import replace

    demo = replace(low, severity=Severity.INFO, severity_reason="demo credentials")
    assert not fails(demo, any_)
    assert not fails(with_context(demo), any_)


def test_the_hook_folds_info_findings_and_lists_a_test_path_key(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    write(repo, "app/settings.py", demo_lines())
    write(repo, "tests/test_settings.py", f'KEY = "{key}"\n')
    git(repo, "add", ".")
    outcome = keyleak(capsys, repo, "staged")
    assert outcome.code == 1  # the key in a test file fails the commit, as it always did
    assert "tests/test_settings.py:1:" in outcome.out and "app/settings.py:" not in outcome.out
    assert "4 info findings not listed" in outcome.out
    assert "test file, lowered from critical" in outcome.out

    git(repo, "rm", "-q", "--cached", "tests/test_settings.py")
    assert keyleak(capsys, repo, "staged").code == 0  # demo values alone pass


def test_keyleak_verify_keeps_a_reports_severity_and_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "tests/test_app.py", f'KEY = "{openai_key()}"\n')
    scanned = scan_json(capsys, tmp_path, ".")
    write(tmp_path, "report.json", scanned.out)
    read = keyleak(capsys, tmp_path, "verify", "report.json", "--format", "json", "--no-verify")
    keep = ("severity", "context", "severity_reason", "base_severity")
    assert [{k: f[k] for k in keep} for f in read.report()["findings"]] == [
        {k: f[k] for k in keep} for f in scanned.findings()
    ]  # lowered once, not again
