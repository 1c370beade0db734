"""gitignore-style path globs, for the config's path allowlist and baseline path scopes.

Paths are relative to the repository root with `/` separators. The rules are gitignore's:
a pattern without a slash (other than a trailing one) matches a name at any depth; one with a
slash is anchored at the root (a leading `/` only anchors); `*` and `?` stay within one path
component, `**` crosses them; a trailing `/` matches directories only; a pattern that matches a
directory matches everything below it; `!` re-includes what an earlier pattern matched, and the
last matching pattern decides.

Consecutive patterns of the same sign are joined into a few regular expressions, so a hundred
globs cost a handful of `fullmatch` calls per path, not a hundred.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from scanner.model import frozen


def translate_body(body: str) -> str:
    """The regex of a pattern's body: `*`, `?`, `[...]` within a component, `**` across them."""
    out: list[str] = []
    position = 0
    while position < len(body):
        char = body[position]
        if body.startswith("**", position):
            before_ok = position == 0 or body[position - 1] == "/"
            after = body[position + 2 : position + 3]
            if before_ok and after == "/":
                out.append("(?:.*/)?")
                position += 3
                continue
            # `dir/**` is everything inside dir, not dir itself
            out.append(".+" if position > 0 and before_ok and not after else ".*")
            position += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            negated = body[position + 1 : position + 2] in ("!", "^")
            close = body.find("]", position + (3 if negated else 2))
            if close < 0:
                out.append(re.escape(char))
            else:
                inner = body[position + 1 : close]
                if inner[:1] in ("!", "^"):
                    inner = "^" + inner[1:]
                out.append("[" + inner.replace("\\", "\\\\") + "]")
                position = close + 1
                continue
        elif char == "\\" and position + 1 < len(body):
            out.append(re.escape(body[position + 1]))
            position += 2
            continue
        else:
            out.append(re.escape(char))
        position += 1
    return "".join(out)


def name_pattern(glob: str) -> str | None:
    """The body of a pattern that matches one path component at any depth (`*.snap`,
    `**/vendor/`), or None for a pattern anchored at the root or spanning components."""
    body = glob.rstrip("/").removeprefix("**/")
    if glob.startswith("/") or "/" in body or "**" in body:
        return None
    return body


def translate(glob: str) -> str:
    """The regex (for `fullmatch` on a whole path) of one pattern, negation already removed."""
    directory_only = glob.endswith("/")
    body = glob.rstrip("/")
    anchored = "/" in body
    body = body.removeprefix("/")
    prefix = "" if anchored or body.startswith("**") else "(?:.*/)?"
    # a directory matches everything below it; a directory-only pattern needs something below
    return prefix + translate_body(body) + ("/.*" if directory_only else "(?:/.*)?")


WILDCARDS = frozenset("*?[\\")


@frozen
class Names:
    """Patterns for one path component: exact names and `*suffix` ones are set and string
    tests, which cost far less than a regex alternation; the rest is one regex."""

    exact: frozenset[str]
    suffixes: tuple[str, ...]
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, names: list[str]) -> Names:
        exact: set[str] = set()
        suffixes: list[str] = []
        others: list[str] = []
        for name in names:
            if not WILDCARDS & set(name):
                exact.add(name)
            elif name.startswith("*") and not WILDCARDS & set(name[1:]):
                suffixes.append(name[1:])
            else:
                others.append(translate_body(name))
        return cls(frozenset(exact), tuple(suffixes), alternation(others))

    def __bool__(self) -> bool:
        return bool(self.exact or self.suffixes or self.pattern)

    def any_match(self, parts: list[str]) -> bool:
        if self.exact and not self.exact.isdisjoint(parts):
            return True
        if self.suffixes and any(part.endswith(self.suffixes) for part in parts):
            return True
        pattern = self.pattern
        return pattern is not None and any(pattern.fullmatch(part) for part in parts)


def alternation(parts: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(parts)) if parts else None


@frozen
class Run:
    """Consecutive patterns of one sign.

    Patterns naming one component are tested against each component of the path, which is far
    cheaper than a whole-path regex starting with `(?:.*/)?`.
    """

    include: bool
    #: components matching any of these: the file itself or a directory above it
    names: Names
    #: directory-only names: only components that are directories
    dir_names: Names
    #: everything else, matched against the whole path
    paths: re.Pattern[str] | None

    @classmethod
    def of(cls, include: bool, globs: list[str]) -> Run:
        names: list[str] = []
        dir_names: list[str] = []
        paths: list[str] = []
        for glob in globs:
            name = name_pattern(glob)
            if name is None:
                paths.append(translate(glob))
            elif glob.endswith("/"):
                dir_names.append(name)
            else:
                names.append(name)
        return cls(include, Names.of(names), Names.of(dir_names), alternation(paths))

    def matches(self, path: str, is_dir: bool) -> bool:
        if self.paths is not None and self.paths.fullmatch(path + "/" if is_dir else path):
            return True
        if not self.names and not self.dir_names:
            return False
        parts = path.split("/")
        if self.names and self.names.any_match(parts):
            return True
        return bool(self.dir_names) and self.dir_names.any_match(parts if is_dir else parts[:-1])


@frozen
class GlobSet:
    """Runs of same-sign patterns; the last run that matches decides."""

    runs: tuple[Run, ...]
    patterns: tuple[str, ...]

    def matches(self, path: str, is_dir: bool = False) -> bool:
        """True when the last pattern that matches `path` is not a negation."""
        for run in reversed(self.runs):
            if run.matches(path, is_dir):
                return run.include
        return False

    def __bool__(self) -> bool:
        return bool(self.runs)


def validate(glob: str) -> str | None:
    """What is wrong with a pattern, or None."""
    body = glob.removeprefix("!")
    if not body.strip("/"):
        return "an empty pattern"
    try:
        re.compile(translate(body))
    except re.error as exc:
        return f"not a valid glob ({exc})"
    return None


def compile_globs(globs: Sequence[str]) -> GlobSet:
    runs: list[tuple[bool, list[str]]] = []
    for glob in globs:
        include = not glob.startswith("!")
        body = glob if include else glob[1:]
        if runs and runs[-1][0] == include:
            runs[-1][1].append(body)
        else:
            runs.append((include, [body]))
    return GlobSet(
        runs=tuple(Run.of(include, bodies) for include, bodies in runs), patterns=tuple(globs)
    )


def escape(path: str) -> str:
    """A glob matching exactly `path` (anchored, special characters escaped)."""
    escaped = re.sub(r"([*?\[\\!])", r"\\\1", path)
    return escaped if "/" in path.rstrip("/") else "/" + escaped


def root_relative(path: str, root: Path) -> str | None:
    """`path` relative to the repository root, `/`-separated ("" for the root itself); None
    when outside it. `root` is resolved, so a path reached through a symlinked directory is
    resolved too before giving up."""
    for absolute in (os.path.abspath(path), os.path.realpath(path)):
        relative = os.path.relpath(absolute, root)
        if relative == os.curdir:
            return ""
        if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
            return relative.replace(os.sep, "/")
    return None
