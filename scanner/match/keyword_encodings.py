"""Where a keyword may hide in base64: the patterns its encodings always contain.

Decoding every base64-looking run of every file costs more than matching the file. A run can
only yield a match if the decoded text holds one of the rules' keywords (case-insensitively), so
it is enough to decode the runs that contain a keyword's encoding. A keyword starts at one of
three byte offsets in a 3-byte group; for each, the base64 characters made only of the keyword's
bits are fixed, those at its edges share bits with unknown neighbours and are character classes.
A letter's case is one bit of one character, so case-insensitivity is a class too. Both
alphabets (`+/` and `-_`) are allowed. Decoding goes two layers deep (decoding), so the
encodings of those encodings are searched for as well, for keywords of `MIN_TWICE` bytes or more.

`ENCODED` is the pure-Python search; the Hyperscan engine compiles the same patterns into its
database. Either way a run is selected when a pattern matches inside it, so both engines select
the same runs.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from itertools import product
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.model import Rule

STANDARD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
URLSAFE = {62: ord("-"), 63: ord("_")}
#: the characters of a token that may be base64 (either alphabet)
ALPHABET = STANDARD + b"-_"
#: the shortest run worth decoding outside a Kubernetes Secret (decoding): 24 base64
#: characters hold 18 bytes, less than any key
MIN_RUN = 24
HEX = b"0123456789abcdefABCDEF"
#: Keywords shorter than this are not searched for encoded twice: that doubled the database's
#: compile time (to 15 s) and cost a fifth of its speed, for keys hidden under two layers of
#: base64, which are rare; OpenAI's `T3BlbkFJ` marker and most long prefixes are still covered.
MIN_TWICE = 8
INSIDE, OUTSIDE = b"a", b"\n"
TOKEN_TABLE = bytes(INSIDE[0] if i in ALPHABET else OUTSIDE[0] for i in range(256))
#: Words that say the text after them on the line is base64 (`atob(`, `b64decode(`,
#: `token_base64:`): a run there is decoded even with no keyword inside, as the key it holds may
#: be named only by the plain text around it (`awsSecretKey = atob("...")`).
HINTS = (b"atob", b"b64", b"base64")
#: a Kubernetes Secret, whose every value is base64 (scanner.match.decoding decodes them all)
SECRET_MANIFEST = rb"^kind:[ \t]*[\"']?Secret\b"
SECRET_KIND = re.compile(SECRET_MANIFEST[1:])
#: stand-ins for an unknown byte, by which of its bits a character takes
LOW_BITS = tuple(range(64))
HIGH_BITS = tuple(range(0, 256, 4))
HIGH_NIBBLES = tuple(range(0, 256, 16))


def case_variants(byte: int) -> tuple[int, ...]:
    one = bytes([byte])
    return tuple({byte, one.lower()[0], one.upper()[0]})


def character_sets(options: Sequence[Collection[int]], offset: int) -> list[set[int]]:
    """The possible 6-bit values of each base64 character overlapping bytes with these options
    when they start `offset` bytes into a 3-byte group, less the leading and trailing ones that
    could be anything."""

    def at(index: int, unknown: Collection[int]) -> Collection[int]:
        inside = index - offset
        return options[inside] if 0 <= inside < len(options) else unknown

    sets: list[set[int]] = []
    for char in range((8 * offset) // 6, (8 * (offset + len(options)) + 5) // 6):
        first_bit = 6 * char
        first, last = first_bit // 8, (first_bit + 5) // 8
        shift = 16 - (first_bit + 6 - 8 * first)
        # an unknown byte: only the bits that land in this character need to vary
        high_bytes = at(first, LOW_BITS if last > first or first_bit % 8 else HIGH_BITS)
        low_bytes = at(last, HIGH_NIBBLES) if last > first else (0,)
        values = {((high << 8 | low) >> shift) & 63 for high, low in product(high_bytes, low_bytes)}
        sets.append(values)
    while sets and len(sets[0]) == 64:
        sets.pop(0)
    while sets and len(sets[-1]) == 64:
        sets.pop()
    return sets


def characters(values: Iterable[int]) -> set[int]:
    return {STANDARD[v] for v in values} | {URLSAFE[v] for v in values if v in URLSAFE}


def expression(sets: Sequence[set[int]]) -> bytes:
    parts = []
    for values in sets:
        chars = sorted(characters(values))
        escaped = b"".join(b"\\x%02x" % c for c in chars)
        parts.append(escaped if len(chars) == 1 else b"[" + escaped + b"]")
    return b"".join(parts)


def keyword_expressions(keyword: bytes, once: bool = True, twice: bool = True) -> Iterator[bytes]:
    """The keyword's base64 forms (`once`), and (`twice`, for a run decoded twice) the base64
    forms of those."""
    options = [case_variants(byte) for byte in keyword]
    for offset in range(3):
        sets = character_sets(options, offset)
        if once:
            yield expression(sets)
        if not twice or len(keyword) < MIN_TWICE:
            continue
        encoded = [characters(values) for values in sets]
        for second in range(3):
            yield expression(character_sets(encoded, second))


def encoded_keywords(rules: Iterable[Rule]) -> Iterator[str]:
    """The keywords whose encodings select runs to decode: those of every rule but a family's
    members (`Rule.family`). A member finds a key only next to its service's name, written
    `ZQX_API_KEY = <value>`: what hides that in base64 is a whole encoded file of settings, which
    the hint words, the manifest line and the other rules' keywords and matches still select, but
    not by the member's name alone. Their encodings were most of the database's cold compile
    time (8.2 of 10.2 s, for 500 members), for that one case."""
    return (keyword for rule in rules if not rule.family for keyword in rule.keywords)


def encoded_expressions(keywords: Iterable[str]) -> tuple[bytes, ...]:
    """The expressions of every keyword, without repeats, in a stable order.

    A keyword that holds another (`vault_token`, `token`) needs no forms the other's cover:
    text holding it holds the other at the same offset in a 3-byte group, whose forms allow any
    neighbouring bytes, so its run holds one of the other's forms and is selected all the same
    (a run is selected by any form inside it; where in the run does not matter). Forms encoded
    twice are covered only by a keyword long enough to have them (`MIN_TWICE`)."""
    lowered = sorted({keyword.lower().encode() for keyword in keywords})
    found: list[bytes] = []
    for keyword in lowered:
        held = [shorter for shorter in lowered if inside(shorter, keyword)]
        twice = not any(len(shorter) >= MIN_TWICE for shorter in held)
        found.extend(keyword_expressions(keyword, once=not held, twice=twice))
    return tuple(dict.fromkeys(e for e in found if e))


def inside(shorter: bytes, keyword: bytes) -> bool:
    return bool(shorter) and shorter != keyword and shorter in keyword


def is_secret_manifest(content: bytes) -> bool:
    """A `kind: Secret` line (found with `find`: a `^` regex is slow; and `kind:` is common in
    YAML, so first whether `Secret` occurs at all)."""
    if b"Secret" not in content:
        return False
    at = content.find(b"kind:")
    while at >= 0:
        if (at == 0 or content[at - 1] == ord("\n")) and SECRET_KIND.match(content, at):
            return True
        at = content.find(b"kind:", at + 1)
    return False


class EncodedSearch:
    """The pure-Python way to the same answers as the Hyperscan database: each token that could
    be decoded, searched for a keyword's encoding; every hint word.

    Tokens too short, or all one case or hex, are never decoded (decoding), so they are
    not searched; the pattern, thousands of alternatives that take a second to build, is built
    only once a token is worth searching."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self._keywords = tuple(keywords)
        self._pattern: re.Pattern[bytes] | None = None

    def ends(self, content: bytes) -> list[int]:
        """The end of the first keyword encoding in each token worth decoding."""
        found = content.translate(TOKEN_TABLE)
        ends = []
        position = 0
        stretch = INSIDE * MIN_RUN
        while (start := found.find(stretch, position)) >= 0:
            end = found.find(OUTSIDE, start)
            end = len(content) if end < 0 else end
            position = end
            if not plausible(content[start:end]):
                continue
            match = self.pattern().search(content, start, end)
            if match is not None:
                ends.append(match.end())
        return ends

    def hint_ends(self, content: bytes) -> list[int]:
        lowered = content.lower()
        ends = []
        for hint in HINTS:
            at = lowered.find(hint)
            while at >= 0:
                ends.append(at + len(hint))
                at = lowered.find(hint, at + 1)
        return ends

    def pattern(self) -> re.Pattern[bytes]:
        if self._pattern is None:
            expressions = encoded_expressions(self._keywords)
            self._pattern = re.compile(b"|".join(expressions) if expressions else b"(?!)")
        return self._pattern


def plausible(token: bytes) -> bool:
    """Whether a token of the alphabet could be decoded: mixed case, not hex."""
    return bool(token.translate(None, HEX)) and not token.islower() and not token.isupper()
