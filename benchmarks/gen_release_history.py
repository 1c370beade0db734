"""Build a git history of real code from a project's released source archives, one commit each.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/gen_release_history.py OUT.git ARCHIVE... [--list FILE]
        [--skip GLOB]...

Each ARCHIVE (.tar.gz, .tar.bz2, .tgz or .zip: a source distribution as `pip download
--no-deps --no-binary :all: NAME==VERSION` saves it) becomes one commit whose tree is that
archive's files, its top folder stripped, in the order given (`--list FILE`: one archive path a
line, added after the ARCHIVE arguments). The result is a bare repository of real code that grew
the way the project did: the same file at every release it changed in, so its blobs are what a
history audit of that project reads, without needing the project's own repository.

Blobs are hashed here and each is sent to `git fast-import` once: a file unchanged since an
earlier release is referred to by its object id, so twenty years of releases stream only what
changed.

`--skip GLOB` (repeatable, fnmatch against the path) leaves out files a source archive carries
but the project's repository does not, such as built documentation: for SQLAlchemy,
`--skip 'doc/*.html' --skip 'doc/*/*.html' --skip 'doc/*/*/*.html' --skip 'doc/_*'
--skip 'doc/searchindex.js'` keeps `doc/build/`, the sources the HTML is built from.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

EPOCH = 1_100_000_000
#: archives carry files this large only as generated data; a project's repository rarely does
MAX_FILE = 20 * 2**20


def members(archive: Path) -> Iterator[tuple[str, bytes, bool]]:
    """(path inside the archive's top folder, content, executable) of each regular file."""
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                if not info.is_dir() and info.file_size <= MAX_FILE:
                    executable = bool((info.external_attr >> 16) & 0o111)
                    yield info.filename, zipped.read(info), executable
        return
    with tarfile.open(archive) as tarred:
        for info in tarred:
            if info.isfile() and info.size <= MAX_FILE:
                handle = tarred.extractfile(info)
                if handle is not None:
                    yield info.name, handle.read(), bool(info.mode & 0o111)


def without_top(path: str) -> str | None:
    _, _, rest = path.partition("/")
    return rest or None


def blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def write_commit(
    stream: IO[bytes], archive: Path, number: int, known: set[str], skip: list[str]
) -> tuple[int, int]:
    """Stream one release as a commit; the new blobs' count and bytes."""
    lines: list[bytes] = []
    new = new_bytes = 0
    for name, content, executable in members(archive):
        path = without_top(name)
        if path is None or "\n" in path or path.startswith('"'):
            continue
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in skip):
            continue
        object_id = blob_id(content)
        if object_id not in known:
            known.add(object_id)
            new += 1
            new_bytes += len(content)
            stream.write(b"blob\ndata %d\n" % len(content) + content + b"\n")
        mode = b"100755" if executable else b"100644"
        lines.append(b"M " + mode + b" " + object_id.encode() + b" " + path.encode() + b"\n")
    message = f"Release {archive.name}".encode()
    when = EPOCH + number * 86_400
    stream.write(b"commit refs/heads/main\n")
    stream.write(b"committer Releaser <releases@example.invalid> %d +0000\n" % when)
    stream.write(b"data %d\n%s\n" % (len(message), message))
    stream.write(b"deleteall\n" + b"".join(lines) + b"\n")
    return new, new_bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the bare repository to create (must not exist)")
    parser.add_argument("archives", nargs="*", type=Path)
    parser.add_argument("--list", type=Path, help="a file naming one archive per line, in order")
    parser.add_argument("--skip", action="append", default=[], help="leave out paths matching")
    args = parser.parse_args(argv)
    archives: list[Path] = list(args.archives)
    if args.list:
        archives += [Path(line) for line in args.list.read_text().split("\n") if line.strip()]
    if not archives:
        parser.error("no archives")
    if args.out.exists():
        parser.error(f"{args.out} exists")
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(args.out)], check=True)
    started = time.perf_counter()
    importer = subprocess.Popen(
        ["git", "fast-import", "--quiet"], cwd=args.out, stdin=subprocess.PIPE
    )
    assert importer.stdin is not None
    known: set[str] = set()
    blobs = size = 0
    for number, archive in enumerate(archives):
        try:
            new, new_bytes = write_commit(importer.stdin, archive, number, known, args.skip)
        except (tarfile.TarError, zipfile.BadZipFile, OSError) as error:
            print(f"skipped {archive}: {error}", file=sys.stderr)
            continue
        blobs += new
        size += new_bytes
    importer.stdin.close()
    if importer.wait() != 0:
        print("git fast-import failed", file=sys.stderr)
        return 1
    print(
        f"{args.out}: {len(archives)} releases, {blobs} blobs, {size / 10**6:.0f} MB of blobs, "
        f"{time.perf_counter() - started:.0f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
