"""The compiled Hyperscan database, cached on disk so a pre-commit run never recompiles.

The key covers everything the database depends on: the rule files' content, the Hyperscan
library version and this file's format. A file that fails its checksum is rebuilt, and files
are written to a temporary name and renamed, so concurrent hooks never read half a database.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Sequence
from pathlib import Path

import hyperscan

from scanner.engine.hs import CompiledDatabase, compile_database, load_database
from scanner.model import Rule

FORMAT = b"keyleak-hs-1"


def cache_dir() -> Path:
    if override := os.environ.get("KEYLEAK_CACHE_DIR"):
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "keyleak"


def cache_path(rules_digest: str) -> Path:
    key = hashlib.sha256(
        b"\0".join(
            [
                FORMAT,
                rules_digest.encode(),
                str(getattr(hyperscan, "__version__", "?")).encode(),
                platform.machine().encode(),
            ]
        )
    ).hexdigest()[:32]
    return cache_dir() / f"rules-{key}.hsdb"


def load_or_compile(rules: Sequence[Rule], rules_digest: str) -> CompiledDatabase:
    path = cache_path(rules_digest)
    cached = read_cache(path)
    if cached is not None:
        try:
            return CompiledDatabase(load_database(cached[0]), cached[1])
        except hyperscan.error:
            pass
    serialized, unsupported = compile_database(rules)
    write_cache(path, serialized, unsupported)
    return CompiledDatabase(load_database(serialized), unsupported)


def read_cache(path: Path) -> tuple[bytes, frozenset[int]] | None:
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    header, _, rest = blob.partition(b"\n")
    checksum, _, rest = rest.partition(b"\n")
    meta, _, payload = rest.partition(b"\n")
    if header != FORMAT or hashlib.sha256(meta + b"\n" + payload).hexdigest().encode() != checksum:
        return None
    try:
        unsupported = frozenset(int(i) for i in json.loads(meta)["unsupported"])
    except (ValueError, KeyError, TypeError):
        return None
    return payload, unsupported


def write_cache(path: Path, serialized: bytes, unsupported: frozenset[int]) -> None:
    """Best effort: a read-only or full cache directory only costs a recompile next time."""
    meta = json.dumps({"unsupported": sorted(unsupported)}).encode()
    body = meta + b"\n" + serialized
    blob = FORMAT + b"\n" + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".hsdb")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass
