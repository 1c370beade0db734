from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from scanner.errors import KeyleakError
from scanner.match import confirm as confirm_module
from scanner.match.engine import build_matcher, hyperscan_available
from scanner.model import Example, Rule, Severity
from scanner.rules import load_rules
from tests.keys import every_openai_shape, random_text

needs_hyperscan = pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")


def demo_rule(**changes: object) -> Rule:
    rule = Rule(
        id="demo-token",
        name="Demo token",
        provider="demo",
        description="",
        regex=r"(?P<secret>demo_[a-z0-9]{12})",
        keywords=("demo_",),
        severity=Severity.HIGH,
        remediation="",
        examples=(Example("demo_abcdef123456", "demo_abcdef123456"),),
        negative_examples=("demo_",),
    )
    return dataclasses.replace(rule, **changes)  # type: ignore[arg-type]


def spans(matcher_name: str, rules: tuple[Rule, ...], content: bytes) -> list[tuple[str, int, int]]:
    matcher = build_matcher(rules, "digest-" + repr(rules), matcher_name)  # type: ignore[arg-type]
    return [(m.rule_id, m.start, m.end) for m in matcher.scan(content).matches]


def planted_text(rng: random.Random) -> bytes:
    """Random printable noise with keys, near-keys and placeholders planted at random places."""
    pieces: list[str] = []
    for rule_id, key in every_openai_shape():
        pieces.append(random_text(rng.randrange(0, 300), rng=rng))
        pieces.append(rng.choice([key, key[:-3], key.replace("FJ", "FK"), rule_id, "sk-..."]))
        pieces.append(rng.choice([" ", "\n", '"', "'", "=", "\r\n", "-"]))
    return "".join(pieces).encode()


@needs_hyperscan
@pytest.mark.parametrize("seed", range(25))
def test_engines_agree_on_random_inputs_with_planted_keys(seed: int) -> None:
    ruleset = load_rules()
    content = planted_text(random.Random(seed))
    hs = build_matcher(ruleset.rules, ruleset.digest, "hyperscan").scan(content)
    rx = build_matcher(ruleset.rules, ruleset.digest, "regex").scan(content)
    assert hs == rx
    for match in hs.matches:
        assert 0 <= match.start < match.end <= len(content)
        assert content[match.start : match.end] == match.secret


@needs_hyperscan
def test_rule_hyperscan_cannot_compile_still_matches_through_keywords() -> None:
    # branch reset is valid for `regex` but rejected by Hyperscan even in prefilter mode
    rule = demo_rule(regex=r"(?P<secret>(?|demo_[a-z0-9]{12}))")
    content = b"x = demo_abcdef123456\n"
    assert spans("hyperscan", (rule,), content) == spans("regex", (rule,), content)
    assert spans("hyperscan", (rule,), content) == [("demo-token", 4, 21)]
    assert spans("hyperscan", (rule,), b"no keyword here") == []


@pytest.mark.parametrize("engine", ["regex", "hyperscan"] if hyperscan_available() else ["regex"])
def test_keywords_gate_is_case_insensitive_and_required(engine: str) -> None:
    rule = demo_rule(regex=r"(?P<secret>[a-z]{4}_[a-z0-9]{12})", keywords=("DEMO_",))
    assert spans(engine, (rule,), b"demo_abcdef123456") == [("demo-token", 0, 17)]
    assert spans(engine, (rule,), b"xemo_abcdef123456") == []


def test_entropy_floor_and_allow_patterns_drop_secrets() -> None:
    rule = demo_rule(min_entropy=3.0, allow=(r"000",))
    assert spans("regex", (rule,), b"demo_aaaaaaaaaaaa") == []
    assert spans("regex", (rule,), b"demo_ab000cdefghi") == []
    assert spans("regex", (rule,), b"demo_abcdef123456") == [("demo-token", 0, 17)]


def test_catastrophic_regex_times_out_instead_of_hanging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(confirm_module, "REGEX_TIMEOUT_SECONDS", 0.2)
    rule = demo_rule(regex=r"demo_(?P<secret>(?:a|aa)+)$", keywords=("demo_",))
    content = b"demo_" + b"a" * 5000 + b"b"
    result = build_matcher((rule,), "catastrophic", "regex").scan(content)
    assert result.timed_out == ("demo-token",)


