"""Project configuration: `.keyleak.toml` at the repository root, or `[tool.keyleak]` in
`pyproject.toml` there (the first found wins; `--config FILE` overrides both).

This runs on every hook, so it stays cheap: no config file costs a few `stat` calls, and a
config's parsed form is cached by content, so `tomllib` is imported only when a file changed.
Paths named in the config (rule files, the baseline, a gitleaks config) are relative to the
repository root, as are the allowlist's globs.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.config.verification import FAIL_ON_CHOICES, FailOn
from scanner.errors import ConfigError, GitError
from scanner.model import frozen, made_by

if TYPE_CHECKING:  # the path allowlist's globs are built only when a config sets them
    from scanner.config.globs import GlobSet

CONFIG_NAME = ".keyleak.toml"
PYPROJECT = "pyproject.toml"
#: A `.keyleak.toml` is a few KiB and the largest pyprojects some 100 KiB: a config larger than
#: this is not one, and the repository under scan chooses what is read here.
CONFIG_LIMIT = 1 << 20
DEFAULT_BASELINE = ".keyleak-baseline.json"
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
#: bump when the cached JSON form of a config changes shape (2: only checked configs are cached)
CONFIG_CACHE_FORMAT = 2
SIZE_UNITS = {
    "": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
}


@functools.cache
def fingerprint_pattern() -> re.Pattern[str]:
    """Compiled when a config lists fingerprints, not on every hook run."""
    return re.compile(r"[0-9a-f]{16}|[0-9a-f]{64}")


def parse_size(value: object) -> int | None:
    """Bytes from 10485760, "500K" or "10M"; None when it is not a size."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    digits = text.rstrip("kmgib")
    unit = text[len(digits) :]
    if not digits.isdigit() or unit not in SIZE_UNITS:
        return None
    return int(digits) * SIZE_UNITS[unit]


@frozen
class Config:
    """Everything the config can set; the defaults are keyleak's behaviour without a config."""

    root: Path = made_by(Path.cwd)
    #: the file the settings came from (None: no config)
    source: str | None = None
    rules: tuple[Path, ...] = ()
    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    baseline: Path | None = None
    allow_paths: tuple[str, ...] = ()
    allow_fingerprints: tuple[str, ...] = ()
    allow_secrets: tuple[str, ...] = ()
    max_file_size: int | None = None
    fail_on: FailOn = "any"
    inline_ignores: bool = True
    gitleaks_config: Path | None = None
    #: the `[verify]` table as written (None: absent), unchecked: it applies only when the user
    #: named the file (`--config`); a repository's is ignored (scanner.commands.options)
    verify: Any = None

    def path_allowlist(self) -> GlobSet | None:
        if not self.allow_paths:
            return None
        from scanner.config.globs import compile_globs

        return compile_globs(self.allow_paths)

    def file_size_limit(self, given: int | None) -> int:
        """--max-file-size when given, else the config's, else 10M."""
        if given is not None:
            return given
        return self.max_file_size if self.max_file_size is not None else DEFAULT_MAX_FILE_SIZE

    def baseline_file(self) -> Path | None:
        """The configured baseline, else `.keyleak-baseline.json` at the root when it exists."""
        if self.baseline is not None:
            return self.baseline
        default = self.root / DEFAULT_BASELINE
        return default if default.is_file() else None


# --------------------------------------------------------------------------- schema

Check = Callable[[Any], bool]


def is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def is_str(value: Any) -> bool:
    return isinstance(value, str)


TOP_LEVEL: dict[str, tuple[Check, str]] = {
    "rules": (is_str_list, "a list of rule files or directories"),
    "enable": (is_str_list, "a list of rule ids"),
    "disable": (is_str_list, "a list of rule ids"),
    "baseline": (is_str, "a file name"),
    "max_file_size": (lambda v: parse_size(v) is not None, "a size like 10485760, 500K or 10M"),
    "fail_on": (lambda v: v in FAIL_ON_CHOICES, "one of " + ", ".join(map(repr, FAIL_ON_CHOICES))),
    "inline_ignores": (is_bool, "true or false"),
    "gitleaks_config": (is_str, "a file name"),
}
ALLOW: dict[str, tuple[Check, str]] = {
    "paths": (is_str_list, "a list of gitignore-style globs"),
    "fingerprints": (is_str_list, "a list of fingerprints (64 or 16 hex digits)"),
    "secrets": (is_str_list, "a list of regular expressions"),
}
#: `verify` is not checked here: a repository's is ignored whatever it holds, and one the user
#: names is checked where verification settings are (scanner.config.verification)
TABLES = ("allow", "verify")


