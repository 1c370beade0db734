"""`keyleak rules list`, `keyleak rules check` and `keyleak rules import-gitleaks`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from scanner.config.settings import EngineName
from scanner.errors import ExitCode, RuleError
from scanner.match.confirm import compile_rule
from scanner.match.engine import build_matcher, hyperscan_available
from scanner.match.results import Matcher
from scanner.model import Rule
from scanner.rules import RuleSet, check_examples, load_rules, parse_files, read_rule_files


def list_rules() -> int:
    ruleset = load_rules()
    rows = [("ID", "SEVERITY", "PROVIDER", "VERIFY", "NAME")]
    rows += [
        (rule.id, rule.severity.value, rule.provider, rule.verify or "-", rule.name)
        for rule in sorted(ruleset.rules, key=lambda r: r.id)
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[4]]))
    click.echo(f"{len(ruleset.rules):,} rules, {len(services(ruleset)):,} services")
    return ExitCode.CLEAN


def list_services() -> int:
    """One service per line: shapes that are not one provider's (JWTs, private keys, URLs) are
    not services, and a service that several rules detect is listed once."""
    for service in sorted(services(load_rules())):
        click.echo(service)
    return ExitCode.CLEAN


def services(ruleset: RuleSet) -> set[str]:
    return {rule.service or rule.provider for rule in ruleset.rules if rule.kind == "service"}


def show_rule(rule_id: str) -> int:
    """One rule as its file defines it; its examples are printed as they are, being fake keys
    written for the rule (the docs say so), never findings."""
    import difflib

    from scanner.match.file_rules import is_file_rule

    rules = load_rules().by_id()
    rule = rules.get(rule_id)
    if rule is None:
        near = difflib.get_close_matches(rule_id, list(rules), n=1)
        near = near or sorted(known for known in rules if rule_id.lower() in known)
        hint = f"; did you mean {near[0]}?" if near else " (keyleak rules list shows them)"
        from scanner.redaction import masked

        # a key pasted where the id goes must not reach the terminal whole
        raise RuleError(f"{masked(rule_id)}: no such rule{hint}")
    lines = [
        f"{rule.id}: {rule.name}",
        f"provider:     {rule.provider}",
        f"severity:     {rule.severity.value}",
        f"description:  {rule.description}",
        f"pattern:      {rule.regex}",
        f"keywords:     {', '.join(rule.keywords) or '-'}",
    ]
    if is_file_rule(rule):
        lines.append("applies to: the file's path, not its content")
    if rule.path is not None:
        lines.append(f"paths:        {rule.path}")
    if rule.min_entropy is not None:
        lines.append(f"min entropy:  {rule.min_entropy}")
    lines.append("examples:")
    lines += [f"  {example.text}" for example in rule.examples]
    if rule.negative_examples:
        lines.append("not matched:")
        lines += [f"  {negative}" for negative in rule.negative_examples]
    if rule.family:
        lines.append(f"family:       {rule.family}")
    if rule.origin:
        lines.append(f"format:       {rule.origin}, {rule.reference or 'no reference'}")
    if rule.aliases:
        lines.append(f"formerly:     {', '.join(rule.aliases)}")
    lines.append(f"remediation:  {rule.remediation}")
    lines.append(f"verification: {verification_of(rule)}")
    lines.append(f"source:       {rule.source}")
    click.echo("\n".join(lines))
    return ExitCode.CLEAN


def verification_of(rule: Rule) -> str:
    """The verifier and the one host it sends keys to; the registry is imported only here, as
    it imports every provider module."""
    if rule.verify is None:
        return "none"
    from scanner.verify.registry import provider_named

    provider = provider_named(rule.verify)
    return f"{rule.verify}, {provider.base_url}" if provider else f"{rule.verify} (not installed)"


def check_rules(files: tuple[str, ...]) -> int:
    """Report every schema problem, then run the examples of every valid rule on each engine."""
    contents, digest = read_rule_files([Path(f) for f in files] if files else None)
    rules, problems = parse_files(contents)
    compiled: list[Rule] = []
    for rule in rules:
        try:
            compile_rule(rule)
            compiled.append(rule)
        except RuleError as exc:
            problems.append(str(exc))
    from scanner.verify.registry import declared

    problems.extend(declared(compiled)[1])
    # the dropped rules change the set, so they must change the engine cache's key too
    ruleset = RuleSet(tuple(compiled), f"{digest}:{','.join(r.id for r in compiled)}")
    engines: list[EngineName] = ["regex", "hyperscan"] if hyperscan_available() else ["regex"]
    for engine in engines if compiled else []:
        matcher = build_matcher(ruleset.rules, ruleset.digest, engine)
        failures = check_examples(ruleset, secrets_of(matcher))
        problems.extend(f"{line} [{engine} engine]" for line in failures)
    if problems:
        click.echo("\n".join(problems), err=True)
        return ExitCode.USAGE
    click.echo(summary(ruleset, engines))
    return ExitCode.CLEAN


def secrets_of(matcher: Matcher) -> Callable[[Rule, bytes], list[bytes]]:
    def find(rule: Rule, text: bytes) -> list[bytes]:
        return [m.secret for m in matcher.scan(text).matches if m.rule_id == rule.id]

    return find


def summary(ruleset: RuleSet, engines: list[EngineName]) -> str:
    examples = sum(len(rule.examples) for rule in ruleset.rules)
    negatives = sum(len(rule.negative_examples) for rule in ruleset.rules)
    return (
        f"{len(ruleset.rules):,} rules OK: {examples:,} examples and {negatives:,} negative "
        f"examples pass on the {' and '.join(engines)} engine{'s' if len(engines) > 1 else ''}"
    )


def import_gitleaks(file: str, output: str | None) -> int:
    """Write a gitleaks config's rules as keyleak TOML; report what could not be translated.

    Exit 0 when every rule was imported, 2 when some were left out (the others are written).
    """
    from scanner.config import gitleaks
    from scanner.report.writer import write_text

    imported = gitleaks.parse(gitleaks.read(Path(file)), file)
    builtin = {rule.id for rule in load_rules().rules}
    rules = [rule for rule in imported.rules if rule.id not in builtin]
    problems = list(imported.problems)
    problems += [
        f"{file}: {rule.id}: skipped: keyleak has a built-in rule with this id"
        for rule in imported.rules
        if rule.id in builtin
    ]
    skipped = imported.skipped + len(imported.rules) - len(rules)
    for problem in problems:
        click.echo(problem, err=True)
    if not rules:
        raise RuleError(f"{file}: no rule could be imported")
    text = gitleaks.to_keyleak_toml(rules, file)
    if output in (None, "-"):
        click.echo(text, nl=False)
    else:
        assert output is not None
        write_text(Path(output), text)
    click.echo(f"keyleak: imported {len(rules):,} of {len(rules) + skipped:,} rules", err=True)
    return ExitCode.USAGE if skipped else ExitCode.CLEAN
