"""The gits that stream a history map bounded windows of the pack, whatever its size.

git maps pack files whole by default (windows of 1 GB, up to 8 GB): reading every object of a
1.1 GB pack left that much resident in each reader. An audited repository's config cannot
raise the bounds: `-c` on the command line wins over it.
"""

from __future__ import annotations

import os
from pathlib import Path

from scanner import git as scanner_git
from tests.conftest import git
from tests.repos import commit


def streamed_config(repo: Path, key: str) -> str:
    """`key` as a git started by `scanner.git.spawn` sees it."""
    process = scanner_git.spawn(["config", "--get", key], repo)
    assert process.stdout is not None
    value = process.stdout.read().decode().strip()
    scanner_git.finish(process)
    return value


def test_streamed_gits_map_bounded_pack_windows(repo: Path) -> None:
    # the audited repository asks for whole packs in memory: it is not obeyed
    git(repo, "config", "core.packedGitLimit", "64g")
    git(repo, "config", "core.packedGitWindowSize", "1g")
    git(repo, "config", "core.deltaBaseCacheLimit", "8g")
    assert streamed_config(repo, "core.packedGitLimit") == scanner_git.PACK_LIMIT
    assert streamed_config(repo, "core.packedGitWindowSize") == scanner_git.PACK_WINDOW
    assert streamed_config(repo, "core.deltaBaseCacheLimit") == scanner_git.DELTA_CACHE


def test_a_blob_larger_than_a_pack_window_reads_whole(repo: Path) -> None:
    # incompressible, so that the packed object spans more than one window
    content = os.urandom(9 << 20)
    commit(repo, {"big.bin": content, "small.txt": "text\n"}, "add")
    git(repo, "gc", "-q")
    oids = git(repo, "ls-tree", "HEAD").stdout.split()[2::4]
    reader = scanner_git.BlobReader(repo)
    try:
        read = dict(reader.read(oids))
    finally:
        reader.close()
    assert sorted(read.values(), key=len) == [b"text\n", content]
