"""Baselines made by an older rule set still know their secrets after an upgrade.

A fingerprint is SHA-256 of rule id, NUL, secret, so a finding's fingerprint changes when the rule
that reports it does: a provider rule that now takes a value a generic rule used to report, or a
rule renamed or split. The baselines here are made the way keyleak 0.x (up to commit ceda8d7)
made them, by the rules of the time, and their fingerprints are checked against that formula
written out here, not against keyleak's own function.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from scanner.model import MESSAGE_KINDS, Finding, Location, Severity, SourceKind
from scanner.policy import baseline
from scanner.redaction import in_message
from tests.cli_helpers import keyleak, scan_json, write
from tests.keys import random_text
from tests.repos import acme_rule

BASELINE = ".keyleak-baseline.json"
GENERIC = "generic-secret-assignment"


def old_fingerprint(rule_id: str, secret: str) -> str:
    """The fingerprint as baselines recorded it before the upgrade."""
    return hashlib.sha256(rule_id.encode() + b"\0" + secret.encode()).hexdigest()


def old_baseline(path: Path, *entries: dict[str, str]) -> None:
    """A baseline file in the format keyleak has written since baselines began (version 1)."""
    lines = ",\n".join(json.dumps(entry) for entry in entries)
    path.write_text(
        f'{{\n"keyleak_baseline": 1,\n"entries": [\n{lines},\nnull\n]\n}}\n', encoding="utf-8"
    )


def with_new_rules(repo: Path, rules: str) -> None:
    write(repo, "ci/rules/zorblax.toml", rules)
    write(repo, ".keyleak.toml", 'rules = ["ci/rules"]\n')


def test_a_secret_baselined_as_generic_stays_known_when_a_provider_rule_takes_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "zbx_" + random_text(32)
    write(repo, "settings.py", f'secret = "{token}"\n')
    # the old rules report it as a generic secret, and the baseline records that
    before = scan_json(capsys, repo, "settings.py")
    assert before.found() == [("settings.py", 1, GENERIC)]
    assert keyleak(capsys, repo, "baseline", "create").code == 0
    document = json.loads((repo / BASELINE).read_text(encoding="utf-8"))
    assert document["entries"][0] == {
        "rule_id": GENERIC,
        "fingerprint": old_fingerprint(GENERIC, token),
    }

    with_new_rules(repo, acme_rule("zorblax-token", "zbx_"))
    after = scan_json(capsys, repo, "settings.py")
    assert after.found() == [("settings.py", 1, "zorblax-token")]
    assert [finding["baselined"] for finding in after.findings()] == [True]
    assert after.code == 0
    check = keyleak(capsys, repo, "baseline", "check")
    assert (check.code, check.out.strip()) == (0, "keyleak: all 1 baseline entries still match")
    updated = keyleak(capsys, repo, "baseline", "update")
    assert "0 added, 0 pruned, 1 in all" in updated.out
    # the entry is kept as it was written: a teammate still on the old release matches it too
    assert json.loads((repo / BASELINE).read_text(encoding="utf-8"))["entries"][0] == {
        "rule_id": GENERIC,
        "fingerprint": old_fingerprint(GENERIC, token),
    }


def test_a_generic_entry_knows_only_its_own_secret_in_its_own_scope(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known, other = ("zbx_" + random_text(32) for _ in range(2))
    old_baseline(
        repo / BASELINE,
        {"rule_id": GENERIC, "fingerprint": old_fingerprint(GENERIC, known), "path": "/a.py"},
    )
    write(repo, "a.py", f'secret = "{other}"\n')
    write(repo, "b.py", f'secret = "{known}"\n')
    with_new_rules(repo, acme_rule("zorblax-token", "zbx_"))
    outcome = scan_json(capsys, repo, "a.py", "b.py")
    assert outcome.code == 1
    assert {f["secret"]: f["baselined"] for f in outcome.findings()} == {
        other: False,
        known: False,
    }


def test_entries_under_a_renamed_or_split_rule_still_match(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the old release had one rule, zorblax-api-token, for both kinds of key
    live, test = "zbx_" + random_text(32), "zbt_" + random_text(32)
    old_baseline(
        repo / BASELINE,
        *(
            {
                "rule_id": "zorblax-api-token",
                "fingerprint": old_fingerprint("zorblax-api-token", key),
            }
            for key in (live, test)
        ),
    )
    write(repo, "a.py", f'live = "{live}"\ntest = "{test}"\n')
    # the new one names it zorblax-token, and splits off zorblax-test-token
    with_new_rules(
        repo,
        acme_rule("zorblax-token", "zbx_", 'aliases = ["zorblax-api-token"]')
        # an alias names one rule: the split-off rule's findings match through their secret
        + acme_rule("zorblax-test-token", "zbt_"),
    )
    outcome = scan_json(capsys, repo, "a.py")
    assert outcome.found() == [("a.py", 1, "zorblax-token"), ("a.py", 2, "zorblax-test-token")]
    assert [finding["baselined"] for finding in outcome.findings()] == [True, True]
    assert outcome.code == 0
    assert keyleak(capsys, repo, "baseline", "check").code == 0


def finding(rule_id: str, secret: str, kind: SourceKind, path: str) -> Finding:
    own = old_fingerprint(rule_id, secret)
    return Finding(
        rule_id=rule_id,
        rule_name="Zorblax token",
        provider="zorblax",
        severity=Severity.HIGH,
        remediation="",
        location=Location(path=path, line=1, column=1, end_line=1, kind=kind),
        secret=secret,
        redacted="zbx_…",
        fingerprint=in_message(own) if kind in MESSAGE_KINDS else own,
    )


def test_a_message_entry_matches_only_the_secret_in_a_message(tmp_path: Path) -> None:
    token = "zbx_" + random_text(32)
    known = baseline.Baseline(
        (baseline.Entry(in_message(old_fingerprint(GENERIC, token)), GENERIC),)
    )
    in_commit = finding("zorblax-token", token, SourceKind.COMMIT_MESSAGE, "commit-message/ab")
    in_file = finding("zorblax-token", token, SourceKind.FILE, "a.py")
    assert known.entry_for(in_commit, tmp_path) == known.entries[0]
    assert known.entry_for(in_file, tmp_path) is None
