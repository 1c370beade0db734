"""Time live verification of many distinct keys against the loopback fake provider.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/bench_verify.py [--keys 1000] [--latency 0.05]

It starts the tests' fake provider server on 127.0.0.1 with --latency seconds of delay per
request, points every provider at it (KEYLEAK_<PROVIDER>_BASE_URL), and verifies --keys distinct
keys (spread evenly over eleven providers, plus every tenth key repeated once, which must not
cost a request) with the default settings: 8 requests in flight, 4 per provider, a fresh cache
directory. It prints the wall time of the whole verification (planning, cache, client set-up,
requests) next to its floor from the same run, keys x latency / 8, and the requests the server
received, which must equal the number of distinct keys.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.config.verification import VerifySettings
from scanner.verify.runner import verify_findings
from tests.fake_provider import fake_provider, finding, make_key, override_all

#: providers whose probe needs nothing but the key (AWS also needs its secret key)
PROVIDERS = (
    "openai",
    "anthropic",
    "gitlab",
    "slack",
    "stripe",
    "huggingface",
    "google",
    "groq",
    "openrouter",
    "xai",
    "sendgrid",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()

    keys = [make_key(PROVIDERS[n % len(PROVIDERS)]) for n in range(args.keys)]
    findings = [finding(PROVIDERS[n % len(PROVIDERS)], key) for n, key in enumerate(keys)]
    findings += [finding(f.rule_id, f.secret, path="copy.py") for f in findings[::10]]
    verifiers = {name: name for name in PROVIDERS}
    settings = VerifySettings(enabled=True)
    with tempfile.TemporaryDirectory() as cache, fake_provider(args.latency) as server:
        os.environ["KEYLEAK_CACHE_DIR"] = cache
        override_all(server, os.environ)
        started = time.perf_counter()
        results = verify_findings(findings, verifiers, settings, lambda _: None)
        wall = time.perf_counter() - started
    statuses = {str(r.verdict.status) for r in results if r.verdict}
    floor = args.keys * args.latency / settings.concurrency
    print(f"findings:          {len(findings)} ({args.keys} distinct keys)")
    print(f"verdicts:          {', '.join(sorted(statuses))}")
    print(f"requests sent:     {server.total} (expected {args.keys})")
    print(f"max in flight:     {server.max_in_flight_total} (limit {settings.concurrency})")
    print(f"wall time:         {wall:.2f} s")
    limit = settings.concurrency
    print(f"floor (baseline):  {floor:.2f} s = {args.keys} x {args.latency} s / {limit}")
    print(f"overhead:          {wall - floor:.2f} s ({wall / floor:.2f}x the floor)")


if __name__ == "__main__":
    main()
