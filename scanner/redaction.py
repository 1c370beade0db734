"""How a secret is referred to without being shown: its fingerprint and its redacted form."""

from __future__ import annotations

import functools
import os
import re
from typing import Any

from scanner.model import Rule
from scanner.util.sha256 import sha256

ELLIPSIS = "…"
MIN_HIDDEN = 12


def fingerprint(rule_id: str, secret: bytes) -> str:
    return sha256(rule_id.encode() + b"\0" + secret).hexdigest()


def in_message(fingerprint: str) -> str:
    """A key's fingerprint in a commit or tag message: stable (the same key in any message), and
    distinct from the fingerprint of the same key in a file."""
    return sha256(b"message\0" + fingerprint.encode()).hexdigest()


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


#: a run of the characters keys are made of, long enough to be one
KEY_RUN = re.compile(r"[A-Za-z0-9+/=_.~-]{16,}")


def masked(text: str) -> str:
    """`text` with every run that could be a key (letters and digits, 16 or more) redacted.

    For messages that quote a value someone typed or pasted (a config's, a baseline's): an error
    must not print a key pasted in the wrong place. A long file name may be shortened too;
    the message still says which key of which file is wrong.
    """
    return KEY_RUN.sub(mask_run, text)


#: what an error names on purpose: a git object id or a fingerprint, which the reader needs whole
OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
#: a value a message quotes, as repr() and click quote them
QUOTED = re.compile(r"'[^'\n]*'")


def masked_message(text: str) -> str:
    """A message with every key-shaped run in a quoted value redacted, but object ids: a value
    a message quotes (an argument, a revision, a rule id) may be a key typed in the wrong place,
    and the line goes to terminals and CI logs. What it names unquoted, a file, stays whole."""

    def masked_value(found: re.Match[str]) -> str:
        return KEY_RUN.sub(
            lambda run: run.group() if OBJECT_ID.fullmatch(run.group()) else mask_run(run),
            found.group(),
        )

    return QUOTED.sub(masked_value, text)


def masked_path(path: str) -> str:
    """A file name for an error, each part of it `masked`: a key pasted where a file name goes
    stays hidden, and the rest of the path still says where it was looked for. A file of a
    private copy is named first as the user knows it (`<revision>:<path>`), whose random
    directory name would otherwise be masked past recognition."""
    from scanner.util.shown_paths import shown

    return "/".join(masked(part) for part in shown(path).split("/"))


def mask_run(found: re.Match[str]) -> str:
    run = found.group()
    if any(char.isdigit() for char in run) and any(char.isalpha() for char in run):
        return redact(run)
    return run


def quoted(value: Any) -> str:
    """`repr(value)` for an error message, with anything key-shaped in it redacted."""
    return masked(repr(value))
