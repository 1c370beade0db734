"""keyleak's cache entries: checked when read, never shared with another format's."""

from __future__ import annotations

import pytest

from scanner.util.disk_cache import (
    MAGIC,
    cache_dir,
    entry_path,
    read_entry,
    read_self_checked,
    write_entry,
)


def test_an_entry_reads_back_as_written() -> None:
    write_entry("demo", b"payload\nwith lines")
    assert read_entry("demo") == b"payload\nwith lines"
    assert entry_path("demo").read_bytes().startswith(MAGIC + b"\n")


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[:-1],
        lambda blob: blob[:-2] + bytes([blob[-2] ^ 1]) + blob[-1:],
        lambda blob: blob + b"x",
        lambda blob: b"",
        lambda blob: blob.replace(MAGIC, b"keyleak-cache-0", 1),
    ],
    ids=["truncated", "flipped-bit", "longer", "empty", "other-format"],
)
def test_a_damaged_entry_is_not_read(damage) -> None:  # type: ignore[no-untyped-def]
    write_entry("demo", b"0123456789" * 1000)
    path = entry_path("demo")
    path.write_bytes(damage(path.read_bytes()))
    assert read_entry("demo") is None


def test_another_formats_entry_of_the_same_name_is_left_alone() -> None:
    """Two keyleak versions sharing a cache directory (one installed, one being tried) each
    keep their own entries, rather than rebuilding the other's every run."""
    other = cache_dir() / "hsdb-demo"
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_bytes(b"keyleak-cache-1\nabc\nanother version's database")
    assert read_entry("hsdb-demo") is None
    write_entry("hsdb-demo", b"this version's database")
    assert read_entry("hsdb-demo") == b"this version's database"
    assert other.read_bytes() == b"keyleak-cache-1\nabc\nanother version's database"


def test_a_self_checked_entry_is_read_without_its_checksum_but_with_its_header() -> None:
    """For payloads that check themselves as they are used (Hyperscan databases): only what
    they cannot check, the format and an empty payload, is checked here."""
    write_entry("demo", b"0123456789" * 1000)
    assert read_self_checked("demo") == b"0123456789" * 1000
    path = entry_path("demo")
    blob = path.read_bytes()
    path.write_bytes(blob[:-1])
    assert read_self_checked("demo") == (b"0123456789" * 1000)[:-1], "left to the payload"
    path.write_bytes(blob.replace(MAGIC, b"keyleak-cache-0", 1))
    assert read_self_checked("demo") is None
    path.write_bytes(blob[: blob.index(b"\n", len(MAGIC) + 1) + 1])
    assert read_self_checked("demo") is None, "an empty payload, but not the one written"
    write_entry("demo", b"")
    assert read_self_checked("demo") == b""
    path.unlink()
    assert read_self_checked("demo") is None
