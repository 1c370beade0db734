"""A rule's `verify` table: the one read-only request that tells whether its key works, and how
the answer maps to a verdict (docs/rules.md#verification-the-verify-table).

Pure: parsing and checking only. `scanner.verify.declared` turns a declaration into a provider.
Only keyleak's own rule files may declare one (`scanner.rules`): a scanned repository's rules
never decide where a key is sent.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

VERDICTS = (
    "live",
    "live_restricted",
    "live_quota_exhausted",
    "invalid",
    "rate_limited",
    "unknown",
)
LIVE = ("live", "live_restricted", "live_quota_exhausted")
METHODS = ("GET", "HEAD", "POST")
#: `{name}` stands for a value; `{{` and `}}` for a brace
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_][a-z0-9_]*)\}|[{}]")
HOST_PLACEHOLDER = "{host}"
NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")
#: headers the transport sets itself, or that would let a declaration reach another host
RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
DETAIL_SOURCE = re.compile(r"header:[A-Za-z0-9-]+|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")

TABLE_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "url": str,
    "method": str,
    "body": str,
    "content_type": str,
    "headers": dict,
    "basic": list,
    "reference": str,
    "shape": str,
    "pair": str,
    "host_suffix": str,
    "checksum": str,
    "long_listing": bool,
    "retry_unhinted": bool,
    "answers": list,
    "cases": list,
    "like": str,
}
ANSWER_KEYS: dict[str, type | tuple[type, ...]] = {
    "status": (int, list),
    "json": dict,
    "has": list,
    "types": dict,
    "body": (str, list),
    "headers": dict,
    "verdict": str,
    "reason": str,
    "details": dict,
}
CASE_KEYS: dict[str, type | tuple[type, ...]] = {
    "status": int,
    "body": str,
    "headers": dict,
    "content_type": str,
    "verdict": str,
    "reason": str,
    "details": dict,
}

JsonScalar = str | int | float | bool
#: what `types` may ask a JSON value to be
JSON_TYPES = ("string", "number", "boolean", "list", "object")


@dataclass(frozen=True)
class Answer:
    """One line of the answer table: when a reply matches all of it, its verdict."""

    statuses: tuple[int, ...]
    verdict: str
    reason: str = ""
    #: dotted path -> the values it may hold (strings compared without case)
    json: tuple[tuple[str, tuple[JsonScalar, ...]], ...] = ()
    has: tuple[str, ...] = ()
    #: dotted path -> the JSON type its value must have (one of JSON_TYPES)
    types: tuple[tuple[str, str], ...] = ()
    #: the body holds any of these (lowercased)
    body: tuple[str, ...] = ()
    #: header name (lowercased) -> value, "*" for any
    headers: tuple[tuple[str, str], ...] = ()
    #: detail name -> dotted JSON path or "header:<name>"
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Case:
    """A provider answer, and the verdict the declaration must give it (tested on loopback)."""

    status: int
    verdict: str
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json"
    reason: str | None = None
    details: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class Declaration:
    """A parsed `verify` table (`like` resolved by `resolve`)."""

    rule_id: str
    name: str
    url: str = ""
    method: str = "GET"
    body: str = ""
    content_type: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    #: (user, password) templates of HTTP Basic auth
    basic: tuple[str, str] | None = None
    reference: str = ""
    shape: str = ""
    pair: str = ""
    host_suffix: str = ""
    checksum: str = ""
    long_listing: bool = False
    retry_unhinted: bool = True
    answers: tuple[Answer, ...] = ()
    cases: tuple[Case, ...] = ()
    like: str = ""

    @property
    def customer_host(self) -> bool:
        """The host is the user's (GitHub Enterprise, Okta...), given with --verify-host."""
        return urlsplit(self.url).netloc == HOST_PLACEHOLDER

    @property
    def origin(self) -> str:
        """Scheme and host: where the key is sent."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def target(self) -> str:
        """The path and query template, appended to the origin."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def verifier_name(table: dict[str, Any]) -> str:
    """The name of the verifier a rule table's `verify` names: a string, or a table's `name`,
    by default the rule's service."""
    verify = table.get("verify")
    if isinstance(verify, str):
        return verify
    name = verify.get("name") if isinstance(verify, dict) else None
    return str(name or table.get("service") or table["provider"])


