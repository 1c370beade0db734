"""The Hyperscan database's form of a rule's regex: cheaper to compile, never matching less."""

from __future__ import annotations

import pytest
import regex

from scanner.match.engine import hyperscan_available
from scanner.rules import load_rules

pytestmark = pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")


@pytest.mark.parametrize(
    ("pattern", "form"),
    [
        (r"a{0,200}b{2,33}c{1,32}", r"a{0,}b{2,}c{1,32}"),
        (r"(?:x: [^\r\n]{0,200}\n){0,8}", r"(?:x: [^\r\n]{0,}\n){0,8}"),
        (r"[a{0,99}]b", r"[a{0,99}]b"),  # a class: its braces are members
        (r"[]{0,99}]b", r"[]{0,99}]b"),
        (r"[^]{0,99}]b", r"[^]{0,99}]b"),
        (r"\{0,99}a", r"\{0,99}a"),  # an escaped brace is text
        (r"(?![a-z]{1,99}x)y", r"(?![a-z]{1,99}x)y"),  # widened, a negative lookahead rejects more
        (r"(?<=a{1,99})y{0,40}", r"(?<=a{1,99})y{0,}"),
        (r"a{1,99}+b", r"a{1,99}+b"),  # possessive
        (r"a{0,40}?b", r"a{0,}?b"),  # lazy: matches the same strings
    ],
)
def test_prefilter_form_drops_only_the_wide_upper_bounds_it_may(pattern: str, form: str) -> None:
    from scanner.match.hyperscan_matcher import prefilter_form

    assert prefilter_form(pattern) == form


def test_prefilter_form_of_every_shipped_rule_finds_what_the_rule_finds() -> None:
    from scanner.match.hyperscan_matcher import prefilter_form

    widened = 0
    for rule in load_rules().rules:
        form = prefilter_form(rule.regex)
        widened += form != rule.regex
        loose = regex.compile(form)
        for example in rule.examples:
            for found in regex.finditer(rule.regex, example.text):
                wider = loose.match(example.text, found.start())
                assert wider is not None and wider.end() >= found.end(), rule.id
    assert widened > 0, "no shipped rule has a wide bound: the test checks nothing"


def test_a_family_member_is_selected_by_its_keywords_which_every_match_holds() -> None:
    from scanner.match.hyperscan_matcher import database_expression

    members = [rule for rule in load_rules().rules if rule.family]
    assert members, "no shipped family member: the test checks nothing"
    for rule in members:
        keywords = regex.compile(database_expression(rule))
        assert database_expression(rule).startswith("(?i:")
        for example in rule.examples:
            for found in regex.finditer(rule.regex, example.text):
                assert keywords.search(found.group(0)), rule.id
