"""The project config as a commit holds it, for range scans.

A range scan judges a pull request by its base's config: read from the work tree (the pull
request's own checkout), a config would let the pull request allowlist or baseline its own key.
A `Snapshot` is what a revision's tree holds of the config and of every file it reads (the
files it names, `.gitleaksignore`, the baseline); `materialize` writes those files to a private
directory, so that the rest of keyleak reads them as it reads a work tree's.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scanner import git
from scanner.config.project import (
    CONFIG_NAME,
    DEFAULT_BASELINE,
    PYPROJECT,
    Config,
    build,
    parse,
)
from scanner.errors import ConfigError

GITLEAKS_IGNORE = ".gitleaksignore"
#: every file a snapshot holds together: configs, rule packs and baselines are far smaller
SNAPSHOT_LIMIT = 64 * 1024 * 1024
#: the config keys that name files
FILE_KEYS = ("baseline", "gitleaks_config")


@dataclass(frozen=True)
class Snapshot:
    """A revision's config: the file it came from (None: none), its table, and the bytes of
    every file it reads, by root-relative path."""

    revision: str
    source: str | None = None
    document: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def table_name(self) -> str | None:
        return "tool.keyleak" if self.source == PYPROJECT else None

    def label(self, name: str | None = None) -> str:
        return f"{self.revision}:{name or self.source}"

    def named_files(self) -> list[str]:
        """The root-relative paths the config names, and the files read by their place."""
        document = self.document
        named = [*document.get("rules", [])]
        named += [document[key] for key in FILE_KEYS if isinstance(document.get(key), str)]
        return [*named, GITLEAKS_IGNORE, DEFAULT_BASELINE]

    def baseline_name(self) -> str:
        value = self.document.get("baseline")
        return inside(value, self.label()) if isinstance(value, str) else DEFAULT_BASELINE


def inside(name: str, label: str) -> str:
    """`name` as a path relative to the repository root; an error when it leaves the root."""
    relative = posixpath.normpath(name.replace("\\", "/"))
    if posixpath.isabs(name) or relative == ".." or relative.startswith("../"):
        raise ConfigError(f"{label}: {name!r}: a revision's config names only files inside it")
    return relative


def snapshot(repo: str, revision: str, name: str | None = None) -> Snapshot:
    """What `revision` holds of the config: `.keyleak.toml`, else `[tool.keyleak]` in
    `pyproject.toml`, and every file it reads; `name` is the revision as messages call it."""
    label = name or revision
    source, document = config_at(repo, revision, label)
    found = Snapshot(label, source, document)
    files: dict[str, bytes] = {}
    total = 0
    for named in found.named_files():
        for item in git.tree_files(revision, inside(named, found.label()), repo):
            total += item.size
            if total > SNAPSHOT_LIMIT:
                raise ConfigError(f"{found.label(item.path)}: the config's files are too large")
            files[item.path] = git.read_blob(item.oid, repo)
    return replace(found, files=files)


def config_at(repo: str, revision: str, label: str) -> tuple[str | None, dict[str, Any]]:
    """The file `revision`'s config comes from (None: it has none) and its checked table."""
    source, table_name = CONFIG_NAME, None
    raw = git.file_at(revision, CONFIG_NAME, repo)
    if raw is None:
        source, table_name = PYPROJECT, "tool.keyleak"
        raw = git.file_at(revision, PYPROJECT, repo)
        if raw is None or b"tool.keyleak" not in raw:
            return None, {}
    document = parse(raw, f"{label}:{source}", table_name)
    if document is None:  # a pyproject without the table (a whole TOML file is a table)
        return None, {}
    if not isinstance(document, dict):
        raise ConfigError(f"{label}:{source}: {table_name or 'config'}: expected a table")
    return source, document


def materialize(found: Snapshot, directory: Path) -> Config:
    """The snapshot's config, its files written under `directory` (which becomes its root)."""
    for name, content in found.files.items():
        target = directory / inside(name, found.label())
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    if found.source is None:
        return Config(root=directory)
    return build(directory, found.label(), found.document, found.table_name)
