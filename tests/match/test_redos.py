"""ReDoS: no shipped rule may need the confirm step's regex time limit on hostile input.

Every rule's regex is parsed into its parts, and adversarial inputs of about 100 KB are built
from them: long runs of each character class it uses (alone, after each keyword, all classes
mixed), its keywords repeated back to back, and strings that almost match (the rule's own
shortest and longest matching shapes, cut before their last character and repeated). Each input
goes through keyleak's own confirm step, which stops a regex at REGEX_TIMEOUT_SECONDS: the
assertion is structural, never a timing, namely that no input made a rule hit that limit.

A deliberately catastrophic rule checks the other half end to end: the limit is hit, the scan
returns, the file is reported as partly scanned, and the other rules' findings in it survive.
"""

from __future__ import annotations

import random
import re
import re._constants as sre
import re._parser as sre_parse
import string
import threading
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from scanner.match.confirm import compile_rule, confirm
from scanner.match.engine import hyperscan_available
from scanner.model import Rule, ScanResult
from scanner.pipeline.run import Scanner, run_scan
from scanner.rules import load_rules, parse_files, read_rule_files
from scanner.sources.named_files import read_file
from tests.test_rule_families import rules_dir

SIZE = 100_000
#: an unbounded repeat is pumped to this many copies when building near-matches
PUMP = 5_000
#: a failing rule stops at the first input that hits the limit (each costs the whole limit)
MAX_REPORTED = 1
PRINTABLE = frozenset(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}
CATEGORIES = {
    "CATEGORY_DIGIT": frozenset(string.digits.encode()),
    "CATEGORY_SPACE": frozenset(b" \t\n\r\f\v"),
    "CATEGORY_WORD": frozenset((string.ascii_letters + string.digits + "_").encode()),
    "CATEGORY_LINEBREAK": frozenset(b"\n"),
}
SINGLE = (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN, sre.CATEGORY)
REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def shipped_rules() -> list[Rule]:
    """The rules as shipped, parsed without touching keyleak's cache (this runs at collection)."""
    rules, _problems = parse_files(read_rule_files(None)[0])
    return list(rules)


def category(name: str) -> frozenset[int]:
    negated = name.startswith("CATEGORY_NOT_")
    chars = CATEGORIES.get(name.replace("_NOT_", "_"), frozenset())
    return PRINTABLE - chars if negated else chars


def members(op: Any, av: Any) -> frozenset[int]:
    """The printable bytes one single-character node matches."""
    if op is sre.LITERAL:
        return frozenset({av})
    if op is sre.NOT_LITERAL:
        return PRINTABLE - {av}
    if op is sre.ANY:
        return PRINTABLE - {0x0A}
    if op is sre.CATEGORY:
        return category(str(av))
    chars: set[int] = set()
    negate = False
    for item_op, item_av in av:
        if item_op is sre.NEGATE:
            negate = True
        elif item_op is sre.LITERAL:
            chars.add(item_av)
        elif item_op is sre.RANGE:
            chars.update(range(item_av[0], item_av[1] + 1))
        elif item_op is sre.CATEGORY:
            chars.update(category(str(item_av)))
    return PRINTABLE - chars if negate else frozenset(chars) & PRINTABLE


