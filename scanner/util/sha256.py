"""SHA-256 without loading OpenSSL: `hashlib` loads it on import, about 2 ms of every hook run,
which needs only a few short digests (cache keys). CPython 3.11 has its own SHA-256 as
`_sha256`; elsewhere (3.12 renamed it) `hashlib`'s is used. Both give the same digests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:
        from _sha256 import sha256
    except ImportError:  # Python 3.12 and later
        from hashlib import sha256

__all__ = ["sha256"]