@needs_hyperscan
def test_database_is_cached_on_disk_and_rebuilt_when_corrupt(tmp_path: Path) -> None:
    from scanner.match.database_cache import entry_name
    from scanner.util.disk_cache import entry_path

    ruleset = load_rules()
    path = entry_path(entry_name(ruleset.digest) + "-rules")
    path.unlink(missing_ok=True)
    content = b'k = "' + every_openai_shape()[1][1].encode() + b'"'
    first = build_matcher(ruleset.rules, ruleset.digest, "hyperscan").scan(content)
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    assert build_matcher(ruleset.rules, ruleset.digest, "hyperscan").scan(content) == first
    assert path.stat().st_mtime_ns == stamp, "a cache hit must not rewrite the file"
    path.write_bytes(path.read_bytes()[:-100] + b"garbage")
    assert build_matcher(ruleset.rules, ruleset.digest, "hyperscan").scan(content) == first
    assert path.stat().st_mtime_ns != stamp
    assert len(first.matches) == 1


def volume_spans(rules: tuple[Rule, ...], digest: str, content: bytes) -> list[tuple[str, int]]:
    """The matches of a matcher that scans more than a commit's worth (a tree's, a history's)."""
    matcher = build_matcher(rules, digest, "hyperscan")
    matcher.expect_volume()
    return [(m.rule_id, m.start) for m in matcher.scan(content).matches]


@needs_hyperscan
@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: (
            blob[: len(blob) // 2] + bytes([blob[len(blob) // 2] ^ 1]) + blob[1 + len(blob) // 2 :]
        ),
        lambda blob: blob[:-1],
        lambda blob: blob + b"x",
        lambda blob: blob[: blob.index(b"\n", blob.index(b"\n") + 1) + 1],
        lambda blob: b"",
    ],
    ids=["flipped-bit", "truncated", "longer", "header-only", "empty"],
)
def test_a_damaged_combined_database_is_rebuilt(damage) -> None:  # type: ignore[no-untyped-def]
    """The combined database's entry is not checksummed when read: Hyperscan checks the
    database's length and its own CRC as it loads it."""
    from scanner.match.database_cache import entry_name
    from scanner.util.disk_cache import entry_path, read_entry

    rules, digest = (demo_rule(),), "digest-damaged-combined-" + random_text(8)
    content = b"x = demo_abcdef123456\n" + random_text(300).encode()
    first = volume_spans(rules, digest, content)
    assert first == [("demo-token", 4)]
    path = entry_path(entry_name(digest) + "-combined")
    good = path.read_bytes()
    path.write_bytes(damage(good))
    assert volume_spans(rules, digest, content) == first
    assert read_entry(entry_name(digest) + "-combined"), "the damaged entry is written anew"


@needs_hyperscan
def older_form(path: Path) -> None:
    """The entry as it was first written, a JSON object with a sound checksum (and a list
    that no longer names the rule)."""
    from scanner.util.disk_cache import SUFFIX, write_entry

    write_entry(path.name.removesuffix(SUFFIX), b'{"unsupported": []}')


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.unlink(),
        lambda path: path.write_bytes(path.read_bytes()[:-2]),
        older_form,
    ],
)
def test_the_rules_no_database_holds_are_known_whatever_the_cache_holds(damage) -> None:  # type: ignore[no-untyped-def]
    """A scan reads them from an entry of their own, not from the rules' database: without
    that entry, with a damaged one or one in an older form, the database is compiled again,
    which finds them."""
    from scanner.match.database_cache import entry_name
    from scanner.util.disk_cache import entry_path

    # branch reset: valid for `regex`, rejected by Hyperscan even in prefilter mode
    rules = (demo_rule(regex=r"(?P<secret>(?|demo_[a-z0-9]{12}))"),)
    digest = "digest-unsupported-" + random_text(8)
    content = b"x = demo_abcdef123456\n"
    assert volume_spans(rules, digest, content) == [("demo-token", 4)]
    damage(entry_path(entry_name(digest) + "-unsupported"))
    assert volume_spans(rules, digest, content) == [("demo-token", 4)]
    matcher = build_matcher(rules, digest, "hyperscan")  # a commit's: the rules' database
    assert [(m.rule_id, m.start) for m in matcher.scan(content).matches] == [("demo-token", 4)]


