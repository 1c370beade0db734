"""Fresh secrets from a rule's declared `format`, and the contexts to plant them in.

A format (rules schema of issue 18) is a list of parts: a literal string, or a table
`{ alphabet = A, length = N | [MIN, MAX] }` where A is a named alphabet, `uuid`, or a character
class written as a regex class (`"[A-Za-z0-9._~-]"`). A rule with a `checksum` gets a body that
passes it: the generator draws the random part, then computes the checksum part the way the
provider does (the inverse of scanner/match/checksums.py).

Nothing here asks keyleak whether it would find the secret: the benchmark measures that.
Standard library and scanner.match.checksums only, so the tests can import it.
"""

from __future__ import annotations

import random
import string
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from scanner.match.checksums import (
    BASE36,
    BASE62,
    GITLAB_CRC_LENGTH,
    GITLAB_LENGTH_DIGITS,
    PREFIXED_CHECKSUM_LENGTH,
    PREFIXED_RANDOM_LENGTH,
    encode,
)

ALPHABETS: dict[str, str] = {
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "hexany": "0123456789abcdefABCDEF",
    "digits": string.digits,
    "lower": string.ascii_lowercase,
    "upper": string.ascii_uppercase,
    "alnum": string.ascii_letters + string.digits,
    "alnum-lower": string.ascii_lowercase + string.digits,
    "alnum-upper": string.ascii_uppercase + string.digits,
    "base64": string.ascii_letters + string.digits + "+/",
    "base64url": string.ascii_letters + string.digits + "_-",
    "base32": string.ascii_uppercase + "234567",
}
UUID = "uuid"
#: where a rule declares no `plant`: assigned to a plain name, and alone on a line
DEFAULT_CONTEXTS = ('token = "{secret}"', "{secret}")
SLOT = "{secret}"

Format = Sequence[str | Mapping[str, Any]]


class FormatError(ValueError):
    """A format the generator cannot read (the rule file is wrong, not the benchmark)."""


def class_members(text: str) -> str:
    """The characters of a regex class such as `[A-Za-z0-9._~-]` (ranges and `\\` escapes)."""
    if len(text) < 3 or text[0] != "[" or text[-1] != "]" or text[1] == "^":
        raise FormatError(f"not a character class: {text!r}")
    body = text[1:-1]
    chars: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            index += 1
            char = body[index]
        if index + 2 < len(body) and body[index + 1] == "-":
            last = body[index + 2]
            if ord(last) < ord(char):
                raise FormatError(f"reversed range {char}-{last} in {text!r}")
            chars.extend(chr(code) for code in range(ord(char), ord(last) + 1))
            index += 3
            continue
        chars.append(char)
        index += 1
    return "".join(dict.fromkeys(chars))


def alphabet(name: str) -> str:
    if name in ALPHABETS:
        return ALPHABETS[name]
    if name.startswith("["):
        return class_members(name)
    raise FormatError(f"unknown alphabet {name!r}")


def draw_length(length: Any, rng: random.Random) -> int:
    if isinstance(length, int) and not isinstance(length, bool) and length > 0:
        return length
    if (
        isinstance(length, list)
        and len(length) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in length)
        and 0 < length[0] <= length[1]
    ):
        return rng.randint(length[0], length[1])
    raise FormatError(f"length must be a positive number or [min, max]: {length!r}")


def draw_part(part: str | Mapping[str, Any], rng: random.Random) -> str:
    if isinstance(part, str):
        return part
    name = part.get("alphabet")
    if not isinstance(name, str):
        raise FormatError(f"a format part needs an alphabet: {dict(part)!r}")
    if name == UUID:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    chars = alphabet(name)
    return "".join(rng.choice(chars) for _ in range(draw_length(part.get("length"), rng)))


def literal_prefix(fmt: Format) -> str:
    """The literal parts before the first random one: the token's prefix."""
    prefix = []
    for part in fmt:
        if not isinstance(part, str):
            break
        prefix.append(part)
    return "".join(prefix)


def base62_crc32(token: str, prefix: str) -> str:
    """GitHub and npm: after the prefix, 30 random base62 characters and their CRC32 in 6."""
    body = token[len(prefix) :]
    if len(body) != PREFIXED_RANDOM_LENGTH + PREFIXED_CHECKSUM_LENGTH:
        raise FormatError(f"a base62-crc32 body has 36 characters, not {len(body)}")
    random_part = body[:PREFIXED_RANDOM_LENGTH]
    crc = encode(zlib.crc32(random_part.encode()), BASE62, PREFIXED_CHECKSUM_LENGTH)
    return prefix + random_part + crc.decode()


def gitlab_routable(token: str, prefix: str) -> str:
    """`<prefix><payload>.<version>.<length><crc>`: the payload's length in two base36 digits,
    then the CRC32 of everything before the CRC, in seven. A token without dots is the older
    format, which carries no checksum."""
    if "." not in token:
        return token
    head = token[: -(GITLAB_LENGTH_DIGITS + GITLAB_CRC_LENGTH)]
    prefixed_payload, dot, version = head.removesuffix(".").rpartition(".")
    if not dot or not head.endswith(".") or not prefixed_payload.startswith(prefix):
        raise FormatError(f"not a routable GitLab token shape: {token!r}")
    payload = prefixed_payload[len(prefix) :]
    length = encode(len(payload), BASE36, GITLAB_LENGTH_DIGITS).decode()
    head = f"{prefixed_payload}.{version}.{length}"
    return head + encode(zlib.crc32(head.encode()), BASE36, GITLAB_CRC_LENGTH).decode()


#: checksum name (as in scanner/match/checksums.py) -> (generated token, prefix) -> valid token
CHECKSUM_WRITERS: dict[str, Callable[[str, str], str]] = {
    "github-crc32": base62_crc32,
    "npm-crc32": base62_crc32,
    "gitlab-crc32": gitlab_routable,
}


def generate(fmt: Format, rng: random.Random, checksum: str | None = None) -> str:
    """A fresh secret of the declared format, passing the named checksum if there is one."""
    if not fmt:
        raise FormatError("empty format")
    token = "".join(draw_part(part, rng) for part in fmt)
    if checksum is None:
        return token
    writer = CHECKSUM_WRITERS.get(checksum)
    if writer is None:
        raise FormatError(f"no generator for checksum {checksum!r}")
    return writer(token, literal_prefix(fmt))


def contexts(plant: Sequence[str] | None) -> tuple[str, ...]:
    """The rule's plant contexts, or the defaults; each holds the secret's slot once."""
    chosen = tuple(plant) if plant else DEFAULT_CONTEXTS
    for context in chosen:
        if context.count(SLOT) != 1:
            raise FormatError(f"a plant context holds {SLOT} once: {context!r}")
    return chosen
