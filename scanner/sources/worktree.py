"""Files and directories on disk."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scanner.config.globs import GlobSet, root_relative
from scanner.errors import GitError, KeyleakError
from scanner.git import (
    abandon,
    directory_ignored,
    ignored_entries,
    start_ignored_listing,
    unignored_files,
)
from scanner.model import NamedTuple, Skipped
from scanner.sources.named_files import ALLOWLISTED, through_symlink

SKIPPED_DIRECTORIES = frozenset({".git"})


@dataclass
class LeftOut:
    """What a walk left unread on purpose, for the summary: what git ignores (an ignored
    directory is one entry, ending in `/`) and what `--exclude` matched (likewise)."""

    ignored: dict[str, None] = field(default_factory=dict)
    excluded: dict[str, None] = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    """What a walk leaves out: the config's `allowlist` (globs relative to the config root) and
    the command line's `exclude` (relative to each directory named); `ignore`: ask git what
    it ignores, in a work tree."""

    allowlist: GlobSet | None = None
    exclude: GlobSet | None = None
    ignore: bool = False
    left_out: LeftOut = field(default_factory=LeftOut)


def walk(
    paths: Sequence[str], filters: Filters, root: Path | None = None
) -> Iterator[str | Skipped]:
    """Every regular file below `paths`, in a stable order.

    Symlinks met during the walk are not followed: a link inside the tree points at something
    scanned in its own right, and one pointing out of the tree must never be read. Paths given
    explicitly are taken as the user named them, even when git ignores them or `--exclude`
    matches them. Paths the config's allowlist (`filters.allowlist`, globs relative to `root`)
    matches are skipped, a matching directory as a whole. `filters` also says whether to ask git
    what it ignores, and what `--exclude` leaves out.
    """
    allowlist = filters.allowlist
    seen: set[str] = set()
    for path in paths:
        if not os.path.lexists(path):
            raise KeyleakError(f"{path}: no such file or directory")
        relative = root_relative(path, root or Path.cwd()) if allowlist else None
        is_dir = os.path.isdir(path)
        local = "" if filters.exclude else None
        if allowlist and relative and allowlist.matches(relative, is_dir):
            yield Skipped(path=path, reason=ALLOWLISTED)
        elif is_dir and filters.ignore and directory_ignored(path) is False:
            yield from git_directory(path, seen, filters, relative, local)
        elif is_dir:
            yield from walk_directory(path, seen, filters, relative, local)
        elif path not in seen:
            seen.add(path)
            yield named_file(path)


def named_file(path: str) -> str | Skipped:
    """A path the user named: followed if a symlink, but only ever opened if a regular file.

    Opening a device can have side effects (a tape rewinds) and a FIFO can block forever.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        return Skipped(path=path, reason=f"unreadable ({exc.strerror})")
    return path if stat.S_ISREG(info.st_mode) else Skipped(path=path, reason="not a regular file")


def walk_directory(
    root: str,
    seen: set[str],
    filters: Filters,
    relative: str | None = None,
    local: str | None = None,
) -> Iterator[str | Skipped]:
    """The files below `root`, depth first, each folder in name order. A stack of listings, not
    recursion: a tree a thousand folders deep must not exhaust Python's recursion limit."""
    stack = [listing(Folder(root, relative, local), seen, filters)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, Folder):
            stack.append(listing(item, seen, filters))
        else:
            yield item


class Folder(NamedTuple):
    """A folder to list: its path, and its path relative to the config root (for the
    allowlist) and to the directory named (for `--exclude`), each None when not needed."""

    path: str
    relative: str | None
    local: str | None


def below(parent: str | None, name: str) -> str | None:
    return None if parent is None else f"{parent}/{name}" if parent else name


def listing(folder: Folder, seen: set[str], filters: Filters) -> Iterator[str | Skipped | Folder]:
    """One folder's files, and its folders to descend into."""
    root, relative, local = folder
    allowlist, exclude = filters.allowlist, filters.exclude
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as exc:
        yield Skipped(path=root, reason=f"unreadable directory ({exc.strerror})")
        return
    for entry in entries:
        path = entry.name if root == os.curdir else entry.path
        if path in seen:
            continue
        seen.add(path)
        inner = below(relative, entry.name)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            if exclude and exclude.matches(
                f"{local}/{entry.name}" if local else entry.name, is_dir
            ):
                filters.left_out.excluded[path + "/" if is_dir else path] = None
            elif allowlist and inner is not None and allowlist.matches(inner, is_dir):
                yield Skipped(path=path, reason=ALLOWLISTED)
            elif entry.is_symlink():
                yield Skipped(path=path, reason="symlink")
            elif is_dir:
                if entry.name not in SKIPPED_DIRECTORIES:
                    yield Folder(path, inner, below(local, entry.name))
            elif entry.is_file(follow_symlinks=False):
                yield path
            else:
                yield Skipped(path=path, reason="not a regular file")
        except OSError as exc:
            yield Skipped(path=path, reason=f"unreadable ({exc.strerror})")


