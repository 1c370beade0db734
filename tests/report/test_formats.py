"""Every output format: golden files (UPDATE_GOLDEN=1 rewrites them), schemas, redaction.

The sample keys are built at run time from a seeded generator, so the golden files are stable
and hold only their redacted forms and fingerprints, never a key.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scanner.entry import main
from scanner.model import (
    Commit,
    Finding,
    History,
    Location,
    Removal,
    Rule,
    ScanResult,
    Severity,
    Skipped,
    SourceKind,
    Suppressed,
    Verdict,
    VerdictStatus,
)
from scanner.redaction import fingerprint, redact
from scanner.report import FORMATS, ReportOptions, writer_for
from scanner.report.csv_format import COLUMNS
from scanner.report.csv_format import FORMULA_START as CSV_FORMULA_START
from scanner.report.sarif_format import FINGERPRINT_KEY
from scanner.report.writer import should_color
from tests.keys import ALNUM, OPENAI_MARKER, URLSAFE, random_text
from tests.report_schemas import assert_valid_json_report, assert_valid_jsonl, assert_valid_sarif

GOLDEN = Path(__file__).parents[1] / "golden"
#: a golden file's extension, where it is not the format's name
EXTENSIONS = {"junit": "xml"}
SEEDED = random.Random(20240501)
OPENAI = (
    "sk-proj-" + random_text(20, URLSAFE, SEEDED) + OPENAI_MARKER + random_text(20, ALNUM, SEEDED)
)
GITHUB = "ghp_" + random_text(36, ALNUM, SEEDED)
SECRETS = (OPENAI, GITHUB)

OPENAI_RULE = Rule(
    id="openai-project-key",
    name="OpenAI project API key",
    provider="openai",
    description="A project-scoped OpenAI API key.",
    regex="",
    keywords=(),
    severity=Severity.CRITICAL,
    remediation=(
        "Revoke it at https://platform.openai.com/api-keys, then read it from the "
        "OPENAI_API_KEY environment variable (OpenAI() does this by default)."
    ),
    examples=(),
    negative_examples=(),
)
GITHUB_RULE = replace(
    OPENAI_RULE,
    id="github-pat-classic",
    name="GitHub personal access token (classic)",
    provider="github",
    description="A classic GitHub personal access token.",
    severity=Severity.HIGH,
    remediation="Revoke it at https://github.com/settings/tokens; in Actions use GITHUB_TOKEN.",
)
ALICE = Commit(
    "1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5",
    "Alice",
    "alice@example.com",
    "2024-05-01T10:00:00+02:00",
)
BOB = Commit(
    "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
    "Bob",
    "bob@example.com",
    "2024-06-02T09:30:00+00:00",
)
LONG_PATH = "services/payments/internal/configuration/environments/production/settings.yaml"


def make(rule: Rule, secret: str, location: Location, line: str = "", **extra: Any) -> Finding:
    redacted = redact(secret, "sk-proj-" if secret.startswith("sk-proj-") else "ghp_")
    return Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        provider=rule.provider,
        severity=rule.severity,
        remediation=rule.remediation,
        location=location,
        secret=secret,
        redacted=redacted,
        fingerprint=fingerprint(rule.id, secret.encode()),
        line_text=line.format(redacted),
        **extra,
    )


def sample_result() -> ScanResult:
    findings = (
        make(
            OPENAI_RULE,
            OPENAI,
            Location("app/settings.py", 12, 19, 12),
            'OPENAI_API_KEY = "{}"',
            verdict=Verdict(
                VerdictStatus.LIVE, "authenticated", (("organization", "org-example"),)
            ),
            introduced_by=ALICE,
        ),
        make(
            OPENAI_RULE,
            OPENAI,
            Location("deploy/.env", 3, 16, 3, kind=SourceKind.COMMIT, commit=ALICE.sha),
            "OPENAI_API_KEY={}",
            history=History(
                ALICE, BOB, None, ("deploy/.env", "app/settings.py"), True, ("main",), True
            ),
        ),
        make(
            GITHUB_RULE,
            GITHUB,
            Location("notebooks/explore.ipynb", 41, 12, 41, cell=3, cell_line=2),
            'token = "{}"',
            encoding=("base64",),
            verdict=Verdict(VerdictStatus.INVALID, "revoked"),
            baselined=True,
        ),
        make(
            GITHUB_RULE,
            GITHUB,
            Location(LONG_PATH, 7, 70, 7),
            "github_token: {} # the deployment bot's token, rotated by hand every quarter",
            history=History(
                ALICE, ALICE, BOB, (LONG_PATH,), False, ("main",), False, (Removal("main", BOB),)
            ),
        ),
    )
    return ScanResult(
        findings=findings,
        skipped=(Skipped("assets/logo.png", "binary"),),
        files_scanned=42,
        bytes_scanned=123_456,
        suppressed=Suppressed(inline=1),
        elapsed=0.25,
        commits_scanned=7,
        notes=("shallow clone: history before 1a2b3c4d5e6f is not scanned",),
        rules=(OPENAI_RULE, GITHUB_RULE),
    )


def clean_result() -> ScanResult:
    return ScanResult(
        findings=(),
        skipped=(),
        files_scanned=3,
        bytes_scanned=2048,
        suppressed=Suppressed(),
        elapsed=0.1,
    )


def render(format_name: str, options: ReportOptions, result: ScanResult | None = None) -> str:
    stream = io.StringIO()
    writer_for(format_name)(result or sample_result(), stream, options)
    return stream.getvalue()


def assert_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("format_name", FORMATS)
def test_format_matches_golden_file(format_name: str) -> None:
    extension = EXTENSIONS.get(format_name, format_name)
    assert_golden(f"report.{extension}", render(format_name, ReportOptions()))


@pytest.mark.parametrize("format_name", FORMATS)
def test_clean_result_matches_golden_file(format_name: str) -> None:
    text = render(format_name, ReportOptions(), clean_result())
    assert_golden(f"clean.{EXTENSIONS.get(format_name, format_name)}", text)


def test_quiet_text_is_only_the_summary() -> None:
    text = render("text", ReportOptions(quiet=True))
    assert_golden("report.quiet.text", text)
    assert all(line.startswith(("keyleak: ", " ")) for line in text.splitlines())
    assert "app/settings.py" not in text


def test_golden_files_hold_nothing_key_shaped() -> None:
    texts = [path.read_text(encoding="utf-8") for path in GOLDEN.iterdir()]
    assert len(texts) >= 2 * len(FORMATS)
    for secret in SECRETS:
        fragments = {secret[i : i + 12] for i in range(len(secret) - 11)}
        assert not any(fragment in text for text in texts for fragment in fragments)


@pytest.mark.parametrize("format_name", FORMATS)
def test_secret_only_shown_when_asked(format_name: str) -> None:
    redacted = render(format_name, ReportOptions(redact=True))
    for secret in SECRETS:
        assert not any(secret[i : i + 12] in redacted for i in range(len(secret) - 11))
    shown = render(format_name, ReportOptions(redact=False))
    if format_name == "html":
        # made to be passed around: always redacted, whatever the flag says
        assert shown == redacted
    elif format_name == "sarif":
        # uploaded to and kept by code scanning: never a full key, whatever the flag says
        assert OPENAI not in shown and GITHUB not in shown
        assert assert_valid_sarif(shown) == assert_valid_sarif(redacted)
    else:
        assert OPENAI in shown and GITHUB in shown


def test_unredacted_line_shows_only_its_own_secret() -> None:
    other = make(GITHUB_RULE, GITHUB, Location("a.py", 1, 1, 1)).redacted
    finding = make(OPENAI_RULE, OPENAI, Location("a.py", 1, 1, 1), "a = '{}'; b = '" + other + "'")
    result = replace(clean_result(), findings=(finding,))
    document = json.loads(render("json", ReportOptions(redact=False), result))
    assert document["findings"][0]["line"] == f"a = '{OPENAI}'; b = '{other}'"


def test_json_is_versioned_counts_match_and_jsonl_is_its_findings() -> None:
    document = assert_valid_json_report(render("json", ReportOptions()))
    assert document["version"] == 2
    stats = document["stats"]
    assert stats["findings"] == len(document["findings"]) == 4
    assert (stats["known"], stats["new"]) == (1, 3)
    assert stats["by_severity"] == {"critical": 2, "high": 2, "medium": 0, "low": 0, "info": 0}
    assert stats["by_verdict"] == {"live": 1, "invalid": 1}
    assert stats["commits_scanned"] == 7
    first, second, third, _ = document["findings"]
    assert first["verdict"]["details"] == {"organization": "org-example"}
    assert first["introduced_by"]["author_email"] == "alice@example.com"
    assert second["history"]["removed"] is None
    assert second["location"]["commit"] == ALICE.sha
    assert third["location"]["cell"] == 3 and third["encoding"] == ["base64"]
    assert third["baselined"] is True
    assert assert_valid_jsonl(render("jsonl", ReportOptions())) == document["findings"]


def test_schema_rejects_what_the_writer_never_writes() -> None:
    document = json.loads(render("json", ReportOptions()))
    document["findings"][0]["severity"] = "catastrophic"
    with pytest.raises(AssertionError, match="severity"):
        assert_valid_json_report(json.dumps(document))


def test_sarif_describes_each_rule_used_once() -> None:
    run = assert_valid_sarif(render("sarif", ReportOptions()))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == ["github-pat-classic", "openai-project-key"]
    openai = rules[1]
    assert openai["fullDescription"]["text"] == OPENAI_RULE.description
    assert OPENAI_RULE.remediation in openai["help"]["text"]
    assert float(openai["properties"]["security-severity"]) >= 9.0
    assert float(rules[0]["properties"]["security-severity"]) >= 7.0
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_without_rule_metadata_describes_rules_from_findings() -> None:
    result = replace(sample_result(), rules=())
    rules = assert_valid_sarif(render("sarif", ReportOptions(), result))["runs"][0]["tool"]
    assert [r["shortDescription"]["text"] for r in rules["driver"]["rules"]] == [
        GITHUB_RULE.name,
        OPENAI_RULE.name,
    ]


def test_sarif_results_carry_location_verdict_provenance_and_baseline() -> None:
    results = assert_valid_sarif(render("sarif", ReportOptions()))["runs"][0]["results"]
    live, history, known, long_path = results
    location = live["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/settings.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 12, "startColumn": 19, "endLine": 12}
    assert "sk-proj-" in live["message"]["text"] and "…" in live["message"]["text"]
    assert live["properties"]["verdict"]["status"] == "live"
    assert live["properties"]["introducedBy"]["sha"] == ALICE.sha
    assert history["properties"]["history"]["paths"] == ["deploy/.env", "app/settings.py"]
    assert known["properties"]["notebookCell"] == {"cell": 3, "line": 2}
    assert known["properties"]["encoding"] == ["base64"]
    assert known["suppressions"] == [
        {"kind": "external", "justification": "known: listed in the keyleak baseline"}
    ]
    assert [r["baselineState"] for r in results] == ["new", "new", "unchanged", "new"]
    assert all("suppressions" not in r for r in (live, history, long_path))


def test_sarif_fingerprint_survives_moved_lines_but_not_a_new_file() -> None:
    def partial(finding: Finding) -> str:
        result = replace(clean_result(), findings=(finding,))
        sarif = assert_valid_sarif(render("sarif", ReportOptions(), result))
        value: str = sarif["runs"][0]["results"][0]["partialFingerprints"][FINGERPRINT_KEY]
        return value

    original = sample_result().findings[0]
    moved = replace(original, location=replace(original.location, line=80, column=3))
    elsewhere = replace(original, location=replace(original.location, path="other.py"))
    assert partial(original) == partial(moved)
    assert partial(original) != partial(elsewhere)


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("./dir with space/a.py", {"uri": "dir%20with%20space/a.py", "uriBaseId": "%SRCROOT%"}),
        ("/abs/a b.py", {"uri": "file:///abs/a%20b.py"}),
    ],
)
def test_sarif_uris(path: str, uri: dict[str, str]) -> None:
    finding = replace(sample_result().findings[0], location=Location(path, 1, 1, 1), history=None)
    sarif = assert_valid_sarif(
        render("sarif", ReportOptions(), replace(clean_result(), findings=(finding,)))
    )
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == uri


def test_csv_rows_and_formula_guard() -> None:
    hostile = replace(
        sample_result().findings[0], location=Location("=cmd|calc.csv", 1, 1, 1), history=None
    )
    result = replace(sample_result(), findings=(*sample_result().findings, hostile))
    rows = list(csv.DictReader(io.StringIO(render("csv", ReportOptions(), result))))
    assert len(rows) == 5
    assert rows[0]["verdict"] == "live" and rows[0]["introduced_author"].startswith("Alice")
    assert rows[1]["commit"] == ALICE.sha
    assert rows[2]["cell"] == "3" and rows[2]["baselined"] == "true"
    assert rows[4]["path"] == "'=cmd|calc.csv"


def test_junit_fails_new_findings_skips_known_ones_and_passes_when_clean() -> None:
    suites = ET.fromstring(render("junit", ReportOptions()))
    assert (suites.get("tests"), suites.get("failures"), suites.get("skipped")) == ("4", "3", "1")
    cases = suites.findall("./testsuite/testcase")
    assert [case.find("failure") is not None for case in cases] == [True, True, False, True]
    assert cases[2].find("skipped") is not None
    clean = ET.fromstring(render("junit", ReportOptions(), clean_result()))
    (case,) = clean.findall("./testsuite/testcase")
    assert clean.get("failures") == "0" and len(case) == 0


def test_junit_is_well_formed_with_control_characters_in_scanned_text() -> None:
    finding = replace(
        sample_result().findings[0],
        location=Location("bad\x1b[31m\x00name.py", 1, 1, 1),
        line_text="x = 1\x07",
    )
    text = render("junit", ReportOptions(), replace(clean_result(), findings=(finding,)))
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text)
    ET.fromstring(text)


def test_text_fits_80_columns_and_colour_only_when_asked() -> None:
    plain = render("text", ReportOptions(color=False))
    assert max(len(line) for line in plain.splitlines()) <= 80
    assert "\033[" not in plain
    assert "\033[" in render("text", ReportOptions(color=True))


def test_text_neutralises_terminal_escapes_from_scanned_files() -> None:
    finding = replace(
        sample_result().findings[0],
        location=Location("evil\x1b]0;owned\x07.py", 1, 1, 1),
        line_text="x = '\x1b[2J'",
    )
    text = render("text", ReportOptions(), replace(clean_result(), findings=(finding,)))
    assert "\x1b" not in text and "\x07" not in text


def test_colour_needs_a_terminal_and_no_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert should_color(Terminal())
    assert not should_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not should_color(Terminal())


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return int(exited.value.code or 0), capsys.readouterr().out


@pytest.mark.parametrize("format_name", FORMATS)
def test_cli_writes_every_format(
    format_name: str, tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.py").write_text(f'API_KEY = "{key}"\n', encoding="utf-8")
    out = tmp_path / "report.out"
    argv = ["scan", "--format", format_name, "-o", str(out), str(tmp_path / "config.py")]
    assert run_cli(argv, capsys) == (1, "")
    text = out.read_text(encoding="utf-8")
    assert key not in text
    assert f"…{key[-4:]}" in text
    if format_name == "sarif":
        rules = json.loads(text)["runs"][0]["tool"]["driver"]["rules"]
        assert rules[0]["fullDescription"]["text"].startswith("A project-scoped")


def test_cli_quiet_prints_only_the_summary(
    tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.py").write_text(f'API_KEY = "{key}"\n', encoding="utf-8")
    code, output = run_cli(["scan", "--quiet", str(tmp_path)], capsys)
    assert code == 1
    lines = output.splitlines()
    assert lines[-1].startswith("keyleak: 1 secret found in 1 file")
    assert all(line.startswith("keyleak: ") for line in lines)


def test_text_wrap_shortcut_for_lines_that_fit_wraps_as_textwrap_does() -> None:
    import textwrap

    from scanner.report import text_format

    rng = random.Random(3)
    for _ in range(5000):
        text = "".join(rng.choice("ab  \t-xyz") for _ in range(rng.randrange(0, 90)))
        first, rest, code = (
            rng.choice(["", "  ", " x: "]),
            rng.choice(["", "  "]),
            rng.random() < 0.5,
        )
        expected = textwrap.wrap(
            text,
            text_format.WIDTH,
            initial_indent=first,
            subsequent_indent=rest,
            break_long_words=True,
            break_on_hyphens=False,
            drop_whitespace=not code,
        ) or [first.rstrip()]
        assert text_format.wrap(text, first, rest, code) == expected


def test_every_report_with_a_summary_counts_suppressions_by_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One match dropped for each reason, and one finding known from the baseline."""
    from tests.cli_helpers import keyleak, write
    from tests.keys import openai_key

    marked, allowed, known = openai_key(), openai_key(), openai_key()
    write(tmp_path, "marked.py", f"key = '{marked}'  # keyleak:allow\n")
    write(tmp_path, "allowed.py", f"key = '{allowed}'\n")
    write(tmp_path, "settings.py", 'password = "changeme123"\n')
    write(tmp_path, "known.py", f"key = '{known}'\n")
    allowed_fingerprint = fingerprint("openai-project-key", allowed.encode())
    write(tmp_path, ".keyleak.toml", f'[allow]\nfingerprints = ["{allowed_fingerprint}"]\n')
    assert keyleak(capsys, tmp_path, "baseline", "create").code == 0

    document = json.loads(keyleak(capsys, tmp_path, "scan", ".", "--format", "json").out)
    expected = {"inline": 1, "allowlist": 1, "placeholder": 1, "baseline": 1}
    assert document["stats"]["suppressions"] == expected
    assert document["stats"]["suppressed"] == 2  # inline markers and allowlists, as before
    sarif = json.loads(keyleak(capsys, tmp_path, "scan", ".", "--format", "sarif").out)
    assert sarif["runs"][0]["properties"]["suppressions"] == expected
    words = "1 allowed inline; 1 allowlisted; 1 placeholder ignored"
    text = keyleak(capsys, tmp_path, "scan", ".").out
    assert words in text and "1 known, 0 new" in text
    assert words in keyleak(capsys, tmp_path, "scan", ".", "--format", "junit").out
    html = keyleak(capsys, tmp_path, "scan", ".", "--format", "html").out
    assert all(part in html for part in words.split("; "))


