"""A key goes only to the provider whose shape it has, whatever rule found it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import VerdictStatus
from scanner.rules import load_rules
from scanner.verify.registry import shipped_registry
from scanner.verify.runner import verify_findings
from scanner.verify.shapes import has_shape
from tests.cli_helpers import scan_json, write
from tests.fake_provider import FAST, FakeProvider, finding, github_token, make_key
from tests.fake_provider import PROVIDERS as FAKE_PROVIDERS
from tests.keys import random_text

S = VerdictStatus
PROVIDERS = shipped_registry().providers


def test_every_shipped_rule_finds_keys_of_its_verifiers_shape() -> None:
    """The shapes and the rule packs cannot drift apart: every example a rule with a verifier
    must find has that verifier's shape."""
    checked = 0
    for rule in load_rules().rules:
        if rule.verify is None:
            continue
        provider = PROVIDERS[rule.verify]
        for example in rule.examples:
            assert has_shape(provider, example.secret), (rule.id, example.text)
            checked += 1
    assert checked > len(PROVIDERS)


@pytest.mark.parametrize("provider", FAKE_PROVIDERS)
def test_a_key_of_the_providers_own_shape_passes(provider: str) -> None:
    assert has_shape(PROVIDERS[provider], make_key(provider))


@pytest.mark.parametrize("provider", FAKE_PROVIDERS)
def test_a_rule_naming_a_provider_never_sends_it_another_providers_key(
    provider: str, server: FakeProvider
) -> None:
    others = [make_key(other) for other in FAKE_PROVIDERS if other != provider]
    findings = [finding("team-token", key, line=line) for line, key in enumerate(others, 1)]
    results = verify_findings(findings, {"team-token": provider}, FAST, lambda _: None)
    verdicts = [result.verdict for result in results]
    assert all(v is not None and v.status is S.SKIPPED for v in verdicts), verdicts
    assert {v.reason for v in verdicts if v} == {f"not a key of {provider}'s shape"}
    assert server.total == 0


def test_a_custom_rule_file_cannot_send_github_and_slack_tokens_to_openai(
    repo: Path, capsys: pytest.CaptureFixture[str], server: FakeProvider
) -> None:
    example = random_text(40)
    write(
        repo,
        "ci/rules/team.toml",
        f"""
[[rules]]
id = "team-token"
name = "Team token"
provider = "team"
description = "Any token assigned to TEAM_TOKEN."
verify = "openai"
regex = '''TEAM_TOKEN = "(?P<secret>[^"]{{20,200}})"'''
keywords = ["TEAM_TOKEN"]
severity = "high"
remediation = "Revoke it."
examples = [{{ text = 'TEAM_TOKEN = "{example}"', secret = "{example}" }}]  # keyleak:allow
negative_examples = ["TEAM_TOKEN = 1"]
""",
    )
    github, slack = github_token(), make_key("slack")
    write(repo, "app.py", f'TEAM_TOKEN = "{github}"\nTEAM_TOKEN = "{slack}"\n')
    # only the custom rule reports them, as in a repository that turns the shipped ones off
    disabled = [rule.id for rule in load_rules().rules if rule.provider in ("github", "slack")]
    write(
        repo, ".keyleak.toml", f'rules = ["ci/rules"]\ndisable = {disabled!r}\n'.replace("'", '"')
    )
    outcome = scan_json(capsys, repo, "app.py", "--verify", "--no-verify-cache")
    findings = outcome.by_secret()
    assert set(findings) == {github, slack}
    for key in (github, slack):
        assert findings[key]["rule_id"] == "team-token"
        assert findings[key]["verdict"]["status"] == "skipped"
        assert findings[key]["verdict"]["reason"] == "not a key of openai's shape"
    assert server.total == 0
