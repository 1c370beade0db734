"""The compiled Hyperscan database, cached on disk so a pre-commit run never recompiles.

The key covers everything the database depends on: the rule files' content, the Hyperscan
library version, the machine architecture and the format of the database's expressions.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import hyperscan

from scanner.match.hyperscan_matcher import (
    CompiledDatabase,
    compile_combined,
    compile_database,
    compile_encoded,
    load_database,
)
from scanner.model import Rule
from scanner.util.disk_cache import read_entry, read_self_checked, write_entry
from scanner.util.sha256 import sha256

#: bump when the database's expressions change (9: the rules' regexes in their prefilter form,
#: wide upper bounds dropped; no base64 forms of family members' keywords; 11: members'
#: keywords only where they start a word; 12: gated rules' long keywords as literals; 13: the
#: `%XX` escape after the manifest line; 14: the lines' database; 15: rules that start at every
#: line held by their keywords alone, no base64 forms a shorter keyword's cover; 16: the rules no
#: database holds as a line of numbers, so that a keyleak that wrote JSON there never shares it;
#: 17: the line-local rules' ends reported by the combined database, no lines' database)
DATABASE_FORMAT = 17


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
    """The rules left to the keyword gate, and loaders of the databases, each from the cache
    (else compiled and cached) when first asked for: a tree or history scan never loads the
    rules' database, which only the first quarter megabyte a matcher scans goes through."""
    rules = tuple(rules)
    name = entry_name(rules_digest)
    unsupported = cached_unsupported(name)
    if unsupported is None:
        # which rules Hyperscan rejects is learnt by compiling the rules' database
        database, unsupported = compiled_rules_database(rules, name)

        def rules_database() -> Any:
            return database

    else:

        def rules_database() -> Any:
            return cached_database(f"{name}-rules", lambda: compile_database(rules)[0])

    return CompiledDatabase(
        rules_database,
        unsupported,
        encoded=lambda: cached_database(f"{name}-encoded", lambda: compile_encoded(rules)),
        combined=lambda: cached_database(
            f"{name}-combined", lambda: compile_combined(rules, unsupported)
        ),
    )


def unsupported_name(name: str) -> str:
    """The entry of the rules the databases `name` leave to the keyword gate: a few bytes, all
    a matcher needs before it scans, kept apart from the databases (which check themselves)."""
    return f"{name}-unsupported"


def cached_unsupported(name: str) -> frozenset[int] | None:
    cached = read_entry(unsupported_name(name))
    if cached is None:
        return None
    # the rules' indexes in decimal, separated by spaces: read without importing `json` (1.7
    # ms of a hook run); an entry in an older form fails to parse and is made again
    try:
        return frozenset(map(int, cached.split()))
    except ValueError:
        return None


def compiled_rules_database(rules: Sequence[Rule], name: str) -> tuple[Any, frozenset[int]]:
    serialized, unsupported = compile_database(rules)
    write_entry(f"{name}-rules", serialized)
    write_entry(unsupported_name(name), " ".join(map(str, sorted(unsupported))).encode())
    return load_database(serialized), unsupported


def cached_database(name: str, compile_it: Callable[[], bytes]) -> Any:
    """The database, or None where `compile_it` found nothing to hold (b"", cached too). Its
    entry is checked by Hyperscan as it loads the database (`read_self_checked`)."""
    cached = read_self_checked(name)
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
