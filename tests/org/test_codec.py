"""The audit state's codec: a finding (with its history, commits and verdict) and a scan
result read back exactly as they were written, through JSON text."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from scanner.model import (
    Commit,
    Finding,
    History,
    Location,
    Removal,
    ScanResult,
    Severity,
    Skipped,
    SourceKind,
    Suppressed,
    Verdict,
    VerdictStatus,
)
from scanner.org.codec import finding_from_json, finding_to_json, result_from_json, result_to_json
from tests.keys import openai_key


def through_json(value: object) -> object:
    return json.loads(json.dumps(value))


def commit(sha: str, name: str = "Ada Lovelace") -> Commit:
    return Commit(sha * 40, name, "ada@example.com", "2021-03-04T05:06:07+02:00")


def full_finding() -> Finding:
    key = openai_key()
    return Finding(
        rule_id="openai-project-key",
        rule_name="OpenAI project API key",
        provider="openai",
        severity=Severity.CRITICAL,
        remediation="Revoke it.",
        location=Location(
            path="notebooks/\udcffdata.ipynb",
            line=3,
            column=12,
            end_line=4,
            kind=SourceKind.COMMIT,
            commit="a" * 40,
            cell=2,
            cell_line=1,
            repository="github.com/org/app",
            blob="e" * 40,
        ),
        secret=key,
        redacted=f"sk-proj-{key[8:10]}…{key[-4:]}",
        fingerprint="f" * 64,
        encoding=("base64", "url"),
        history=History(
            introduced=commit("a"),
            last_present=commit("b", "Zoë Ünicode"),
            removed=commit("c"),
            paths=("notebooks/data.ipynb", "old/data.ipynb"),
            in_head=False,
            refs=("main", "tags/v1"),
            removals=(Removal("main", commit("c")), Removal("tags/v1", commit("e", "Zoë"))),
        ),
        introduced_by=commit("d"),
        verdict=Verdict(
            VerdictStatus.LIVE_RESTRICTED,
            "accepted, read-only",
            (("organization", "org-1"), ("scope", "read"), ("scope", "models")),
        ),
        baselined=True,
        line_text='API_KEY = "sk-proj-…"  # tab\there',
        variables=("DB_PASSWORD", "API_URL"),
        context="test",
        severity_reason="local host; test path",
        base_severity=Severity.INFO,
        details=(("alg", "HS256"), ("expires", "never (no exp claim)")),
    )


def test_a_finding_with_every_field_set_round_trips() -> None:
    finding = full_finding()
    assert finding_from_json(through_json(finding_to_json(finding))) == finding


def test_a_finding_with_only_the_required_fields_round_trips() -> None:
    finding = Finding(
        rule_id="aws-access-key",
        rule_name="AWS access key",
        provider="aws",
        severity=Severity.HIGH,
        remediation="",
        location=Location("a.py", 1, 1, 1),
        secret="x",
        redacted="x",
        fingerprint="0" * 64,
    )
    assert finding_from_json(through_json(finding_to_json(finding))) == finding


def test_a_finding_only_refs_hold_round_trips_without_commits() -> None:
    # a tag on a blob or a tree: no commit introduced it or holds it
    full = full_finding()
    finding = replace(
        full,
        location=replace(full.location, kind=SourceKind.REF, commit=None, path=""),
        history=History(
            introduced=None,
            last_present=None,
            removed=None,
            paths=(),
            in_head=False,
            refs=("t",),
            still_present=True,
        ),
    )
    assert finding_from_json(through_json(finding_to_json(finding))) == finding


def test_a_result_round_trips_without_its_rules() -> None:
    result = ScanResult(
        findings=(full_finding(), full_finding()),
        skipped=(Skipped("big.bin", "larger than --max-blob-size"), Skipped("lfs", "binary")),
        files_scanned=12,
        bytes_scanned=3456,
        suppressed=Suppressed(inline=2, allowlist=1, placeholder=5),
        elapsed=1.25,
        commits_scanned=7,
        notes=("shallow clone: history is truncated",),
    )
    assert result_from_json(through_json(result_to_json(result))) == result


def test_the_state_of_an_older_audit_still_reads() -> None:
    """Before suppressions had reasons the state held one count (the inline markers': the
    allowlists apply to the merged result), and before blobs had a field, no blob."""
    result = ScanResult((full_finding(),), (), 1, 10, Suppressed(inline=3), 0.5)
    stored: Any = through_json(result_to_json(result))
    stored["suppressed"] = 3
    del stored["findings"][0]["location"]["blob"]
    read = result_from_json(stored)
    assert read.suppressed == Suppressed(inline=3)
    assert read.findings[0].location.blob is None


@given(
    path=st.text(),
    line_text=st.text(),
    details=st.lists(st.tuples(st.text(), st.text()), max_size=3),
    status=st.sampled_from(VerdictStatus),
    line=st.integers(min_value=1, max_value=10**9),
)
def test_any_text_and_verdict_round_trip(
    path: str,
    line_text: str,
    details: list[tuple[str, str]],
    status: VerdictStatus,
    line: int,
) -> None:
    finding = replace(
        full_finding(),
        location=Location(path, line, 1, line, repository=path),
        verdict=Verdict(status, line_text, tuple(details)),
        line_text=line_text,
    )
    assert finding_from_json(through_json(finding_to_json(finding))) == finding
