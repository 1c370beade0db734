"""docs/verifiable.md and `rules list --verifiable` are written from the rules' verify tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.model import Example, Rule, Severity
from scanner.rule_verify import Answer
from scanner.rules import load_rules
from scanner.verify import catalogue
from scanner.verify.catalogue import answer_text, markdown, module_entry
from scanner.verify.probe import Candidate, Provider, Request
from scanner.verify.registry import declarations
from tests.keys import openai_key

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "verifiable.md"
REGENERATE = ".venv/bin/python scripts/verifiable_docs.py"


def test_docs_verifiable_md_is_current() -> None:
    written = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    assert written == markdown(load_rules().rules), (
        f"docs/verifiable.md is not what the rules say: regenerate it with {REGENERATE}"
    )


def test_every_declared_verifier_has_one_row_in_name_order() -> None:
    rules = load_rules().rules
    rows = [line for line in markdown(rules).splitlines() if line.startswith("| ")][2:]
    names = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    tables, _ = declarations(rules)
    assert {table.name for table in tables.values()} <= set(names)
    assert names == sorted(set(names))
    groq = next(row for row in rows if row.startswith("| groq |"))
    assert "`groq-api-key`" in groq and "https://api.groq.com/openai/v1/models" in groq
    assert "`Authorization: Bearer {secret}`" in groq and "→ live" in groq


def test_an_answer_says_its_statuses_conditions_verdict_and_reason() -> None:
    answer = Answer(
        statuses=(401, 403),
        verdict="invalid",
        reason="bad key",
        json=(("error.code", ("invalid_api_key", "revoked")),),
        has=("error",),
        body=("not valid",),
        headers=(("x-error", "*"),),
    )
    assert answer_text(answer) == (
        '401/403 error.code=invalid_api_key/revoked, has error, body "not valid", header x-error'
        " → invalid (bad key)"
    )


def test_a_python_verifiers_request_shows_placeholders_never_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A verifier that puts the key in its URL, plain and percent-encoded."""
    key = openai_key() + "/+"

    def build(candidate: Candidate) -> Request:
        encoded = candidate.secret.replace("/", "%2F").replace("+", "%2B")
        return Request("GET", f"/v1/check?key={encoded}&again={candidate.secret}", ())

    provider = Provider("keyed", "https://api.keyed.test", build, lambda reply: None)
    monkeypatch.setitem(catalogue.MODULES, "keyed", provider)
    rule = Rule(
        id="keyed-key",
        name="Keyed key",
        provider="keyed",
        description="",
        regex="",
        keywords=(),
        severity=Severity.HIGH,
        remediation="",
        examples=(Example(text=key, secret=key),),
        negative_examples=(),
        verify="keyed",
    )
    entry = module_entry(rule, {rule.id: rule})
    assert entry is not None
    assert entry.url == "https://api.keyed.test/v1/check?key={secret}&again={secret}"
