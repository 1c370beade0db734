"""Every `verify` table of the shipped rules, against a loopback server: each of its cases
gives the verdict it declares, from the request the table declares; and the safety properties
hold for every declared verifier (docs/rules.md#verification-the-verify-table)."""

from __future__ import annotations

import base64
import dataclasses
import random
import ssl
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from scanner.config.verification import VerifySettings
from scanner.model import Finding, Rule, Verdict, VerdictStatus
from scanner.rule_format import draw
from scanner.rule_verify import Case, Declaration, render
from scanner.rules import load_rules
from scanner.verify.declared import Bound, bind
from scanner.verify.registry import declarations, shipped_registry
from scanner.verify.runner import verify_findings
from tests.declared_server import EchoProvider, Reply, echo_provider
from tests.fake_provider import finding
from tests.verify.test_faults import RawServer, self_signed, success

RULES = {rule.id: rule for rule in load_rules().rules}
DECLARED, PROBLEMS = declarations(list(RULES.values()))
BOUND: dict[str, Bound] = {}
for _declaration in DECLARED.values():
    _bound, _ = bind(_declaration, RULES)
    if _bound is not None:
        BOUND[_declaration.rule_id] = _bound
NAMES = sorted({declaration.name for declaration in DECLARED.values()})
CASES = [
    pytest.param(declaration, case, id=f"{declaration.rule_id}-{index}-{case.verdict}")
    for declaration in DECLARED.values()
    for index, case in enumerate(declaration.cases)
]
#: one rule per verifier, for the properties every verifier must have
FIRST = {name: next(d for d in DECLARED.values() if d.name == name) for name in NAMES}
NO_RETRY = VerifySettings(enabled=True, timeout=5.0, max_retries=0, use_cache=False)


def variable(name: str) -> str:
    return f"KEYLEAK_{name.upper().replace('-', '_')}_BASE_URL"


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoProvider]:
    with echo_provider() as server:
        yield server