def git_directory(
    directory: str, seen: set[str], filters: Filters, relative: str | None, local: str | None
) -> Iterator[str | Skipped]:
    """The files below `directory`, a folder of a git work tree, that git does not ignore
    (tracked, or untracked and not ignored), in git's order; what it ignores is counted.

    Git knows every rule (nested `.gitignore`s, `info/exclude`, `core.excludesFile`) and lists
    an ignored directory without descending into it, so `.venv/` costs nothing.
    """
    try:
        ignored = start_ignored_listing(directory)
    except GitError:  # git cannot be started: read everything, as outside a work tree
        yield from walk_directory(directory, seen, filters, relative, local)
        return
    try:
        yield from git_listed(directory, seen, filters, relative, local)
    except GitError:  # a repository git cannot list: read everything, as outside one
        abandon(ignored)
        yield from walk_directory(directory, seen, filters, relative, local)
        return
    except BaseException:  # interrupted, or the scan ended early
        abandon(ignored)
        raise
    try:
        names = ignored_entries(ignored)
    except GitError:
        names = []
    for name in names:
        path = name if directory == os.curdir else os.path.join(directory, name)
        filters.left_out.ignored[path] = None


def git_listed(
    directory: str, seen: set[str], filters: Filters, relative: str | None, local: str | None
) -> Iterator[str | Skipped]:
    allowlist, exclude, left_out = filters.allowlist, filters.exclude, filters.left_out
    here = directory == os.curdir
    # the index may list a path below a directory the work tree has since made a symlink
    linked: dict[str, bool] = {}
    folders = FolderKinds()
    prefix = "" if here else directory.rstrip("/") + "/"
    for name in unignored_files(directory):
        name = name.rstrip("/")  # a nested repository
        path = prefix + name
        if path in seen:
            continue
        seen.add(path)
        if exclude:
            name_local = f"{local}/{name}" if local else name
            if exclude.matches(name_local):
                left_out.excluded[matched_top(exclude, name_local, path)] = None
                continue
        inner = below(relative, name)
        if allowlist and inner is not None and allowlist.matches(inner):
            top = matched_top(allowlist, inner, path)
            if top == path or top not in seen:  # a directory is skipped once, as the walk does
                seen.add(top)
                yield Skipped(path=top.rstrip("/"), reason=ALLOWLISTED)
            continue
        parent = name.rpartition("/")[0]
        through = linked.get(parent)
        if through is None:
            through = through_symlink(parent, linked, directory)
        if through:
            yield Skipped(path=path, reason="symlink")
            continue
        kind = folders.kind(path)
        if kind == FILE:
            yield path
        elif kind == FOLDER:
            yield from nested_work_tree(path, seen, filters, inner, below(local, name))
        elif kind is not None:  # None: deleted but still in the index, or not checked out
            yield Skipped(path=path, reason=kind)


FILE, FOLDER = "file", "folder"


class FolderKinds:
    """What each name in a folder is, from one listing of the folder: a listing carries the
    entries' types, so that a file git lists needs no stat of its own (14k lstat calls took
    44 ms of the main process on the benchmark tree, the listings 20 ms)."""

    def __init__(self) -> None:
        self.folders: dict[str, dict[str, str]] = {}

    def kind(self, path: str) -> str | None:
        """FILE, FOLDER, None when there is no such name, else why it is not read."""
        folder, slash, name = path.rpartition("/")
        kinds = self.folders.get(folder)
        if kinds is None:
            kinds = self.folders[folder] = listed_kinds(folder or slash or os.curdir)
        return kinds.get(name, kinds.get(""))


def listed_kinds(folder: str) -> dict[str, str]:
    """Name to kind for a folder's entries; a folder that cannot be listed gives every name
    its reason (under the key "")."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        return {"": f"unreadable ({exc.strerror})"}
    kinds: dict[str, str] = {}
    for entry in entries:
        try:
            if entry.is_symlink():
                kinds[entry.name] = "symlink"
            elif entry.is_file(follow_symlinks=False):
                kinds[entry.name] = FILE
            elif entry.is_dir(follow_symlinks=False):
                kinds[entry.name] = FOLDER
            else:
                kinds[entry.name] = "not a regular file"
        except OSError as exc:
            kinds[entry.name] = f"unreadable ({exc.strerror})"
    return kinds


def nested_work_tree(
    path: str, seen: set[str], filters: Filters, relative: str | None, local: str | None
) -> Iterator[str | Skipped]:
    """A submodule's or a nested repository's directory git listed: listed by its own git, or
    walked when it has none (a submodule not checked out)."""
    if os.path.lexists(os.path.join(path, ".git")):
        yield from git_directory(path, seen, filters, relative, local)
    else:
        yield from walk_directory(path, seen, filters, relative, local)


def matched_top(globs: GlobSet, relative: str, path: str) -> str:
    """`path`, or the directory above it (ending in `/`) that `globs` match, the highest one:
    what a walk that prunes directories would have left out."""
    parts = relative.split("/")
    for depth in range(1, len(parts)):
        if globs.matches("/".join(parts[:depth]), True):
            extra = len(parts) - depth
            return path.rsplit("/", extra)[0] + "/"
    return path
