from __future__ import annotations

import hashlib

import pytest

from scanner.util.sha256 import sha256


@pytest.mark.parametrize("data", [b"", b"keyleak", bytes(range(256)) * 1000])
def test_the_digest_is_hashlibs(data: bytes) -> None:
    assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    incremental = sha256()
    incremental.update(data[:7])
    incremental.update(data[7:])
    assert incremental.hexdigest() == hashlib.sha256(data).hexdigest()
