"""`keyleak rules list --verifiable`: the rules that verify, each with its request."""

from __future__ import annotations

import pytest

from scanner.entry import main
from scanner.rules import load_rules
from scanner.verify.registry import MODULES, declarations

SHIPPED = load_rules()


def run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return int(exited.value.code or 0)


def test_rules_list_verifiable_prints_each_verifying_rule_with_its_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["rules", "list", "--verifiable"]) == 0
    *lines, total = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in lines}
    tables, _ = declarations(SHIPPED.rules)
    assert tables, "no shipped rule declares a verify table"
    for rule_id, table in tables.items():
        # the url as the rule file writes it, placeholders and all
        assert rows[rule_id] == [rule_id, table.name, table.method, table.url]
    by_id = SHIPPED.by_id()
    # every line is a rule that verifies: by a table, or by a Python module (AWS)
    assert all(rule_id in tables or by_id[rule_id].verify in MODULES for rule_id in rows)
    assert rows["aws-access-key-id"][:3] == ["aws-access-key-id", "aws", "GET"]
    assert rows["aws-access-key-id"][3].startswith("https://sts.amazonaws.com/?")
    unverified = [rule.id for rule in SHIPPED.rules if rule.verify is None]
    assert unverified and not set(unverified) & set(rows)
    assert rows == dict(sorted(rows.items()))
    services = {by_id[rule_id].service or by_id[rule_id].provider for rule_id in rows}
    assert total == f"{len(rows)} rules, {len(services)} services verifiable"


def test_rules_list_verifiable_shows_no_key(capsys: pytest.CaptureFixture[str]) -> None:
    """A Python verifier's request is built from the rule's example key: none of it is shown."""
    assert run(["rules", "list", "--verifiable"]) == 0
    out = capsys.readouterr().out
    for rule in SHIPPED.rules:
        for example in rule.examples:
            assert example.secret not in out, rule.id


def test_rules_list_takes_one_of_services_and_verifiable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["rules", "list", "--verifiable", "--services"]) == 2
    assert "--services" in capsys.readouterr().err
