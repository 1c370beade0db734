"""Which keywords' base64 forms select runs for decoding: the same for both engines."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

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
