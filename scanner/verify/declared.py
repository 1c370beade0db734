"""Verifiers built from the rules' `verify` tables (scanner.rule_verify): the request a table
declares, and the verdict its answer table gives a reply.

Everything a table cannot change stays in shared code: the host check, redirects, HTML pages,
size caps, retries and their waits, the cache and the limits (scanner.verify.classify, execute).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from scanner.model import Rule, Verdict, VerdictStatus
from scanner.rule_format import format_regex
from scanner.rule_verify import Answer, Declaration, render
from scanner.verify.probe import Candidate, Pairing, Provider, Reply, Request
from scanner.verify.providers.common import (
    USER_AGENT,
    long_listing,
    skipped,
    text,
    unexpected,
    verdict,
)

#: a path absent from a JSON body (None is a JSON null)
MISSING = object()


@dataclass(frozen=True)
class Bound:
    """A declaration with the shapes its keys (and partners) must have to be sent."""

    declaration: Declaration
    shape: re.Pattern[str]
    partner_shape: re.Pattern[str] | None = None


def shape_of(declaration: Declaration, rule: Rule) -> str:
    """The regex a key must fullmatch: the table's `shape`, else the rule's declared format."""
    return declaration.shape or (format_regex(rule.format) if rule.format else "")


def bind(declaration: Declaration, rules: dict[str, Rule]) -> tuple[Bound | None, list[str]]:
    where = f"{declaration.rule_id}: verify"
    rule = rules[declaration.rule_id]
    shape = shape_of(declaration, rule)
    if not shape:
        return None, [f"{where}: needs a 'shape' (the rule has no format)"]
    partner = None
    if declaration.pair:
        partner_rule = rules.get(declaration.pair)
        if partner_rule is None or not partner_rule.format:
            return None, [f"{where}: pair {declaration.pair!r} names no rule with a format"]
        partner = re.compile(format_regex(partner_rule.format))
    if declaration.checksum:
        from scanner.match.checksums import CHECKS

        if declaration.checksum not in CHECKS:
            return None, [f"{where}: no checksum {declaration.checksum!r}"]
    return Bound(declaration, re.compile(shape), partner), []


def provider_of(name: str, bounds: Sequence[Bound]) -> Provider:
    """The verifier `name`: one variant per declaration, each sent the keys of its own shape."""
    variants = tuple(variant(name, bound) for bound in bounds)
    if len(variants) == 1:
        return variants[0]
    first = variants[0]
    return Provider(
        name=name,
        base_url=first.base_url,
        build_request=first.build_request,
        classify=first.classify,
        shapes=tuple(shape for each in variants for shape in each.shapes),
        pairing=next((each.pairing for each in variants if each.pairing), None),
        user_host=first.user_host,
        host_suffix=first.host_suffix,
        variants=variants,
    )


def variant(name: str, bound: Bound) -> Provider:
    declaration = bound.declaration
    pairing = None
    if declaration.pair:
        pairing = Pairing(
            partner_rule=declaration.pair,
            unpaired=f"no {name} key near it to pair with",
            refused=f"not accepted with the {declaration.pair} near it",
        )

    def build_request(candidate: Candidate) -> Request | Verdict:
        return request_for(bound, candidate)

    def classify(reply: Reply) -> Verdict | None:
        found = answer_verdict(declaration.answers, reply)
        if found is not None and pairing is not None and found.status is VerdictStatus.INVALID:
            # the pair is refused, which says nothing of the key: its own partner may be another
            return Verdict(VerdictStatus.UNKNOWN, pairing.refused)
        if found is None and 200 <= reply.status < 300:
            return unexpected(reply)
        return found

    return Provider(
        name=name,
        base_url=declaration.origin,
        build_request=build_request,
        classify=classify,
        shapes=(bound.shape.pattern,),
        pairing=pairing,
        retry_without_hint=declaration.retry_unhinted,
        long_answer=long_listing if declaration.long_listing else None,
        user_host=declaration.customer_host,
        host_suffix=declaration.host_suffix,
    )


def request_for(bound: Bound, candidate: Candidate) -> Request | Verdict:
    declaration = bound.declaration
    secret = candidate.secret
    match = bound.shape.fullmatch(secret)
    if match is None:
        return skipped(f"not a key of {candidate.provider}'s shape")
    if declaration.checksum:
        from scanner.match.checksums import CHECKS

        if not CHECKS[declaration.checksum](secret.encode()):
            return skipped("checksum_failed")
    values = {"secret": secret, **match.groupdict(default="")}
    if declaration.pair:
        partner = candidate.partner
        if partner is None:
            return skipped(f"no {declaration.pair} near it to pair with")
        if bound.partner_shape is None or not bound.partner_shape.fullmatch(partner):
            return skipped(f"the {declaration.pair} near it is not of its shape")
        values["partner"] = partner
    headers = [("User-Agent", USER_AGENT), ("Accept", "application/json")]
    named = {name.lower() for name, _ in declaration.headers}
    headers = [(name, value) for name, value in headers if name.lower() not in named]
    headers += [(name, render(value, values)) for name, value in declaration.headers]
    # a part of the key (Telegram's bot secret after its id) is as secret as the key: mask
    # every part a shape names, ids included, rather than guess which ones are
    parts = [value for value in match.groupdict(default="").values() if value]
    secrets = [value for value in (secret, candidate.partner, *parts) if value]
    if declaration.basic is not None:
        user, password = (render(part, values) for part in declaration.basic)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers.append(("Authorization", f"Basic {token}"))
        secrets.append(token)
    body = render(declaration.body, values).encode()
    if declaration.method == "POST" and declaration.content_type:
        headers.append(("Content-Type", declaration.content_type))
    # a key in a URL is percent-encoded there: the dry run must find that form to mask it
    secrets += [quote(value, safe="") for value in secrets if quote(value, safe="") != value]
    return Request(
        declaration.method,
        render(declaration.target, values, escape=lambda value: quote(value, safe="")),
        tuple(headers),
        body=body,
        secrets=tuple(dict.fromkeys(secrets)),
    )


def answer_verdict(answers: Sequence[Answer], reply: Reply) -> Verdict | None:
    """The verdict of the first answer the reply matches; None when none does."""
    body: Any = MISSING
    lowered: str | None = None
    for answer in answers:
        if reply.status not in answer.statuses:
            continue
        if answer.json or answer.has or answer.types or answer.details:
            body = reply.json() if body is MISSING else body
        if answer.body and lowered is None:
            lowered = reply.body.decode("utf-8", "replace").lower()
        if matches(answer, reply, body, lowered):
            details = {name: detail(source, reply, body) for name, source in answer.details}
            return verdict(VerdictStatus(answer.verdict), answer.reason, details)
    return None


def matches(answer: Answer, reply: Reply, body: Any, lowered: str | None) -> bool:
    for path, expected in answer.json:
        found = lookup(body, path)
        if found is MISSING or not any(same(found, value) for value in expected):
            return False
    if any(lookup(body, path) in (MISSING, None) for path in answer.has):
        return False
    if not all(json_type(lookup(body, path)) == kind for path, kind in answer.types):
        return False
    if answer.body and not any(part in (lowered or "") for part in answer.body):
        return False
    for name, value in answer.headers:
        found = reply.headers.get(name)
        if found is None or (value != "*" and found.strip().lower() != value.lower()):
            return False
    return True


def json_type(value: Any) -> str:
    """The JSON type of a decoded value, by the names `types` uses ("" for null or missing)."""
    if isinstance(value, bool):
        return "boolean"
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (str, "string"),
        ((int, float), "number"),
        (list, "list"),
        (dict, "object"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), "")


def same(found: Any, expected: Any) -> bool:
    """JSON equality, strings without case; true is not 1."""
    if isinstance(found, str) and isinstance(expected, str):
        return found.lower() == expected.lower()
    if isinstance(found, bool) or isinstance(expected, bool):
        return found is expected
    return bool(found == expected) and not isinstance(found, dict | list)


def lookup(body: Any, path: str) -> Any:
    """The value at a dotted path (digits index lists), or MISSING."""
    value = body
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def detail(source: str, reply: Reply, body: Any) -> object:
    if source.startswith("header:"):
        return reply.headers.get(source[len("header:") :].lower())
    found = lookup(body, source)
    if found is MISSING or isinstance(found, dict):
        return None
    if isinstance(found, list):
        return text([item for item in found if isinstance(item, str | int | float)])
    return found
