"""Time `keyleak audit` of one local repository next to `keyleak history` of the same one.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/bench_audit_vs_history.py [REPO] [--runs 5] [--jobs 2]
        [--keyleak PATH]

REPO defaults to benchmarks/out/history.git (gitignored; make it with gen_history.py). Both
commands read it where it is, with the same `--jobs`, a JSON report to a temporary file and no
progress bar; each audit starts from an empty `--cache-dir`, so it scans the whole history
rather than reporting the repository unchanged. After one untimed warm-up of each (bytecode
written, rules compiled into the shared keyleak cache, page cache filled), the two alternate
--runs times, the first of each pair swapped every run. It prints median / min / max wall
seconds and median CPU seconds (user + system, child processes included) of each, and the
ratio of the audit's median to the history's: an audit of one repository should cost what a
history scan of it costs. It checks that both reports hold the same findings. Exit status: 0 if
they do, 1 if not, 2 if a command failed.

The machine is shared and noisy: compare the ratio from one run of this script.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import bench_history  # beside this script: run it as benchmarks/bench_audit_vs_history.py

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REPO = ROOT / "benchmarks" / "out" / "history.git"


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of `command`, which exits 0 or 1 (findings)."""
    elapsed, cpu, _ = bench_history.timed(command, ok=(0, 1))
    return elapsed, cpu


def fingerprints(report: Path) -> list[str]:
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    return sorted(finding["fingerprint"] for finding in findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", nargs="?", type=Path, default=DEFAULT_REPO)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keyleak", default=bench_history.default_keyleak())
    args = parser.parse_args()
    if not args.repo.exists():
        print(f"{args.repo}: no such repository: run benchmarks/gen_history.py", file=sys.stderr)
        return 2
    repo = str(args.repo.resolve())
    common = ["--format", "json", "--no-redact", "--no-progress", "-j", str(args.jobs)]

    with tempfile.TemporaryDirectory(prefix="keyleak-bench-audit-") as scratch:
        reports = {"history": Path(scratch, "history.json"), "audit": Path(scratch, "audit.json")}

        def command(name: str, run: int) -> list[str]:
            if name == "history":
                return [args.keyleak, "history", repo, *common, "-o", str(reports[name])]
            cache = Path(scratch, f"cache-{run}")  # empty: the audit scans, never "unchanged"
            return [
                *(args.keyleak, "audit", repo, *common),
                *("-o", str(reports[name]), "--cache-dir", str(cache)),
            ]

        for name in reports:  # warm-up, untimed
            timed(command(name, -1))
        wall: dict[str, list[float]] = {name: [] for name in reports}
        cpu: dict[str, list[float]] = {name: [] for name in reports}
        for run in range(args.runs):
            order = ["history", "audit"] if run % 2 == 0 else ["audit", "history"]
            for name in order:
                seconds, used = timed(command(name, run))
                wall[name].append(seconds)
                cpu[name].append(used)
        same = fingerprints(reports["history"]) == fingerprints(reports["audit"])

    print(f"{args.repo}, -j {args.jobs}, {args.runs} alternating runs")
    for name in reports:
        times = wall[name]
        print(
            f"keyleak {name:<8} median {statistics.median(times):7.2f}s  "
            f"min {min(times):7.2f}s  max {max(times):7.2f}s  "
            f"CPU {statistics.median(cpu[name]):7.2f}s"
        )
    ratio = statistics.median(wall["audit"]) / statistics.median(wall["history"])
    print(f"audit / history: {ratio:.2f}x")
    print("same findings" if same else "the two reports hold different findings")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
