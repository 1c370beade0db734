"""Which keywords' base64 forms select runs for decoding: the same for both engines."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from scanner.match.engine import build_matcher, hyperscan_available
from scanner.match.keyword_encodings import encoded_keywords
from scanner.model import Chunk, Provenance, Rule
from scanner.rules import builtin_rules_dir, load_rules
from tests.keys import random_text
from tests.test_rule_families import MEMBER


def member_and_plain(tmp_path: Path) -> tuple[Rule, Rule]:
    (tmp_path / "members.toml").write_text(MEMBER)
    rules = load_rules([builtin_rules_dir(), tmp_path]).rules
    member = next(r for r in rules if r.id == "widgetly-api-key")
    return member, dataclasses.replace(member, id="widgetly-plain", family="")


def test_family_members_keywords_select_no_encoded_runs(tmp_path: Path) -> None:
    member, plain = member_and_plain(tmp_path)
    assert member.family
    assert list(encoded_keywords([member])) == []
    assert list(encoded_keywords([member, plain])) == ["widgetly"]


@pytest.mark.parametrize("engine", ["regex", "hyperscan"])
@pytest.mark.parametrize("hinted", [False, True])
def test_engines_agree_on_an_encoded_member_assignment(
    tmp_path: Path, engine: str, hinted: bool
) -> None:
    if engine == "hyperscan" and not hyperscan_available():
        pytest.skip("hyperscan not installed")
    from scanner.match.chunk import chunk_matches

    member, plain = member_and_plain(tmp_path)
    assignment = f'WIDGETLY_API_KEY = "{random_text(32, "0123456789abcdef")}"\n'
    encoded = base64.b64encode(assignment.encode()).decode()
    content = (f'env = base64("{encoded}")' if hinted else f'env = "{encoded}"').encode()
    found = {}
    for rule in (member, plain):
        rules = (rule,)
        matcher = build_matcher(rules, "digest-" + rule.id + engine, engine)  # type: ignore[arg-type]
        chunk = Chunk(content, Provenance("x.py"))
        result = chunk_matches(chunk, matcher, {r.id: r for r in rules})
        found[rule.id] = [m.rule_id for m in result.matches]
    # a hint word says what follows is base64: decoded whoever's keyword is inside
    assert found["widgetly-api-key"] == (["widgetly-api-key"] if hinted else [])
    assert found["widgetly-plain"] == ["widgetly-plain"]


def once_forms(keyword: bytes) -> set[bytes]:
    from scanner.match.keyword_encodings import case_variants, character_sets, expression

    options = [case_variants(byte) for byte in keyword]
    return {expression(character_sets(options, offset)) for offset in range(3)}


def test_a_keyword_holding_a_shorter_one_adds_no_base64_form_the_shorter_ones_cover() -> None:
    """Text holding `vault_token` holds `token`, so a run encoding it holds an encoding of
    `token` too, and is selected by it: the longer keyword's own forms (a tenth of the
    database's expressions) selected nothing more. Its forms encoded twice stay, as `token`
    is too short to have those."""
    from scanner.match.keyword_encodings import MIN_TWICE, encoded_expressions

    both = set(encoded_expressions(["token", "vault_token"]))
    assert len(b"token") < MIN_TWICE <= len(b"vault_token")
    twice = set(encoded_expressions(["vault_token"])) - once_forms(b"vault_token")
    assert twice
    assert both == set(encoded_expressions(["token"])) | twice
    # a keyword long enough to be encoded twice covers those forms too
    assert set(encoded_expressions(["api_token", "vault_api_token"])) == set(
        encoded_expressions(["api_token"])
    )


def database_hits(database: Any, content: bytes) -> bool:
    import hyperscan

    hits: list[int] = []
    database.scan(
        content,
        match_event_handler=lambda *_args: hits.append(1),
        scratch=hyperscan.Scratch(database),
    )
    return bool(hits)


@pytest.fixture(scope="module")
def encodings_database() -> Any:
    """The keywords' base64 forms as Hyperscan's database (None without Hyperscan): compiled
    once, as it takes seconds."""
    if not hyperscan_available():
        return None
    from scanner.match.hyperscan_matcher import compile_encoded, load_database

    return load_database(compile_encoded(load_rules().rules))


@pytest.mark.parametrize("seed", range(4))
def test_every_keyword_encoded_once_or_twice_is_found_by_both_engines(
    seed: int, encodings_database: Any
) -> None:
    """Each shipped keyword, in any case, at any offset of a base64 group, encoded once (and
    twice when `MIN_TWICE` long), is selected by the forms both engines search for."""
    import random

    from scanner.match.keyword_encodings import MIN_TWICE, EncodedSearch

    rng = random.Random(seed)
    keywords = sorted(set(encoded_keywords(load_rules().rules)))
    search = EncodedSearch(keywords)
    for keyword in rng.sample(keywords, 80):
        spelled = "".join(rng.choice((c.lower(), c.upper())) for c in keyword).encode()
        text = random_text(rng.randrange(0, 3), rng=rng).encode() + spelled + b"=x1"
        layers = [base64.b64encode(text)]
        if len(keyword.encode()) >= MIN_TWICE:
            layers.append(base64.b64encode(layers[0]))
        for encoded in layers:
            assert search.pattern().search(encoded) is not None, (keyword, encoded)
            if encodings_database is not None:
                assert database_hits(encodings_database, encoded), (keyword, encoded)