@pytest.fixture(autouse=True)
def point_at_echo(echo: EchoProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each verifier at its own path of the one server, so requests tell their verifier."""
    for name in NAMES:
        monkeypatch.setenv(variable(name), f"{echo.url}/{name}")


def example_key(rule: Rule, bound: Bound | None) -> str:
    """The rule's first example secret of the table's shape (rule examples are allowlisted)."""
    assert bound is not None, f"{rule.id}: its table does not bind"
    keys = [example.secret for example in rule.examples if bound.shape.fullmatch(example.secret)]
    assert keys, f"{rule.id}: no example secret has its verify shape {bound.shape.pattern}"
    return keys[0]


def partner_key(declaration: Declaration) -> str | None:
    if not declaration.pair:
        return None
    bound = BOUND[declaration.rule_id]
    assert bound.partner_shape is not None
    partner = RULES[declaration.pair]
    keys = [e.secret for e in partner.examples if bound.partner_shape.fullmatch(e.secret)]
    assert keys, f"{declaration.rule_id}: no example of {declaration.pair} has its shape"
    return keys[0]


def findings_for(declaration: Declaration, key: str) -> list[Finding]:
    found = [finding(declaration.rule_id, key)]
    partner = partner_key(declaration)
    if partner is not None:
        found.append(finding(declaration.pair, partner, line=2))
    return found


def verify(
    declaration: Declaration, key: str, settings: VerifySettings = NO_RETRY
) -> tuple[Verdict, list[str]]:
    said: list[str] = []
    results = verify_findings(
        findings_for(declaration, key),
        {declaration.rule_id: declaration.name},
        settings,
        said.append,
        shipped_registry(),
    )
    verdict = results[0].verdict
    assert verdict is not None
    return verdict, said


def expected_request(declaration: Declaration, key: str) -> tuple[str, dict[str, str], bytes]:
    bound = BOUND[declaration.rule_id]
    match = bound.shape.fullmatch(key)
    assert match is not None
    values = {"secret": key, **match.groupdict(default="")}
    partner = partner_key(declaration)
    if partner is not None:
        values["partner"] = partner
    target = render(declaration.target, values, escape=lambda value: quote(value, safe=""))
    headers = {name: render(value, values) for name, value in declaration.headers}
    if declaration.basic is not None:
        user, password = (render(part, values) for part in declaration.basic)
        headers["Authorization"] = (
            "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        )
    return f"/{declaration.name}{target}", headers, render(declaration.body, values).encode()


def test_every_shipped_verify_table_is_valid_and_binds() -> None:
    assert PROBLEMS == []
    assert set(BOUND) == set(DECLARED)
    assert len(DECLARED) >= 1


@pytest.mark.parametrize(("declaration", "case"), CASES)
def test_each_declared_case_gives_its_verdict_to_the_request_declared(
    echo: EchoProvider, declaration: Declaration, case: Case
) -> None:
    rule = RULES[declaration.rule_id]
    key = example_key(rule, BOUND.get(declaration.rule_id))
    echo.reset(Reply(case.status, case.body, dict(case.headers), case.content_type))
    verdict, _ = verify(declaration, key)
    assert verdict.status is VerdictStatus(case.verdict), verdict
    if case.reason is not None:
        assert verdict.reason == case.reason
    if case.details is not None:
        assert dict(verdict.details) == dict(case.details)
    assert key not in verdict.reason and all(key not in value for _, value in verdict.details)
    assert len(echo.received) == 1
    sent = echo.received[0]
    target, headers, body = expected_request(declaration, key)
    assert (sent.method, sent.target) == (declaration.method, target)
    for name, value in headers.items():
        assert sent.headers.get(name) == value, name
    assert sent.body == body
    assert sent.headers["User-Agent"].startswith("keyleak/")


@pytest.mark.parametrize("name", NAMES)
def test_keys_go_only_to_the_declared_https_host(name: str) -> None:
    provider = shipped_registry().named(name)
    assert provider is not None
    declaration = FIRST[name]
    if provider.user_host:
        assert declaration.url.startswith("https://{host}/")
    else:
        assert provider.base_url == declaration.origin
        assert provider.base_url.startswith("https://") and provider.base_url.count("/") == 2


@pytest.mark.parametrize("name", NAMES)
def test_a_dry_run_sends_nothing_and_prints_the_request_masked(
    echo: EchoProvider, name: str
) -> None:
    declaration = FIRST[name]
    key = example_key(RULES[declaration.rule_id], BOUND[declaration.rule_id])
    echo.reset(Reply())
    verdict, said = verify(declaration, key, VerifySettings(enabled=True, dry_run=True))
    assert verdict.status is VerdictStatus.SKIPPED
    assert echo.received == []
    text = "\n".join(said)
    _, headers, _ = expected_request(declaration, key)
    # the request line up to the first value, as sent to the (here overridden) base URL
    fixed = declaration.target.split("{")[0]
    assert f"would send: {declaration.method} {echo.url}/{name}{fixed}" in text
    assert key not in text and quote(key, safe="") not in text
    # nor any part of it that the table's shape names (Telegram's bot secret)
    parts = BOUND[declaration.rule_id].shape.fullmatch(key)
    assert parts is not None
    for part in parts.groupdict(default="").values():
        assert len(part) < 8 or part not in text, part
    for header in headers:
        assert f"  {header}: " in text
    if declaration.basic is not None:
        assert "  Authorization: Basic " in text


@pytest.mark.parametrize("name", NAMES)
def test_a_redirect_is_unknown_and_never_followed(echo: EchoProvider, name: str) -> None:
    declaration = FIRST[name]
    key = example_key(RULES[declaration.rule_id], BOUND[declaration.rule_id])
    echo.reset(Reply(302, "", {"Location": f"{echo.url}/elsewhere"}))
    verdict, _ = verify(declaration, key)
    assert (verdict.status, verdict.reason) == (VerdictStatus.UNKNOWN, "redirect (not followed)")
    assert len(echo.received) == 1


@pytest.mark.parametrize("name", NAMES)
def test_a_second_run_is_answered_by_the_cache(
    echo: EchoProvider, name: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYLEAK_CACHE_DIR", str(tmp_path))
    declaration = FIRST[name]
    key = example_key(RULES[declaration.rule_id], BOUND[declaration.rule_id])
    live = next(case for case in declaration.cases if case.verdict == "live")
    echo.reset(Reply(live.status, live.body, dict(live.headers), live.content_type))
    cached = VerifySettings(enabled=True, timeout=5.0, max_retries=0)
    first, _ = verify(declaration, key, cached)
    second, _ = verify(declaration, key, cached)
    assert first == second and first.status is VerdictStatus.LIVE
    assert len(echo.received) == 1


def test_limits_hold_across_every_declared_verifier(echo: EchoProvider) -> None:
    """Several keys of every verifier at once: no more in flight than the limits allow."""
    echo.latency = 0.02
    rng = random.Random(19)
    findings: list[Finding] = []
    verifiers: dict[str, str] = {}
    for name in NAMES:
        declaration = FIRST[name]
        if declaration.pair:
            continue
        rule, bound = RULES[declaration.rule_id], BOUND[declaration.rule_id]
        keys = {draw(rule.format, rng) for _ in range(6)} if rule.format else set()
        keys = {key for key in keys if bound.shape.fullmatch(key)}
        verifiers[rule.id] = name
        findings += [finding(rule.id, key, line=n) for n, key in enumerate(sorted(keys), 1)]
    echo.reset(Reply(200, "{}"))
    settings = VerifySettings(
        enabled=True, use_cache=False, max_retries=0, concurrency=6, per_provider=2
    )
    try:
        verify_findings(findings, verifiers, settings, lambda _: None, shipped_registry())
    finally:
        echo.latency = 0.0
    assert echo.received
    assert max(echo.max_in_flight.values()) <= 2
    assert echo.max_in_flight_total <= 6


@pytest.fixture(scope="module")
def untrusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawServer]:
    """A TLS server on loopback whose certificate nobody trusts."""
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with RawServer(success, tls=context) as server:
        yield server


@pytest.mark.parametrize("name", NAMES)
def test_an_untrusted_certificate_is_refused_before_any_key_is_sent(
    untrusted: RawServer, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(variable(name), untrusted.url)
    declaration = FIRST[name]
    key = example_key(RULES[declaration.rule_id], BOUND[declaration.rule_id])
    verdict, _ = verify(declaration, key)
    assert verdict.status is VerdictStatus.UNKNOWN
    assert "TLS" in verdict.reason and "not trusted" in verdict.reason
    assert untrusted.settle()
    assert untrusted.requests == []


def test_the_run_deadline_holds_for_every_declared_verifier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Answers slower than the run's deadline: every key is unknown, none waits for its answer."""
    findings = [
        finding(d.rule_id, example_key(RULES[d.rule_id], BOUND[d.rule_id]), line=n)
        for n, d in enumerate(FIRST.values(), 1)
        if not d.pair
    ]
    verifiers = {d.rule_id: d.name for d in FIRST.values()}
    settings = VerifySettings(
        enabled=True, use_cache=False, max_retries=0, run_deadline=0.3, concurrency=64
    )
    with echo_provider(latency=1.0) as slow:
        for name in NAMES:
            monkeypatch.setenv(variable(name), f"{slow.url}/{name}")
        results = verify_findings(findings, verifiers, settings, lambda _: None, shipped_registry())
    verdicts = [result.verdict for result in results if result.verdict is not None]
    assert len(verdicts) == len(findings)
    assert {verdict.status for verdict in verdicts} == {VerdictStatus.UNKNOWN}
    assert {verdict.reason for verdict in verdicts} <= {
        "verification deadline reached",
        "timed out",
    }


def test_each_rule_names_the_verifier_its_table_runs_under() -> None:
    """Findings go to the verifier a rule names: a `like` table runs under its target's name."""
    assert {rule_id: RULES[rule_id].verify for rule_id in DECLARED} == {
        rule_id: declaration.name for rule_id, declaration in DECLARED.items()
    }


def test_a_like_table_without_a_name_takes_its_targets_verifier() -> None:
    from scanner.rules import liked_verifiers

    target = RULES["openai-api-key"]
    copy = dataclasses.replace(
        target, id="copy-key", verify="other-service", verification='{"like":"openai-api-key"}'
    )
    assert [rule.verify for rule in liked_verifiers([target, copy])] == ["openai", "openai"]
