"""keyleak's on-disk cache: derived data only (compiled databases, parsed rule packs).

Every entry carries a checksum and is written to a temporary name then renamed, so concurrent
hooks never read half a file and a damaged file is simply rebuilt. Writing is best effort: a
read-only or full cache directory only costs recomputing next time.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from scanner.util.atomic import replace_file

MAGIC = b"keyleak-cache-1"


def cache_dir() -> Path:
    if override := os.environ.get("KEYLEAK_CACHE_DIR"):
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "keyleak"


def read_entry(name: str) -> bytes | None:
    try:
        blob = (cache_dir() / name).read_bytes()
    except OSError:
        return None
    # offsets, not `partition`: a compiled database is megabytes, and each split would copy it
    header_end = blob.find(b"\n")
    checksum_end = blob.find(b"\n", header_end + 1)
    if header_end < 0 or checksum_end < 0 or blob[:header_end] != MAGIC:
        return None
    digest = hashlib.sha256(memoryview(blob)[checksum_end + 1 :]).hexdigest().encode()
    if digest != blob[header_end + 1 : checksum_end]:
        return None
    return blob[checksum_end + 1 :]


def write_entry(name: str, payload: bytes) -> None:
    path = cache_dir() / name
    blob = MAGIC + b"\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, blob, 0o600)
    except OSError:
        pass
