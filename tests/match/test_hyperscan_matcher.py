"""The Hyperscan database's form of a rule's regex: cheaper to compile, never matching less."""

from __future__ import annotations

import re

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
    from scanner.match.hyperscan_matcher import MEMBER_START, database_expression

    members = [rule for rule in load_rules().rules if rule.family]
    assert members, "no shipped family member: the test checks nothing"
    for rule in members:
        keywords = regex.compile(database_expression(rule))
        assert rule.regex.startswith(MEMBER_START), rule.id
        for example in rule.examples:
            for found in regex.finditer(rule.regex, example.text):
                # the match with the character before it, which says where a word starts
                assert keywords.search(example.text[max(found.start() - 1, 0) : found.end()])


def compiled_expression(expression: str) -> object:
    import hyperscan

    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[expression.encode()],
        ids=[0],
        elements=1,
        flags=[hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY],
    )
    return database


def database_hits(database: object, content: bytes) -> bool:
    found: list[int] = []
    database.scan(  # type: ignore[attr-defined]
        content, match_event_handler=lambda *_args: found.append(1)
    )
    return bool(found)


def test_a_family_member_inside_a_longer_word_is_not_a_candidate() -> None:
    """`sqlalchemy` holds `alchemy`, but the members' regex needs the keyword to start a word:
    a whole project naming the library made every file a candidate, confirmed for nothing."""
    from scanner.match.hyperscan_matcher import database_expression

    members = [rule for rule in load_rules().rules if rule.family]
    assert members, "no shipped family member: the test checks nothing"
    for rule in members:
        database = compiled_expression(database_expression(rule))
        keyword = rule.keywords[0].encode()
        assert not database_hits(database, b"import x" + keyword + b" as y"), rule.id
        assert not database_hits(database, b"9" + keyword.upper()), rule.id


def test_a_family_members_database_form_hits_wherever_its_regex_may_start() -> None:
    """Every byte the members' look-behind lets stand before a keyword (and none at all, at the
    start of the text) lets the database report the member: it must never miss one. All 256
    bytes for some members (their database forms are built alike), a few for every one."""
    from scanner.match.hyperscan_matcher import database_expression

    members = [rule for rule in load_rules().rules if rule.family]
    for index, rule in enumerate(members):
        database = compiled_expression(database_expression(rule))
        before = range(256) if index % 50 == 0 else b" _.-\n\"'/$@"
        for keyword in rule.keywords:
            # the member's regex up to its keyword, as confirmation runs it (bytes, any case)
            opening = rule.regex[: rule.regex.index("(?:") + 3]
            lookbehind = regex.compile((opening + re.escape(keyword) + "))").encode())
            for spelled in (keyword.encode(), keyword.upper().encode()):
                assert database_hits(database, spelled), rule.id
                for byte in before:
                    text = bytes([byte]) + spelled
                    if lookbehind.match(text, 1) is not None:
                        assert database_hits(database, text), (rule.id, byte)


def test_a_members_keyword_lines_are_those_where_a_keyword_starts_a_word() -> None:
    from scanner.match.hyperscan_matcher import KeywordFinder

    content = b"alchemy_id = 1\nimport sqlalchemy\nALCHEMY_KEY = 1\nx.alchemy\n9alchemy\n"
    lines = KeywordFinder(word_start=True)(content, (b"alchemy",))
    assert lines.positions == [0, content.index(b"ALCHEMY"), content.index(b"x.alchemy") + 2]
    assert lines.windows == [(0, 14), (content.index(b"ALCHEMY"), content.index(b"\n9alc"))]


