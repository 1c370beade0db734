"""Time `keyleak scan` over a generated tree next to `cat` of the same files; check recall.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/bench_scan.py [TREE] [--runs 5] [--jobs N] [--keyleak PATH]

TREE defaults to benchmarks/out/tree (gitignored). If it does not exist it is generated first by
gen_tree.py (--size-mb, default 200, and --seed); its manifest of planted keys is read from
TREE.manifest.json.

After one untimed warm-up of each (which also fills the page cache), the script alternates N
times (a) `find TREE -type f -print0 | xargs -0 cat > /dev/null`, the floor set by reading the
files, and (b) `keyleak scan TREE --format json --output TMP [--jobs N]`, which exits 1 when it
finds secrets (expected here). It prints median / min / max wall seconds, MB/s (MB = 10**6
bytes), the ratio of the medians to cat and the median CPU seconds (user + system, of every
process of the command). The machine is noisy: compare medians and ratios
from one run of this script, not timings across runs.

Then it reads the last JSON report (top-level "findings", each with location.path and
location.line) and checks that every planted key was found at its path and line: it prints
found/planted, per kind, what was missed and the findings that are not planted keys. Exit
status: 0 if every planted key was found, 1 if not (or the report could not be read), 2 if
keyleak failed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import gen_tree
import peers

ROOT = Path(__file__).resolve().parents[1]
#: CPU seconds of the last command `timed` ran: on a shared machine, steadier than wall time
LAST_CPU = [0.0]


def default_keyleak() -> str:
    found = shutil.which("keyleak")
    return found if found else str(ROOT / ".venv" / "bin" / "keyleak")


def tree_stats(tree: Path) -> tuple[int, int]:
    """Return (number of regular files, total bytes) under tree."""
    files = size = 0
    for dirpath, _dirs, names in os.walk(tree):
        for name in names:
            st = os.lstat(os.path.join(dirpath, name))
            files += 1
            size += st.st_size
    return files, size


def children_cpu() -> float:
    """CPU seconds (user + system) of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    cmd: list[str] | str, ok: tuple[int, ...]
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run cmd, return (wall seconds, result); exit with its stderr if the code is not in ok.
    Its CPU seconds (its own processes' too, once they are waited for) go to LAST_CPU."""
    start, cpu = time.perf_counter(), children_cpu()
    proc = subprocess.run(
        cmd, shell=isinstance(cmd, str), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    LAST_CPU[0] = children_cpu() - cpu
    if proc.returncode not in ok:
        shown = cmd if isinstance(cmd, str) else shlex.join(cmd)
        print(f"command failed with exit {proc.returncode}: {shown}", file=sys.stderr)
        print(proc.stderr[-4000:], file=sys.stderr)
        sys.exit(2)
    return elapsed, proc


# --------------------------------------------------------------------------- recall


def finding_location(finding: Any) -> tuple[str, int] | None:
    """(path, line) of a finding, tolerating a few plausible shapes."""
    if not isinstance(finding, dict):
        return None
    loc = finding.get("location")
    loc = loc if isinstance(loc, dict) else finding
    path = loc.get("path", loc.get("file"))
    line = loc.get("line", loc.get("line_number"))
    if not isinstance(path, str) or not isinstance(line, int):
        return None
    return path, line


def tree_relative(path: str, tree: Path, cwd: Path) -> str:
    """The path relative to the tree root, whether keyleak printed it relative to the cwd, to
    the scanned directory, or absolute. Falls back to the path as printed."""
    for base in (cwd, tree):
        full = Path(os.path.realpath(base / path))
        if full.is_relative_to(tree) and full.exists():
            return full.relative_to(tree).as_posix()
    return path


def check_recall(report: Path, manifest: dict[str, Any], tree: Path, cwd: Path) -> bool:
    planted = {(p["path"], p["line"]): p["kind"] for p in manifest["planted"]}
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"RECALL: cannot read the JSON report {report}: {exc}")
        return False
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        print(f"RECALL: the report has no top-level 'findings' list (top level: {keys})")
        return False

    found: Counter[tuple[str, int]] = Counter()
    extra: list[str] = []
    unreadable = 0
    for finding in findings:
        loc = finding_location(finding)
        if loc is None:
            unreadable += 1
            if unreadable == 1:
                shape = sorted(finding) if isinstance(finding, dict) else type(finding).__name__
                print(f"RECALL: a finding without location.path/location.line: keys {shape}")
            continue
        key = (tree_relative(loc[0], tree, cwd), loc[1])
        found[key] += 1
        if key not in planted:
            rule = finding.get("rule_id", "?")
            extra.append(f"{key[0]}:{key[1]} ({rule})")

    hit = [k for k in planted if k in found]
    missed = [k for k in planted if k not in found]
    print(f"\nrecall: {len(hit)}/{len(planted)} planted keys found ({len(findings)} findings)")
    by_kind_all = Counter(planted.values())
    by_kind_hit = Counter(planted[k] for k in hit)
    for kind in sorted(by_kind_all):
        print(f"  {kind:<20} {by_kind_hit[kind]:>4}/{by_kind_all[kind]}")
    if missed:
        print(f"missed ({len(missed)}, first 10):")
        for path, line in missed[:10]:
            print(f"  {path}:{line}  {planted[(path, line)]}")
    dup = sum(n - 1 for k, n in found.items() if k in planted and n > 1)
    if dup:
        print(f"{dup} extra findings on planted lines (more than one finding for a key)")
    if extra:
        print(f"{len(extra)} findings not on a planted line (first 10):")
        for text in extra[:10]:
            print(f"  {text}")
    if unreadable:
        print(f"{unreadable} findings had no readable location")
    return not missed and not unreadable


# --------------------------------------------------------------------------- main


def run(args: argparse.Namespace, tree: Path, keyleak: str, tmpdir: Path) -> int:
    """Time both commands, print the table, check recall; return the exit status."""
    files, size = tree_stats(tree)
    mb = size / 1e6
    report: Path = args.report or tmpdir / "report.json"
    cat_cmd = f"find {shlex.quote(str(tree))} -type f -print0 | xargs -0 cat > /dev/null"

    # no project config: keyleak's own pyproject.toml leaves benchmarks/out/ unscanned
    empty_config = tmpdir / "empty.toml"
    empty_config.write_text("", encoding="utf-8")

    def scan_command(executable: str, output: Path) -> list[str]:
        command = [executable, "scan", str(tree), "--format", "json", "--output", str(output)]
        command += ["--config", str(empty_config)]
        return command + (["--jobs", str(args.jobs)] if args.jobs is not None else [])

    scan_cmd = scan_command(keyleak, report)
    baseline_report = tmpdir / "baseline-report.json"
    baseline_cmd = None
    if args.baseline_keyleak is not None:
        baseline_cmd = scan_command(str(args.baseline_keyleak), baseline_report)

    def run_cat() -> float:
        return timed(cat_cmd, ok=(0,))[0]

    def run_scan(command: list[str] = scan_cmd, written: Path = report) -> float:
        written.unlink(missing_ok=True)
        elapsed, _ = timed(command, ok=(0, 1))
        if not written.exists():
            print(f"keyleak wrote no report at {written}", file=sys.stderr)
            sys.exit(2)
        return elapsed

    runners = {"cat": run_cat, "keyleak": run_scan}
    if baseline_cmd is not None:
        runners["baseline"] = lambda: run_scan(baseline_cmd, baseline_report)
    betterleaks = peers.checked(args.betterleaks)
    if betterleaks is not None:
        peer_cmd = peers.tree(betterleaks, tree)
        runners["betterleaks"] = lambda: timed(peer_cmd, ok=(0,))[0]

    print(f"tree: {tree}  {files} files  {mb:.1f} MB  (MB = 10**6 bytes)")
    print(f"keyleak: {shlex.join(scan_cmd)}")
    print(f"cpus: {os.cpu_count()}  runs: {args.runs} each, alternating, after one warm-up")
    for warm_up in runners.values():  # the page cache, the rules' and databases' caches
        warm_up()
    names = list(runners)
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for i in range(args.runs):
        # each command goes first in turn, so that none always follows the same one
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(runners[name]())
            cpu[name].append(LAST_CPU[0])

    base = statistics.median(times["cat"])
    print(f"\n{'':<16}{'median s':>10}{'min s':>9}{'max s':>9}{'MB/s':>10}{'x cat':>8}{'cpu s':>8}")
    labels = {
        "cat": "cat",
        "keyleak": "keyleak scan",
        "baseline": "baseline scan",
        "betterleaks": "betterleaks fs",
    }
    for name in names:
        med = statistics.median(times[name])
        print(
            f"{labels[name]:<16}{med:>10.3f}{min(times[name]):>9.3f}{max(times[name]):>9.3f}"
            f"{mb / med:>10.1f}{med / base:>8.2f}{statistics.median(cpu[name]):>8.3f}"
        )
    if baseline_cmd is not None:
        ratio = statistics.median(times["keyleak"]) / statistics.median(times["baseline"])
        cpu_ratio = statistics.median(cpu["keyleak"]) / statistics.median(cpu["baseline"])
        print(f"keyleak / baseline: {ratio:.3f} wall, {cpu_ratio:.3f} cpu (medians)")
    if betterleaks is not None:
        ratio = statistics.median(times["keyleak"]) / statistics.median(times["betterleaks"])
        cpu_ratio = statistics.median(cpu["keyleak"]) / statistics.median(cpu["betterleaks"])
        print(
            f"keyleak / betterleaks: {ratio:.3f} wall, {cpu_ratio:.3f} cpu (medians); "
            + peers.load()
        )
    try:
        stats = json.loads(report.read_text(encoding="utf-8")).get("stats")
        if stats:
            print(f"keyleak stats: {json.dumps(stats)[:400]}")
    except (OSError, ValueError, AttributeError):
        pass

    manifest_file = gen_tree.manifest_path(tree)
    if not manifest_file.exists():
        print(f"\nno manifest at {manifest_file}: recall not checked")
        return 0
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    return 0 if check_recall(report, manifest, tree.resolve(), Path.cwd()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", nargs="?", type=Path, default=ROOT / "benchmarks" / "out" / "tree")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--jobs", type=int, help="passed to keyleak scan --jobs")
    parser.add_argument("--keyleak", default=default_keyleak(), help="keyleak executable")
    parser.add_argument(
        "--baseline-keyleak",
        type=Path,
        metavar="PATH",
        help="another keyleak (the previous commit's, say) timed in the same rotation",
    )
    parser.add_argument("--size-mb", type=float, default=200.0, help="size if TREE is generated")
    parser.add_argument("--seed", type=int, default=1, help="seed if TREE is generated")
    parser.add_argument("--report", type=Path, help="keep keyleak's last JSON report here")
    peers.add_argument(parser)
    args = parser.parse_args(argv)

    tree: Path = args.tree
    if not tree.exists():
        print(f"{tree} does not exist: generating it ({args.size_mb:g} MB, seed {args.seed})")
        gen_tree.main([str(tree), "--size-mb", str(args.size_mb), "--seed", str(args.seed)])
    keyleak = shutil.which(args.keyleak) or args.keyleak
    if not os.access(keyleak, os.X_OK):
        print(f"keyleak executable not found: {args.keyleak} (use --keyleak)", file=sys.stderr)
        return 2

    tmpdir = Path(tempfile.mkdtemp(prefix="keyleak-bench-"))
    try:
        return run(args, tree, keyleak, tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
