"""What the last audit learned of each repository, so the next one can skip those unchanged.

One JSON file per repository under `<cache>/state/`, replaced atomically as soon as that
repository's audit is done: an interrupted audit keeps everything finished so far, and an audit
of thousands of repositories never rewrites more than one repository's entry at a time. The
files hold findings with their secrets, so they are readable by their owner only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from scanner.model import ScanResult
from scanner.org.codec import result_from_json, result_to_json
from scanner.org.targets import Target
from scanner.org.task import Previous
from scanner.util.atomic import replace_file

#: 2: histories say whether a secret is still present, and where each ref dropped it
STATE_FORMAT = 2


@dataclass(frozen=True)
class Stored:
    """A repository's last completed audit: its tips and signature, and what it found."""

    previous: Previous
    result: ScanResult


def state_path(cache_dir: Path, target: Target) -> Path:
    return cache_dir / "state" / f"{target.slug}.json"


def load(cache_dir: Path, target: Target) -> Stored | None:
    """The stored audit; None when there is none, or it cannot be read (the repository is then
    simply scanned again)."""
    try:
        document = json.loads(state_path(cache_dir, target).read_bytes())
        if document.get("keyleak_audit_state") != STATE_FORMAT or document["key"] != target.key:
            return None
        tips = tuple(sorted((name, oid) for name, oid in document["tips"].items()))
        return Stored(Previous(tips, document["signature"]), result_from_json(document["result"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(cache_dir: Path, target: Target, stored: Stored) -> None:
    """Raises OSError."""
    document = {
        "keyleak_audit_state": STATE_FORMAT,
        "key": target.key,
        "name": target.name,
        "url": target.url,
        "tips": dict(stored.previous.tips),
        "signature": stored.previous.signature,
        "result": result_to_json(stored.result),
    }
    path = state_path(cache_dir, target)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # ASCII: a file name that is not UTF-8 (a lone surrogate here) survives as an escape
    data = json.dumps(document).encode("ascii")
    replace_file(path, data, 0o600)
