"""A range scan is judged by its base's config: a pull request that adds a key and, beside it,
an allowlist, ignore or baseline entry or an inline marker for it still fails, and the notice
names what it added. `--head-config` (the user's choice) applies the work tree's config.

Every repository is real, under tmp_path; keys are built at run time (tests/keys.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.redaction import fingerprint
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.keys import openai_key, random_text
from tests.repos import acme_rule, commit, config_line, pull_request

RULE = "openai-project-key"


def shown(key: str) -> str:
    return f"sk-proj-{key[8:10]}…{key[-4:]}"


def in_range(capsys: pytest.CaptureFixture[str], repo: Path, span: str, *extra: str) -> Outcome:
    return keyleak(
        capsys, repo, "history", str(repo), "--range", span, "--format", "json", "-j", "1", *extra
    )


def notes(outcome: Outcome) -> str:
    return "\n".join(outcome.report()["notes"])


def test_a_pull_request_cannot_allowlist_its_own_key(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    toml = (
        f'fail_on = "live"\n[allow]\nsecrets = ["{key}"]\npaths = ["app.py"]\n'
        f'fingerprints = ["{fingerprint(RULE, key.encode())}"]\n'
    )
    span = pull_request(repo, {"app.py": config_line(key), ".keyleak.toml": toml})

    outcome = in_range(capsys, repo, span)

    assert outcome.code == 1, outcome.err
    assert {finding["rule_id"] for finding in outcome.findings()} >= {RULE}
    told = notes(outcome)
    assert f".keyleak.toml: allow.secrets adds '{shown(key)}'" in told
    assert ".keyleak.toml: allow.paths adds 'app.py'" in told
    # a fingerprint is shown as any key-shaped value a notice quotes: it could be a pasted key
    print_ = fingerprint(RULE, key.encode())
    assert f"allow.fingerprints adds '{print_[:2]}…{print_[-4:]}'" in told
    assert "config applied: the base revision" in told
    assert ".keyleak.toml: fail_on = 'live' (base: unset)" in told
    # the notice goes to stderr too, since the report is not text on a terminal
    assert "keyleak: notice: the range changes keyleak's config" in outcome.err
    assert key not in outcome.out + outcome.err


def test_a_pull_request_cannot_baseline_or_gitleaksignore_its_own_key(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    entry = {"rule_id": RULE, "fingerprint": fingerprint(RULE, key.encode())}
    baseline = json.dumps({"keyleak_baseline": 1, "entries": [entry]})
    span = pull_request(
        repo,
        {
            "app.py": config_line(key),
            ".keyleak-baseline.json": baseline,
            ".gitleaksignore": f"app.py:{RULE}:1\n",
        },
    )

    outcome = in_range(capsys, repo, span)

    assert outcome.code == 1, outcome.err
    assert not any(finding["baselined"] for finding in outcome.findings())
    told = notes(outcome)
    assert f".gitleaksignore adds 'app.py:{RULE}:1'" in told
    assert f'.keyleak-baseline.json adds {{"rule_id": "{RULE}"' in told


def test_an_inline_marker_the_range_adds_is_reported_and_kept_in_sarif(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    span = pull_request(repo, {"app.py": f'API_KEY = "{key}"  # keyleak:allow\n'})

    outcome = in_range(capsys, repo, span)

    assert outcome.code == 1, outcome.err
    assert "app.py:1: the range adds an inline marker (keyleak:allow)" in notes(outcome)
    sarif = keyleak(
        capsys, repo, "history", str(repo), "--range", span, "--format", "sarif", "-j", "1"
    )
    assert sarif.code == 1
    results = json.loads(sarif.out)["runs"][0]["results"]
    suppressions = [s for result in results for s in result.get("suppressions", [])]
    assert suppressions and all(s["kind"] == "inSource" for s in suppressions)
    assert all(s["status"] == "underReview" for s in suppressions)
    notified = json.loads(sarif.out)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("inline marker (keyleak:allow)" in item["message"]["text"] for item in notified)


def test_the_base_config_applies_to_the_range(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Settled in the base, an allowlist entry applies to the range: the base is the judge."""
    key = openai_key()
    commit(repo, {".keyleak.toml": f'[allow]\nsecrets = ["{key}"]\n'}, "allow a test key")
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "checkout", "-q", "-b", "feature")
    # the pull request removes the allowlist: the work tree has none, the base's still applies
    commit(repo, {"app.py": config_line(key), ".keyleak.toml": "\n"}, "use it")

    outcome = in_range(capsys, repo, f"{base}..feature")

    assert outcome.code == 0, outcome.err
    assert f".keyleak.toml: allow.secrets drops '{shown(key)}'" in notes(outcome)


def test_head_config_applies_the_work_trees_config(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    toml = f'[allow]\nsecrets = ["{key}"]\n'
    span = pull_request(repo, {"app.py": config_line(key), ".keyleak.toml": toml})

    outcome = in_range(capsys, repo, span, "--head-config")

    assert outcome.code == 0, outcome.err
    assert "config applied: the work tree's (--head-config)" in notes(outcome)
    assert f"allow.secrets adds '{shown(key)}'" in notes(outcome)


def test_a_rule_file_the_base_config_names_is_read_from_the_base(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The base's rules file applies even where the pull request rewrites it, and the notice
    says the file changed."""
    rule = acme_rule()
    commit(
        repo,
        {".keyleak.toml": 'rules = ["ci/rules"]\n', "ci/rules/acme.toml": rule},
        "team rules",
    )
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "checkout", "-q", "-b", "feature")
    token = "acme_" + random_text(32)
    commit(repo, {"ci/rules/acme.toml": "\n", "app.py": f"t = '{token}'\n"}, "pr")

    outcome = in_range(capsys, repo, f"{base}..feature")

    assert outcome.code == 1, outcome.err
    assert [finding["rule_id"] for finding in outcome.findings()] == ["acme-token"]
    assert "ci/rules/acme.toml: changed (a file the config reads)" in notes(outcome)


def test_a_base_config_naming_a_file_outside_the_repository_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, {".keyleak.toml": 'baseline = "../elsewhere.json"\n'}, "base")
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    commit(repo, {"app.py": "x = 1\n"}, "pr")

    outcome = in_range(capsys, repo, f"{base}..HEAD")

    assert outcome.code == 2
    assert "names only files inside it" in outcome.err
