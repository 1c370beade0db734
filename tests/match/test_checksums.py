"""Offline checksums: tokens built here at run time, with a random body and a computed checksum."""

from __future__ import annotations

import base64
import secrets
import zlib
from pathlib import Path

import pytest

from scanner.errors import RuleError
from scanner.match.checksums import (
    BASE36,
    BASE62,
    CHECKS,
    encode,
    github_crc32_valid,
    gitlab_crc32_valid,
    gitlab_routable_crc32_valid,
    npm_crc32_valid,
)
from scanner.match.engine import build_matcher
from scanner.rules import load_rules
from tests.keys import ALNUM, random_text


def prefixed_token(prefix: str) -> str:
    body = random_text(30, ALNUM)
    return prefix + body + encode(zlib.crc32(body.encode()), BASE62, 6).decode()


def routable_token(prefix: str = "glpat-") -> str:
    payload = b"c:1\no:" + secrets.token_hex(2).encode() + b"\nu:" + secrets.token_hex(3).encode()
    raw = secrets.token_bytes(16) + payload + bytes([len(payload)])
    body = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    head = f"{prefix}{body}.01.{encode(len(body), BASE36, 2).decode()}"
    return head + encode(zlib.crc32(head.encode()), BASE36, 7).decode()


def other_digit(digit: str, alphabet: bytes) -> str:
    return next(chr(c) for c in alphabet if chr(c) != digit)


def break_last(token: str, alphabet: bytes) -> str:
    return token[:-1] + other_digit(token[-1], alphabet)


def test_encode_pads_with_the_zero_digit() -> None:
    assert encode(0, BASE62, 6) == b"000000"
    assert encode(61, BASE62, 6) == b"00000z"
    assert encode(62, BASE62, 3) == b"010"
    assert encode(35, BASE36, 2) == b"0z"
    assert encode(0xFFFFFFFF, BASE62, 6) == b"4gfFC3"


@pytest.mark.parametrize("prefix", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"])
def test_github_checksum(prefix: str) -> None:
    token = prefixed_token(prefix)
    assert github_crc32_valid(token.encode())
    assert not github_crc32_valid(break_last(token, BASE62).encode())
    # a changed random character breaks the checksum too
    flipped = token[:4] + other_digit(token[4], BASE62) + token[5:]
    assert not github_crc32_valid(flipped.encode())


def test_github_checksum_rejects_wrong_length_and_alphabet() -> None:
    token = prefixed_token("ghp_")
    assert not github_crc32_valid(token[:-1].encode())
    assert not github_crc32_valid((token + "A").encode())
    assert not github_crc32_valid(b"ghp_")
    assert not github_crc32_valid(b"")
    assert not github_crc32_valid(("ghp-" + token[4:]).encode())
    assert not github_crc32_valid((token[:10] + "-" + token[11:]).encode())


def test_the_alphabet_order_matters() -> None:
    """Encoding with lowercase before uppercase (a common base62 variant) must fail."""
    swapped = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while True:  # the two encodings agree only when every digit is 0-9, which is rare
        body = random_text(30, ALNUM)
        crc = zlib.crc32(body.encode())
        right, wrong = encode(crc, BASE62, 6), encode(crc, swapped, 6)
        if right != wrong:
            break
    assert not github_crc32_valid(f"ghp_{body}{wrong.decode()}".encode())
    assert github_crc32_valid(f"ghp_{body}{right.decode()}".encode())


def test_npm_checksum() -> None:
    token = prefixed_token("npm_")
    assert npm_crc32_valid(token.encode())
    assert not npm_crc32_valid(break_last(token, BASE62).encode())
    assert not npm_crc32_valid(token[:-2].encode())
    assert not npm_crc32_valid(("ghp_" + token[4:]).encode())


@pytest.mark.parametrize("prefix", ["glpat-", "glrt-t2_", "gldt-", "acme-glpat-"])
def test_gitlab_routable_checksum(prefix: str) -> None:
    token = routable_token(prefix)
    assert gitlab_routable_crc32_valid(token.encode())
    assert gitlab_crc32_valid(token.encode())
    assert not gitlab_crc32_valid(break_last(token, BASE36).encode())
    # the checksum covers the prefix: the same body under another prefix fails
    assert not gitlab_crc32_valid(("x" + token).encode())


def test_gitlab_routable_checksum_rejects_malformed_tails() -> None:
    token = routable_token()
    assert not gitlab_crc32_valid(token[:-1].encode())
    body, _, tail = token.rpartition(".")
    # a length field larger than the payload
    bad_length = f"{body}.zz{tail[2:]}"
    assert not gitlab_crc32_valid(bad_length.encode())
    assert not gitlab_crc32_valid(token.replace(".01.", ".1.").encode())
    assert not gitlab_routable_crc32_valid(b"glpat-" + random_text(20).encode())


def test_gitlab_legacy_tokens_have_nothing_to_check() -> None:
    assert gitlab_crc32_valid(("glpat-" + random_text(20)).encode())


def test_every_named_check_is_registered() -> None:
    assert set(CHECKS) == {"github-crc32", "npm-crc32", "gitlab-crc32", "jwt"}


RULE = """
[[rules]]
id = "demo-crc"
name = "Demo"
provider = "demo"
description = "A token for tests."
regex = '''(?P<secret>ghp_[A-Za-z0-9]{{36}})'''
keywords = ["ghp_"]
severity = "high"
remediation = "Rotate it."
checksum = "{checksum}"
examples = ["ghp_x"]
negative_examples = ["nothing"]
"""


def test_matcher_drops_a_token_with_a_wrong_checksum(tmp_path: Path) -> None:
    path = tmp_path / "demo.toml"
    path.write_text(RULE.format(checksum="github-crc32"), encoding="utf-8")
    ruleset = load_rules([path])
    matcher = build_matcher(ruleset.rules, ruleset.digest, "regex")
    good = prefixed_token("ghp_")
    bad = break_last(prefixed_token("ghp_"), BASE62)
    found = [m.secret.decode() for m in matcher.scan(f"a={good}\nb={bad}\n".encode()).matches]
    assert found == [good]


def test_unknown_checksum_name_is_a_rule_error(tmp_path: Path) -> None:
    path = tmp_path / "demo.toml"
    path.write_text(RULE.format(checksum="luhn"), encoding="utf-8")
    ruleset = load_rules([path])
    with pytest.raises(RuleError, match="unknown checksum 'luhn'"):
        build_matcher(ruleset.rules, ruleset.digest, "regex")
