"""Fresh secrets from a rule's declared `format`, and how its `plant` contexts are written.

A format (`Rule.format`, parsed by scanner/rule_format.py) is a list of parts: literals, and runs
of an alphabet whose length is drawn anywhere in the declared range (rule_format.draw, which the
examples use, takes only the longest or shortest). A rule with a `checksum` gets a body that
passes it: the generator draws the random part, then computes the checksum part the way the
provider does (the inverse of scanner/match/checksums.py).

Nothing here asks keyleak whether it would find the secret: the benchmark measures that.
It imports only the scanner package, so the tests can import it.
"""

from __future__ import annotations

import functools
import random
import re
import uuid
import zlib
from collections.abc import Callable, Sequence

import regex

from scanner.match.checksums import (
    BASE36,
    BASE62,
    GITLAB_CRC_LENGTH,
    GITLAB_LENGTH_DIGITS,
    PREFIXED_CHECKSUM_LENGTH,
    PREFIXED_RANDOM_LENGTH,
    encode,
)
from scanner.model import FormatPart, Rule
from scanner.rule_format import UUID, characters

#: where a rule declares no `plant`: assigned to a plain name, and alone on a line
DEFAULT_CONTEXTS = ('token = "{secret}"', "{secret}")
SLOT = "{secret}"
#: names tried, in order, for a rule that applies only to some paths (`path`): its secrets are
#: planted as a file of the first name its `path` accepts
PATH_NAMES = (
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    ".docker/config.json",
    ".htpasswd",
    "shadow",
    "id_rsa",
    "server.key",
    "key.ppk",
    "secret.yaml",
    "settings.xml",
    "application.properties",
    "appsettings.json",
    "credentials",
    "config.json",
    ".env",
)
ASSIGNED_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)[\"']?\s*(?:=|:|=>|:=)\s*[\"'`]?$")
PLAIN_ASSIGNMENT = re.compile(
    r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|:)\s*([\"']?)\{secret\}\2"
)


class FormatError(ValueError):
    """A format the generator cannot fill (the rule file is wrong, not the benchmark)."""


#: the class is expanded once, not on every draw
pool_of = functools.cache(characters)


def draw_part(part: FormatPart, rng: random.Random) -> str:
    if not part.alphabet:
        return part.literal
    if part.alphabet == UUID:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    pool = pool_of(part.alphabet)
    size = rng.randint(part.min_length, part.max_length)
    return "".join(rng.choices(pool, k=size))


def literal_prefix(fmt: Sequence[FormatPart]) -> str:
    """The literal parts before the first random one: the token's prefix."""
    prefix = []
    for part in fmt:
        if part.alphabet:
            break
        prefix.append(part.literal)
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
    # the JWT check reads only the header, which a JWT rule's format declares as a literal
    "jwt": lambda token, prefix: token,
}


def generate(fmt: Sequence[FormatPart], rng: random.Random, checksum: str | None = None) -> str:
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


def path_name(rule: Rule) -> str | None:
    """For a rule that applies only to some paths: the first of PATH_NAMES it applies to."""
    return next((name for name in PATH_NAMES if regex.search(rule.path or "", name)), None)


def assigned_name(context: str) -> str | None:
    """The name a context assigns the secret to, if it writes one just before it."""
    before = context[: context.index(SLOT)]
    found = ASSIGNED_NAME.search(before[before.rfind("\n") + 1 :])
    return found.group(1) if found else None


def plain_assignment(context: str) -> str | None:
    """The name, when the context is nothing but `NAME = "{secret}"` (any quoting, `:` or `=`,
    `export`) and NAME an identifier: such a secret is written in every language's own syntax.
    Anything else (a document, a dotted or dashed name, a keyword elsewhere on the line, a URI
    around the secret) is planted as written: renaming it could lose what its rule looks for."""
    found = PLAIN_ASSIGNMENT.fullmatch(context.strip())
    return found.group(1) if found else None
