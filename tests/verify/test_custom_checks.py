"""Checks for a user's own rules come from the user's own config, never from the repository;
per-customer hosts only from the user (docs/verification.md#checks-for-your-own-rules)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.config.verification import user_config_path
from scanner.errors import ConfigError
from scanner.rule_verify import parse_declaration
from scanner.verify.declared import Bound, provider_of
from scanner.verify.runner import base_url
from tests.cli_helpers import keyleak, write
from tests.declared_server import EchoProvider, Reply, echo_provider
from tests.keys import random_text

TEAM_RULE = """
[[rules]]
id = "team-token"
name = "Team token"
provider = "team"
description = "A token of the team's own service."
regex = '''(?P<secret>tt_[a-z0-9]{{32}})'''
keywords = ["tt_"]
severity = "high"
remediation = "Revoke it."
examples = ["{example}"]  # keyleak:allow
negative_examples = ["tt_short"]
{extra}
"""
CHECK = """
[verify.checks.team-token]
url = "https://api.team.example.com/v1/me"
headers = {{ Authorization = "Token {{secret}}" }}
reference = "https://docs.team.example.com/api/me"
shape = "tt_[a-z0-9]{{32}}"
[[verify.checks.team-token.answers]]
status = 200
verdict = "live"
[[verify.checks.team-token.answers]]
status = 401
verdict = "invalid"
"""


def team_key() -> str:
    return "tt_" + random_text(32, "abcdefghijklmnopqrstuvwxyz0123456789")


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[EchoProvider]:
    monkeypatch.setenv("KEYLEAK_CACHE_DIR", str(tmp_path / "cache"))
    with echo_provider() as server:
        monkeypatch.setenv("KEYLEAK_TEAM_TOKEN_BASE_URL", server.url)
        yield server


def team_repo(repo: Path, key: str, rule_extra: str = "") -> None:
    write(repo, "ci/rules/team.toml", TEAM_RULE.format(example=team_key(), extra=rule_extra))
    write(repo, ".keyleak.toml", 'rules = ["ci/rules"]\n')
    write(repo, "app.py", f'TOKEN = "{key}"\n')


def verdict_of(out: str) -> dict[str, str]:
    findings = json.loads(out)["findings"]
    assert len(findings) == 1
    verdict = dict(findings[0]["verdict"])
    return {name: verdict[name] for name in ("status", "reason")}


def test_a_check_in_the_users_own_config_verifies_their_rule(
    repo: Path, echo: EchoProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    key = team_key()
    team_repo(repo, key)
    write(user_config_path().parent, user_config_path().name, CHECK.format())
    echo.reset(Reply(401, "{}"))
    outcome = keyleak(capsys, repo, "scan", "app.py", "--verify", "--format", "json")
    assert verdict_of(outcome.out)["status"] == "invalid"
    assert [r.headers["Authorization"] for r in echo.received] == [f"Token {key}"]


def test_a_check_in_the_repositorys_config_is_ignored(
    repo: Path, echo: EchoProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    key = team_key()
    team_repo(repo, key)
    write(repo, ".keyleak.toml", 'rules = ["ci/rules"]\n' + CHECK.format())
    outcome = keyleak(capsys, repo, "scan", "app.py", "--verify", "--format", "json")
    assert verdict_of(outcome.out) == {"status": "skipped", "reason": "no verifier for this rule"}
    assert "ignored" in outcome.err
    assert echo.received == []


def test_a_verify_table_in_a_repositorys_rule_file_is_an_error(
    repo: Path, echo: EchoProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    table = CHECK.format().replace("[verify.checks.team-token", "[rules.verify")
    team_repo(repo, team_key(), rule_extra=table.replace("[[rules.verify]", "[[rules.verify"))
    outcome = keyleak(capsys, repo, "scan", "app.py", "--verify", "--format", "json")
    assert outcome.code == 2
    assert "for keyleak's own rules only" in outcome.err
    assert "[verify.checks.team-token]" in outcome.err
    assert echo.received == []


def test_a_per_customer_host_comes_only_from_the_user(
    repo: Path,
    echo: EchoProvider,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = team_key()
    team_repo(repo, key)
    check = CHECK.format().replace("api.team.example.com", "{host}")
    write(user_config_path().parent, user_config_path().name, check)
    monkeypatch.delenv("KEYLEAK_TEAM_TOKEN_BASE_URL")
    # the key sits next to a host name: text in the repository never says where it goes
    write(repo, "app.py", f'HOST = "team.attacker.example"\nTOKEN = "{key}"\n')
    outcome = keyleak(capsys, repo, "scan", "app.py", "--verify", "--format", "json")
    assert verdict_of(outcome.out) == {
        "status": "skipped",
        "reason": "needs your host: --verify-host team-token=HOST",
    }
    assert echo.received == []
    bad = keyleak(capsys, repo, "scan", "app.py", "--verify", "--verify-host", "team-token=-x")
    assert bad.code == 2 and "expected a DNS host name" in bad.err


def test_the_users_host_is_where_a_per_customer_key_goes() -> None:
    raw = {
        "url": "https://{host}/api/v1/users/me",
        "headers": {"Authorization": "SSWS {secret}"},
        "reference": "https://developer.okta.com/docs/reference/api/users/",
        "host_suffix": ".okta.com",
        "shape": "00[A-Za-z0-9_-]{40}",
        "answers": [{"status": 200, "verdict": "live"}],
    }
    _, problems = parse_declaration(raw, "okta-api-token", "okta", "t")
    assert problems == ["t: verify: 'cases' need at least one live and one invalid case"]
    declaration, problems = parse_declaration(raw, "okta-api-token", "okta", "t", need_cases=False)
    assert declaration is not None and problems == []
    provider = provider_of("okta", [Bound(declaration, re.compile(declaration.shape))])
    said: list[str] = []
    assert base_url("okta", provider, said.append, {}) is None
    assert base_url("okta", provider, said.append, {"okta": "acme.okta.com"}) == (
        "https://acme.okta.com"
    )
    with pytest.raises(ConfigError, match=r"not a \.okta\.com host"):
        base_url("okta", provider, said.append, {"okta": "acme.attacker.example"})


def test_hosts_add_up_from_the_users_config_and_the_command_line() -> None:
    from scanner.commands.options import HOOK_OPTIONS, verify_settings

    hosts = '[verify.hosts]\nokta = "acme.okta.com"\nvault = "old.example.com"\n'
    write(user_config_path().parent, user_config_path().name, hosts)
    options = {**HOOK_OPTIONS, "verify_host": ("vault=vault.example.com",)}
    assert verify_settings(options).hosts == (
        ("okta", "acme.okta.com"),
        ("vault", "vault.example.com"),
    )
