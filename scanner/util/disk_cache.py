"""keyleak's on-disk cache: derived data only (compiled databases, parsed rule packs).

Every entry carries a checksum and is written to a temporary name then renamed, so concurrent
hooks never read half a file and a damaged file is simply rebuilt. Writing is best effort: a
read-only or full cache directory only costs recomputing next time.
"""

from __future__ import annotations

import binascii
import os
from pathlib import Path

from scanner.util.atomic import replace_file

#: 2: a CRC-32 of the payload, no longer a SHA-256: the checksum only detects damage (an entry is
#: written whole, then renamed), and the hook checks three megabytes of entries on every commit,
#: which took SHA-256 about 4 ms and takes CRC-32 about 1
MAGIC = b"keyleak-cache-2"
#: an entry's file name ends with its format: keyleak versions that share a cache directory keep
#: their own entries, rather than each taking the other's for damaged and rebuilding it every run
SUFFIX = ".2"


#: the magic line and the checksum's (`checksum`)
HEADER_SIZE = len(MAGIC) + 1 + 8 + 1


def cache_dir() -> Path:
    if override := os.environ.get("KEYLEAK_CACHE_DIR"):
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "keyleak"


def entry_path(name: str) -> Path:
    """The file that holds entry `name`."""
    return cache_dir() / (name + SUFFIX)


def read_entry(name: str) -> bytes | None:
    parts = read_parts(name)
    if parts is None or checksum(parts[1]) != parts[0]:
        return None
    return parts[1]


def read_self_checked(name: str) -> bytes | None:
    """Entry `name`'s payload, its checksum not computed: for a payload that checks itself
    when used (a Hyperscan database verifies its length and its own CRC-32C when loaded), where
    checking the entry as well doubled what reading it cost (the combined database is 9 MB)."""
    parts = read_parts(name)
    if parts is None:
        return None
    # an empty payload has nothing to check itself with
    if not parts[1] and checksum(parts[1]) != parts[0]:
        return None
    return parts[1]


def read_parts(name: str) -> tuple[bytes, bytes] | None:
    """The checksum an entry holds and its payload, or None if it is not an entry of this
    format. The payload is read on its own, after the header: cut out of the whole file, it
    was copied again (megabytes for a database, a tenth of the time it takes to load one)."""
    try:
        with open(entry_path(name), "rb", buffering=0) as file:
            header = file.read(HEADER_SIZE)
            payload = file.read()
    except OSError:
        return None
    if header[: len(MAGIC) + 1] != MAGIC + b"\n" or header[-1:] != b"\n" or payload is None:
        return None
    return header[len(MAGIC) + 1 : -1], payload


def write_entry(name: str, payload: bytes) -> None:
    path = entry_path(name)
    blob = MAGIC + b"\n" + checksum(payload) + b"\n" + payload
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, blob, 0o600)
    except OSError:
        pass


def checksum(payload: bytes | memoryview) -> bytes:
    # binascii's CRC-32 is zlib's, and the hook imports binascii anyway (base64 does)
    return b"%08x" % binascii.crc32(payload)