@pytest.mark.parametrize("seed", range(3))
def test_members_confirmed_where_a_keyword_starts_a_word_find_what_every_keyword_finds(
    seed: int,
) -> None:
    """Every match of a member starts at a keyword that starts a word, and stays on its line:
    confirming on those lines alone finds the same as on every line holding a keyword."""
    import dataclasses
    import random

    from scanner.match.confirm import compile_rule, confirm
    from scanner.match.hyperscan_matcher import KeywordFinder, starts_at_a_word

    rng = random.Random(seed)
    members = [rule for rule in load_rules().rules if rule.family and rule.examples]
    every, word_start = KeywordFinder(), KeywordFinder(word_start=True)
    found = 0
    for rule in rng.sample(members, 25):
        assert starts_at_a_word(rule), rule.id
        keyword = rng.choice(rule.keywords)
        lines = []
        for example in rule.examples:
            text = example.text
            lines += [text, "sql" + text, text.replace(keyword, "x" + keyword, 1), ""]
            lines.append(f"{keyword}{keyword}_key = '{example.secret}'")
            lines.append(f"a{keyword} = 1; {text}")
        rng.shuffle(lines)
        content = "\n".join(lines).encode()
        compiled = compile_rule(rule)
        whole = compile_rule(dataclasses.replace(rule, hints=()))
        reference = confirm(whole, content)
        assert confirm(compiled, content, every) == reference, rule.id
        assert confirm(compiled, content, word_start) == reference, rule.id
        found += len(reference.matches)
    assert found > 0, "no member matched: the test compares nothing"


def test_a_rule_that_starts_at_every_line_is_held_by_its_keywords_alone() -> None:
    """The Kubernetes Secret rules' patterns start at a line start with nothing but spaces
    before a name: their prefilter fired on every indented line of code (11 calls/MB, an
    eighth of the database's scan time), while only a chunk holding their keywords (`kind:
    Secret`, which the database looks for too) can be confirmed. Indented lines alone are no
    hit any more; the keywords are."""
    import hyperscan

    from scanner.match.hyperscan_matcher import KEYWORDS_ID, compile_database, load_database

    rules = load_rules().rules
    by_id = {rule.id: index for index, rule in enumerate(rules)}
    manifest_rules = {by_id["kubernetes-secret-data"], by_id["kubernetes-secret-string-data"]}
    serialized, _unsupported = compile_database(rules)
    database = load_database(serialized)

    def reported(content: bytes) -> set[int]:
        found: set[int] = set()
        database.scan(
            content,
            match_event_handler=lambda expression_id, *_args: found.add(expression_id),
            scratch=hyperscan.Scratch(database),
        )
        return found

    indented = b"def f():\n    name: VmgzblFwOHNMdzJ4S2Q3WnI=\n  other: T7uQw9ErTy81zPaLq\n"
    assert not reported(indented) & manifest_rules
    in_a_secret = reported(b"kind: Secret\ndata:\n" + indented)
    assert {KEYWORDS_ID + index for index in manifest_rules} <= in_a_secret


@pytest.mark.parametrize("seed", range(8))
def test_rules_held_by_their_keywords_find_what_the_regex_engine_finds(seed: int) -> None:
    """Random manifests, htpasswd lines and .pypirc files (the rules that start at a line
    start), in every spelling of their keywords: both engines, before and past the bytes a
    matcher scans with the rules' database alone, find the same secrets."""
    import random

    from scanner.match.engine import build_matcher
    from tests.keys import random_text

    rng = random.Random(seed)
    ruleset = load_rules()

    def value() -> str:
        return random_text(rng.randrange(6, 40), rng=rng)

    kinds = ["Secret", "secret", "SECRET", '"Secret"', "'Secret'"]
    pieces = []
    for _ in range(60):
        pieces.append(
            rng.choice(
                [
                    f"kind: {rng.choice(kinds)}",
                    f"KIND:{rng.choice(kinds)}",
                    "kind: ConfigMap",
                    rng.choice(["data:", "stringData:", "metadata:"]),
                    " " * rng.randrange(0, 4) + f"{value()[:8]}: {value()}" + rng.choice(["", "="]),
                    f'  api-key: "{value()}"',
                    f"admin:$apr1${value()[:8]}${random_text(22, rng=rng)}",
                    f"user:{{SHA}}{random_text(27, rng=rng)}=",
                    rng.choice(["[pypi]", "[testpypi]", "[distutils]"]),
                    f"password = {value()}",
                    f"username = {value()}",
                    random_text(rng.randrange(0, 80), rng=rng),
                ]
            )
        )
    content = "\n".join(pieces).encode()
    expected = build_matcher(ruleset.rules, ruleset.digest, "regex").scan(content)
    assert expected.matches, "nothing planted was found: the test compares nothing"
    matcher = build_matcher(ruleset.rules, ruleset.digest, "hyperscan")
    assert matcher.scan(content) == expected
    matcher.expect_volume()  # the combined database, as a tree or history scan uses it
    assert matcher.scan(content) == expected
