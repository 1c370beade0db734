"""Time `keyleak audit` over generated repositories: 1 and 2 local jobs, and a Dask cluster.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/bench_audit.py [--runs 3] [--repos 50] [--commits 300]
        [--files 60] [--keys 4] [--keyleak PATH]

Under benchmarks/out/audit/ (gitignored) it generates, once, --repos bare repositories with
gen_history.py (repository N from seed N, each with its manifest of planted keys; kept while the
parameters are the same) and as many tiny ones (one commit of one small file). Every audit
reads them through file:// URLs, as it would read an organisation's clone URLs.

It starts a Dask cluster on loopback (a scheduler and two nanny-supervised workers of one thread,
tests/dask_cluster.py), whose start-up time is reported on its own, then makes one untimed
warm-up audit per mode (rules compiled into the shared keyleak cache, imports done in the
workers, page cache filled). Then, --runs times, alternating the order of the modes (`--jobs 1`,
`--jobs 2`, `--scheduler` on the cluster), each mode audits from an empty cache directory:
  (a) the generated repositories: a fresh audit (mirror, scan every blob of every history);
  (b) the same again with that cache: a resumed audit, every repository unchanged;
  (c) the tiny repositories, fresh: what an audit costs per repository beyond reading blobs.
It prints per mode the median wall seconds (min-max) of each, repositories/s and MB of blobs/s
of (a), the per-repository overhead (c / count) and the incremental cost (b / count), and the
recall of the planted keys in the reports of (a), matched by SHA-256 (the manifests never hold
keys). Exit status: 0 if every audit read every repository and found every planted key, 1 if
not, 2 if a command failed.

The machine is shared and noisy: compare modes within one run of this script.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gen_history

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "audit"
sys.path.insert(0, str(ROOT))

from tests.dask_cluster import loopback_cluster  # noqa: E402 - needs the project on the path


def default_keyleak() -> str:
    local = ROOT / ".venv" / "bin" / "keyleak"
    return str(local) if local.exists() else shutil.which("keyleak") or "keyleak"


# ---- the repositories


def generate(args: argparse.Namespace) -> tuple[list[Path], list[Path], list[dict[str, Any]]]:
    """The generated and the tiny repositories, and the generated ones' manifests; made anew
    only when the parameters changed."""
    params = {key: getattr(args, key) for key in ("repos", "commits", "files", "keys")}
    recorded = OUT / "params.json"
    repos = [OUT / "repos" / f"{n:03d}.git" for n in range(1, args.repos + 1)]
    tiny = [OUT / "tiny" / f"{n:03d}.git" for n in range(1, args.repos + 1)]
    if not recorded.exists() or json.loads(recorded.read_text()) != params:
        shutil.rmtree(OUT, ignore_errors=True)
        (OUT / "repos").mkdir(parents=True)
        started = time.perf_counter()
        for seed, repo in enumerate(repos, start=1):
            options = argparse.Namespace(
                commits=args.commits,
                files=args.files,
                keys=args.keys,
                branch_every=max(10, args.commits // 6),
                seed=seed,
            )
            manifest = gen_history.generate(repo, options)
            repo.with_suffix(".manifest.json").write_text(json.dumps(manifest) + "\n")
        for number, repo in enumerate(tiny, start=1):
            tiny_repository(repo, number)
        recorded.write_text(json.dumps(params) + "\n")
        print(
            f"generated {len(repos)} + {len(tiny)} repositories in {OUT} "
            f"({time.perf_counter() - started:.1f}s)"
        )
    manifests = [json.loads(repo.with_suffix(".manifest.json").read_text()) for repo in repos]
    return repos, tiny, manifests


def tiny_repository(path: Path, number: int) -> None:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    readme = f"# service {number}\n\nNothing to see here.\n".encode()
    message = b"initial commit\n"
    stream = (
        b"commit refs/heads/main\n"
        b"committer Bench <bench@example.com> 1500000000 +0000\n"
        + b"data %d\n%s" % (len(message), message)
        + b"M 100644 inline README.md\n"
        + b"data %d\n%s\n" % (len(readme), readme)
    )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=stream, check=True)


def url_list(repos: list[Path], path: Path) -> Path:
    path.write_text("".join(repo.as_uri() + "\n" for repo in repos))
    return path


# ---- the audits


@dataclass
class Mode:
    name: str
    options: list[str]
    fresh: list[float] = field(default_factory=list)
    resumed: list[float] = field(default_factory=list)
    tiny: list[float] = field(default_factory=list)
    bytes_scanned: int = 0
    found: set[str] = field(default_factory=set)


def audit(
    keyleak: str, mode: Mode, targets: Path, cache: Path, report: Path, expect: str
) -> tuple[float, dict[str, Any]]:
    """One audit's wall seconds and report; exits 2 if it failed, or if a repository's status
    is not `expect`."""
    command = [
        keyleak,
        "audit",
        "--from",
        str(targets),
        "--format",
        "json",
        "--no-redact",
        "--no-progress",
        "--cache-dir",
        str(cache),
        "-o",
        str(report),
        *mode.options,
    ]
    env = {**os.environ, "KEYLEAK_CACHE_DIR": str(OUT / "keyleak-cache")}
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        print(f"{mode.name}: exit {completed.returncode}: {completed.stderr[-3000:]}")
        sys.exit(2)
    document: dict[str, Any] = json.loads(report.read_text())
    wrong = [r for r in document["repositories"] if r["status"] != expect]
    if wrong:
        print(f"{mode.name}: {len(wrong)} repositories not {expect}, e.g. {wrong[0]}")
        sys.exit(2)
    return elapsed, document


def found_keys(report: dict[str, Any]) -> set[str]:
    return {hashlib.sha256(f["secret"].encode()).hexdigest() for f in report["findings"]}


def measure(
    args: argparse.Namespace, modes: list[Mode], lists: dict[str, Path], scratch: Path
) -> None:
    for mode in modes:  # warm-up, untimed
        audit(
            args.keyleak,
            mode,
            lists["warm"],
            scratch / f"warm-{mode.name}",
            scratch / "r.json",
            "scanned",
        )
    for run in range(args.runs):
        order = modes if run % 2 == 0 else modes[::-1]
        for mode in order:
            cache = scratch / f"{mode.name}-{run}"
            report = scratch / f"{mode.name}-{run}.json"
            elapsed, document = audit(args.keyleak, mode, lists["repos"], cache, report, "scanned")
            mode.fresh.append(elapsed)
            mode.bytes_scanned = document["stats"]["bytes_scanned"]
            mode.found = found_keys(document)
            elapsed, _ = audit(args.keyleak, mode, lists["repos"], cache, report, "unchanged")
            mode.resumed.append(elapsed)
            tiny_cache = scratch / f"{mode.name}-tiny-{run}"
            elapsed, _ = audit(args.keyleak, mode, lists["tiny"], tiny_cache, report, "scanned")
            mode.tiny.append(elapsed)
            shutil.rmtree(cache)
            shutil.rmtree(tiny_cache)
            print(
                f"  run {run + 1}: {mode.name:<10} fresh {mode.fresh[-1]:6.2f}s  "
                f"resumed {mode.resumed[-1]:5.2f}s  tiny {mode.tiny[-1]:5.2f}s",
                flush=True,
            )


def spread(times: list[float]) -> str:
    return f"{statistics.median(times):6.2f}s ({min(times):.2f}-{max(times):.2f})"


def table(modes: list[Mode], count: int, planted: set[str]) -> str:
    header = (
        f"{'mode':<10} {'fresh audit, median (min-max)':<30} {'repos/s':>8} {'MB/s':>7} "
        f"{'tiny: s/repo':>12} {'resumed (min-max)':>26} {'s/repo':>7} {'recall':>9}"
    )
    lines = [header, "-" * len(header)]
    for mode in modes:
        fresh = statistics.median(mode.fresh)
        recall = f"{len(mode.found & planted)}/{len(planted)}"
        lines.append(
            f"{mode.name:<10} {spread(mode.fresh):<30} {count / fresh:8.2f} "
            f"{mode.bytes_scanned / 1e6 / fresh:7.1f} "
            f"{statistics.median(mode.tiny) / count:12.3f} {spread(mode.resumed):>26} "
            f"{statistics.median(mode.resumed) / count:7.3f} {recall:>9}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--keys", type=int, default=4)
    parser.add_argument("--keyleak", default=default_keyleak())
    args = parser.parse_args()
    repos, tiny, manifests = generate(args)
    planted = {plant["key_sha256"] for manifest in manifests for plant in manifest["planted"]}
    commits = sum(manifest["commits"] for manifest in manifests)
    print(
        f"{len(repos)} repositories: {commits} commits, {len(planted)} keys planted; "
        f"{len(tiny)} tiny repositories"
    )

    with tempfile.TemporaryDirectory(prefix="bench-audit-") as scratch_name:
        scratch = Path(scratch_name)
        lists = {
            "repos": url_list(repos, scratch / "repos.txt"),
            "tiny": url_list(tiny, scratch / "tiny.txt"),
            "warm": url_list(tiny[:2], scratch / "warm.txt"),
        }
        started = time.perf_counter()
        with loopback_cluster(scratch / "cluster", keyleak_cache=OUT / "keyleak-cache") as address:
            start_up = time.perf_counter() - started
            print(
                f"Dask cluster (scheduler + 2 workers of 1 thread) up in {start_up:.1f}s "
                "(not counted below)"
            )
            modes = [
                Mode("jobs 1", ["--jobs", "1"]),
                Mode("jobs 2", ["--jobs", "2"]),
                Mode("dask", ["--scheduler", address]),
            ]
            measure(args, modes, lists, scratch)
    print()
    print(table(modes, len(repos), planted))
    complete = all(mode.found >= planted for mode in modes)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
