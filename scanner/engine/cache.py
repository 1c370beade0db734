"""The compiled Hyperscan database, cached on disk so a pre-commit run never recompiles.

The key covers everything the database depends on: the rule files' content, the Hyperscan
library version, the machine architecture and the format of the database's expressions.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any

import hyperscan

from scanner.cache import read_entry, write_entry
from scanner.engine.hs import (
    CompiledDatabase,
    compile_database,
    compile_encoded,
    load_database,
)
from scanner.model import Rule

#: bump when the database's expressions change (7: the keywords' base64 forms in a database of
#: their own, loaded only when needed)
DATABASE_FORMAT = 7


def entry_name(rules_digest: str) -> str:
    version = str(getattr(hyperscan, "__version__", "?"))
    key = hashlib.sha256(
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


def encoded_entry_name(rules_digest: str) -> str:
    return entry_name(rules_digest).replace("hsdb-", "hsenc-", 1)


def load_or_compile(rules: Sequence[Rule], rules_digest: str) -> CompiledDatabase:
    """The rules' database from the cache, else compiled (with the encodings' database, so that
    no later run pays for compiling it) and cached."""
    rules = tuple(rules)
    encoded_name = encoded_entry_name(rules_digest)

    def load_encoded() -> Any:
        cached = read_entry(encoded_name)
        if cached is not None:
            try:
                return load_database(cached)
            except hyperscan.error:
                pass
        serialized = compile_encoded(rules)
        write_entry(encoded_name, serialized)
        return load_database(serialized)

    name = entry_name(rules_digest)
    cached = read_entry(name)
    if cached is not None:
        meta_end = cached.find(b"\n")
        try:
            unsupported = frozenset(int(i) for i in json.loads(cached[:meta_end])["unsupported"])
            return CompiledDatabase(
                load_database(cached[meta_end + 1 :]), unsupported, load_encoded
            )
        except (ValueError, KeyError, TypeError, hyperscan.error):
            pass
    serialized, unsupported = compile_database(rules)
    meta = json.dumps({"unsupported": sorted(unsupported)}).encode()
    write_entry(name, meta + b"\n" + serialized)
    write_entry(encoded_name, compile_encoded(rules))
    return CompiledDatabase(load_database(serialized), unsupported, load_encoded)
