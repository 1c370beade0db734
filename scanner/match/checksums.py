"""Offline checksums that some token formats carry.

A string of the right shape whose checksum does not match was never issued by the provider (a
typo, a truncated copy, a made-up example), so the matcher drops it. A rule names its check with
`checksum = "<name>"`; `CHECKS` maps each name to a pure function of the secret's bytes.

- github-crc32: `ghp_` `gho_` `ghu_` `ghs_` `ghr_` tokens of 40 characters are the prefix, 30
  random base62 characters, and the CRC32 of those 30 characters in base62 (`0-9A-Za-z`),
  zero-padded to 6 (GitHub blog, 2021-04-05, "Behind GitHub's new authentication token formats").
- npm-crc32: `npm_` tokens, the same construction (GitHub blog, 2021-09-23, "Announcing npm's new
  access token format").
- gitlab-crc32: routable GitLab tokens are `<prefix><payload>.<version>.<length><crc>`: the CRC32
  of everything before it, prefix and dots included, in lowercase base36 zero-padded to 7, after
  the payload's length in 2 base36 digits (GitLab's routable token design document and
  `lib/authn/token_field/generator/routable_token.rb`). Tokens in the older fixed-length format
  carry no checksum and pass.
- jwt: not a checksum but the same kind of offline proof: a JSON Web Token's header decodes to
  a JSON object with an `alg` (scanner.match.jwt).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BASE36 = b"0123456789abcdefghijklmnopqrstuvwxyz"
_BASE62_SET = frozenset(BASE62)

PREFIXED_RANDOM_LENGTH = 30
PREFIXED_CHECKSUM_LENGTH = 6
GITLAB_CRC_LENGTH = 7
GITLAB_LENGTH_DIGITS = 2
GITLAB_VERSION_DIGITS = 2


def encode(number: int, alphabet: bytes, width: int) -> bytes:
    """`number` in the base of `alphabet`, most significant digit first, left-padded to `width`."""
    base = len(alphabet)
    digits = bytearray()
    while number:
        number, digit = divmod(number, base)
        digits.append(alphabet[digit])
    digits.reverse()
    return bytes(digits).rjust(width, alphabet[:1])


def base62_crc32_valid(token: bytes, prefix_length: int) -> bool:
    """The GitHub-style construction: prefix, 30 base62 characters, their CRC32 in 6 base62."""
    body = token[prefix_length:]
    if len(body) != PREFIXED_RANDOM_LENGTH + PREFIXED_CHECKSUM_LENGTH:
        return False
    if not _BASE62_SET.issuperset(body):
        return False
    random_part = body[:PREFIXED_RANDOM_LENGTH]
    expected = encode(zlib.crc32(random_part), BASE62, PREFIXED_CHECKSUM_LENGTH)
    return body[PREFIXED_RANDOM_LENGTH:] == expected


def github_crc32_valid(token: bytes) -> bool:
    """A 40-character `gh?_` token whose last six characters are its checksum."""
    if len(token) < 4 or not token.startswith(b"gh") or token[3:4] != b"_":
        return False
    return base62_crc32_valid(token, 4)


def npm_crc32_valid(token: bytes) -> bool:
    """A 40-character `npm_` token whose last six characters are its checksum."""
    return token.startswith(b"npm_") and base62_crc32_valid(token, 4)


def gitlab_routable_crc32_valid(token: bytes) -> bool:
    """A routable GitLab token: payload length field and CRC32 both match."""
    if len(token) <= GITLAB_CRC_LENGTH:
        return False
    head, crc = token[:-GITLAB_CRC_LENGTH], token[-GITLAB_CRC_LENGTH:]
    parts = head.rsplit(b".", 2)
    if len(parts) != 3:
        return False
    prefixed_payload, version, length_field = parts
    if len(version) != GITLAB_VERSION_DIGITS or len(length_field) != GITLAB_LENGTH_DIGITS:
        return False
    if not all(byte in BASE36 for byte in version + length_field):
        return False
    # the payload follows a prefix whose own length varies (glpat-, glrt-t2_, an instance prefix)
    if int(length_field, 36) > len(prefixed_payload):
        return False
    return crc == encode(zlib.crc32(head), BASE36, GITLAB_CRC_LENGTH)


def gitlab_crc32_valid(token: bytes) -> bool:
    """Routable tokens must carry a matching CRC32; the older format has none to check."""
    if b"." not in token:
        return True
    return gitlab_routable_crc32_valid(token)


def jwt_valid(token: bytes) -> bool:
    # imported here: JSON decoding is for the few files that hold a token, not every commit
    from scanner.match.jwt import is_jwt

    return is_jwt(token)


#: the check a JWT rule names; findings of a rule with it carry the token's alg, issuer, expiry
JWT_CHECK = "jwt"

CHECKS: dict[str, Callable[[bytes], bool]] = {
    "github-crc32": github_crc32_valid,
    "npm-crc32": npm_crc32_valid,
    "gitlab-crc32": gitlab_crc32_valid,
    JWT_CHECK: jwt_valid,
}
