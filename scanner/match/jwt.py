"""JSON Web Tokens: whether a three-part base64url token is one, and what it says about itself.

A token is a JWT when its header decodes to a JSON object naming its `alg`; anything else that
looks like `eyJ….eyJ….…` (a base64 blob with dots) is not reported. What a finding tells about
a JWT comes from its header and payload only: the algorithm, the issuer and the expiry. The
signature is never decoded or shown. Pure: the clock is passed in.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from scanner.model import NamedTuple, Severity
from scanner.redaction import masked
from scanner.util.printable import clean

#: an algorithm name as RFC 7518 spells them (HS256, RS512, ES256K, EdDSA, none, PBES2-…)
ALG = re.compile(r"[A-Za-z0-9+_-]{1,32}")
#: an issuer is shown, not trusted: cut to a length a report line can carry
MAX_ISSUER = 120
#: no JSON header of a real token is longer; past it decoding is not worth its cost
MAX_PART = 64 * 1024


class Claims(NamedTuple):
    """What a token says about itself (a named tuple: findings build these on the hook path)."""

    alg: str
    issuer: str | None
    expires: int | None


def decoded_part(part: bytes) -> Any:
    """The JSON value a base64url part holds, or None when it holds none."""
    if not part or len(part) > MAX_PART:
        return None
    try:
        raw = base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        return None


def header_alg(token: bytes) -> str | None:
    """The `alg` of a token's header, when its header is a JSON object with a string `alg`."""
    parts = token.split(b".")
    if len(parts) != 3:
        return None
    header = decoded_part(parts[0])
    if not isinstance(header, dict):
        return None
    alg = header.get("alg")
    return alg if isinstance(alg, str) and ALG.fullmatch(alg) else None


def is_jwt(token: bytes) -> bool:
    """The rule's check: drops dotted base64 that is not a token (scanner.match.checksums)."""
    return header_alg(token) is not None


def claims(token: bytes) -> Claims | None:
    alg = header_alg(token)
    if alg is None:
        return None
    payload = decoded_part(token.split(b".")[1])
    if not isinstance(payload, dict):
        payload = {}
    issuer = payload.get("iss")
    expires = payload.get("exp")
    return Claims(
        alg=alg,
        issuer=issuer if isinstance(issuer, str) else None,
        # bool is an int to Python, never to a token's issuer
        expires=int(expires)
        if isinstance(expires, int | float) and not isinstance(expires, bool)
        else None,
    )


def unsigned(found: Claims) -> bool:
    return found.alg.lower() == "none"


def expired(found: Claims, now: float) -> bool:
    return found.expires is not None and found.expires <= now


def severity(found: Claims, now: float, rule_severity: Severity) -> Severity:
    """A token nobody can use any more (expired), or one anybody could have forged (unsigned:
    `alg: none`), grants nothing by itself: low. One that never expires works until its signing
    key is rotated: high. Any other is the rule's own (a live token, for as long as it lasts)."""
    if unsigned(found) or expired(found, now):
        return Severity.LOW
    if found.expires is None:
        return Severity.HIGH
    return rule_severity


def expiry_text(found: Claims, now: float) -> str:
    if found.expires is None:
        return "never (no exp claim)"
    from datetime import UTC, datetime

    try:
        when = datetime.fromtimestamp(found.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        when = str(found.expires)
    return f"{when} ({'expired' if expired(found, now) else 'not expired'})"


def details(found: Claims, now: float) -> tuple[tuple[str, str], ...]:
    """The facts a report shows: alg, issuer, expiry. The issuer comes from the scanned file, so
    it is cleaned of control characters, cut short and masked like any quoted value."""
    alg = f"{found.alg} (unsigned)" if unsigned(found) else found.alg
    shown: list[tuple[str, str]] = [("alg", alg)]
    if found.issuer is not None:
        issuer = clean(found.issuer)
        if len(issuer) > MAX_ISSUER:
            issuer = issuer[:MAX_ISSUER] + "…"
        shown.append(("issuer", masked(issuer)))
    shown.append(("expires", expiry_text(found, now)))
    return tuple(shown)


def judged(
    token: bytes, rule_severity: Severity, now: float
) -> tuple[Severity, tuple[tuple[str, str], ...]]:
    """A JWT finding's severity and details (the rule's own severity and none for a token whose
    header no longer reads as a JWT, which its rule's check has already ruled out)."""
    found = claims(token)
    if found is None:
        return rule_severity, ()
    return severity(found, now, rule_severity), details(found, now)