def check_table(
    table: Any, schema: dict[str, tuple[Check, str]], label: str, prefix: str
) -> list[str]:
    # only a config being checked quotes values: the hook's cached config never does
    from scanner.redaction import masked, quoted

    problems: list[str] = []
    if not isinstance(table, dict):
        return [f"{label}: {prefix.rstrip('.')}: expected a table"]
    for key, value in table.items():
        if key not in schema:
            known = ", ".join(sorted(schema))
            problems.append(
                f"{label}: {prefix}{masked(str(key))}: unknown key (expected one of: {known})"
            )
            continue
        check, expected = schema[key]
        if not check(value):
            problems.append(f"{label}: {prefix}{key}: expected {expected}, got {quoted(value)}")
    return problems


def validate_document(document: dict[str, Any], label: str, prefix: str) -> None:
    """Raise ConfigError naming the file, the key and what was expected, for every problem."""
    top = {key: value for key, value in document.items() if key not in TABLES}
    problems = check_table(top, TOP_LEVEL, label, prefix)
    allow = document.get("allow", {})
    problems += check_table(allow, ALLOW, label, f"{prefix}allow.")
    if isinstance(allow, dict):
        problems += check_allow_values(allow, label, f"{prefix}allow.")
    if problems:
        raise ConfigError("; ".join(problems))


def check_allow_values(allow: dict[str, Any], label: str, prefix: str) -> list[str]:
    from scanner.config.globs import validate
    from scanner.redaction import quoted  # as in check_table

    problems: list[str] = []
    for glob in allow.get("paths", []) if is_str_list(allow.get("paths", [])) else []:
        if (problem := validate(glob)) is not None:
            problems.append(f"{label}: {prefix}paths: {quoted(glob)}: {problem}")
    fingerprints = allow.get("fingerprints", [])
    for item in fingerprints if is_str_list(fingerprints) else []:
        if not fingerprint_pattern().fullmatch(item):
            problems.append(
                f"{label}: {prefix}fingerprints: {quoted(item)}: expected 64 (or the first 16) "
                "lowercase hex digits"
            )
    secrets = allow.get("secrets", [])
    for pattern in secrets if is_str_list(secrets) else []:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(
                f"{label}: {prefix}secrets: {quoted(pattern)}: not a valid regex ({exc})"
            )
    return problems


# --------------------------------------------------------------------------- loading


def find_root(anchor: str | None = None) -> Path:
    """The repository root for a scan of `anchor` (a path; None means the current directory).

    Outside a git work tree the current directory is the root.
    """
    start = Path(anchor) if anchor else Path(os.curdir)
    directory = start if start.is_dir() else start.parent
    if "GIT_WORK_TREE" not in os.environ and os.path.lexists(directory / ".git"):
        # as `git.toplevel` answers it, without importing the module that runs git (and
        # `subprocess`): pre-commit runs hooks at the top of the work tree, with named files
        # that need no git at all
        return directory.resolve()
    from scanner import git

    try:
        return git.toplevel(directory)
    except GitError:
        return Path.cwd()


def load_config(explicit: str | None = None, anchor: str | None = None) -> Config:
    """The config for a scan of `anchor`: `explicit` if given, else the one at the root."""
    root = find_root(anchor)
    if explicit is not None:
        path = Path(explicit)
        raw = read_bytes(path, explicit)
        table_name = "tool.keyleak" if path.name == PYPROJECT else None
        document = parse(raw, str(path), table_name)
        return build(root, str(path), document, table_name, trusted=True)
    candidate = root / CONFIG_NAME
    if candidate.exists():  # a FIFO or a device there is an error, not "no config"
        label = str(candidate)
        return build(root, label, parse(read_bytes(candidate, label), label, None), None)
    pyproject = root / PYPROJECT
    if pyproject.exists():
        raw = read_bytes(pyproject, str(pyproject))
        # a plain substring test spares parsing TOML for the many pyprojects without the table
        if b"tool.keyleak" in raw:
            document = parse(raw, str(pyproject), "tool.keyleak")
            if document is not None:
                return build(root, str(pyproject), document, "tool.keyleak")
    return Config(root=root)


