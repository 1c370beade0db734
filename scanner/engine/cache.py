"""The compiled Hyperscan database, cached on disk so a pre-commit run never recompiles.

The key covers everything the database depends on: the rule files' content, the Hyperscan
library version, the machine architecture and the format of the database's expressions.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence

import hyperscan

from scanner.cache import read_entry, write_entry
from scanner.engine.hs import CompiledDatabase, compile_database, load_database
from scanner.model import Rule

#: bump when the database's expressions change (6: base64 hints, the `kind: Secret` line and the
#: base64 forms of the keywords, once and twice encoded, instead of the keywords)
DATABASE_FORMAT = 6


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


def load_or_compile(rules: Sequence[Rule], rules_digest: str) -> CompiledDatabase:
    name = entry_name(rules_digest)
    cached = read_entry(name)
    if cached is not None:
        meta_end = cached.find(b"\n")
        try:
            unsupported = frozenset(int(i) for i in json.loads(cached[:meta_end])["unsupported"])
            return CompiledDatabase(load_database(cached[meta_end + 1 :]), unsupported)
        except (ValueError, KeyError, TypeError, hyperscan.error):
            pass
    serialized, unsupported = compile_database(rules)
    meta = json.dumps({"unsupported": sorted(unsupported)}).encode()
    write_entry(name, meta + b"\n" + serialized)
    return CompiledDatabase(load_database(serialized), unsupported)
