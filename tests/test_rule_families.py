"""Families: members expand into rules of their own, whose keyword is never optional."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scanner.errors import RuleError
from scanner.match.engine import build_matcher
from scanner.rules import builtin_rules_dir, load_rules
from tests.keys import random_text
from tests.test_rules import ENGINES, exit_code

MEMBER = """
[[members]]
family = "keyword-assignment"
service = "widgetly"
name = "Widgetly"
keywords = ["widgetly"]
format = [{ alphabet = "hex", length = 32 }]
origin = "observed"
reference = "https://widgetly.invalid/docs/keys"
revoke = "https://widgetly.invalid/settings/keys"
"""


def rules_dir(tmp_path: Path, members: str = MEMBER) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(parents=True)
    shutil.copy(builtin_rules_dir() / "families.toml", folder / "families.toml")
    (folder / "members.toml").write_text(members, encoding="utf-8")
    return folder


def test_a_member_becomes_a_rule_that_names_its_service(tmp_path: Path) -> None:
    rule = load_rules([rules_dir(tmp_path)]).by_id()["widgetly-api-key"]
    assert (rule.provider, rule.service, rule.family) == (
        "widgetly",
        "widgetly",
        "keyword-assignment",
    )
    assert rule.name == "Widgetly API key"
    assert rule.origin == "observed"
    assert "https://widgetly.invalid/settings/keys" in rule.remediation
    assert len(rule.examples) >= 2 and len(rule.negative_examples) >= 2
    assert all(len(example.secret) == 32 for example in rule.examples)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_keyword_is_required_and_the_shape_exact(tmp_path: Path, engine: str) -> None:
    ruleset = load_rules([rules_dir(tmp_path)])
    matcher = build_matcher(ruleset.rules, ruleset.digest, engine)
    value = random_text(32, "0123456789abcdef")

    def found(text: str) -> list[tuple[str, str]]:
        return [(m.rule_id, m.secret.decode()) for m in matcher.scan(text.encode()).matches]

    assert found(f'WIDGETLY_API_KEY = "{value}"') == [("widgetly-api-key", value)]
    assert found(f"widgetly:\n  token: {value}\n") == []
    assert found(f'OTHER_API_KEY = "{value}"') == []
    assert found(f'WIDGETLY_API_KEY = "{value}0"') == []
    assert found(f'WIDGETLY_API_KEY = "{value[:-1]}"') == []


def test_rules_check_runs_every_members_examples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(["rules", "check", str(rules_dir(tmp_path))]) == 0
    assert "1 rules OK" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('family = "keyword-assignment"', 'family = "nope"'), "member widgetly: no family 'nope'"),
        (
            ('keywords = ["widgetly"]', 'keywords = ["wdg"]'),
            "'keywords' must be lowercase strings of 4",
        ),
        (('keywords = ["widgetly"]', 'keywords = ["Widgetly"]'), "'keywords' must be lowercase"),
        (
            ('origin = "observed"', 'origin = "guessed"'),
            "'origin' must be one of documented, observed",
        ),
        (
            ('alphabet = "hex"', 'alphabet = "hexadecimal"'),
            "'format'[0]: 'alphabet' must be one of",
        ),
        (("length = 32", "length = 0"), "'format'[0]: 'length' must be 1..1024"),
        (
            ('reference = "https://', 'reference = "http://'),
            "'reference' must be an https:// address",
        ),
        (
            ('revoke = "https://widgetly.invalid/settings/keys"', 'colour = "red"'),
            "unknown key 'colour'",
        ),
    ],
)
def test_member_problems_name_the_member(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], message: str
) -> None:
    folder = rules_dir(tmp_path, MEMBER.replace(*change))
    assert exit_code(["rules", "check", str(folder)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_two_members_cannot_share_a_keyword(tmp_path: Path) -> None:
    twin = MEMBER.replace('service = "widgetly"', 'service = "widgetly-eu"')
    with pytest.raises(RuleError, match="keyword 'widgetly' names both widgetly and widgetly-eu"):
        load_rules([rules_dir(tmp_path, MEMBER + twin)])


def test_an_alias_may_not_be_a_live_rule_id(tmp_path: Path) -> None:
    renamed = MEMBER + 'aliases = ["widgetly-api-key"]\n'
    with pytest.raises(RuleError, match="'aliases' must be other rule ids"):
        load_rules([rules_dir(tmp_path, renamed)])
    other = MEMBER.replace("widgetly", "gadgetry") + 'aliases = ["widgetly-api-key"]\n'
    with pytest.raises(RuleError, match="alias 'widgetly-api-key' is another rule's id"):
        load_rules([rules_dir(tmp_path / "two", MEMBER + other)])


def test_rules_list_services_prints_each_service_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(["rules", "list", "--services"]) == 0
    services = capsys.readouterr().out.splitlines()
    assert services == sorted(set(services))
    shipped = load_rules()
    assert set(services) == {r.service or r.provider for r in shipped.rules if r.kind == "service"}
    assert "openai" in services