def pick(chars: frozenset[int]) -> int:
    """A representative: a letter or digit where the class has one, so near-matches look real."""
    alnum = sorted(c for c in chars if chr(c).isalnum())
    return (alnum or sorted(chars) or [0x20])[len(alnum) // 2 if alnum else 0]


def classes(tree: Any) -> Iterator[frozenset[int]]:
    """Every multi-character class the pattern uses, in pattern order."""
    for op, av in tree:
        if op in SINGLE and op is not sre.LITERAL:
            yield members(op, av)
        elif op in REPEATS:
            yield from classes(av[2])
        elif op is sre.SUBPATTERN:
            yield from classes(av[3])
        elif op is sre.ATOMIC_GROUP:
            yield from classes(av)
        elif op is sre.BRANCH:
            for alternative in av[1]:
                yield from classes(alternative)


def shape(tree: Any, pump: int, branch: int) -> bytes:
    """A string of the pattern's shape: each repeat `pump` times (within its bounds), alternative
    `branch` of each choice; lookarounds and anchors contribute nothing."""
    out = bytearray()
    for op, av in tree:
        if len(out) > SIZE:
            break
        if op in SINGLE:
            out.append(pick(members(op, av)))
        elif op in REPEATS:
            low, high, sub = av
            count = max(low, min(pump, high))
            out += shape(sub, pump, branch) * min(count, SIZE)
        elif op is sre.SUBPATTERN:
            out += shape(av[3], pump, branch)
        elif op is sre.ATOMIC_GROUP:
            out += shape(av, pump, branch)
        elif op is sre.BRANCH:
            alternatives = av[1]
            out += shape(alternatives[min(branch, len(alternatives) - 1)], pump, branch)
    return bytes(out[: SIZE + 1])


def fill(piece: bytes) -> bytes:
    return piece * (SIZE // max(len(piece), 1) + 1) if piece else b""


def some(items: list[Any], count: int, rng: random.Random) -> list[Any]:
    """The first item and a seeded sample of the rest: variety without one input per pair."""
    return items[:1] + rng.sample(items[1:], min(count - 1, len(items) - 1)) if items else []


def adversarial_inputs(rule: Rule) -> dict[str, bytes]:
    """Named hostile inputs of about SIZE bytes built from the rule's own pattern and keywords."""
    rng = random.Random(rule.id)
    distinct = {k.lower(): k.encode() for k in reversed(rule.keywords)}
    keywords = some(list(reversed(distinct.values())), 3, rng)
    try:
        tree = sre_parse.parse(rule.regex)
    except (re.error, OverflowError):
        tree = None
    found = (
        some(list(dict.fromkeys(c for c in classes(tree) if len(c) > 1)), 4, rng) if tree else []
    )
    found.append(frozenset().union(*found) if found else PRINTABLE)
    inputs: dict[str, bytes] = {}
    for index, chars in enumerate(found):
        alphabet = bytes(sorted(chars))
        table = bytes(alphabet[i % len(alphabet)] for i in range(256))
        run = rng.randbytes(SIZE).translate(table)
        short = run[:8]
        inputs[f"run of class {index}"] = run
        for keyword in keywords:
            shown = keyword.decode()
            inputs[f"'{shown}' then run of class {index}"] = keyword + run
            inputs[f"'{shown}' plus 8 of class {index}, repeated"] = fill(keyword + short)
    for keyword in keywords:
        inputs[f"'{keyword.decode()}' repeated"] = fill(keyword)
        inputs[f"'{keyword.decode()}' and a space, repeated"] = fill(keyword + b" ")
    if tree is not None:
        for branch in (0, 99):
            shortest = shape(tree, 0, branch)
            longest = shape(tree, PUMP, branch)
            inputs[f"shortest shape {branch} less its last byte, repeated"] = fill(shortest[:-1])
            inputs[f"shortest shape {branch}, repeated"] = fill(shortest)
            inputs[f"longest shape {branch} less its last byte"] = longest[:-1]
            inputs[f"longest shape {branch} less its last byte, twice"] = (longest[:-1] * 2)[:SIZE]
    return {name: data[:SIZE] for name, data in inputs.items() if data}


RULES = shipped_rules()


def test_rules_are_shipped() -> None:
    assert RULES and all(rule.shipped for rule in RULES)


def test_every_rule_the_scanner_loads_is_tried() -> None:
    """Family members included: they are expanded when the files are parsed, as here."""
    assert sorted(rule.id for rule in RULES) == sorted(rule.id for rule in load_rules().rules)


def test_a_family_member_is_tried_with_its_familys_pattern(tmp_path: Path) -> None:
    rules, problems = parse_files(read_rule_files([rules_dir(tmp_path)])[0])
    assert problems == []
    (member,) = [rule for rule in rules if rule.id == "widgetly-api-key"]
    assert member.family == "keyword-assignment"
    assert_needs_no_time_limit(member)


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_no_rule_needs_the_regex_time_limit(rule: Rule) -> None:
    assert_needs_no_time_limit(rule)


def assert_needs_no_time_limit(rule: Rule) -> None:
    # confirmed as a rule from elsewhere, with the limit on every try: a shipped one is trusted
    # to need none, which is what this checks
    compiled = compile_rule(replace(rule, shipped=False))
    inputs = adversarial_inputs(rule)
    assert len(inputs) >= 2 + 2 * min(len(rule.keywords), 3)
    timed_out: list[str] = []
    for name, data in inputs.items():
        if confirm(compiled, data).cut_short:
            timed_out.append(name)
            if len(timed_out) == MAX_REPORTED:
                break
    assert timed_out == [], f"{rule.id}: regex hit the time limit on: {timed_out}"


def test_near_matches_are_built_from_the_pattern() -> None:
    """The shapes really are the rule's shapes: for a plain prefixed rule the shortest shape
    matches its regex, so its cut-short copies are near misses, not noise."""
    rule = next(r for r in RULES if r.id == "github-pat-classic")
    compiled = compile_rule(rule)
    shortest = shape(sre_parse.parse(rule.regex), 0, 0)
    assert compiled.pattern.fullmatch(shortest) is not None
    assert compiled.pattern.search(shortest[:-1]) is None


#: kept out of the TOML text below, where `<secret>` before it reads as an XML element to
#: keyleak's own generic rule
ORDINARY_REGEX = "(?<![a-z0-9_])(?P<" + "secret>tok_[a-z0-9]{24})(?![a-z0-9])"
CATASTROPHIC_RULES = '''
[[rules]]
id = "catastrophic"
name = "Deliberately catastrophic"
provider = "test"
description = "Nested quantifiers: backtracking without end on a run of x not followed by y."
regex = """(?P<secret>(x+x+)+y)"""
keywords = ["xxxx"]
{FILTERS}
severity = "low"
remediation = "Never ship a rule like this."
examples = ["xxxxy"]
negative_examples = ["nothing here"]

[[rules]]
id = "ordinary"
name = "Ordinary token"
provider = "test"
description = "A well-behaved rule in the same pack."
regex = """{ORDINARY_REGEX}"""
keywords = ["tok_"]
severity = "low"
remediation = "Revoke it."
examples = ["tok_abcdefghijklmnopqrstuvwx"]
negative_examples = ["tok_"]
'''


def scan_in_thread(scanner: Scanner, path: Path) -> ScanResult | None:
    """Run the scan in a daemon thread so a hang fails the test instead of blocking it."""
    results: list[ScanResult] = []
    worker = threading.Thread(
        target=lambda: results.append(run_scan(scanner, [str(path)], jobs=1)), daemon=True
    )
    worker.start()
    worker.join(timeout=60)
    return results[0] if results else None


ENGINES = [
    "regex",
    pytest.param(
        "hyperscan",
        marks=pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed"),
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "filters",
    ["", 'hints = ["line", "keyword-start"]'],
    ids=["searched", "tried-at-keywords"],
)
def test_catastrophic_rule_is_reported_as_skipped_region(
    tmp_path: Path, engine: str, filters: str
) -> None:
    """A rule from elsewhere has the time limit on every try, however it is confirmed."""
    rule_file = tmp_path / "catastrophic.toml"
    rules = CATASTROPHIC_RULES.replace("{ORDINARY_REGEX}", ORDINARY_REGEX)
    rule_file.write_text(rules.replace("{FILTERS}", filters), encoding="utf-8")
    # no x in the token: one with `xxy` in it is the catastrophic rule's match too
    letters = string.ascii_lowercase.replace("x", "")
    token = "tok_" + "".join(random.choice(letters) for _ in range(24))
    target = tmp_path / "hostile.txt"
    # a long run of x then a stop: (x+x+)+y backtracks without end; the final "xxy" makes the
    # Hyperscan prefilter pick the rule
    target.write_text(f"key = {token}\n" + "x" * 5000 + "!\nxxy\n", encoding="utf-8")
    scanner = Scanner(load_rules([rule_file]), engine, load=partial(read_file, max_size=10**7))

    result = scan_in_thread(scanner, target)

    assert result is not None, "the scan did not return"
    assert [(s.path, s.reason) for s in result.skipped] == [
        (str(target), "rule catastrophic timed out; partly scanned")
    ]
    assert [(f.rule_id, f.secret) for f in result.findings] == [("ordinary", token)]


class RecordingPattern:
    """Stands in for a compiled regex: records the keyword arguments of each try."""

    def __init__(self) -> None:
        self.tries: list[dict[str, object]] = []

    def match(self, content: bytes, start: int, end: int, **options: object) -> None:
        self.tries.append(options)


@pytest.mark.parametrize("shipped", [False, True])
def test_only_rules_from_elsewhere_pass_the_time_limit_to_every_try(shipped: bool) -> None:
    from scanner.match.confirm import anchored

    content = b"a token here\nanother token\n"
    anchors = [content.find(b"token"), content.rfind(b"token")]
    pattern = RecordingPattern()

    assert list(anchored(pattern, content, [(0, len(content))], anchors, shipped)) == []

    assert len(pattern.tries) == 2
    assert all(("timeout" in options) is not shipped for options in pattern.tries)