@needs_hyperscan
def test_unwritable_cache_directory_still_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    monkeypatch.setenv("KEYLEAK_CACHE_DIR", str(blocker / "cache"))
    ruleset = load_rules()
    content = every_openai_shape()[0][1].encode()
    assert build_matcher(ruleset.rules, ruleset.digest, "hyperscan").scan(content).matches


def test_asking_for_hyperscan_without_it_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import scanner.match.engine

    monkeypatch.setattr(scanner.match.engine, "hyperscan_available", lambda: False)
    ruleset = load_rules()
    with pytest.raises(KeyleakError, match="hyperscan package is not installed"):
        build_matcher(ruleset.rules, ruleset.digest, "hyperscan")
    assert build_matcher(ruleset.rules, ruleset.digest, "auto").name == "regex"


@needs_hyperscan
def test_huge_counted_repeats_are_left_to_the_keyword_gate() -> None:
    from scanner.match.hyperscan_matcher import compile_database, too_costly_to_compile

    costly = demo_rule(regex=r"(?P<secret>demo_[a-z0-9]{20000,})")
    assert too_costly_to_compile(costly.regex)
    assert not too_costly_to_compile(r"(?P<secret>a{74}\{99999\})")
    _, unsupported = compile_database([demo_rule(), costly])
    assert unsupported == {1}
    key = b"demo_" + b"a1" * 10000
    assert spans("hyperscan", (costly,), key) == [("demo-token", 0, len(key))]


@needs_hyperscan
def test_a_huge_upper_bound_is_dropped_in_the_database_not_in_the_match() -> None:
    from scanner.match.hyperscan_matcher import compile_database

    wide = demo_rule(regex=r"(?P<secret>demo_[a-z0-9]{12,20000})(?![a-z0-9])")
    _, unsupported = compile_database([demo_rule(), wide])
    assert unsupported == frozenset()
    content = b"demo_abcdef123456 demo_" + b"a" * 20001
    for engine in ("hyperscan", "regex"):
        assert spans(engine, (wide,), content) == [("demo-token", 0, 17)]


class Unlowerable(bytes):
    """A chunk that fails the test if the matcher makes a lowercase copy of it."""

    def lower(self) -> bytes:
        raise AssertionError("the chunk was lowered to look for keywords")


@needs_hyperscan
def test_keywords_the_database_looks_for_spare_a_lowercase_copy_of_the_chunk() -> None:
    """A rule's keywords of `MIN_GATE_LITERAL` characters or more are looked for by the
    database itself, in any case: a chunk its regex hits is not copied in lowercase to check
    them again (which cost a fifth of a history scan's matching where YAML is common)."""
    rule = demo_rule(regex=r"(?P<secret>[a-z]{4}_[a-z0-9]{12})", keywords=("DEMO_TOKEN",))
    matcher = build_matcher((rule,), "digest-long-keyword", "hyperscan")
    found = matcher.scan(Unlowerable(b"x Demo_Token abcd_abcdef123456")).matches
    assert [m.secret for m in found] == [b"abcd_abcdef123456"]
    assert matcher.scan(Unlowerable(b"x Demo_Toke abcd_abcdef123456")).matches == ()


@pytest.mark.parametrize("engine", ["regex", "hyperscan"] if hyperscan_available() else ["regex"])
@pytest.mark.parametrize("keyword", ["DEMO_TOKEN", "demo_", "dé_token"])
def test_the_keyword_gate_is_the_same_in_every_case_and_any_alphabet(
    engine: str, keyword: str
) -> None:
    rule = demo_rule(regex=r"(?P<secret>[a-z]{4}_[a-z0-9]{12})", keywords=(keyword,))
    for spelled in (keyword, keyword.upper(), keyword.lower(), keyword.swapcase()):
        text = f"{spelled}: abcd_abcdef123456".encode()
        found = spans(engine, (rule,), text)
        expected = keyword.lower().encode() in text.lower()
        assert found == ([("demo-token", len(text) - 17, len(text))] if expected else [])
    assert spans(engine, (rule,), b"de_token: abcd_abcdef123456") == []
