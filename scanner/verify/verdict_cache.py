"""Verdicts remembered between runs, keyed by a salted hash of the key, never the key itself.

The salt is created once per cache directory, so the hashes cannot be matched against hashes of
known keys computed elsewhere. The file carries a checksum (scanner.util.disk_cache) and is replaced
atomically; a damaged file, or one whose shape is wrong, is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from scanner.model import LIVE_VERDICTS, Verdict, VerdictStatus
from scanner.util.atomic import replace_file
from scanner.util.disk_cache import cache_dir, read_entry, write_entry

#: a folder of its own, private (0700): the rest of the cache is derived data others may read
FOLDER = "verify"
ENTRIES = f"{FOLDER}/verify-verdicts.json"
SALT = f"{FOLDER}/verify-salt"
SALT_BYTES = 32
#: answers about the key itself; rate limits and unknowns say nothing worth keeping
CACHEABLE = LIVE_VERDICTS | {VerdictStatus.INVALID}


def private_folder() -> None:
    """Create the verdicts' folder, or take an existing one back, readable by the owner only."""
    folder = cache_dir() / FOLDER
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)


def load_salt() -> bytes:
    private_folder()
    path = cache_dir() / SALT
    try:
        salt = path.read_bytes()
        if len(salt) == SALT_BYTES:
            return salt
    except OSError:
        pass
    salt = secrets.token_bytes(SALT_BYTES)
    # an unwritable cache only costs the requests next time
    with contextlib.suppress(OSError):
        replace_file(path, salt, 0o600)
    return salt


def decode_verdict(item: Any) -> Verdict | None:
    try:
        status = VerdictStatus(item["status"])
        details = tuple((str(name), str(value)) for name, value in item["details"])
        return Verdict(status, str(item["reason"]), details)
    except (KeyError, TypeError, ValueError):
        return None


class VerdictCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self._ttl = ttl
        self._clock = clock
        self._salt = load_salt()
        self._entries = self._read()
        self._added: dict[str, dict[str, Any]] = {}

    def key(self, *parts: str) -> str:
        """A salted SHA-256 of the provider, where it was asked, and the key (and its partner)."""
        return hashlib.sha256(self._salt + "\0".join(parts).encode()).hexdigest()

    def get(self, key: str) -> Verdict | None:
        item = self._entries.get(key)
        if not isinstance(item, dict) or not self._fresh(item):
            return None
        return decode_verdict(item)

    def put(self, key: str, verdict: Verdict) -> None:
        if verdict.status not in CACHEABLE:
            return
        item = {
            "at": self._clock(),
            "status": verdict.status.value,
            "reason": verdict.reason,
            "details": [list(pair) for pair in verdict.details],
        }
        self._entries[key] = self._added[key] = item

    def save(self) -> None:
        """Merge with what other runs wrote meanwhile, drop expired entries, replace the file."""
        if not self._added:
            return
        merged = {**self._read(), **self._added}
        fresh = {key: item for key, item in merged.items() if self._fresh(item)}
        private_folder()
        write_entry(ENTRIES, json.dumps(fresh, separators=(",", ":")).encode())

    def _fresh(self, item: Any) -> bool:
        at = item.get("at") if isinstance(item, dict) else None
        return isinstance(at, int | float) and 0 <= self._clock() - at < self._ttl

    @staticmethod
    def _read() -> dict[str, Any]:
        payload = read_entry(ENTRIES)
        if payload is None:
            return {}
        try:
            entries = json.loads(payload)
        except ValueError:
            return {}
        return entries if isinstance(entries, dict) else {}
