"""Time `keyleak history` on a generated repository next to git reading the same objects.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/bench_history.py [REPO] [--runs 3] [--jobs N] [--keyleak PATH]

REPO defaults to benchmarks/out/history.git (gitignored); if it does not exist it is generated
first by gen_history.py (--commits, --files, --keys, --seed), and its manifest of planted keys
is read from REPO.manifest.json (the name without `.git`). A repository without a manifest
(one rebuilt from a project's releases by gen_release_history.py, say) is timed the same, with
no planted keys to check.

After one untimed warm-up of each (which also fills the page cache), the script alternates N
times:
  (a) `git cat-file --batch-all-objects --batch --unordered > /dev/null`: every object of the
      repository read once, the floor for reading history;
  (b) `git log -p --all > /dev/null`: the patch-walking way of reading it;
  (c) `keyleak history REPO --format json --no-redact --no-progress -o TMP [-j N]`, which exits 1
      when it finds secrets (expected here);
  (d) `gitleaks git REPO` when a `gitleaks` binary is on PATH;
  (e) `betterleaks git REPO` with --betterleaks PATH (benchmarks/peers.py), and the ratio of
      keyleak's medians to its, with the machine's load.
Every command runs without PYTHONDONTWRITEBYTECODE, so the warm-up writes keyleak's bytecode
and the timed runs use it, as on a user's machine. It prints median / min / max wall seconds,
the ratio of each median to (a), the median CPU seconds (user + system) of each command's whole
process tree, and the peak resident set size of the largest process of each command, git's
included (from wait4; git maps its pack files, so its pages of the pack count), and the peak
of all its processes' resident memory together (sampled from /proc every 50 ms, Linux), and
keyleak's seconds per GB of blobs scanned. The machine is
shared and noisy: compare medians and ratios from one run of this script, not timings across
runs; CPU seconds suffer less from other users' load than wall seconds do.

Then it reads the last keyleak report and checks, per planted key (matched by the SHA-256 of
the key, the manifest never holds keys), that it was found with the right introducing commit
and author; it prints found/planted, what was missed or misattributed, and findings that are
not planted keys. With --baseline-keyleak, it also checks that both reports are the same but for
their timing. Exit status: 0 if every planted key was found and rightly attributed and the
reports agree, 1 if not, 2 if a command failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import peers

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REPO = ROOT / "benchmarks" / "out" / "history.git"


def default_keyleak() -> str:
    local = ROOT / ".venv" / "bin" / "keyleak"
    return str(local) if local.exists() else shutil.which("keyleak") or "keyleak"


def tree_rss(pid: int) -> int:
    """The resident KB of a process and all its descendants now (Linux; 0 elsewhere)."""
    total = 0
    waiting = [pid]
    while waiting:
        current = waiting.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            with open(f"/proc/{current}/task/{current}/children") as children:
                waiting.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue  # gone meanwhile
    return total


class TreePeak:
    """The largest sum of the resident memory of a process tree, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, tree_rss(self.pid))

    def stop(self) -> int:
        self.done.set()
        self.thread.join()
        return self.peak


def timed(command: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, int, int]:
    """Run with stdout to /dev/null; return (wall seconds, CPU seconds of the process and the
    descendants it waited for, peak RSS in KB of its largest process, peak RSS in KB of all its
    processes together, sampled). Exits 2 if the exit code is not in ok."""
    # bytecode is written and used, as on a user's machine: this one sets
    # PYTHONDONTWRITEBYTECODE, which would have every run compile keyleak's modules again
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        process = subprocess.Popen(command, stdout=null, stderr=subprocess.PIPE, env=env)
        assert process.stderr is not None
        together = TreePeak(process.pid)
        # stderr is read after the exit: sampling ends before the process is reaped
        _, status, usage = os.wait4(process.pid, 0)
        tree_peak = together.stop()
        errors = process.stderr.read()
        process.stderr.close()
        process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode not in ok:
        print(f"failed with exit {process.returncode}: {shlex.join(command)}", file=sys.stderr)
        print(errors.decode(errors="replace")[-4000:], file=sys.stderr)
        sys.exit(2)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, tree_peak


