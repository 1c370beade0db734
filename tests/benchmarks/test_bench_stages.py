"""The matching benchmark's table of costly regexes, run on three rules with a cost that is a
count, not a time: it ranks the regexes by what each costs alone and leaves the costliest out."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.match.engine import hyperscan_available
from scanner.rules import load_rules
from tests.keys import random_text

pytestmark = pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")


def test_the_costliest_regexes_come_first_and_are_left_out_of_the_combined_database() -> None:
    from benchmarks import bench_stages

    by_id = {rule.id: rule for rule in load_rules().rules}
    rules = [by_id[name] for name in ("mailgun-api-key", "github-pat-classic", "npm-access-token")]
    hex32 = random_text(32, alphabet="0123456789abcdef")
    contents = [
        b"pat " + b"ghp_" + random_text(36).encode(),
        b"pat " + b"ghp_" + random_text(36).encode(),
        b"mailgun " + b"key-" + hex32.encode(),
        b"nothing here",
    ]

    def reports(database: Any) -> float:
        """The cost of a database: in how many contents its rules' regexes fire."""
        scratch = bench_stages.hyperscan.Scratch(database)
        fired: set[int] = set()
        for at, content in enumerate(contents):

            def on_match(expression_id: int, *_: Any, at: int = at) -> None:
                if expression_id < len(rules):
                    fired.add(at)

            database.scan(content, match_event_handler=on_match, scratch=scratch)
        return float(len(fired))

    costliest, left_out = bench_stages.expression_rows(rules, frozenset(), reports, runs=1)

    assert costliest == [
        ("github-pat-classic", 2.0),
        ("mailgun-api-key", 1.0),
        ("npm-access-token", 0.0),
    ]
    assert [count for count, _, _ in left_out] == list(bench_stages.LEFT_OUT)
    # every regex left out (there are only three): none fires; in the whole database, three do
    assert all((without, whole) == (0.0, 3.0) for _, without, whole in left_out), left_out
