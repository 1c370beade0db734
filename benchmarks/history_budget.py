"""Where `keyleak history REPO` spends its time: a stage budget of a history scan.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/history_budget.py REPO [--python PYTHON] [--runs 5] [--jobs 2]

PYTHON is the interpreter of the keyleak to measure (default: this one); time an installed,
compiled venv (see docs/benchmarks.md), run without PYTHONDONTWRITEBYTECODE.

Each run is the real command (`keyleak history REPO --format json -o /dev/null -j N`) in a
probe that marks, in the parent, when each stage ends, in wall and CPU milliseconds (user +
system of the parent alone): imports, command (the CLI, options, config, git checks), rules,
listing (up to the first batches listed), matcher (the Hyperscan databases the workers share),
workers (forked), first batch (until its outcome is back), scan (the rest of the blobs), refs
(HEAD, the ref tips: read once the scan is over, or what is left of reading them meanwhile),
attribution (the commit log walked), tags, finish (the report). Beside them, each worker's own
CPU and its git's, and the whole command's wall and CPU (every process).
The stages before the first batch and after the scan are the fixed cost, which a small
history pays as a large one does. Medians of --runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from tree_budget import timed

PROBE = r"""
import json, os, resource, sys, time

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

start = [cpu(), time.perf_counter()]
marks = []

def mark(name):
    now = cpu(), time.perf_counter()
    marks.append((name, (now[0] - start[0]) * 1000, (now[1] - start[1]) * 1000))

repo, jobs = sys.argv[1], sys.argv[2]
sys.argv = ["keyleak", "history", repo, "--format", "json", "--no-progress", "-o", os.devnull,
            "-j", jobs]
import scanner.cli, scanner.commands.history
from scanner import entry
mark("imports")
from scanner.pipeline import blob_workers, history_scan
from scanner.commands import history as command

def before(module, name, stage):
    function = getattr(module, name)
    def wrapped(*args, **kwargs):
        mark(stage)
        return function(*args, **kwargs)
    setattr(module, name, wrapped)

def after(module, name, stage):
    function = getattr(module, name)
    def wrapped(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            mark(stage)
    setattr(module, name, wrapped)

before(history_scan, "configured_scanner", "command")
after(history_scan, "configured_scanner", "rules")
before(blob_workers, "workers", "listing")
scanner_type = history_scan.Scanner
after(scanner_type, "volume_matcher", "matcher")
after(blob_workers, "workers", "workers")
run = blob_workers.Pool.run
def pool_run(self, tasks):
    first = True
    for outcome in run(self, tasks):
        if first:
            mark("first batch")
            first = False
        yield outcome
    mark("scan")
blob_workers.Pool.run = pool_run
serial_run = blob_workers.Serial.run
def serial(self, tasks):
    first = True
    for outcome in serial_run(self, tasks):
        if first:
            mark("matcher")
            mark("workers")
            mark("first batch")
            first = False
        yield outcome
    mark("scan")
blob_workers.Serial.run = serial
try:  # read by a thread while the workers scan: what is left is waiting for it
    from scanner.pipeline import read_ahead
    after(read_ahead.Background, "result", "refs")
except ImportError:  # read once the scan is over
    after(history_scan.git, "ref_held_blobs", "refs")
after(history_scan, "attribute", "attribution")
before(command, "finish", "tags")
after(command, "finish", "finish")
serve = blob_workers.serve
def served(*args, **kwargs):
    try:
        serve(*args, **kwargs)
    finally:
        own, git = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
            resource.RUSAGE_CHILDREN)
        times = [(own.ru_utime + own.ru_stime) * 1000, (git.ru_utime + git.ru_stime) * 1000]
        # one write: two workers ending together must not mix their lines
        os.write(2, f"WORKER {json.dumps(times)}\n".encode())
blob_workers.serve = served
leave = os._exit
def leaving(code):
    print("BUDGET", json.dumps(marks), file=sys.stderr)
    sys.stderr.flush()
    leave(code)
os._exit = leaving
entry.main()
"""

ORDER = [
    "imports",
    "command",
    "rules",
    "listing",
    "matcher",
    "workers",
    "first batch",
    "scan",
    "refs",
    "attribution",
    "tags",
    "finish",
]


def stages_of(stderr: str) -> tuple[dict[str, tuple[float, float]], list[list[float]]]:
    """Each stage's own (CPU ms, wall ms) from the probe's marks, and each worker's CPU ms
    (its own, its git's)."""
    lines = [line for line in stderr.splitlines() if line.startswith("BUDGET ")]
    if not lines:
        sys.exit(f"the probe failed:\n{stderr[-2000:]}")
    marks = json.loads(lines[-1].removeprefix("BUDGET "))
    stages: dict[str, tuple[float, float]] = {}
    cpu = wall = 0.0
    for name, at_cpu, at_wall in marks:
        if name in stages:
            continue  # a mark passed twice (the first of two markers wins)
        stages[name] = (at_cpu - cpu, at_wall - wall)
        cpu, wall = at_cpu, at_wall
    workers = [
        json.loads(line.removeprefix("WORKER "))
        for line in stderr.splitlines()
        if line.startswith("WORKER ")
    ]
    return stages, workers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--python", default=sys.executable, help="the keyleak's interpreter")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    repo = str(args.repo.resolve())
    # isolated: `-c` would put the working directory first on the path, and a run from the
    # project root would time its `scanner`, not the one PYTHON has installed
    probe = [args.python, "-I", "-c", PROBE, repo, str(args.jobs)]
    timed(probe)  # warm-up: the page cache, keyleak's caches
    stages: dict[str, list[tuple[float, float]]] = {}
    workers: list[list[float]] = []
    whole: list[tuple[float, float]] = []
    for _ in range(args.runs):
        cpu, wall, err = timed(probe)
        whole.append((cpu, wall))
        run_stages, run_workers = stages_of(err)
        for name, value in run_stages.items():
            stages.setdefault(name, []).append(value)
        workers.extend(run_workers)
    print(f"history: {repo}  jobs: {args.jobs}  runs: {args.runs}  load: {os.getloadavg()}")
    print(f"{'stage (parent)':<16}{'cpu ms':>9}{'wall ms':>9}")
    fixed_cpu = fixed_wall = 0.0
    for name in [*ORDER, *(n for n in stages if n not in ORDER)]:
        if name not in stages:
            continue
        cpu = statistics.median(c for c, _ in stages[name])
        wall = statistics.median(w for _, w in stages[name])
        if name not in ("first batch", "scan"):
            fixed_cpu, fixed_wall = fixed_cpu + cpu, fixed_wall + wall
        print(f"{name:<16}{cpu:>9.1f}{wall:>9.1f}")
    print(f"{'fixed (sum)':<16}{fixed_cpu:>9.1f}{fixed_wall:>9.1f}  all but first batch and scan")
    if workers:
        own = statistics.median(w[0] for w in workers)
        git = statistics.median(w[1] for w in workers)
        print(f"{'each worker':<16}{own:>9.1f}{'':>9}  its git: {git:.1f} cpu ms")
    cpu = statistics.median(c for c, _ in whole)
    wall = statistics.median(w for _, w in whole)
    print(f"{'whole command':<16}{cpu:>9.1f}{wall:>9.1f}  every process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
