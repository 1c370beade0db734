"""Where `keyleak scan DIR` spends its time: a stage budget of a tree scan.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/tree_budget.py TREE [--python PYTHON] [--runs 7] [--jobs 2]

PYTHON is the interpreter of the keyleak to measure (default: this one); time an installed,
compiled venv (see docs/benchmarks.md), run without PYTHONDONTWRITEBYTECODE.

Each run is a fresh process that goes through the stages a scan of TREE goes through, one after
the other, timing each in CPU milliseconds (user + system, steadier than wall time on a shared
machine) and wall milliseconds: imports (what a plain `keyleak scan` imports), rules (the rule packs
and the config's, from the cache), walk (the files git lists, or the directory's), matcher (the
Hyperscan databases a volume scan uses, and the confirmation code), read (every file), match
(every file's chunk through the matcher, findings made: one process's whole share, cold, as
the first files of a scan find it), finish (allowlists, baseline, a JSON report to /dev/null).
Beside them: the interpreter's own start (`python -c pass`) and the whole command with
--jobs 1 and --jobs N, CPU of every process included. Medians of --runs, alternating.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROBE = r"""
import json, os, resource, sys, time
from pathlib import Path

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

stages = {}
mark = [cpu(), time.perf_counter()]

def stage(name):
    now = cpu(), time.perf_counter()
    stages[name] = ((now[0] - mark[0]) * 1000, (now[1] - mark[1]) * 1000)
    mark[:] = now

# what the command imports: a plain command line without click (where that keyleak can)
from scanner.model import dataclasses_module
dataclasses_module()
try:
    import scanner.commands.plain_scan
except ImportError:
    import scanner.cli
import scanner.commands.scan
stage("imports")
from functools import partial
from scanner.config.project import load_config
from scanner.config.settings import ScanOptions
from scanner.model import Chunk
from scanner.pipeline.finish import finish
from scanner.pipeline.run import configured_scanner, run_scan
from scanner.sources.named_files import read_file
from scanner.sources.worktree import Filters, walk

tree = sys.argv[1]
options = ScanOptions(config=load_config(Path(sys.argv[2])), format="json", output=os.devnull)
scanner = configured_scanner(options, partial(read_file, max_size=options.max_file_size))
stage("rules")
items = list(walk([tree], Filters(ignore=True), root=options.config.root))
stage("walk")
matcher = scanner.volume_matcher()
from scanner.match import confirm
stage("matcher")
chunks = [read_file(i, options.max_file_size) if isinstance(i, str) else i for i in items]
stage("read")
result = run_scan(scanner, chunks, jobs=1)
stage("match")
finish(result, options, "file", tree)
stage("finish")
print("BUDGET", json.dumps({"stages": stages, "bytes": result.bytes_scanned}), file=sys.stderr)
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> tuple[float, float, str]:
    """CPU ms (every process of the command), wall ms and stderr of one run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before, start = children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = (time.perf_counter() - start) * 1000
    if done.returncode not in (0, 1):
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return (children_cpu() - before) * 1000, wall, done.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--python", default=sys.executable, help="the keyleak's interpreter")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2, help="the parallel command's --jobs")
    args = parser.parse_args(argv)
    tree = str(args.tree.resolve())
    empty = Path("/tmp/keyleak-budget-empty.toml")
    empty.write_text("", encoding="utf-8")
    # -P: run from the project root, `-m` and `-c` would import its keyleak, not PYTHON's
    scan = [args.python, "-P", "-m", "scanner", "scan", tree, "--format", "json", "-o", os.devnull]
    scan += ["--config", str(empty)]
    commands = {
        "probe": [args.python, "-P", "-c", PROBE, tree, str(empty)],
        "interpreter": [args.python, "-P", "-c", "pass"],
        "scan --jobs 1": [*scan, "--jobs", "1"],
        f"scan --jobs {args.jobs}": [*scan, "--jobs", str(args.jobs)],
    }
    for command in commands.values():  # warm-up: the page cache, keyleak's caches
        timed(command)
    stages: dict[str, list[tuple[float, float]]] = {}
    size = 0
    for run in range(args.runs):
        names = list(commands)
        for name in names[run % len(names) :] + names[: run % len(names)]:
            cpu, wall, err = timed(commands[name])
            if name == "probe":
                lines = [line for line in err.splitlines() if line.startswith("BUDGET ")]
                if not lines:
                    sys.exit(f"the probe failed:\n{err[-2000:]}")
                probe = json.loads(lines[0].removeprefix("BUDGET "))
                size = probe["bytes"]
                for stage, (stage_cpu, stage_wall) in probe["stages"].items():
                    stages.setdefault(stage, []).append((stage_cpu, stage_wall))
            else:
                stages.setdefault(name, []).append((cpu, wall))
    whole = statistics.median(cpu for cpu, _ in stages["scan --jobs 1"])
    print(f"tree: {tree}  {size / 1e6:.1f} MB scanned  runs: {args.runs}  load: {os.getloadavg()}")
    print(f"{'stage':<16}{'cpu ms':>9}{'wall ms':>9}{'of jobs 1':>11}{'MB/s cpu':>10}")
    order = ["interpreter", "imports", "rules", "walk", "matcher", "read", "match", "finish"]
    for name in [*order, *(n for n in stages if n not in order)]:
        cpu = statistics.median(c for c, _ in stages[name])
        wall = statistics.median(w for _, w in stages[name])
        rate = f"{size / 1e3 / cpu:>10.0f}" if name in ("read", "match") else ""
        print(f"{name:<16}{cpu:>9.1f}{wall:>9.1f}{cpu / whole:>10.0%}{rate}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
