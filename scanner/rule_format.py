"""A secret's declared shape (a rule's `format`): parsed from its rule file, written as a regex
for family members, and drawn at random for examples and the accuracy benchmark.

A shape is a list of parts, each a literal (`"ghp_"`) or a run of characters from an alphabet
(`{ alphabet = "hex", length = 32 }`, `length = [20, 40]`). The shape is declared apart from the
regex on purpose: a benchmark that plants keys drawn from it tests the regex against what the
provider documents, not against itself.
"""

from __future__ import annotations

import random
import re
from typing import Any

from scanner.model import FormatPart

ALPHABETS = {
    "hex": "[0-9a-f]",
    "HEX": "[0-9A-F]",
    "hexany": "[0-9a-fA-F]",
    "digits": "[0-9]",
    "lower": "[a-z]",
    "upper": "[A-Z]",
    "alnum": "[A-Za-z0-9]",
    "alnum-lower": "[a-z0-9]",
    "alnum-upper": "[A-Z0-9]",
    "base64": "[A-Za-z0-9+/]",
    "base64url": "[A-Za-z0-9_-]",
    "base32": "[A-Z2-7]",
}
UUID = "uuid"
UUID_GROUPS = (8, 4, 4, 4, 12)
#: a declared run longer than this is a mistake, and would make Hyperscan unroll a huge repeat
MAX_RUN = 1024
#: the character classes a format may spell out itself: ranges and single characters only,
#: so that the class can be expanded into the characters to draw from
CLASS = re.compile(r"\[(?!\^)(?:[^\\\]\[]|\\[\\\]\[-])+\]")


def parse_format(raw: Any) -> tuple[tuple[FormatPart, ...], list[str]]:
    """The parts of a `format` value, and one line per problem."""
    if not isinstance(raw, list) or not raw:
        return (), ["'format' must be a non-empty list of literals and alphabet tables"]
    parts: list[FormatPart] = []
    problems: list[str] = []
    for position, item in enumerate(raw):
        where = f"'format'[{position}]"
        if isinstance(item, str):
            if item:
                parts.append(FormatPart(item))
            else:
                problems.append(f"{where}: a literal part must not be empty")
            continue
        if not isinstance(item, dict) or not set(item) <= {"alphabet", "length"}:
            problems.append(f"{where}: a string, or a table with 'alphabet' and 'length'")
            continue
        alphabet = item.get("alphabet")
        if alphabet == UUID:
            parts.append(FormatPart("", UUID, 36, 36))
            continue
        alphabet_class = ALPHABETS.get(alphabet) if isinstance(alphabet, str) else None
        if alphabet_class is None and isinstance(alphabet, str) and CLASS.fullmatch(alphabet):
            alphabet_class = alphabet
        if alphabet_class is None:
            names = ", ".join([*ALPHABETS, UUID])
            problems.append(f"{where}: 'alphabet' must be one of {names}, or a class like [a-z0-9]")
            continue
        bounds = lengths(item.get("length"))
        if bounds is None:
            problems.append(f"{where}: 'length' must be 1..{MAX_RUN}, or [min, max] within it")
            continue
        parts.append(FormatPart("", alphabet_class, *bounds))
    return tuple(parts), problems


def lengths(raw: Any) -> tuple[int, int] | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        low = high = raw
    elif (
        isinstance(raw, list)
        and len(raw) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in raw)
    ):
        low, high = raw
    else:
        return None
    return (low, high) if 1 <= low <= high <= MAX_RUN else None


def format_regex(parts: tuple[FormatPart, ...]) -> str:
    """The regex that matches exactly the shape (for family members' bodies)."""
    return "".join(part_regex(part) for part in parts)


def part_regex(part: FormatPart) -> str:
    if not part.alphabet:
        return re.escape(part.literal)
    if part.alphabet == UUID:
        return "-".join(f"[0-9a-f]{{{size}}}" for size in UUID_GROUPS)
    if part.min_length == part.max_length:
        return f"{part.alphabet}{{{part.min_length}}}"
    return f"{part.alphabet}{{{part.min_length},{part.max_length}}}"


def last_class(parts: tuple[FormatPart, ...]) -> str:
    """The class a value's last character belongs to, so a pattern can insist the value ends."""
    last = parts[-1]
    if not last.alphabet:
        return "[A-Za-z0-9]"
    return "[0-9a-f]" if last.alphabet == UUID else last.alphabet


def characters(alphabet_class: str) -> str:
    """Every character a class like `[A-Za-z0-9_-]` admits, in order."""
    body = alphabet_class[1:-1]
    chars: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            char = body[index + 1]
            index += 1
        if index + 2 < len(body) and body[index + 1] == "-":
            end = body[index + 2]
            chars.extend(chr(code) for code in range(ord(char), ord(end) + 1))
            index += 3
            continue
        chars.append(char)
        index += 1
    return "".join(dict.fromkeys(chars))


def draw(parts: tuple[FormatPart, ...], rng: random.Random, *, longest: bool = True) -> str:
    """A random value of the shape: every run at its longest (or shortest) length."""
    out: list[str] = []
    for part in parts:
        if not part.alphabet:
            out.append(part.literal)
        elif part.alphabet == UUID:
            hexdigits = "0123456789abcdef"
            groups = ("".join(rng.choice(hexdigits) for _ in range(n)) for n in UUID_GROUPS)
            out.append("-".join(groups))
        else:
            pool = characters(part.alphabet)
            size = part.max_length if longest else part.min_length
            out.append("".join(rng.choice(pool) for _ in range(size)))
    return "".join(out)
