"""Time and peak memory of `keyleak scan` on two hostile shapes, next to reading the same bytes.

Run by hand from the project root (never from the test suite):

    .venv/bin/python benchmarks/bench_hostile.py [--runs 5] [--out DIR]

1. a tree of 100,000 small files (100 directories of 1,000), one of them holding a key;
2. one file of a single 50 MB line with a key at its very end.

For each, N alternating runs of the floor (`find | xargs cat` for the tree, `cat` for the line)
and `keyleak scan`; it prints the median wall time of both, their ratio, and keyleak's peak RSS
(the largest `ru_maxrss` of the keyleak process tree, from wait4). The machine is noisy: compare
the ratio and medians of one run, not timings across runs.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = "T3Blbk" + "FJ"


def random_key(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits
    half = "".join(rng.choice(alphabet) for _ in range(74))
    other = "".join(rng.choice(alphabet) for _ in range(74))
    return f"sk-proj-{half}{MARKER}{other}"


def build_tree(root: Path, rng: random.Random) -> None:
    for directory in range(100):
        folder = root / f"d{directory:03}"
        folder.mkdir(parents=True)
        for number in range(1000):
            (folder / f"f{number:04}.txt").write_bytes(b"value = %d\n" % number)
    (root / "d042" / "f0420.txt").write_text(f"KEY={random_key(rng)}\n")


def build_long_line(path: Path, rng: random.Random) -> None:
    filler = b"abcdefghijklmnopqrstuvwxyz0123456789+/=" * (50 * 1024**2 // 39)
    path.write_bytes(filler + f';k="{random_key(rng)}"'.encode())


def timed(command: list[str]) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS in KiB of the command and its children."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    return elapsed, os.waitstatus_to_exitcode(status), usage.ru_maxrss


def compare(label: str, floor: list[str], keyleak: list[str], runs: int) -> None:
    timed(floor)
    timed(keyleak)
    floors: list[float] = []
    scans: list[float] = []
    peak = 0
    codes: set[int] = set()
    for _ in range(runs):
        floors.append(timed(floor)[0])
        seconds, code, rss = timed(keyleak)
        scans.append(seconds)
        codes.add(code)
        peak = max(peak, rss)
    floor_median, scan_median = statistics.median(floors), statistics.median(scans)
    print(
        f"{label}: floor {floor_median:.3f} s, keyleak {scan_median:.3f} s "
        f"({scan_median / floor_median:.1f}x), peak RSS {peak / 1024:.0f} MiB, "
        f"exit codes {sorted(codes)} (1 = the planted key was found)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keyleak", default=str(ROOT / ".venv" / "bin" / "keyleak"))
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="keyleak-hostile-"))
    rng = random.Random(8)
    tree, line = out / "many", out / "line.js"
    if not tree.exists():
        build_tree(tree, rng)
    if not line.exists():
        build_long_line(line, rng)
    cat_tree = ["sh", "-c", f"find {tree} -type f -print0 | xargs -0 cat > /dev/null"]
    compare(
        "100,000 files", cat_tree, [args.keyleak, "scan", str(tree), "-o", os.devnull], args.runs
    )
    long_line_scan = [args.keyleak, "scan", str(line), "--max-file-size", "60M", "-o", os.devnull]
    compare("50 MB line", ["cat", str(line)], long_line_scan, args.runs)
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    sys.exit(main())
