"""Rule families: many services whose keys share one shape, each recognised by its own name.

Hundreds of services issue keys with no prefix of their own (32 hex characters, a UUID), which
only the name they are assigned to tells apart. A family (`[[families]]`) writes the pattern,
examples and negatives once, with `{keywords}` and `{body}` left open; each member
(`[[members]]`, in any rule file) names its service, its keywords and its key's shape. Members
expand into ordinary rule tables, one per service, so that every finding names its service and
every member's examples run like any rule's. A member's keyword is part of its pattern, never
optional: a bare 32-character hex value is not reported by any family.
"""

from __future__ import annotations

import random
import re
from typing import Any

from scanner.rule_format import draw, format_regex, last_class, parse_format

FAMILY_KEYS: dict[str, type] = {
    "id": str,
    "name": str,
    "description": str,
    "regex": str,
    "severity": str,
    "remediation": str,
    "examples": list,
    "negative_examples": list,
    "plant": list,
}
FAMILY_OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "min_entropy": (int, float),
    "filters": list,
    "hints": list,
    "allow": list,
    "suffix": str,
}
MEMBER_KEYS: dict[str, type] = {
    "family": str,
    "service": str,
    "name": str,
    "keywords": list,
    "format": list,
    "origin": str,
    "reference": str,
}
MEMBER_OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "revoke": str,
    "id": str,
    "suffix": str,
    "severity": str,
    "min_entropy": (int, float),
    "aliases": list,
    "verify": dict,
}
MEMBER_ORIGINS = ("documented", "observed")
#: shorter names occur inside ordinary identifiers; a member's name is its only evidence
MIN_KEYWORD = 4
SERVICE_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


def table_problems(
    table: Any, label: str, required: dict[str, type], optional: dict[str, Any]
) -> list[str]:
    if not isinstance(table, dict):
        return [f"{label}: expected a table"]
    problems = [
        f"{label}: missing required key {key!r}"
        if key not in table
        else f"{label}: {key!r} must be a {kind.__name__}"
        for key, kind in required.items()
        if key not in table or not isinstance(table[key], kind)
    ]
    problems += [
        f"{label}: {key!r} has the wrong type"
        for key, kinds in optional.items()
        if key in table and not isinstance(table[key], kinds)
    ]
    problems += [
        f"{label}: unknown key {key!r}"
        for key in sorted(set(table) - set(required) - set(optional))
    ]
    return problems


def family_problems(table: Any, source: str, index: int) -> list[str]:
    label = f"{source}: family {table.get('id') if isinstance(table, dict) else index}"
    problems = table_problems(table, label, FAMILY_KEYS, FAMILY_OPTIONAL)
    if problems:
        return problems
    for placeholder in ("{keywords}", "{body}"):
        if placeholder not in table["regex"]:
            problems.append(f"{label}: 'regex' must hold {placeholder}")
    for key in ("examples", "plant"):
        texts = table[key]
        if len(texts) < 2 or not all(isinstance(t, str) and "{secret}" in t for t in texts):
            problems.append(f"{label}: {key!r} must be two or more strings holding {{secret}}")
    negatives = table["negative_examples"]
    if len(negatives) < 2 or not all(isinstance(t, str) for t in negatives):
        problems.append(f"{label}: 'negative_examples' must be two or more strings")
    return problems


def ending(parts: tuple[Any, ...]) -> str:
    """What may not follow a member's value: its own last class, or any letter or digit."""
    own = last_class(parts)
    return own if own == "[A-Za-z0-9]" else f"(?:{own}|[A-Za-z0-9])"


def expand_member(
    member: Any, families: dict[str, dict[str, Any]], source: str, index: int
) -> tuple[dict[str, Any] | None, list[str]]:
    """The rule table a member stands for, or the problems that keep it from being one."""
    name = member.get("service") if isinstance(member, dict) else None
    label = f"{source}: member {name or index}"
    problems = table_problems(member, label, MEMBER_KEYS, MEMBER_OPTIONAL)
    if problems:
        return None, problems
    family = families.get(member["family"])
    if family is None:
        return None, [f"{label}: no family {member['family']!r} (declare it in [[families]])"]
    service = member["service"]
    if not SERVICE_ID.fullmatch(service):
        problems.append(f"{label}: 'service' must be lowercase letters, digits and '-'")
    keywords = member["keywords"]
    if not keywords or not all(
        isinstance(k, str) and len(k) >= MIN_KEYWORD and k == k.lower() for k in keywords
    ):
        problems.append(
            f"{label}: 'keywords' must be lowercase strings of {MIN_KEYWORD} or more characters"
        )
    if member["origin"] not in MEMBER_ORIGINS:
        problems.append(f"{label}: 'origin' must be one of {', '.join(MEMBER_ORIGINS)}")
    parts, format_problems = parse_format(member["format"])
    problems += [f"{label}: {problem}" for problem in format_problems]
    if problems:
        return None, problems

    keyword = keywords[0]
    rng = random.Random(f"{family['id']}:{service}")
    secret = draw(parts, rng)
    short = draw(parts, rng, longest=False)[:-1]
    fills = {
        "{keyword}": keyword,
        "{KEYWORD}": keyword.upper(),
        "{name}": member["name"],
        "{short}": short,
    }

    def fill(template: str, **extra: str) -> str:
        for placeholder, value in {**fills, **extra}.items():
            template = template.replace(placeholder, value)
        return template

    regex = (
        family["regex"]
        .replace("{keywords}", "|".join(re.escape(k) for k in keywords))
        .replace("{body}", format_regex(parts))
        .replace("{tail}", ending(parts))
    )
    suffix = member.get("suffix", family.get("suffix", "api-key"))
    revoke = member.get("revoke", member["reference"])
    table: dict[str, Any] = {
        "id": member.get("id", f"{service}-{suffix}"),
        "name": fill(family["name"]),
        "provider": service,
        "description": fill(family["description"]),
        "regex": regex,
        "keywords": keywords,
        "severity": member.get("severity", family["severity"]),
        "remediation": fill(family["remediation"], **{"{revoke}": revoke}),
        "examples": [
            {"text": fill(t, **{"{secret}": secret}), "secret": secret} for t in family["examples"]
        ],
        "negative_examples": [fill(t, **{"{secret}": secret}) for t in family["negative_examples"]],
        # the member's own evidence for its shape; `family` marks it as a member
        "origin": member["origin"],
        "reference": member["reference"],
        "format": member["format"],
        "plant": [fill(t) for t in family["plant"]],
    }
    for key in ("min_entropy", "filters", "hints", "allow"):
        if key in member or key in family:
            table[key] = member.get(key, family.get(key))
    for key in ("aliases", "verify"):
        if key in member:
            table[key] = member[key]
    return table, []
