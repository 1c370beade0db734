"""Noise on real code: scan the source distributions of popular Python packages whole.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/bench_noise.py [--packages django,flask] [--cache-dir DIR]
        [--keyleak PATH] [--json OUT]

Each package's sdist, at the version pinned in PACKAGES, is downloaded once with
`pip download --no-binary NAME --no-deps NAME==VERSION` into the cache directory (default
benchmarks/out/noise, gitignored) and unpacked next to it. Then `keyleak scan DIR --format json
--no-ignore --config EMPTY` runs on each unpacked tree: the cache sits inside this repository's
work tree, whose .gitignore and config would otherwise leave it all out.

These trees hold no real credentials that anyone meant to leak: what keyleak reports here is
its noise. The script prints the findings by rule, by severity, by context, by severity and
context, and per package, then the total scan time. --json writes the same counts as JSON, so a
"before" and an "after" run can be compared. Exit status: 0, or 2 if a scan fails
(keyleak's exit 1, findings, is expected); a package pip cannot fetch is left out, and named.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: pinned so that two runs scan the same bytes; chosen for popularity and a reasonable sdist
#: (botocore, numpy and pandas are left out: hundreds of MB of data and vendored C;
#: cryptography too: pip cannot prepare its metadata without a Rust toolchain)
PACKAGES: dict[str, str] = {
    "django": "5.1.4",
    "sqlalchemy": "2.0.36",
    "flask": "3.1.0",
    "requests": "2.32.3",
    "boto3": "1.35.80",
    "celery": "5.4.0",
    "apache-airflow-core": "3.0.2",
    "ansible-core": "2.18.1",
    "fastapi": "0.115.6",
    "pydantic": "2.10.3",
    "scrapy": "2.12.0",
    "paramiko": "3.5.0",
    "pyopenssl": "24.3.0",
    "urllib3": "2.2.3",
    "httpx": "0.28.1",
    "jinja2": "3.1.4",
    "werkzeug": "3.1.3",
    "pytest": "8.3.4",
    "sphinx": "8.1.3",
    "twisted": "24.11.0",
    "tornado": "6.4.2",
    "aiohttp": "3.11.10",
    "redis": "5.2.1",
    "psycopg2": "2.9.10",
    "pymongo": "4.10.1",
    "kombu": "5.4.2",
    "google-auth": "2.37.0",
    "azure-core": "1.32.0",
    "alembic": "1.14.0",
    "pyjwt": "2.10.1",
    "oauthlib": "3.2.2",
    "docker": "7.1.0",
}

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".zip")


def default_keyleak() -> str:
    local = ROOT / ".venv" / "bin" / "keyleak"
    if local.exists():
        return str(local)
    return shutil.which("keyleak") or "keyleak"


def archive_of(downloads: Path) -> Path | None:
    found = [p for p in sorted(downloads.iterdir()) if p.name.endswith(ARCHIVE_SUFFIXES)]
    return found[0] if found else None


def download(name: str, version: str, cache: Path) -> Path | None:
    """The package's sdist, downloaded into cache/sdists/<name>-<version>/ once; None when pip
    cannot fetch it (the package is then left out of the counts, and said so)."""
    downloads = cache / "sdists" / f"{name}-{version}"
    downloads.mkdir(parents=True, exist_ok=True)
    archive = archive_of(downloads)
    if archive is not None:
        return archive
    # `--no-binary NAME`, not `:all:`: pip prepares the sdist's metadata, and with `:all:` it
    # would build its build backend (Cython...) from source too
    cmd = [sys.executable, "-m", "pip", "download", "--no-binary", name, "--no-deps"]
    cmd += ["-q", f"{name}=={version}", "-d", str(downloads)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
        error = proc.stderr
    except subprocess.TimeoutExpired:
        error = "timed out"
    archive = archive_of(downloads)
    if archive is None:
        print(f"{name}=={version}: download failed, left out: {error[-500:]}", file=sys.stderr)
    return archive


def unpack(archive: Path, cache: Path) -> Path:
    """The archive unpacked into cache/trees/<archive name>/, once (a finished unpack is
    marked, so an interrupted one is redone)."""
    target = cache / "trees" / archive.parent.name
    done = target.with_name(target.name + ".done")
    if done.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(target)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(target, filter="data")
    done.touch()
    return target


def scan(keyleak: str, tree: Path, report: Path) -> tuple[float, list[dict[str, Any]]]:
    # an empty config: this repository's own, found above the cache, allowlists benchmarks/out/
    config = report.with_suffix(".toml")
    config.write_text("", encoding="utf-8")
    cmd = [keyleak, "scan", str(tree), "--format", "json", "--output", str(report)]
    cmd += ["--no-ignore", "--config", str(config)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"keyleak failed on {tree} (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    data = json.loads(report.read_text(encoding="utf-8"))
    findings = data.get("findings", [])
    for finding in findings:
        path = finding.get("location", {}).get("path", "")
        finding["_path"] = path.removeprefix(str(tree) + "/")
    return elapsed, findings


def print_counts(title: str, counts: Counter[str]) -> None:
    print(f"\n{title} ({sum(counts.values())})")
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n:6d}  {key}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keyleak", default=default_keyleak(), help="the keyleak binary")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "benchmarks" / "out" / "noise")
    parser.add_argument("--packages", help="comma-separated subset of the pinned packages")
    parser.add_argument("--json", type=Path, help="also write the counts here as JSON")
    parser.add_argument("--show", action="store_true", help="list every finding (redacted)")
    args = parser.parse_args()

    names = list(PACKAGES)
    if args.packages:
        names = [n.strip() for n in args.packages.split(",") if n.strip()]
        unknown = [n for n in names if n not in PACKAGES]
        if unknown:
            sys.exit(f"not pinned here: {', '.join(unknown)} (known: {', '.join(PACKAGES)})")

    cache: Path = args.cache_dir.resolve()
    by_rule: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    by_context: Counter[str] = Counter()
    by_both: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    above_low: list[str] = []
    left_out: list[str] = []
    total = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-noise-") as tmp:
        for name in names:
            version = PACKAGES[name]
            archive = download(name, version, cache)
            if archive is None:
                left_out.append(name)
                continue
            tree = unpack(archive, cache)
            elapsed, findings = scan(args.keyleak, tree, Path(tmp) / f"{name}.json")
            total += elapsed
            print(f"{name}=={version}: {len(findings)} findings in {elapsed:.1f} s", flush=True)
            by_package[f"{name}=={version}"] += len(findings)
            for finding in findings:
                severity = finding.get("severity", "?")
                context = finding.get("context") or "-"
                by_rule[finding.get("rule_id", "?")] += 1
                by_severity[severity] += 1
                by_context[context] += 1
                by_both[f"{severity} / {context}"] += 1
                line = (
                    f"{name}: {finding['_path']}:{finding.get('location', {}).get('line')} "
                    f"{finding.get('rule_id')} {severity} {context} {finding.get('secret', '')}"
                    f" {finding.get('severity_reason', '')}"
                )
                if severity not in ("low", "info"):
                    above_low.append(line)
                if args.show:
                    print("   ", line)

    print_counts("by rule", by_rule)
    print_counts("by severity", by_severity)
    print_counts("by context", by_context)
    print_counts("by severity / context", by_both)
    print_counts("by package", by_package)
    print(f"\nabove low ({len(above_low)}):")
    for line in above_low:
        print("  ", line)
    if left_out:
        print(f"\nleft out (download failed): {', '.join(left_out)}")
    scanned = len(names) - len(left_out)
    print(f"\n{scanned} packages, {sum(by_package.values())} findings, scan time {total:.1f} s")
    if args.json:
        counts = {
            "by_rule": by_rule,
            "by_severity": by_severity,
            "by_context": by_context,
            "by_severity_context": by_both,
            "by_package": by_package,
            "above_low": above_low,
            "scan_seconds": round(total, 1),
            "left_out": left_out,
        }
        args.json.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
