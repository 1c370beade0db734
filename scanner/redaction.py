"""How a secret is referred to without being shown: its fingerprint and its redacted form."""

from __future__ import annotations

import functools
import hashlib
import os
import re

from scanner.model import Rule

ELLIPSIS = "…"
MIN_HIDDEN = 12


def fingerprint(rule_id: str, secret: bytes) -> str:
    return hashlib.sha256(rule_id.encode() + b"\0" + secret).hexdigest()


@functools.cache
def vendor_prefix(rule: Rule) -> str:
    """The literal prefix all of a rule's examples share up to a separator (`sk-proj-`, `ghp_`).

    It says what kind of key was found and is no part of the secret, so redaction keeps it.
    """
    common = os.path.commonprefix([example.secret for example in rule.examples])  # noqa: RUF071
    return common[: max(common.rfind("-"), common.rfind("_")) + 1]


def redact(secret: str, prefix: str = "") -> str:
    """Enough to recognise a key (its kind and its last four characters), never enough to use it."""
    if "\n" in secret:
        return secret.split("\n", 1)[0].rstrip("\r") + ELLIPSIS
    if len(secret) < MIN_HIDDEN:
        return secret[:1] + ELLIPSIS if len(secret) >= 6 else ELLIPSIS
    if not secret.startswith(prefix) or len(secret) - len(prefix) < MIN_HIDDEN + 6:
        prefix = ""
    body = secret[len(prefix) :]
    return f"{prefix}{body[:2]}{ELLIPSIS}{body[-4:]}"


#: a vendor prefix such as `sk-proj-` or `ghp_`, at the start of a key
KIND_PREFIX = re.compile(r"[A-Za-z]{2,8}[-_.](?:[a-z]{2,8}[-_])?")


def kind_prefix(secret: str) -> str:
    """The vendor prefix that says what kind of key it is (`sk-proj-`, `ghp_`), kept visible."""
    found = KIND_PREFIX.match(secret)
    return found.group(0) if found else ""
