"""Credentials known not to be anyone's secret: documented demo pairs (`scott:tiger`, and
variants such as `scott:tiger^5HHH`), and credential URLs whose host is this machine or a name
reserved for examples. Such a finding is reported as `info`, with the reason, and fails no run
by default.

Decided from the secret's line alone (pure, no settings), where the pipeline still holds the
chunk's bytes: the finding keeps only a redacted line.
"""

from __future__ import annotations

import re

#: (user, password) pairs that tutorials and database docs print, compared lower-cased
DEMO_PAIRS = frozenset(
    {
        ("scott", "tiger"),
        ("user", "password"),
        ("user", "pass"),
        ("user", "secret"),
        ("username", "password"),
        ("admin", "password"),
        ("admin", "secret"),
        ("foo", "bar"),
        ("me", "secret"),
        ("john", "doe"),
        ("admin", "admin"),
        ("root", "root"),
        ("guest", "guest"),
        ("test", "test"),
        ("postgres", "postgres"),
        ("alice", "secret"),
        ("bob", "secret"),
    }
)
#: hosts of this machine, and the names RFC 2606 and RFC 6761 reserve for examples and tests
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
LOCAL_SUFFIXES = (".localhost", ".local")
EXAMPLE_NAMES = frozenset({"example.com", "example.org", "example.net", "example"})
EXAMPLE_SUFFIXES = (
    ".example.com",
    ".example.org",
    ".example.net",
    ".example",
    ".test",
    ".invalid",
)
#: a URL with a user and a password; groups: user, password, host
CREDENTIAL_URL = re.compile(
    rb"""[a-z][a-z0-9+.-]*://([^\s:@/?#"'`<>]*):([^\s@/?#"'`<>]*)@(\[[0-9a-f:.]*\]|[^\s:/?#"'`<>;,)]*)""",
    re.IGNORECASE,
)
#: a user name given on the secret's line or the one before it (`user=scott`, `"username": "x"`)
USER_ASSIGNMENT = re.compile(
    rb"""(?:user(?:_?name)?|login|uid)["']?[ \t]*[:=][ \t]*["']?([\w.@-]{1,64})""",
    re.IGNORECASE,
)


def host_reason(host: str) -> str | None:
    """ "local host" or "example host" for a host that cannot be someone's server, else None."""
    name = host.strip("[]").rstrip(".").lower()
    if name in LOCAL_NAMES or name.endswith(LOCAL_SUFFIXES):
        return "local host"
    if name in EXAMPLE_NAMES or name.endswith(EXAMPLE_SUFFIXES):
        return "example host"
    import ipaddress  # most hosts are names

    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None
    return "local host" if address.is_loopback or address.is_unspecified else None


#: what may follow a demo password in a variant made to pass a password policy (`tiger^5HHH`)
VARIANT_TAIL = re.compile(r"[^a-z]\S*")


def pair_reason(user: str, password: str) -> str | None:
    """ "demo credentials" for a documented demo pair, or such a pair's password with a
    non-letter suffix; a password equal to its user name is already a placeholder."""
    user, password = user.lower(), password.lower()
    for demo_user, demo_password in DEMO_PAIRS:
        if user == demo_user and password.startswith(demo_password):
            tail = password[len(demo_password) :]
            if not tail or VARIANT_TAIL.fullmatch(tail):
                return "demo credentials"
    return None


def demo_reason(content: bytes, start: int, end: int) -> str | None:
    """Why the secret at content[start:end] is a demo value, or None if it may be real."""
    line_start = content.rfind(b"\n", 0, start) + 1
    line_end = content.find(b"\n", end)
    line = content[line_start : len(content) if line_end < 0 else line_end]
    secret = content[start:end]
    offset = start - line_start
    for url in CREDENTIAL_URL.finditer(line):
        if url.start(2) <= offset <= url.end(2):
            user = url.group(1).decode("utf-8", "replace")
            host = url.group(3).decode("utf-8", "replace")
            return pair_reason(user, url.group(2).decode("utf-8", "replace")) or host_reason(host)
    previous = content[content.rfind(b"\n", 0, max(line_start - 1, 0)) + 1 : line_start]
    for text in (line[:offset], previous):
        users = USER_ASSIGNMENT.findall(text)
        if users:
            user = users[-1].decode("utf-8", "replace")
            return pair_reason(user, secret.decode("utf-8", "replace"))
    return None
