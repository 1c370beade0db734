"""What an audit covers: clone URLs, repository paths and directories of clones, each once.

A URL may carry credentials (`https://user:token@host/...`): git is given the URL as written,
and everything a person or a file sees (names, reports, state, messages) the URL without them.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from scanner.errors import KeyleakError

SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
#: git's scp-like syntax, `[user@]host:path`: a colon before any slash
SCP = re.compile(r"^(?:(?P<user>[^@/:]+)@)?(?P<host>[^@/:]+):(?P<path>.*)$")
#: schemes whose user part is a credential (a token is often given as the user name)
HTTP_SCHEMES = frozenset({"http", "https", "ftp", "ftps"})
SLUG_LENGTH = 60
#: the transports an audit uses; scp-like `host:path` is ssh, and a local path is read in place
ALLOWED_SCHEMES = frozenset({"https", "ssh", "git", "file"})
#: git's remote-helper syntax, `<transport>::<address>` (`fd::0`, `ext::<command>`)
HELPER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+.-]*::")
ALLOWED = "use an https://, ssh://, git:// or file:// URL, user@host:path, or a local path"


@dataclass(frozen=True)
class Target:
    """One repository to audit.

    `location` is what git is given, credentials included; `name` and `url` are what is shown;
    `key` is the repository's identity (the same repository named twice is audited once), from
    which its mirror and its state are named.
    """

    location: str
    remote: bool
    name: str
    url: str
    key: str
    #: the credentials `url` leaves out, to be scrubbed from any message that quotes them
    credentials: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        """A file name for this repository: readable, and unique by its hash of the key."""
        readable = re.sub(r"[^A-Za-z0-9._-]+", "-", self.key).strip("-.")[:SLUG_LENGTH]
        digest = hashlib.sha256(self.key.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        return f"{readable or 'repository'}-{digest}"

    def scrub(self, text: str) -> str:
        """`text` (e.g. git's error message) without this target's credentials."""
        text = text.replace(self.location, self.url)
        for secret in self.credentials:
            text = text.replace(secret, "***")
        return text


def is_url(text: str) -> bool:
    return bool(SCHEME.match(text)) or (bool(SCP.match(text)) and not os.path.exists(text))


def remote_target(url: str) -> Target:
    if SCHEME.match(url):
        parts = urlsplit(url)
        userinfo, _, hostport = parts.netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        kept = "" if parts.scheme.lower() in HTTP_SCHEMES else user
        netloc = f"{kept}@{hostport}" if kept else hostport
        shown = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        where = parts.path if parts.scheme.lower() == "file" else hostport + parts.path
        # a query or a fragment could hold a token too: never shown
        values = [value for _, _, value in (pair.partition("=") for pair in parts.query.split("&"))]
        removed = (password, "" if kept else userinfo, parts.query, parts.fragment, *values)
        credentials = tuple(part for part in removed if part)
    else:
        match = SCP.match(url)
        assert match is not None
        shown = url
        where = f"{match['host']}/{match['path'].lstrip('/')}"
        credentials = ()
    name = strip_suffix(where)
    return Target(
        location=url,
        remote=True,
        name=name,
        url=shown,
        key=name,
        credentials=expand_encoded(credentials),
    )


def allowed(target: Target) -> Target:
    """The target, when git would reach it over an allowed transport; a usage error naming
    the URL without its credentials otherwise (a helper could run a command or read a file
    descriptor, plain http is readable on the way)."""
    url = target.location
    helper = HELPER.match(url)
    scheme = SCHEME.match(url)
    if helper:
        refused = f"{helper[0]}: a git remote helper"
    elif scheme and scheme[0].removesuffix("://").lower() not in ALLOWED_SCHEMES:
        refused = f"{target.url}: not an allowed URL scheme"
    elif not scheme and SCP.match(url) and url.partition("@")[2].startswith("-"):
        refused = f"{target.url}: a host name that is an ssh option"
    else:
        return target
    raise KeyleakError(f"{refused}; {ALLOWED}")


def strip_suffix(where: str) -> str:
    where = where.rstrip("/")
    return where.removesuffix(".git").rstrip("/") or where


def expand_encoded(credentials: tuple[str, ...]) -> tuple[str, ...]:
    """Each credential as written and percent-decoded, longest first (git may print either)."""
    forms = {form for credential in credentials for form in (credential, unquote(credential))}
    return tuple(sorted((form for form in forms if form), key=len, reverse=True))


def local_target(path: str) -> Target:
    name = os.path.normpath(path)
    return Target(location=path, remote=False, name=name, url=name, key=os.path.realpath(path))


def is_repository(path: Path) -> bool:
    """A work tree (holding `.git`) or a bare repository; told from its files, without git."""
    if os.path.lexists(path / ".git"):
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def expand(entry: str) -> list[Target]:
    """The repositories one argument names: a URL, a repository, or a directory of clones
    (every repository directly inside it, by name)."""
    if entry.startswith("-"):
        raise KeyleakError(f"{entry!r}: not a repository URL or path")
    if not os.path.exists(entry) and is_url(entry):
        return [allowed(remote_target(entry))]
    path = Path(entry)
    if not path.is_dir() or is_repository(path):
        # a missing path is audited like any other, and fails with its error in the report
        return [local_target(entry)]
    try:
        children = sorted(child for child in path.iterdir() if child.is_dir())
    except OSError as exc:
        raise KeyleakError(f"{entry}: cannot list the directory: {exc.strerror}") from exc
    clones = [local_target(str(child)) for child in children if is_repository(child)]
    if not clones:
        raise KeyleakError(f"{entry}: neither a git repository nor a directory of repositories")
    return clones


#: the most a list of targets may hold (a million URLs fit)
LIST_CAP = 64 << 20


def read_list(source: str) -> list[str]:
    """The targets of a list file (`-`: stdin), one per line; blank lines and `#` comments are
    ignored."""
    from scanner.util.small_file import read_at_most, refuse_over

    try:
        if source == "-":
            text = sys.stdin.read(LIST_CAP + 1)
            refuse_over(len(text), LIST_CAP)
        else:
            with open(source, "rb") as handle:
                text = read_at_most(handle, LIST_CAP).decode("utf-8")
    except OSError as exc:
        raise KeyleakError(
            f"{source}: cannot read the list of repositories: {exc.strerror}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise KeyleakError(f"{source}: the list of repositories is not UTF-8 text") from exc
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def collect(arguments: Iterable[str], list_file: str | None) -> list[Target]:
    """Every target of the arguments, then of the list, each repository once, in order."""
    entries = [*arguments, *(read_list(list_file) if list_file is not None else [])]
    targets: dict[str, Target] = {}
    for entry in entries:
        for target in expand(entry):
            targets.setdefault(target.key, target)
    if not targets:
        raise KeyleakError("no repositories to audit: name them, or give a list with --from FILE")
    return list(targets.values())