def placeholders(template: str) -> tuple[list[str], bool]:
    """The names a template uses, and whether its braces are well formed."""
    names: list[str] = []
    for match in PLACEHOLDER.finditer(template):
        text = match.group(0)
        if text in ("{{", "}}"):
            continue
        if match.group(1) is None:
            return names, False
        names.append(match.group(1))
    return names, True


def render(template: str, values: dict[str, str], escape: Any = None) -> str:
    """The template with each `{name}` replaced (through `escape`, for URLs)."""

    def value(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        found = values[match.group(1)]
        return escape(found) if escape is not None else found

    return PLACEHOLDER.sub(value, template)


def parse_declaration(
    raw: Any, rule_id: str, default_name: str, label: str, *, need_cases: bool = True
) -> tuple[Declaration | None, list[str]]:
    """The declaration of a `verify` table, or the problems that keep it from being one."""
    where = f"{label}: verify"
    if not isinstance(raw, dict):
        return None, [f"{where}: expected a table"]
    problems = typed(raw, TABLE_KEYS, where)
    if problems:
        return None, problems
    name = raw.get("name", default_name)
    if not NAME.fullmatch(name):
        problems.append(f"{where}: 'name' must be lowercase letters, digits and '-'")
    if "like" in raw:
        extra = sorted(set(raw) - {"like", "name", "shape"})
        if extra:
            problems.append(f"{where}: 'like' reuses another rule's table: drop {extra}")
        problems += shape_names(raw.get("shape", ""), where)[1]
        like = Declaration(
            rule_id, raw.get("name", ""), shape=raw.get("shape", ""), like=raw["like"]
        )
        return (None if problems else like), problems
    for required in ("url", "reference", "answers"):
        if required not in raw:
            problems.append(f"{where}: {required!r} is required")
    if problems:
        return None, problems
    shape_groups, shape_problems = shape_names(raw.get("shape", ""), where)
    problems += shape_problems
    known = {"secret", *shape_groups, *(["partner"] if "pair" in raw else [])}
    problems += url_problems(raw["url"], known, where)
    if not raw["reference"].startswith("https://"):
        problems.append(f"{where}: 'reference' must be an https:// page")
    method = raw.get("method", "GET")
    if method not in METHODS:
        problems.append(f"{where}: 'method' must be one of {', '.join(METHODS)}")
    if ("body" in raw or "content_type" in raw) and method != "POST":
        problems.append(f"{where}: 'body' and 'content_type' go with method POST only")
    headers = string_table(raw.get("headers", {}), f"{where}: headers", problems)
    for header, value in headers:
        if not HEADER_NAME.fullmatch(header) or header.lower() in RESERVED_HEADERS:
            problems.append(f"{where}: headers: {header!r} may not be set")
        problems += template_problems(value, known, f"{where}: headers {header}")
    basic = raw.get("basic")
    if basic is not None:
        if len(basic) != 2 or not all(isinstance(part, str) for part in basic):
            problems.append(f"{where}: 'basic' must be [user, password] templates")
            basic = None
        else:
            for part in basic:
                problems += template_problems(part, known, f"{where}: basic")
            if any(h.lower() == "authorization" for h, _ in headers):
                problems.append(f"{where}: 'basic' and an Authorization header exclude each other")
    problems += template_problems(raw.get("body", ""), known, f"{where}: body")
    host_suffix = raw.get("host_suffix", "")
    if host_suffix and urlsplit(raw["url"]).netloc != HOST_PLACEHOLDER:
        problems.append(f"{where}: 'host_suffix' goes with a url whose host is {{host}}")
    answers = [
        parse_answer(item, f"{where}: answers[{i}]", problems)
        for i, item in enumerate(raw["answers"])
    ]
    if not answers:
        problems.append(f"{where}: 'answers' must hold at least one [[...verify.answers]]")
    cases = [
        parse_case(item, f"{where}: cases[{i}]", problems)
        for i, item in enumerate(raw.get("cases", []))
    ]
    verdicts = {case.verdict for case in cases if case is not None}
    if need_cases and not {"live", "invalid"} <= verdicts:
        problems.append(f"{where}: 'cases' need at least one live and one invalid case")
    if problems:
        return None, problems
    return (
        Declaration(
            rule_id=rule_id,
            name=name,
            url=raw["url"],
            method=method,
            body=raw.get("body", ""),
            content_type=raw.get("content_type", ""),
            headers=headers,
            basic=(basic[0], basic[1]) if basic else None,
            reference=raw["reference"],
            shape=raw.get("shape", ""),
            pair=raw.get("pair", ""),
            host_suffix=host_suffix,
            checksum=raw.get("checksum", ""),
            long_listing=raw.get("long_listing", False),
            retry_unhinted=raw.get("retry_unhinted", True),
            answers=tuple(answer for answer in answers if answer is not None),
            cases=tuple(case for case in cases if case is not None),
        ),
        [],
    )


def typed(raw: dict[str, Any], keys: dict[str, type | tuple[type, ...]], where: str) -> list[str]:
    problems = [f"{where}: unknown key {key!r}" for key in sorted(set(raw) - set(keys))]
    for key, kind in keys.items():
        if key in raw and (
            not isinstance(raw[key], kind) or isinstance(raw[key], bool) is not (kind is bool)
        ):
            problems.append(f"{where}: {key!r} has the wrong type")
    return problems


def shape_names(shape: str, where: str) -> tuple[list[str], list[str]]:
    if not shape:
        return [], []
    try:
        pattern = re.compile(shape)
    except re.error as exc:
        return [], [f"{where}: 'shape' is not a regex: {exc}"]
    reserved = {"secret", "partner", "host"} & set(pattern.groupindex)
    if reserved:
        return [], [f"{where}: 'shape' groups may not be named {sorted(reserved)}"]
    return list(pattern.groupindex), []


def url_problems(url: str, known: set[str], where: str) -> list[str]:
    parts = urlsplit(url)
    problems: list[str] = []
    if parts.scheme != "https":
        problems.append(f"{where}: 'url' must be https://")
    host = parts.netloc
    if host != HOST_PLACEHOLDER and not official_host(host):
        problems.append(f"{where}: 'url' needs a public DNS host name (no port, user or address)")
    if parts.fragment:
        problems.append(f"{where}: 'url' may not have a #fragment")
    problems += template_problems(parts.path + parts.query, known, f"{where}: url")
    return problems


def official_host(host: str) -> bool:
    if not host or any(c in host for c in "@:{}/ ") or "." not in host or host != host.lower():
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host not in ("localhost",) and not host.endswith((".localhost", ".local"))
    return False


def template_problems(template: str, known: set[str], where: str) -> list[str]:
    names, well_formed = placeholders(template)
    if not well_formed:
        return [f"{where}: a lone brace (write {{{{ or }}}} for a brace)"]
    unknown = sorted(set(names) - known)
    if unknown:
        return [f"{where}: unknown placeholder(s) {unknown} (known: {sorted(known)})"]
    return []


def string_table(raw: Any, where: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        problems.append(f"{where}: expected a table of strings")
        return ()
    return tuple((str(key), value) for key, value in raw.items())


def status_and_verdict(
    raw: Any, keys: dict[str, type | tuple[type, ...]], where: str, problems: list[str]
) -> bool:
    """Whether `raw` is a table of `keys` with its status and verdict (answers and cases)."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table")
        return False
    found = typed(raw, keys, where)
    found += [f"{where}: {key!r} is required" for key in ("status", "verdict") if key not in raw]
    problems += found
    return not found


def parse_answer(raw: Any, where: str, problems: list[str]) -> Answer | None:
    if not status_and_verdict(raw, ANSWER_KEYS, where, problems):
        return None
    statuses = raw["status"] if isinstance(raw["status"], list) else [raw["status"]]
    if not statuses or not all(
        isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in statuses
    ):
        problems.append(f"{where}: 'status' must be an HTTP status or a list of them")
    verdict = raw["verdict"]
    if verdict not in VERDICTS:
        problems.append(f"{where}: 'verdict' must be one of {', '.join(VERDICTS)}")
    details = string_table(raw.get("details", {}), f"{where}: details", problems)
    if details and verdict not in LIVE:
        problems.append(f"{where}: 'details' go with a live verdict only")
    if not all(DETAIL_SOURCE.fullmatch(source) for _, source in details):
        problems.append(f"{where}: details are a dotted JSON path or header:<name>")
    json_rules: list[tuple[str, tuple[JsonScalar, ...]]] = []
    for path, expected in raw.get("json", {}).items():
        values = expected if isinstance(expected, list) else [expected]
        if not values or not all(isinstance(v, str | int | float | bool) for v in values):
            problems.append(f"{where}: json {path!r}: expected a value or a list of values")
        json_rules.append((path, tuple(values)))
    has = raw.get("has", [])
    if not all(isinstance(path, str) and path for path in has):
        problems.append(f"{where}: 'has' must be a list of dotted paths")
    body = raw.get("body", [])
    bodies = [body] if isinstance(body, str) else body
    if not all(isinstance(text, str) and text for text in bodies):
        problems.append(f"{where}: 'body' must be a string or a list of strings")
    headers = string_table(raw.get("headers", {}), f"{where}: headers", problems)
    types = string_table(raw.get("types", {}), f"{where}: types", problems)
    if not all(kind in JSON_TYPES for _, kind in types):
        problems.append(f"{where}: 'types' values must be one of {', '.join(JSON_TYPES)}")
    return Answer(
        statuses=tuple(statuses),
        verdict=verdict,
        reason=raw.get("reason", ""),
        json=tuple(json_rules),
        has=tuple(has),
        types=types,
        body=tuple(str(text).lower() for text in bodies),
        headers=tuple((name.lower(), value) for name, value in headers),
        details=details,
    )


def parse_case(raw: Any, where: str, problems: list[str]) -> Case | None:
    if not status_and_verdict(raw, CASE_KEYS, where, problems):
        return None
    if raw["verdict"] not in VERDICTS:
        problems.append(f"{where}: 'verdict' must be one of {', '.join(VERDICTS)}")
    details = raw.get("details")
    return Case(
        status=raw["status"],
        verdict=raw["verdict"],
        body=raw.get("body", ""),
        headers=string_table(raw.get("headers", {}), f"{where}: headers", problems),
        content_type=raw.get("content_type", "application/json"),
        reason=raw.get("reason"),
        details=None if details is None else string_table(details, f"{where}: details", problems),
    )


def resolve(declarations: dict[str, Declaration]) -> tuple[dict[str, Declaration], list[str]]:
    """Each rule's declaration with `like` replaced by the table it names (keeping the rule's id
    and name), and the problems: a `like` naming no declaration, or another `like`."""
    resolved: dict[str, Declaration] = {}
    problems: list[str] = []
    for rule_id, declaration in declarations.items():
        if not declaration.like:
            resolved[rule_id] = declaration
            continue
        target = declarations.get(declaration.like)
        if target is None or target.like:
            problems.append(
                f"{rule_id}: verify like {declaration.like!r} names no rule with a table of its own"
            )
            continue
        resolved[rule_id] = Declaration(
            **{
                **target.__dict__,
                "rule_id": rule_id,
                "name": declaration.name or target.name,
                # the table's own shape, else the one the target declares, else (none) the
                # rule's own format
                "shape": declaration.shape or target.shape,
                "like": "",
            }
        )
    return resolved, problems


def to_json(table: dict[str, Any]) -> str:
    """The table as the rules cache keeps it (parsed again only when verifying)."""
    return json.dumps(table, sort_keys=True, separators=(",", ":"))
