"""A secret's declared shape: parsed strictly, written as a regex, drawn at random."""

from __future__ import annotations

import random
import re

import pytest

from scanner.model import FormatPart
from scanner.rule_format import characters, draw, format_regex, parse_format


def test_named_alphabets_literals_ranges_and_uuids() -> None:
    parts, problems = parse_format(
        ["tok_", {"alphabet": "alnum", "length": [20, 24]}, {"alphabet": "uuid"}]
    )
    assert problems == []
    assert parts == (
        FormatPart("tok_"),
        FormatPart("", "[A-Za-z0-9]", 20, 24),
        FormatPart("", "uuid", 36, 36),
    )


@pytest.mark.parametrize(
    "raw",
    [
        [],
        "hex",
        [""],
        [{"alphabet": "hex"}],
        [{"alphabet": "hex", "length": [8, 4]}],
        [{"alphabet": "hex", "length": 5000}],
        [{"alphabet": "hex", "length": True}],
        [{"alphabet": "[^a-z]", "length": 8}],
        [{"alphabet": "hex", "length": 8, "case": "upper"}],
    ],
)
def test_malformed_formats_are_problems(raw: object) -> None:
    parts, problems = parse_format(raw)
    assert parts == () or problems
    assert problems


def test_a_spelled_out_class_expands_to_its_characters() -> None:
    assert characters("[a-c_\\-]") == "abc_-"
    assert characters("[A-Z2-7]") == "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@pytest.mark.parametrize("seed", range(20))
def test_every_drawn_value_matches_the_shapes_regex(seed: int) -> None:
    parts, _ = parse_format(
        [
            "pk_",
            {"alphabet": "base64url", "length": [10, 30]},
            ".",
            {"alphabet": "[A-Z2-7]", "length": 8},
            {"alphabet": "uuid"},
        ]
    )
    pattern = re.compile(format_regex(parts))
    rng = random.Random(seed)
    for longest in (True, False):
        assert pattern.fullmatch(draw(parts, rng, longest=longest))
