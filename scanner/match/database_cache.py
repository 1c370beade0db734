"""The compiled Hyperscan database, cached on disk so a pre-commit run never recompiles.

The key covers everything the database depends on: the rule files' content, the Hyperscan
library version, the machine architecture and the format of the database's expressions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import Any

import hyperscan

from scanner.match.hyperscan_matcher import (
    CompiledDatabase,
    compile_combined,
    compile_database,
    compile_encoded,
    compile_lines,
    load_database,
)
from scanner.model import Rule
from scanner.util.disk_cache import read_entry, write_entry
from scanner.util.sha256 import sha256

#: bump when the database's expressions change (9: the rules' regexes in their prefilter form,
#: wide upper bounds dropped; no base64 forms of family members' keywords; 11: members'
#: keywords only where they start a word; 12: gated rules' long keywords as literals; 13: the
#: `%XX` escape after the manifest line; 14: the lines' database; 15: rules that start at every
#: line held by their keywords alone, no base64 forms a shorter keyword's cover)
DATABASE_FORMAT = 15


def entry_name(rules_digest: str) -> str:
    version = str(getattr(hyperscan, "__version__", "?"))
    key = sha256(
        b"\0".join(
            [
                rules_digest.encode(),
                version.encode(),
                os.uname().machine.encode(),
                str(DATABASE_FORMAT).encode(),
            ]
        )
    ).hexdigest()[:32]
    return f"hsdb-{key}"


def load_or_compile(rules: Sequence[Rule], rules_digest: str) -> CompiledDatabase:
    """The rules' database from the cache, else compiled and cached; the encodings' and the
    combined databases likewise, each when first asked for."""
    rules = tuple(rules)
    name = entry_name(rules_digest)
    database, unsupported = cached_rules_database(name) or compiled_rules_database(rules, name)
    return CompiledDatabase(
        database,
        unsupported,
        encoded=lambda: cached_database(f"{name}-encoded", lambda: compile_encoded(rules)),
        combined=lambda: cached_database(
            f"{name}-combined", lambda: compile_combined(rules, unsupported)
        ),
        lines=lambda: cached_database(f"{name}-lines", lambda: compile_lines(rules, unsupported)),
    )


def cached_rules_database(name: str) -> tuple[Any, frozenset[int]] | None:
    """The cached rules' database, and the rules it leaves to the keyword gate."""
    cached = read_entry(name)
    if cached is None:
        return None
    meta_end = cached.find(b"\n")
    try:
        unsupported = frozenset(int(i) for i in json.loads(cached[:meta_end])["unsupported"])
        return load_database(cached[meta_end + 1 :]), unsupported
    except (ValueError, KeyError, TypeError, hyperscan.error):
        return None


def compiled_rules_database(rules: Sequence[Rule], name: str) -> tuple[Any, frozenset[int]]:
    serialized, unsupported = compile_database(rules)
    meta = json.dumps({"unsupported": sorted(unsupported)}).encode()
    write_entry(name, meta + b"\n" + serialized)
    return load_database(serialized), unsupported


def cached_database(name: str, compile_it: Callable[[], bytes]) -> Any:
    """The database, or None where `compile_it` found nothing to hold (b"", cached too)."""
    cached = read_entry(name)
    if cached is not None:
        if not cached:
            return None
        try:
            return load_database(cached)
        except hyperscan.error:
            pass
    serialized = compile_it()
    write_entry(name, serialized)
    return load_database(serialized) if serialized else None
