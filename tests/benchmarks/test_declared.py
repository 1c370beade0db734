"""The accuracy benchmark's generator: secrets drawn from a rule's declared format."""

from __future__ import annotations

import random
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from benchmarks.accuracy import declared
from scanner.match.checksums import (
    github_crc32_valid,
    gitlab_routable_crc32_valid,
    npm_crc32_valid,
)

RULES = Path(__file__).resolve().parents[2] / "rules"
CLASS_OF = {
    "hex": "[0-9a-f]",
    "HEX": "[0-9A-F]",
    "hexany": "[0-9a-fA-F]",
    "digits": "[0-9]",
    "lower": "[a-z]",
    "upper": "[A-Z]",
    "alnum": "[A-Za-z0-9]",
    "alnum-lower": "[a-z0-9]",
    "alnum-upper": "[A-Z0-9]",
    "base64": "[A-Za-z0-9+/]",
    "base64url": "[A-Za-z0-9_-]",
    "base32": "[A-Z2-7]",
}


@pytest.mark.parametrize(("name", "pattern"), sorted(CLASS_OF.items()))
def test_named_alphabets_draw_only_their_characters(name: str, pattern: str) -> None:
    rng = random.Random(name)
    drawn = declared.generate([{"alphabet": name, "length": 400}], rng)
    assert re.fullmatch(f"{pattern}{{400}}", drawn)
    # 400 draws from an alphabet of 10 or more leave almost nothing undrawn
    assert len(set(drawn)) >= min(10, len(declared.ALPHABETS[name]))


def test_literals_stay_and_lengths_fall_in_their_range() -> None:
    rng = random.Random(7)
    fmt = ["dp.st.", {"alphabet": "alnum-lower", "length": [3, 5]}, ".", {"alphabet": "hex"}]
    with pytest.raises(declared.FormatError):
        declared.generate(fmt, rng)
    fmt[3] = {"alphabet": "hex", "length": 40}
    lengths = set()
    for _ in range(200):
        drawn = declared.generate(fmt, rng)
        found = re.fullmatch(r"dp\.st\.([a-z0-9]+)\.([0-9a-f]{40})", drawn)
        assert found, drawn
        lengths.add(len(found.group(1)))
    assert lengths == {3, 4, 5}


def test_explicit_character_class_with_ranges_escapes_and_trailing_dash() -> None:
    assert declared.class_members("[A-C0-2._~-]") == "ABC012._~-"
    assert declared.class_members(r"[a\-c]") == "a-c"
    drawn = declared.generate([{"alphabet": "[xyz]", "length": 50}], random.Random(1))
    assert set(drawn) <= set("xyz") and len(drawn) == 50
    for bad in ("[^a]", "a-z", "[z-a]", "sha"):
        with pytest.raises(declared.FormatError):
            declared.alphabet(bad)


def test_uuid_is_a_lowercase_8_4_4_4_12_uuid() -> None:
    drawn = declared.generate(["id-", {"alphabet": "uuid"}], random.Random(3))
    assert re.fullmatch(
        r"id-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", drawn
    )


@pytest.mark.parametrize(
    ("prefix", "checksum", "valid"),
    [
        ("ghp_", "github-crc32", github_crc32_valid),
        ("ghs_", "github-crc32", github_crc32_valid),
        ("npm_", "npm-crc32", npm_crc32_valid),
    ],
)
def test_base62_crc32_bodies_pass_the_scanners_check(
    prefix: str, checksum: str, valid: Any
) -> None:
    rng = random.Random(prefix)
    fmt = [prefix, {"alphabet": "alnum", "length": 36}]
    for _ in range(50):
        token = declared.generate(fmt, rng, checksum)
        assert len(token) == 40 and token.startswith(prefix)
        assert valid(token.encode()), token
        # the same draw without the checksum step fails the check: the step is what makes it pass
        assert not valid(declared.generate(fmt, random.Random(token))[:34].encode() + b"000000")


def test_gitlab_routable_tokens_carry_their_length_and_crc() -> None:
    rng = random.Random(11)
    fmt = [
        "glpat-",
        {"alphabet": "base64url", "length": [27, 80]},
        ".01.",
        {"alphabet": "alnum-lower", "length": 9},
    ]
    for _ in range(50):
        token = declared.generate(fmt, rng, "gitlab-crc32")
        assert gitlab_routable_crc32_valid(token.encode()), token
        payload = token[len("glpat-") : token.index(".01.")]
        assert int(token[-9:-7], 36) == len(payload)
        assert not gitlab_routable_crc32_valid(declared.generate(fmt, rng).encode())
    # the older format has no dots and no checksum: left as drawn
    old = ["glpat-", {"alphabet": "base64url", "length": 20}]
    assert len(declared.generate(old, rng, "gitlab-crc32")) == 26


def test_unknown_checksum_and_bad_lengths_are_format_errors() -> None:
    rng = random.Random(0)
    with pytest.raises(declared.FormatError):
        declared.generate(["x", {"alphabet": "hex", "length": 4}], rng, "luhn")
    for length in (0, [5, 2], [1], True, "8"):
        with pytest.raises(declared.FormatError):
            declared.generate([{"alphabet": "hex", "length": length}], rng)
    with pytest.raises(declared.FormatError):
        declared.generate([], rng)


def test_contexts_default_and_need_the_slot_once() -> None:
    assert declared.contexts(None) == declared.DEFAULT_CONTEXTS
    assert declared.contexts(["K = {secret}"]) == ("K = {secret}",)
    for bad in (["K = secret"], ["{secret}{secret}"]):
        with pytest.raises(declared.FormatError):
            declared.contexts(bad)


def declared_rules() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(RULES.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for table in (*data.get("rules", ()), *data.get("members", ())):
            if "format" in table:
                found.append((table.get("id") or table["service"], table))
    return found


def test_every_declared_format_and_plant_in_the_shipped_rules_generates() -> None:
    rules = declared_rules()
    assert rules, "no rule declares a format"
    for rule_id, table in rules:
        rng = random.Random(rule_id)
        secret = declared.generate(table["format"], rng, table.get("checksum"))
        assert secret, rule_id
        for context in declared.contexts(table.get("plant")):
            assert secret in context.replace(declared.SLOT, secret)
