"""JSON Web Tokens (rules/jwt.toml, match/jwt.py): a token whose header names its alg is
reported with its alg, issuer and expiry, its severity following them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scanner.match.engine import build_matcher
from scanner.match.jwt import claims, details, is_jwt, judged
from scanner.model import Chunk, Provenance, Severity
from scanner.pipeline.findings import make_findings
from scanner.rules import load_rules
from tests.cli_helpers import keyleak, scan_json
from tests.keys import jwt_token, random_text

SHIPPED = load_rules()
RULES = SHIPPED.by_id()
NOW = 1_800_000_000
LATER = NOW + 86_400
EARLIER = NOW - 86_400


def subject() -> str:
    return random_text(12)


def test_header_with_alg_is_a_jwt_and_one_without_is_not() -> None:
    assert is_jwt(jwt_token({"alg": "HS256", "typ": "JWT"}, {"sub": subject()}).encode())
    assert not is_jwt(jwt_token({"typ": "JWT"}, {"sub": subject()}).encode())
    assert not is_jwt(jwt_token({"alg": 5}, {"sub": subject()}).encode())
    assert not is_jwt(b"eyJub3QganNvbg.eyJzdWIiOiJ4In0.abc")


@pytest.mark.parametrize("engine", ["regex", "hyperscan"])
def test_rule_finds_a_signed_and_an_unsigned_token_but_not_dotted_base64(engine: str) -> None:
    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, engine)  # type: ignore[arg-type]
    signed = jwt_token({"alg": "RS256"}, {"sub": subject(), "iss": "login"})
    unsigned = jwt_token({"alg": "none"}, {"sub": subject()}, signed=False)
    not_jwt = jwt_token({"typ": "JWT"}, {"sub": subject()})
    text = f'a = "{signed}"\nb = {unsigned}\nc = "{not_jwt}"\n'.encode()
    found = [(m.rule_id, m.secret.decode()) for m in matcher.scan(text).matches]
    assert ("jwt", signed) in found
    assert ("jwt", unsigned) in found
    assert not any(secret == not_jwt for _, secret in found)


def test_details_name_alg_issuer_and_expiry_against_the_clock() -> None:
    live = claims(
        jwt_token({"alg": "ES256"}, {"iss": "https://id.acme.test", "exp": LATER}).encode()
    )
    assert live is not None
    assert details(live, NOW) == (
        ("alg", "ES256"),
        ("issuer", "https://id.acme.test"),
        ("expires", "2027-01-16T08:00:00Z (not expired)"),
    )
    assert dict(details(live, LATER + 1))["expires"].endswith("(expired)")
    forever = claims(jwt_token({"alg": "HS256"}, {"sub": subject()}).encode())
    assert forever is not None
    assert dict(details(forever, NOW)) == {"alg": "HS256", "expires": "never (no exp claim)"}


@pytest.mark.parametrize(
    ("header", "payload", "signed", "severity"),
    [
        ({"alg": "HS256"}, {"exp": LATER}, True, Severity.MEDIUM),
        ({"alg": "HS256"}, {"exp": EARLIER}, True, Severity.LOW),
        ({"alg": "HS256"}, {}, True, Severity.HIGH),
        ({"alg": "none"}, {}, False, Severity.LOW),
    ],
)
def test_severity_follows_expiry_and_signature(
    header: dict[str, object], payload: dict[str, object], signed: bool, severity: Severity
) -> None:
    token = jwt_token(header, {"sub": subject(), **payload}, signed).encode()
    assert judged(token, Severity.MEDIUM, NOW)[0] is severity


def test_issuer_is_cleaned_and_masked() -> None:
    key_like = random_text(30)
    token = jwt_token({"alg": "HS256"}, {"iss": f"evil\x1b[2J{key_like}"}).encode()
    found = claims(token)
    assert found is not None
    issuer = dict(details(found, NOW))["issuer"]
    assert "\x1b" not in issuer
    assert key_like not in issuer


def test_finding_carries_details_but_never_the_signature() -> None:
    token = jwt_token({"alg": "HS256"}, {"sub": subject(), "iss": "acme", "exp": 2_000_000_000})
    signature = token.rsplit(".", 1)[1]
    chunk = Chunk(f"TOKEN={token}\n".encode(), Provenance("app.env"))
    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, "regex")
    findings, _ = make_findings(chunk, matcher.scan(chunk.content).matches, RULES)
    (finding,) = [f for f in findings if f.rule_id == "jwt"]
    assert dict(finding.details)["issuer"] == "acme"
    assert dict(finding.details)["alg"] == "HS256"
    expected = "(expired)" if time.time() >= 2_000_000_000 else "(not expired)"
    assert dict(finding.details)["expires"].endswith(expected)
    assert all(signature not in text for _, text in finding.details)
    assert signature not in finding.redacted


def test_cli_reports_a_jwt_with_its_details_in_json_and_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expired = jwt_token(
        {"alg": "RS256"}, {"sub": subject(), "iss": "acme-sso", "exp": 1_600_000_000}
    )
    (tmp_path / "client.py").write_text(f'AUTH = "Bearer {expired}"\n')
    outcome = scan_json(capsys, tmp_path, ".")
    assert outcome.code == 1
    finding = outcome.by_secret()[expired]
    assert finding["rule_id"] == "jwt"
    assert finding["severity"] == "low"
    assert finding["details"] == {
        "alg": "RS256",
        "issuer": "acme-sso",
        "expires": "2020-09-13T12:26:40Z (expired)",
    }
    text = keyleak(capsys, tmp_path, "scan", ".")
    assert "issuer:" in text.out and "acme-sso" in text.out
    assert "2020-09-13T12:26:40Z (expired)" in text.out
    assert expired not in text.out
    assert expired.rsplit(".", 1)[1] not in text.out
