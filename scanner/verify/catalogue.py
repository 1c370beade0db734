"""What each verifying rule sends, written out for people: `keyleak rules list --verifiable`
and docs/verifiable.md (scripts/verifiable_docs.py writes it; a test keeps it current).

A declared verifier is described from its table, placeholders as written. A Python verifier
(AWS) declares nothing: its request is built once from the rule's first example key, whose
secrets are written back as placeholders, so nothing of a key is ever shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from scanner.model import Rule
from scanner.rule_verify import Answer, Declaration
from scanner.verify.probe import Candidate, Request
from scanner.verify.registry import MODULES, declarations

#: where a Python verifier's answers are described, for want of a table to read them from
MODULE_DOCS = "providers.md"
MODULE_ANSWERS = f"a Python verifier: see [Providers]({MODULE_DOCS})"


@dataclass(frozen=True)
class Entry:
    """One verifying rule: its verifier and the request its keys get."""

    rule: Rule
    verifier: str
    method: str
    url: str
    #: None for a Python verifier
    declaration: Declaration | None = None


def entries(rules: Sequence[Rule]) -> list[Entry]:
    """Every rule that verifies, by rule id: shipped tables, and Python verifiers whose probe
    takes the rule's example key (one that never sends a key of that rule is left out)."""
    tables, _ = declarations(rules)
    by_id = {rule.id: rule for rule in rules}
    found: list[Entry] = []
    for rule in rules:
        if rule.id in tables:
            table = tables[rule.id]
            found.append(Entry(rule, table.name, table.method, table.url, table))
        elif rule.verify in MODULES and (entry := module_entry(rule, by_id)) is not None:
            found.append(entry)
    return sorted(found, key=lambda entry: entry.rule.id)


def module_entry(rule: Rule, rules: dict[str, Rule]) -> Entry | None:
    provider = MODULES[rule.verify or ""]
    if not rule.examples:
        return None
    secret = rule.examples[0].secret
    partner = None
    if provider.pairing is not None:
        partner_rule = rules.get(provider.pairing.partner_rule)
        partner = partner_rule.examples[0].secret if partner_rule and partner_rule.examples else ""
    request = provider.build_request(Candidate(provider.name, secret, partner))
    if not isinstance(request, Request):
        return None
    target = request.target
    for value, name in ((secret, "{secret}"), (partner, "{partner}")):
        if value:
            target = target.replace(quote(value, safe=""), name).replace(value, name)
    return Entry(rule, provider.name, request.method, provider.base_url + target)


def listing(found: Sequence[Entry]) -> list[str]:
    """One aligned line per rule (id, verifier, method, url), then the count."""
    rows = [(entry.rule.id, entry.verifier, entry.method, entry.url) for entry in found]
    widths = [max((len(row[column]) for row in rows), default=0) for column in range(3)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]])
        for row in rows
    ]
    services = {entry.rule.service or entry.rule.provider for entry in found}
    return [*lines, f"{len(found):,} rules, {len(services):,} services verifiable"]


# --------------------------------------------------------------------------- docs/verifiable.md

HEADER = """\
# Verifiable keys

<!-- Generated from the rules' verify tables: do not edit. Regenerate with
     .venv/bin/python scripts/verifiable_docs.py -->

One row per verifier: the rules whose keys it verifies, the one read-only request `--verify`
sends (placeholders as the rule file writes them: `{secret}` is the key, `{partner}` the second
secret it is paired with), how each answer maps to a verdict, and the provider's page the
request comes from. The steps every answer goes through first (redirects, HTML pages, retries,
rate-limit headers; an answer no line matches is `unknown`) are in
[How answers become verdicts](verification.md#how-answers-become-verdicts).
`keyleak rules list --verifiable` prints the same requests, one rule per line.

| verifier | rules | request | answers | reference |
| --- | --- | --- | --- | --- |
"""


def markdown(rules: Sequence[Rule]) -> str:
    """docs/verifiable.md: the header, then one row per verifier, sorted by name."""
    by_verifier: dict[str, list[Entry]] = {}
    for entry in entries(rules):
        by_verifier.setdefault(entry.verifier, []).append(entry)
    rows = [row(name, by_verifier[name]) for name in sorted(by_verifier)]
    return HEADER + "".join(f"| {' | '.join(cells)} |\n" for cells in rows)


def row(verifier: str, found: Sequence[Entry]) -> list[str]:
    """The cells of a verifier's row; rules asking the same way share one request's text."""
    requests: dict[str, list[str]] = {}
    answers: list[str] = []
    references: list[str] = []
    for entry in found:
        requests.setdefault(request_text(entry), []).append(entry.rule.id)
        table = entry.declaration
        described = answers_text(table.answers) if table is not None else MODULE_ANSWERS
        if described not in answers:
            answers.append(described)
        reference = table.reference if table is not None else MODULE_DOCS
        if reference not in references:
            references.append(reference)
    several = len(requests) > 1
    shown = [f"{text} ({', '.join(ids)})" if several else text for text, ids in requests.items()]
    links = [
        f"[docs{f' {n}' if len(references) > 1 else ''}]({url})"
        for n, url in enumerate(references, 1)
    ]
    return [
        verifier,
        ", ".join(f"`{entry.rule.id}`" for entry in found),
        "<br>".join(shown),
        "<br>".join(answers),
        " ".join(links),
    ]


def request_text(entry: Entry) -> str:
    table = entry.declaration
    parts = [f"`{entry.method} {entry.url}`"]
    if table is not None:
        parts += [f"`{name}: {value}`" for name, value in table.headers]
        if table.basic is not None:
            parts.append(f"Basic `{table.basic[0]}:{table.basic[1]}`")
        if table.body:
            parts.append(f"body `{table.body}`")
        if table.pair:
            parts.append(f"paired with `{table.pair}`")
    return cell(" ".join(parts))


def answers_text(answers: Sequence[Answer]) -> str:
    """Each answer line as `status [conditions] → verdict (reason)`, in the order checked."""
    return "<br>".join(cell(answer_text(answer)) for answer in answers)


def answer_text(answer: Answer) -> str:
    conditions = [
        f"{path}={'/'.join(str(value) for value in values)}" for path, values in answer.json
    ]
    conditions += [f"has {path}" for path in answer.has]
    conditions += [f'body "{text}"' for text in answer.body]
    conditions += [
        f"header {name}" if value == "*" else f"{name}: {value}" for name, value in answer.headers
    ]
    text = "/".join(str(status) for status in answer.statuses)
    if conditions:
        text += " " + ", ".join(conditions)
    text += f" → {answer.verdict}"
    return text + (f" ({answer.reason})" if answer.reason else "")


def cell(text: str) -> str:
    """Text that cannot break a Markdown table row."""
    return text.replace("|", "\\|").replace("\n", " ")
