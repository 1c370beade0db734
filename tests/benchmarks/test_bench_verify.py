"""The verification benchmark, run small: every key asked once, every key live, and it says so."""

from __future__ import annotations

import re

import pytest

from benchmarks import bench_verify


def figures(output: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z ]+):\s+(.*)$", output, re.MULTILINE))


def test_the_benchmark_asks_each_key_once_and_finds_every_key_live(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = bench_verify.main(["--keys", "40", "--latency", "0"])
    shown = figures(capsys.readouterr().out)
    assert code == 0, shown
    assert shown["keys"] == "40 distinct, 4 repeats"
    assert shown["requests received"] == "40 (0 naming no key)"
    assert shown["duplicates asked"] == "0"
    assert shown["verdicts"] == "44 live"
    assert int(shown["verifiers"].split()[0]) >= 14


def test_a_key_asked_twice_fails_the_benchmark() -> None:
    keys = ["k-one-0123456789", "k-two-0123456789"]
    requests = ["GET /a/x?key=k-one-0123456789", "GET /a/x?key=k-one-0123456789", "GET /b"]
    assert bench_verify.asked_twice(keys, requests) == (1, 1)


def test_a_key_that_is_a_url_is_found_at_its_path() -> None:
    webhook = "https://discord.com/api/webhooks/123/abc"
    requests = ["/discord/api/webhooks/123/abc\nUser-Agent: keyleak"]
    assert bench_verify.asked_twice([webhook], requests) == (0, 0)