def is_within(path: Path, root: Path) -> bool:
    """Whether `path`, links and `..` resolved, is `root` or under it."""
    resolved, base = os.path.realpath(path), os.path.realpath(root)
    return resolved == base or resolved.startswith(base.rstrip(os.sep) + os.sep)


def read_bytes(path: Path, label: str) -> bytes:
    from scanner.util.small_file import read_small_file

    try:
        return read_small_file(path, CONFIG_LIMIT)
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read config: {exc.strerror}") from exc


def parse(raw: bytes, label: str, table_name: str | None) -> Any:
    """The config table of a TOML file (None: a pyproject without `[tool.keyleak]`), checked
    (`validate_document`) when it is a table."""
    import json

    from scanner.util.disk_cache import read_entry, write_entry
    from scanner.util.sha256 import sha256  # hashlib loads OpenSSL: 2 ms of a scan

    key = sha256(f"{table_name}\0".encode() + raw).hexdigest()[:32]
    cache_name = f"config-v{CONFIG_CACHE_FORMAT}-{key}.json"
    cached = read_entry(cache_name)
    if cached is not None:
        try:
            return json.loads(cached)
        except ValueError:
            pass
    from scanner.util.toml_text import TomlError, load_toml  # a config not parsed before

    try:
        document: Any = load_toml(raw)
    except TomlError as exc:
        raise ConfigError(f"{label}: {exc}") from exc
    if table_name is not None:
        tool = document.get("tool")
        document = tool.get("keyleak") if isinstance(tool, dict) else None
    if isinstance(document, dict):
        # checked before it is cached, so that a cached config needs no checking: that compiled
        # every path glob on every commit
        validate_document(document, label, f"{table_name}." if table_name else "")
    try:
        payload = json.dumps(document).encode()
    except TypeError:
        return document  # dates and times have no JSON form; validation rejects them anyway
    write_entry(cache_name, payload)
    return document


def build(
    root: Path, label: str, document: Any, table_name: str | None, trusted: bool = False
) -> Config:
    """The Config of a checked `document`. A repository's own config (not `trusted`: not named
    by the user) may name only files inside the repository: the scanned tree is data, and its
    config must not make keyleak read, and quote in errors, files of the machine it runs on."""
    if not isinstance(document, dict):
        raise ConfigError(f"{label}: {table_name or 'config'}: expected a table")
    allow = document.get("allow", {})
    prefix = f"{table_name}." if table_name else ""

    def inside(key: str, value: str) -> Path:
        path = root / value
        if not trusted and not is_within(path, root):
            from scanner.redaction import quoted

            raise ConfigError(
                f"{label}: {prefix}{key}: {quoted(value)} is outside the repository (a "
                "repository's config names only its own files; give others with --config)"
            )
        return path

    def path_of(key: str) -> Path | None:
        value = document.get(key)
        return inside(key, value) if isinstance(value, str) else None

    size = document.get("max_file_size")
    return Config(
        root=root,
        source=label,
        rules=tuple(inside("rules", item) for item in document.get("rules", [])),
        enable=tuple(document.get("enable", [])),
        disable=tuple(document.get("disable", [])),
        baseline=path_of("baseline"),
        allow_paths=tuple(allow.get("paths", [])),
        allow_fingerprints=tuple(allow.get("fingerprints", [])),
        allow_secrets=tuple(allow.get("secrets", [])),
        max_file_size=parse_size(size) if size is not None else None,
        fail_on=document.get("fail_on", "any"),
        inline_ignores=document.get("inline_ignores", True),
        gitleaks_config=path_of("gitleaks_config"),
        verify=document.get("verify"),
    )
