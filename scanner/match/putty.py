"""PuTTY private keys (.ppk): whether the file is protected by a passphrase.

The header of a .ppk says its key type and its encryption in plain text (PuTTY's manual,
appendix C: `PuTTY-User-Key-File-3: ssh-ed25519`, `Encryption: none` or `aes256-cbc`). An
unencrypted key is usable as it is: its rule's severity. An encrypted one needs its passphrase
first (Argon2-stretched in version 3), so it is reported one step lower, medium.
"""

from __future__ import annotations

import re

from scanner.model import Severity

#: the rule whose findings this module judges (rules/private-keys.toml)
PUTTY_RULE = "putty-private-key"
HEADER = re.compile(rb"PuTTY-User-Key-File-([23]): ([A-Za-z0-9@.-]{1,60})")
ENCRYPTION = re.compile(rb"Encryption: ([a-z0-9-]{1,20})")


def judged(key: bytes, rule_severity: Severity) -> tuple[Severity, tuple[tuple[str, str], ...]]:
    header, encryption = HEADER.search(key), ENCRYPTION.search(key)
    if header is None or encryption is None:
        return rule_severity, ()
    cipher = encryption.group(1).decode()
    details = (
        ("key type", header.group(2).decode()),
        ("format", f"PuTTY version {header.group(1).decode()}"),
        ("encryption", "none" if cipher == "none" else f"{cipher} (passphrase-protected)"),
    )
    if cipher == "none":
        return rule_severity, details
    return Severity.MEDIUM, details
