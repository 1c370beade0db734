"""Encoded content: base64 and URL-encoded runs are decoded and scanned (scanner/match/decoding.py).

Keys are built at run time (tests/keys.py) and encoded here; nothing key-shaped is written down.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scanner.entry import main
from scanner.match.chunk import chunk_matches
from scanner.match.decoding import (
    MAX_RUN,
    base64_runs,
    decode_layer,
    encoded_matches,
    has_decodable_run,
)
from scanner.match.engine import build_matcher, hyperscan_available
from scanner.match.results import Matcher
from scanner.model import Chunk, Provenance
from scanner.rules import load_rules
from tests.keys import openai_key, random_text, secret_value

SHIPPED = load_rules()
RULES = SHIPPED.by_id()
ENGINES = ["regex", "hyperscan"] if hyperscan_available() else ["regex"]
PROJECT = "openai-project-key"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="module", params=ENGINES)
def matcher(request: pytest.FixtureRequest) -> Matcher:
    return build_matcher(SHIPPED.rules, SHIPPED.digest, request.param)


def scan_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["scan", str(tmp_path), "--format", "json", "--no-redact", *args])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def matches_of(matcher: Matcher, text: str) -> list[tuple[str, str, tuple[str, ...], int]]:
    chunk = Chunk(text.encode(), Provenance("x"))
    return [
        (m.rule_id, m.secret.decode(), m.encoding, m.start)
        for m in chunk_matches(chunk, matcher, RULES).matches
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_kubernetes_secret_points_at_the_encoded_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    key, password = openai_key(), secret_value()
    manifest = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n"
        f"  OPENAI_API_KEY: {b64(key)}\n  DB_PASSWORD: {b64(password)}\n"
    )
    (tmp_path / "secret.yaml").write_text(manifest)
    report = scan_json(tmp_path, capsys, "--engine", engine)
    found = {
        (
            f["rule_id"],
            f["secret"],
            tuple(f["encoding"]),
            f["location"]["line"],
            f["location"]["column"],
        )
        for f in report["findings"]
    }
    assert found == {
        (PROJECT, key, ("base64",), 7, 19),
        # every value of a Secret's data is its rule's, decoded, whatever its name
        ("kubernetes-secret-data", password, ("base64",), 8, 16),
    }


def test_url_safe_base64_and_padding(matcher: Matcher) -> None:
    key = openai_key()
    encoded = base64.urlsafe_b64encode(f"config {key} end".encode()).decode().rstrip("=")
    # the start is the base64 group holding the key's first byte: 7 bytes in, 8 characters in
    assert matches_of(matcher, f"blob={encoded}\n") == [(PROJECT, key, ("base64",), 5 + 8)]


def test_url_encoded_key(matcher: Matcher) -> None:
    key = openai_key()
    query = urllib.parse.quote(f"https://api.example.net/v1?key={key}&x=1", safe="")
    [(rule_id, secret, encoding, start)] = matches_of(matcher, f"redirect={query}\n")
    assert (rule_id, secret, encoding) == (PROJECT, key, ("url",))
    assert f"redirect={query}"[start:].startswith(key)


def test_two_layers_are_named_outermost_first(matcher: Matcher) -> None:
    key = openai_key()
    twice = b64(b64(f"token: {key}"))
    [(rule_id, secret, encoding, start)] = matches_of(matcher, f"data: {twice}\n")
    assert (rule_id, secret, encoding) == (PROJECT, key, ("base64", "base64"))
    assert 6 <= start < 6 + len(twice)


def test_three_layers_are_beyond_the_depth_bound(matcher: Matcher) -> None:
    thrice = b64(b64(b64(f"token: {openai_key()}")))
    assert matches_of(matcher, f"data: {thrice}\n") == []


def test_plain_key_inside_encoded_text_is_reported_once(matcher: Matcher) -> None:
    key = openai_key()
    query = "next=%2Fhome&key=" + key + "&lang=en%2Dgb"
    assert matches_of(matcher, query) == [(PROJECT, key, (), 17)]


def test_binary_hex_and_identifier_runs_are_not_decoded() -> None:
    binary = base64.b64encode(bytes(range(256)) * 2).decode()
    text = f"img = {binary}\nsha = {'ab12' * 16}\nname = someVeryLongCamelCaseIdentifierName\n"
    assert decode_layer(text.encode()) is None


def test_runs_beyond_the_size_bound_are_skipped(matcher: Matcher) -> None:
    key = openai_key()
    padding = random_text(MAX_RUN, "abc ") + "\n"
    huge = b64(padding + key + padding)
    assert len(huge) > MAX_RUN
    assert encoded_matches(huge.encode(), matcher.survey).matches == ()
    assert encoded_matches(b64(key).encode(), matcher.survey).matches != ()


def test_inline_allow_on_the_encoded_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(f"key: {b64(openai_key())}  # keyleak:allow\n")
    report = scan_json(tmp_path, capsys)
    assert report["findings"] == []
    assert report["stats"]["suppressed"] == 1


def test_engines_agree_on_encoded_content() -> None:
    if not hyperscan_available():
        pytest.skip("hyperscan not installed")
    key = openai_key()
    text = (
        f"a: {b64(key)}\nb: {b64('password: ' + secret_value())}\n"
        f"c: {urllib.parse.quote(key + '/x', safe='')}\nd: {b64(b64(key))}\n"
    ).encode()
    results = []
    for engine in ENGINES:
        matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, engine)  # type: ignore[arg-type]
        results.append(chunk_matches(Chunk(text, Provenance("x")), matcher, RULES))
    assert results[0] == results[1]
    assert [(m.rule_id, m.encoding) for m in results[0].matches] == [
        (PROJECT, ("base64",)),
        ("generic-secret-unquoted", ("base64",)),
        (PROJECT, ()),
        (PROJECT, ("base64", "base64")),
    ]


def test_base64_of_upper_case_text_is_decoded() -> None:
    # base64 that starts with upper-case letters and digits only (`OnCA38` encodes to
    # `T25DQTM4`): `isupper()` ignores digits, which once made the decoder skip such runs
    plain = "OnCA38" + random_text(20)
    encoded = b64(plain).encode()
    assert encoded[:8].isupper() and not encoded[:8].isalpha()
    runs = base64_runs(b"value: " + encoded + b"\n")
    assert [decoded for _, _, decoded, _ in runs] == [plain.encode()]


def test_decodable_runs_are_told_apart_from_identifiers_paths_and_hex() -> None:
    assert has_decodable_run(b64("token: " + random_text(30)).encode())
    assert has_decodable_run(("x = '" + b64(openai_key()) + "'").encode())
    # too long to try decoding: counted as decodable, as the decoder gives up on it only later
    assert has_decodable_run(("A1b" * (MAX_RUN // 3 + 1)).encode())
    assert not has_decodable_run(
        b"def test_the_placeholder_filter_on_its_own_line():\n"
        b"    path = 'src/main/java/com/example/service/Handler.java'\n"
        b"    digest = '" + b"ab12" * 16 + b"'\n"
        b"    name = someVeryLongCamelCaseIdentifierName\n"
    )


def loaded_databases(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The databases read from the cache from now on, by kind: rules, encoded or combined (the
    list of rules none holds, a few bytes, is left out)."""
    from scanner.match import database_cache as cache

    names: list[str] = []

    def recorded(read: Callable[[str], bytes | None]) -> Callable[[str], bytes | None]:
        def reading(name: str) -> bytes | None:
            if not name.endswith("-unsupported"):
                names.append(name)
            return read(name)

        return reading

    monkeypatch.setattr(cache, "read_entry", recorded(cache.read_entry))
    monkeypatch.setattr(cache, "read_self_checked", recorded(cache.read_self_checked))
    return names


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_the_encodings_database_is_loaded_only_once_a_chunk_could_hold_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_matcher(SHIPPED.rules, SHIPPED.digest, "hyperscan")  # the rules' one in the cache
    loads = loaded_databases(monkeypatch)
    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, "hyperscan")
    assert matches_of(matcher, "def handler(request):\n    return request.user_name\n") == []
    assert [name.rsplit("-", 1)[-1] for name in loads] == ["rules"]
    key = openai_key()
    assert matches_of(matcher, f"blob: {b64(key)}\n") == [(PROJECT, key, ("base64",), 6)]
    assert [name.rsplit("-", 1)[-1] for name in loads] == ["rules", "encoded"]
    assert matches_of(matcher, f"again: {b64(key)}\n") != []
    assert len(loads) == 2


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_past_a_commits_worth_of_text_one_database_holds_rules_and_encodings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scanner.match import hyperscan_matcher as hs

    loads = loaded_databases(monkeypatch)
    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, "hyperscan")
    identifiers = b"value = some_long_identifier_without_any_base64_in_it\n"
    chunk = identifiers * (hs.GATE_BYTES // len(identifiers) // 2)
    matcher.survey(chunk)
    matcher.survey(chunk)
    assert [name.rsplit("-", 1)[-1] for name in loads] == ["rules"]
    key = openai_key()
    text = (chunk + f"blob: {b64(key)}\n".encode()).decode()
    assert matches_of(matcher, text)[-1][:3] == (PROJECT, key, ("base64",))
    assert [name.rsplit("-", 1)[-1] for name in loads] == ["rules", "combined"]


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_a_matcher_told_to_expect_volume_loads_the_combined_database_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_matcher(SHIPPED.rules, SHIPPED.digest, "hyperscan")  # the cache filled
    loads = loaded_databases(monkeypatch)
    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, "hyperscan")
    matcher.expect_volume()
    # the rules' database serves only a matcher's first quarter megabyte: never loaded here
    assert [name.rsplit("-", 1)[-1] for name in loads] == ["combined"]
    key = openai_key()
    assert matches_of(matcher, f"blob: {b64(key)}\n") == [(PROJECT, key, ("base64",), 6)]
    assert len(loads) == 1


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
@pytest.mark.parametrize("volume", [False, True])
def test_percent_signs_without_an_escape_are_not_walked_one_by_one(
    monkeypatch: pytest.MonkeyPatch, volume: bool
) -> None:
    """Most `%` in code format strings (`%s`, `%(name)s`): the database says whether a chunk
    holds any `%XX` escape at all, and a chunk without one is not searched for URL-encoded
    runs, which walked every `%` in Python."""
    from scanner.match import decoding

    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, "hyperscan")
    if volume:
        matcher.expect_volume()
    walked: list[bytes] = []
    original = decoding.percent_runs
    monkeypatch.setattr(
        decoding, "percent_runs", lambda content: walked.append(content) or original(content)
    )
    assert matches_of(matcher, 'log("%s: %(name)s at 100%%" % x)\n') == []
    assert walked == []
    key = openai_key()
    query = urllib.parse.quote(f"https://api.example.net/v1?key={key}&x=1", safe="")
    assert matches_of(matcher, f'log("%s")\nurl = "{query}"\n')[0][:3] == (PROJECT, key, ("url",))
    assert len(walked) == 1


def test_the_decoders_alphabets_are_the_string_modules() -> None:
    """Written out as bytes, so the hook need not import `string`."""
    import string

    from scanner.match import decoding

    assert set(decoding.STANDARD) == set((string.ascii_letters + string.digits + "+/").encode())
    assert sorted(decoding.PRINTABLE) == sorted(string.printable.encode())
