"""The accuracy benchmark's generator: secrets drawn from a rule's declared format."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from typing import Any

import pytest

from benchmarks.accuracy import declared
from scanner.match.checksums import (
    github_crc32_valid,
    gitlab_routable_crc32_valid,
    npm_crc32_valid,
)
from scanner.model import FormatPart
from scanner.rule_format import parse_format
from scanner.rules import load_rules, shannon_entropy


def parts(raw: list[Any]) -> tuple[FormatPart, ...]:
    """A format as a rule file writes it, parsed as the rule loader does."""
    parsed, problems = parse_format(raw)
    assert not problems, problems
    return parsed


def generate(raw: list[Any], rng: random.Random, checksum: str | None = None) -> str:
    return declared.generate(parts(raw), rng, checksum)


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
    drawn = generate([{"alphabet": name, "length": 400}], rng)
    assert re.fullmatch(f"{pattern}{{400}}", drawn)
    # 400 draws from an alphabet of 10 or more leave almost nothing undrawn
    assert len(set(drawn)) >= 10


def test_literals_stay_and_lengths_fall_in_their_range() -> None:
    rng = random.Random(7)
    fmt = [
        "dp.st.",
        {"alphabet": "alnum-lower", "length": [3, 5]},
        ".",
        {"alphabet": "hex", "length": 40},
    ]
    lengths = set()
    for _ in range(200):
        drawn = generate(fmt, rng)
        found = re.fullmatch(r"dp\.st\.([a-z0-9]+)\.([0-9a-f]{40})", drawn)
        assert found, drawn
        lengths.add(len(found.group(1)))
    assert lengths == {3, 4, 5}


def test_explicit_character_class() -> None:
    drawn = generate([{"alphabet": "[A-C0-2._~-]", "length": 300}], random.Random(1))
    assert set(drawn) == set("ABC012._~-")


def test_uuid_is_a_lowercase_8_4_4_4_12_uuid() -> None:
    drawn = generate(["id-", {"alphabet": "uuid"}], random.Random(3))
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
        token = generate(fmt, rng, checksum)
        assert len(token) == 40 and token.startswith(prefix)
        assert valid(token.encode()), token
        # the same draw without the checksum step fails the check: the step is what makes it pass
        assert not valid(generate(fmt, random.Random(token))[:34].encode() + b"000000")


def test_gitlab_routable_tokens_carry_their_length_and_crc() -> None:
    rng = random.Random(11)
    fmt = [
        "glpat-",
        {"alphabet": "base64url", "length": [27, 80]},
        ".01.",
        {"alphabet": "alnum-lower", "length": 9},
    ]
    for _ in range(50):
        token = generate(fmt, rng, "gitlab-crc32")
        assert gitlab_routable_crc32_valid(token.encode()), token
        payload = token[len("glpat-") : token.index(".01.")]
        assert int(token[-9:-7], 36) == len(payload)
        assert not gitlab_routable_crc32_valid(generate(fmt, rng).encode())
    # the older format has no dots and no checksum: left as drawn
    old = ["glpat-", {"alphabet": "base64url", "length": 20}]
    assert len(generate(old, rng, "gitlab-crc32")) == 26


def test_unknown_checksum_is_a_format_error() -> None:
    with pytest.raises(declared.FormatError):
        generate(["x", {"alphabet": "hex", "length": 4}], random.Random(0), "luhn")


def test_contexts_default_and_need_the_slot_once() -> None:
    assert declared.contexts(None) == declared.DEFAULT_CONTEXTS
    assert declared.contexts(["K = {secret}"]) == ("K = {secret}",)
    for bad in (["K = secret"], ["{secret}{secret}"]):
        with pytest.raises(declared.FormatError):
            declared.contexts(bad)


def test_every_shipped_rule_with_a_format_generates_a_secret_for_each_plant_context() -> None:
    rules = [rule for rule in load_rules().rules if rule.format]
    assert len(rules) > 100
    for rule in rules:
        secret = declared.generate(rule.format, random.Random(rule.id), rule.checksum)
        assert secret, rule.id
        for context in declared.contexts(rule.plant):
            assert secret in context.replace(declared.SLOT, secret)


#: secrets drawn per rule, and how many of them may fall under the rule's entropy floor
FLOOR_SAMPLES = 2000
FLOOR_LOSS = 2


def test_entropy_floors_keep_nearly_every_secret_of_the_declared_format() -> None:
    """A floor set for a format's typical entropy drops the real keys that happen to repeat a
    few characters: under 1 in 1,000 of the keys a rule declares may fall below it."""
    lossy = {}
    for rule in load_rules().rules:
        if not rule.format or not rule.min_entropy:
            continue
        rng = random.Random(rule.id)
        below = sum(
            shannon_entropy(declared.generate(rule.format, rng, rule.checksum).encode())
            < rule.min_entropy
            for _ in range(FLOOR_SAMPLES)
        )
        if below > FLOOR_LOSS:
            lossy[rule.id] = below
    assert not lossy, f"secrets of {FLOOR_SAMPLES} under the entropy floor: {lossy}"


@pytest.mark.parametrize(
    ("context", "name"),
    [
        ('AWS_SECRET_ACCESS_KEY = "{secret}"', "AWS_SECRET_ACCESS_KEY"),
        ("datadog_api_key: {secret}", "datadog_api_key"),
        ("export DEMO_TOKEN={secret}", "DEMO_TOKEN"),
        ("demo_key: '{secret}'", "demo_key"),
        # written as is: renaming would lose what the rule looks for
        ('aai.settings.api_key = "{secret}"', None),
        ("X-Auth-Key: {secret}", None),
        ("Authorization: ApiKey {secret}", None),
        ('token = "{secret}" # the staging one', None),
        ("{secret}", None),
    ],
)
def test_only_a_bare_assignment_to_an_identifier_is_rewritten_per_language(
    context: str, name: str | None
) -> None:
    assert declared.plain_assignment(context) == name


def test_assigned_name_is_the_name_just_before_the_secret() -> None:
    assert declared.assigned_name('{"type": "x",\n "private_key_id": "{secret}"}') == (
        "private_key_id"
    )
    assert declared.assigned_name("sv=2022&sig={secret}") == "sig"
    assert declared.assigned_name("{secret}") is None


def test_a_rule_for_some_paths_is_planted_under_a_name_its_path_accepts() -> None:
    npmrc = replace(load_rules().rules[0], path=r"(?:^|/)\.npmrc$")
    assert declared.path_name(npmrc) == ".npmrc"
    docker = replace(npmrc, path=r"\.docker/config\.json$")
    assert declared.path_name(docker) == ".docker/config.json"
    assert declared.path_name(replace(npmrc, path=r"\.nowhere$")) is None
