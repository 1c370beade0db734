"""Every verifier keyleak can verify a key with, by the name a rule's `verify` gives.

Most are declared in keyleak's own rule files (`verify` tables, scanner.verify.declared); only
what a declaration cannot say is a Python module (AWS signs its requests). A user may declare
checks for their own rules in their own config (`[verify.checks.<rule id>]`); a scanned
repository's rule files never can (scanner.rules refuses their tables).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from scanner.errors import ConfigError
from scanner.model import Rule
from scanner.rule_verify import Declaration
from scanner.verify.probe import Provider
from scanner.verify.providers import (
    anthropic,
    aws,
    deepseek,
    github,
    gitlab,
    google,
    huggingface,
    openai,
    openrouter,
    sendgrid,
    slack,
    stripe,
    xai,
)

#: the verifiers written in Python, listed explicitly so mypy checks each against `Provider`
MODULES: dict[str, Provider] = {
    provider.name: provider
    for provider in (
        anthropic.PROVIDER,
        aws.PROVIDER,
        deepseek.PROVIDER,
        github.PROVIDER,
        gitlab.PROVIDER,
        google.PROVIDER,
        huggingface.PROVIDER,
        openai.PROVIDER,
        openrouter.PROVIDER,
        sendgrid.PROVIDER,
        slack.PROVIDER,
        stripe.PROVIDER,
        xai.PROVIDER,
    )
}


@dataclass(frozen=True)
class Registry:
    """The verifiers of one run, by name."""

    providers: Mapping[str, Provider]

    def named(self, name: str) -> Provider | None:
        return self.providers.get(name)

    def pairings(self) -> dict[str, Provider]:
        """The providers whose keys pair with a second secret, by the rule that finds it."""
        return {
            provider.pairing.partner_rule: provider
            for provider in self.providers.values()
            if provider.pairing is not None
        }


def declarations(
    rules: Sequence[Rule], checks: Mapping[str, str] | None = None
) -> tuple[dict[str, Declaration], list[str]]:
    """The shipped rules' tables and the user's `checks` (rule id -> the table as JSON), parsed
    and with `like` resolved, by rule id; and every problem found."""
    from scanner.rule_verify import parse_declaration, resolve

    by_id = {rule.id: rule for rule in rules}
    tables: dict[str, Declaration] = {}
    problems: list[str] = []
    sources: list[tuple[str, str, str, bool]] = [
        (rule.id, rule.verification, rule.verify or rule.id, True)
        for rule in rules
        if rule.shipped and rule.verification
    ]
    for rule_id, table in (checks or {}).items():
        if rule_id not in by_id:
            problems.append(f"[verify.checks.{rule_id}]: no rule {rule_id!r} in this run")
        elif by_id[rule_id].verification:
            problems.append(f"[verify.checks.{rule_id}]: keyleak already verifies this rule")
        else:
            sources.append((rule_id, table, rule_id, False))
    for rule_id, table, name, shipped in sources:
        label = f"{by_id[rule_id].source}: {rule_id}" if shipped else f"[verify.checks.{rule_id}]"
        declaration, found = parse_declaration(
            json.loads(table), rule_id, name, label, need_cases=shipped
        )
        problems += found
        if declaration is not None:
            tables[rule_id] = declaration
    resolved, found = resolve(tables)
    return resolved, problems + found


def declared(
    rules: Sequence[Rule], checks: Mapping[str, str] | None = None
) -> tuple[dict[str, Provider], list[str]]:
    """The verifiers the declarations make, by name, and every problem that keeps one from
    being built."""
    from scanner.verify.declared import Bound, bind, provider_of

    by_id = {rule.id: rule for rule in rules}
    resolved, problems = declarations(rules, checks)
    grouped: defaultdict[str, list[Bound]] = defaultdict(list)
    for declaration in resolved.values():
        bound, found = bind(declaration, by_id)
        problems += found
        if bound is not None:
            grouped[declaration.name].append(bound)
    providers: dict[str, Provider] = {}
    for name, bounds in grouped.items():
        origins = {bound.declaration.origin for bound in bounds}
        if len(origins) > 1:
            problems.append(f"verifier {name}: its tables send keys to {sorted(origins)}")
        elif name in MODULES:
            problems.append(f"verifier {name}: declared and also a Python module")
        else:
            providers[name] = provider_of(name, bounds)
    return providers, problems


@functools.cache
def shipped_registry() -> Registry:
    """keyleak's own verifiers: the modules and the shipped rules' tables."""
    from scanner.rules import load_rules

    providers, problems = declared(load_rules().rules)
    if problems:
        raise ConfigError("invalid verify tables:\n" + "\n".join(problems))
    return Registry({**MODULES, **providers})


def registry_for(rules: Iterable[Rule], checks: Mapping[str, str]) -> Registry:
    """The shipped verifiers, with the user's checks for their own rules."""
    shipped = shipped_registry()
    if not checks:
        return shipped
    providers, problems = declared(list(rules), checks)
    if problems:
        raise ConfigError("\n".join(problems))
    return Registry({**shipped.providers, **providers})


def provider_named(name: str) -> Provider | None:
    return shipped_registry().named(name)