def test_csv_quotes_every_field_so_a_carriage_return_cannot_start_a_formula_cell() -> None:
    # a bare CR in a file name: a reader that ends rows there sees `=cmd|…` open a new row
    name = "notes\r=cmd|' /C calc'!A0.py"
    finding = replace(sample_result().findings[0], location=Location(name, 1, 1, 1))
    text = render("csv", ReportOptions(), replace(clean_result(), findings=(finding,)))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2
    assert rows[1][COLUMNS.index("path")] == name
    assert all(cell.startswith('"') for cell in text.split("\n")[1].split(",")[:5])
    for row in rows:
        assert not any(cell.startswith(CSV_FORMULA_START) for cell in row)


#: what a JWT finding says about its token (scanner.match.jwt), none of it the token itself
TOKEN_DETAILS = (
    ("alg", "RS256"),
    ("issuer", "acme-sso"),
    ("expires", "2020-09-13T12:26:40Z (expired)"),
)


@pytest.mark.parametrize("format_name", ["text", "json", "jsonl", "sarif", "csv", "html"])
def test_every_format_shows_a_findings_details(format_name: str) -> None:
    finding = make(OPENAI_RULE, OPENAI, Location("a.py", 1, 1, 1), details=TOKEN_DETAILS)
    result = replace(clean_result(), findings=(finding,), rules=(OPENAI_RULE,))
    text = render(format_name, ReportOptions(), result)
    for label, shown in TOKEN_DETAILS:
        assert label in text
        assert shown in text
    if format_name == "json":
        document = assert_valid_json_report(text)
        assert document["findings"][0]["details"] == dict(TOKEN_DETAILS)
    if format_name == "sarif":
        (sarif_result,) = assert_valid_sarif(text)["runs"][0]["results"]
        assert sarif_result["properties"]["details"] == dict(TOKEN_DETAILS)
    if format_name == "csv":
        (row,) = list(csv.DictReader(io.StringIO(text)))
        assert (
            row["details"]
            == "alg: RS256; issuer: acme-sso; expires: 2020-09-13T12:26:40Z (expired)"
        )
