"""Property tests: the matcher and the staged-diff parser on inputs nobody thought of."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.match.engine import build_matcher, hyperscan_available
from scanner.match.results import Matcher
from scanner.sources.diff import parse_added_lines
from scanner.sources.staged_diff import staged_chunks
from tests.keys import every_openai_shape

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
ENGINES = ["regex", "hyperscan"] if hyperscan_available() else ["regex"]


@cache
def matcher(engine: str) -> Matcher:
    from scanner.rules import load_rules

    ruleset = load_rules()
    return build_matcher(ruleset.rules, ruleset.digest, engine)  # type: ignore[arg-type]


def check_matches(engine: str, content: bytes) -> tuple[tuple[str, int, int], ...]:
    result = matcher(engine).scan(content)
    for match in result.matches:
        assert 0 <= match.start < match.end <= len(content)
        assert match.secret == content[match.start : match.end]
    return tuple((m.rule_id, m.start, m.end) for m in result.matches)


@pytest.mark.parametrize("engine", ENGINES)
@PROPERTY_SETTINGS
@given(content=st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise_and_spans_hold(engine: str, content: bytes) -> None:
    check_matches(engine, content)


#: Pieces that make near-misses likely: key alphabets, separators, rule keywords.
FRAGMENTS = st.sampled_from(
    ["sk-", "sk-proj-", "T3Blbk" + "FJ", "ghp_", "AKIA", "xoxb-", "-----BEGIN ", "=", '"', "\n",
     "\r\n", "_", "-", " ", "\x00", "\xff", "é"]
)  # fmt: skip
KEYS = st.sampled_from([key for _, key in every_openai_shape()])


@st.composite
def planted(draw: st.DrawFn) -> bytes:
    parts = draw(
        st.lists(
            st.one_of(
                st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
                FRAGMENTS,
                KEYS,
                st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
            ),
            max_size=30,
        )
    )
    return "".join(parts).encode("utf-8", "surrogatepass")


@pytest.mark.skipif(len(ENGINES) < 2, reason="hyperscan not installed")
@PROPERTY_SETTINGS
@given(content=planted())
def test_engines_agree_with_planted_keys(content: bytes) -> None:
    assert check_matches("hyperscan", content) == check_matches("regex", content)


@PROPERTY_SETTINGS
@given(content=planted())
def test_every_planted_key_is_found_whole_or_overlapped(content: bytes) -> None:
    found = check_matches("regex", content)
    for _, key in every_openai_shape():
        position = content.find(key.encode())
        if position < 0:
            continue
        # a key glued to more key characters is a different string; otherwise it is reported
        before = content[position - 1 : position]
        after = content[position + len(key) : position + len(key) + 1]
        glued = any(c.isalnum() or c in b"_-" for c in (before + after))
        if not glued:
            assert any(start <= position < end for _, start, end in found)


@PROPERTY_SETTINGS
@given(diff=st.binary(max_size=4096))
def test_diff_parser_never_raises_on_arbitrary_bytes(diff: bytes) -> None:
    for added in parse_added_lines(diff):
        assert len(added.lines) == len(added.line_numbers)
    list(staged_chunks(diff, max_size=1 << 20))


LINE = st.binary(max_size=60).filter(lambda b: b"\n" not in b)


@st.composite
def patch(draw: st.DrawFn) -> tuple[bytes, dict[bytes, list[tuple[int, bytes]]]]:
    """A `-U0` patch over several files, and the (line number, text) pairs it adds per file."""
    files: dict[bytes, list[tuple[int, bytes]]] = {}
    out = bytearray()
    for index in range(draw(st.integers(0, 3))):
        name = b"dir/file%d.txt" % index
        out += b"diff --git a/%s b/%s\n--- a/%s\n+++ b/%s\n" % (name, name, name, name)
        line_number = 1
        added: list[tuple[int, bytes]] = []
        for _ in range(draw(st.integers(1, 4))):
            line_number += draw(st.integers(0, 5))
            removed = draw(st.lists(LINE, max_size=3))
            inserted = draw(st.lists(LINE, max_size=3))
            if not removed and not inserted:
                continue
            out += b"@@ -%d,%d +%d,%d @@\n" % (
                line_number,
                len(removed),
                line_number,
                len(inserted),
            )
            out += b"".join(b"-" + line + b"\n" for line in removed)
            for offset, line in enumerate(inserted):
                out += b"+" + line + b"\n"
                added.append((line_number + offset, line))
            line_number += len(inserted)
        if added:
            files[name] = added
    return bytes(out), files


@PROPERTY_SETTINGS
@given(generated=patch())
def test_diff_parser_returns_exactly_the_added_lines(
    generated: tuple[bytes, dict[bytes, list[tuple[int, bytes]]]],
) -> None:
    diff, expected = generated
    parsed = {
        added.path: list(zip(added.line_numbers, added.lines, strict=True))
        for added in parse_added_lines(diff)
    }
    assert parsed == expected