def generate(repo: Path, args: argparse.Namespace) -> None:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "gen_history.py"),
        str(repo),
        "--commits",
        str(args.commits),
        "--files",
        str(args.files),
        "--keys",
        str(args.keys),
        "--seed",
        str(args.seed),
    ]
    subprocess.run(command, check=True)


def manifest_path(repo: Path) -> Path:
    return repo.parent / (repo.name.removesuffix(".git") + ".manifest.json")


def recall(report: dict[str, Any], manifest: dict[str, Any]) -> bool:
    by_key = {
        hashlib.sha256(finding["secret"].encode()).hexdigest(): finding
        for finding in report["findings"]
    }
    planted = manifest["planted"]
    found = right = 0
    problems: list[str] = []
    for plant in planted:
        finding = by_key.get(plant["key_sha256"])
        label = f"{plant['kind']} at {plant['path']}:{plant['line']} ({plant['commit'][:12]})"
        if finding is None:
            problems.append(f"  missed {label}")
            continue
        found += 1
        introduced = (finding.get("history") or {}).get("introduced") or {}
        expected = (plant["commit"], plant["author_name"], plant["author_email"])
        actual = (
            introduced.get("sha"),
            introduced.get("author_name"),
            introduced.get("author_email"),
        )
        if actual == expected:
            right += 1
        else:
            problems.append(f"  {label}: attributed to {actual}")
    # the generator commits .env files, and keyleak reports each as a file of its own
    env_files = [f for f in report["findings"] if f["rule_id"] == "dotenv-file"]
    extra = [
        f
        for f in report["findings"]
        if f["secret"]
        and f["rule_id"] != "dotenv-file"
        and hashlib.sha256(f["secret"].encode()).hexdigest()
        not in {p["key_sha256"] for p in planted}
    ]
    deleted = sum(1 for plant in planted if plant["removed"])
    print(
        f"recall: {found}/{len(planted)} planted keys found ({deleted} of them deleted later); "
        f"{right}/{len(planted)} with the right introducing commit and author"
    )
    for line in problems:
        print(line)
    print(f"  {len(env_files)} committed .env files reported (dotenv-file)")
    if extra:
        print(f"  {len(extra)} findings that are not planted keys:")
        for finding in extra[:20]:
            where = finding["location"]
            print(f"    {finding['rule_id']} at {where['path']}:{where['line']}")
    return found == right == len(planted)


def summary(name: str, times: list[float], floor: float | None) -> str:
    median = statistics.median(times)
    ratio = f"{median / floor:5.2f}x" if floor else "   1x "
    return (
        f"{name:<34} median {median:7.2f}s  min {min(times):7.2f}s  max {max(times):7.2f}s  {ratio}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", type=Path, nargs="?", default=DEFAULT_REPO)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keyleak", default=default_keyleak())
    parser.add_argument(
        "--baseline-keyleak",
        metavar="PATH",
        help="another keyleak (the previous commit's, say) timed in the same runs",
    )
    parser.add_argument("--skip-log", action="store_true", help="leave out `git log -p --all`")
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--keys", type=int, default=48)
    parser.add_argument("--seed", type=int, default=1)
    peers.add_argument(parser)
    args = parser.parse_args()
    betterleaks = peers.checked(args.betterleaks)
    repo: Path = args.repo
    if not repo.exists():
        generate(repo, args)
    # a repository not generated here (a project's real history) has no planted keys to check
    planted_keys = manifest_path(repo)
    manifest = json.loads(planted_keys.read_text()) if planted_keys.exists() else None

    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "report.json"

        def history(executable: str, report: Path) -> list[str]:
            return [
                executable,
                "history",
                str(repo),
                "--format",
                "json",
                "--no-redact",
                "--no-progress",
                "-o",
                str(report),
                *(["-j", str(args.jobs)] if args.jobs else []),
            ]

        keyleak = history(args.keyleak, report_path)
        commands: dict[str, tuple[list[str], tuple[int, ...]]] = {
            "git cat-file --batch-all-objects": (
                [
                    "git",
                    "-C",
                    str(repo),
                    "cat-file",
                    "--batch-all-objects",
                    "--batch",
                    "--unordered",
                ],
                (0,),
            ),
            "keyleak history": (keyleak, (0, 1)),
        }
        if args.baseline_keyleak:
            baseline = history(args.baseline_keyleak, Path(scratch) / "baseline.json")
            commands["baseline keyleak history"] = (baseline, (0, 1))
        if not args.skip_log:
            commands["git log -p --all"] = (["git", "-C", str(repo), "log", "-p", "--all"], (0,))
        gitleaks = shutil.which("gitleaks")
        if gitleaks:
            commands["gitleaks git"] = (
                [
                    gitleaks,
                    "git",
                    str(repo),
                    "--no-banner",
                    "--report-path",
                    str(Path(scratch) / "gitleaks.json"),
                ],
                (0, 1),
            )
        if betterleaks:
            commands["betterleaks git"] = (peers.history(betterleaks, repo), (0,))
        objects = subprocess.run(
            ["git", "-C", str(repo), "count-objects", "-v"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        commits = manifest["commits"] if manifest else "?"
        print(f"{repo}: {commits} commits; {' '.join(objects.split())}")
        for command, ok in commands.values():
            timed(command, ok)  # warm-up: page cache, rule cache
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        peaks: dict[str, int] = dict.fromkeys(commands, 0)
        together: dict[str, int] = dict.fromkeys(commands, 0)
        for _ in range(args.runs):
            for name, (command, ok) in commands.items():
                elapsed, seconds, peak, all_peak = timed(command, ok)
                times[name].append(elapsed)
                cpu[name].append(seconds)
                peaks[name] = max(peaks[name], peak)
                together[name] = max(together[name], all_peak)
        floor = statistics.median(times["git cat-file --batch-all-objects"])
        for name, values in times.items():
            floor_or_none = None if name.startswith("git cat-file") else floor
            print(
                f"{summary(name, values, floor_or_none)}  CPU {statistics.median(cpu[name]):6.2f}s"
                f"  peak RSS {peaks[name] / 1024:5.0f} MB"
                f", all processes {together[name] / 1024:5.0f} MB"
            )
        if args.baseline_keyleak:
            ratio = ratio_of(times, "keyleak history", "baseline keyleak history")
            print(f"keyleak / baseline: {ratio:.3f}")
        if betterleaks:
            print(
                "keyleak / betterleaks: "
                f"{ratio_of(times, 'keyleak history', 'betterleaks git'):.3f} wall, "
                f"{ratio_of(cpu, 'keyleak history', 'betterleaks git'):.3f} CPU (medians); "
                + peers.load()
            )
        report = json.loads(report_path.read_text())
        gigabytes = report["stats"]["bytes_scanned"] / 1e9
        print(
            f"keyleak history: {report['stats']['commits_scanned']} commits, "
            f"{report['stats']['files_scanned']} blobs, {gigabytes * 1e3:.1f} MB scanned: "
            + ", ".join(
                f"{name} {statistics.median(times[name]) / gigabytes:.2f} s/GB wall, "
                f"{statistics.median(cpu[name]) / gigabytes:.2f} s/GB CPU"
                for name in ("keyleak history", "baseline keyleak history")
                if name in times and gigabytes
            )
        )
        same = True
        if args.baseline_keyleak:
            before = json.loads((Path(scratch) / "baseline.json").read_text())
            same = without_timing(before) == without_timing(report)
            print(f"reports of keyleak and the baseline identical (but for timing): {same}")
        if manifest is None:
            return 0 if same else 1
        return 0 if recall(report, manifest) and same else 1


def ratio_of(values: dict[str, list[float]], name: str, other: str) -> float:
    return statistics.median(values[name]) / statistics.median(values[other])


def without_timing(report: dict[str, Any]) -> dict[str, Any]:
    return {**report, "stats": {k: v for k, v in report["stats"].items() if k != "elapsed_seconds"}}


if __name__ == "__main__":
    sys.exit(main())
