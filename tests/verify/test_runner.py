"""How verification behaves as a client: redirects, timeouts, retries, cache, limits, secrecy."""

from __future__ import annotations

import dataclasses
import email.utils
import json
import logging
from datetime import datetime
from pathlib import Path

import pytest

from scanner.config.verification import VerifySettings
from scanner.errors import ConfigError
from scanner.model import VerdictStatus
from scanner.util.disk_cache import cache_dir, entry_path
from scanner.verify.plan import MAX_PARTNERS
from scanner.verify.runner import verify_findings
from scanner.verify.sigv4 import authorization, signing_key
from scanner.verify.verdict_cache import ENTRIES, SALT
from tests.fake_clock import EPOCH, FakeClock
from tests.fake_provider import (
    FAST,
    Answer,
    FakeProvider,
    aws_secret,
    fake_provider,
    finding,
    make_key,
    verify_key,
)

S = VerdictStatus
#: the example secret of AWS's documentation and test suite, assembled from pieces so that no
#: scanner takes this file for one holding a key
AWS_DOC_SECRET = "/".join(("wJalrXUtnFEMI", "K7MDENG+bPxRfiCY")) + "EXAMPLE" + "KEY"
VERIFIERS = {p: p for p in ("openai", "github", "anthropic", "slack", "aws")}


@pytest.fixture
def messages() -> list[str]:
    return []


def verify_one(
    key: str, messages: list[str], settings: VerifySettings = FAST, provider: str = "openai"
) -> VerdictStatus:
    return verify_key(provider, key, settings, say=messages.append).status


def test_redirect_is_not_followed(server: FakeProvider, messages: list[str]) -> None:
    key = make_key("openai")
    with fake_provider() as target:
        server.script(key, Answer(302, {}, {"Location": f"{target.url}/v1/models"}))
        (result,) = verify_findings([finding("openai", key)], VERIFIERS, FAST, messages.append)
        assert target.total == 0
    assert result.verdict is not None
    assert (result.verdict.status, result.verdict.reason) == (S.UNKNOWN, "redirect (not followed)")
    assert server.requests[key] == 1


def test_slow_server_times_out_as_unknown(server: FakeProvider, messages: list[str]) -> None:
    key = make_key("openai")
    server.script(key, Answer(delay=3.0))
    settings = dataclasses.replace(FAST, timeout=0.2, max_retries=0)
    (result,) = verify_findings([finding("openai", key)], VERIFIERS, settings, messages.append)
    assert result.verdict is not None
    assert (result.verdict.status, result.verdict.reason) == (S.UNKNOWN, "timed out")


def test_trickling_server_hits_the_total_deadline(
    server: FakeProvider, messages: list[str]
) -> None:
    """Each byte comes within the read timeout; the whole answer never does."""
    key = make_key("openai")
    server.script(key, Answer(200, {"object": "list", "data": ["x" * 200]}, trickle=0.05))
    settings = dataclasses.replace(FAST, timeout=0.3, deadline=0.6, max_retries=0)
    assert verify_one(key, messages, settings) is S.UNKNOWN


def test_the_whole_verification_ends_at_its_deadline(
    server: FakeProvider, messages: list[str]
) -> None:
    """One hung key must not hold the run for its timeouts and retries: what is in flight ends
    at the run's deadline, and what has not started is not sent."""
    hung, queued = make_key("openai"), make_key("openai")
    server.script(hung, Answer(delay=5.0))
    settings = dataclasses.replace(
        FAST, concurrency=1, per_provider=1, timeout=10.0, deadline=15.0, run_deadline=0.5
    )
    findings = [finding("openai", hung), finding("openai", queued, line=2)]
    results = verify_findings(findings, VERIFIERS, settings, messages.append)
    verdicts = [r.verdict for r in results if r.verdict]
    assert [v.status for v in verdicts] == [S.UNKNOWN, S.UNKNOWN]
    assert verdicts[1].reason == "verification deadline reached"
    assert (server.requests[hung], server.requests[queued]) == (1, 0)


def test_timeouts_are_retried(server: FakeProvider, messages: list[str]) -> None:
    key = make_key("openai")
    server.script(key, Answer(delay=3.0), Answer())
    settings = dataclasses.replace(FAST, timeout=0.2)
    clock = FakeClock()
    assert verify_key("openai", key, settings, say=messages.append, clock=clock).status is S.LIVE
    assert server.requests[key] == 2
    assert len(clock.waits) == 1 and 0 < clock.waits[0] <= settings.backoff


#: an OpenAI rate limit's body, which the answer table reads as `rate_limited`
RATE = {"error": {"message": "Rate limit reached", "type": "requests", "code": None}}


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"Retry-After": "1"}, 1.0, 1.0),
        ({"retry-after-ms": "200"}, 0.2, 0.2),
        # an HTTP date has whole seconds: three ahead of the clock's whole-second epoch
        ({"Retry-After": email.utils.formatdate(EPOCH + 3, usegmt=True)}, 2.0, 3.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(EPOCH) + 5)}, 4.0, 5.0),
    ],
    ids=["seconds", "milliseconds", "http-date", "reset-time"],
)
def test_rate_limit_then_success_waits_as_told(
    headers: dict[str, str], low: float, high: float, server: FakeProvider, messages: list[str]
) -> None:
    key = make_key("openai")
    server.script(key, Answer(429, RATE, headers), Answer())
    clock = FakeClock()
    assert verify_key("openai", key, FAST, say=messages.append, clock=clock).status is S.LIVE
    assert server.requests[key] == 2
    (wait,) = clock.waits
    assert low <= wait <= high


def test_without_a_hint_the_waits_double_per_retry(
    server: FakeProvider, messages: list[str]
) -> None:
    key = make_key("openai")
    server.script(key, Answer(503, {}), Answer(503, {}), Answer(503, {}), Answer())
    settings = dataclasses.replace(FAST, backoff=0.5, max_retries=3)
    clock = FakeClock()
    assert verify_key("openai", key, settings, say=messages.append, clock=clock).status is S.LIVE
    assert server.requests[key] == 4
    # each wait is its doubled base less up to half of it (jitter)
    bases = (0.5, 1.0, 2.0)
    assert all(base / 2 <= wait <= base for wait, base in zip(clock.waits, bases, strict=True))


@pytest.mark.parametrize(
    ("retry_after", "run_deadline", "waits", "asked"),
    [
        ("6", 10.0, [6.0], 2),  # the second wait of 6 s would end past the run's deadline
        ("3600", 120.0, [], 1),  # over max_wait: reported at once
    ],
    ids=["past-the-run-deadline", "over-max-wait"],
)
def test_a_rate_limit_is_not_waited_for_past_the_limits(
    retry_after: str,
    run_deadline: float,
    waits: list[float],
    asked: int,
    server: FakeProvider,
    messages: list[str],
) -> None:
    key = make_key("openai")
    limited = Answer(429, RATE, {"Retry-After": retry_after})
    server.script(key, limited, limited, Answer())
    settings = dataclasses.replace(FAST, run_deadline=run_deadline)
    clock = FakeClock()
    verdict = verify_key("openai", key, settings, say=messages.append, clock=clock)
    assert verdict.status is S.RATE_LIMITED
    assert clock.waits == waits
    assert server.requests[key] == asked


def test_invalid_and_quota_answers_are_never_retried(
    server: FakeProvider, messages: list[str]
) -> None:
    invalid, quota = make_key("openai"), make_key("openai")
    body = {"error": {"code": "invalid_api_key", "type": "invalid_request_error", "message": ""}}
    server.script(invalid, Answer(401, body, {"Retry-After": "0"}))
    exhausted = {"error": {"code": "insufficient_quota", "type": "insufficient_quota"}}
    server.script(quota, Answer(429, exhausted, {"Retry-After": "0"}))
    assert verify_one(invalid, messages) is S.INVALID
    assert verify_one(quota, messages) is S.LIVE_QUOTA_EXHAUSTED
    assert server.requests[invalid] == server.requests[quota] == 1


def test_should_retry_false_is_honoured(server: FakeProvider, messages: list[str]) -> None:
    key = make_key("anthropic")
    server.script(key, Answer(500, {}, {"x-should-retry": "false"}))
    assert verify_one(key, messages, provider="anthropic") is S.UNKNOWN
    assert server.requests[key] == 1


def test_identical_keys_are_verified_once(server: FakeProvider, messages: list[str]) -> None:
    key = make_key("openai")
    findings = [finding("openai", key, path=f"f{n}.py") for n in range(5)]
    results = verify_findings(findings, VERIFIERS, FAST, messages.append)
    assert server.requests[key] == 1
    assert {r.verdict.status for r in results if r.verdict} == {S.LIVE}
    assert all(r.verdict for r in results)


@pytest.mark.parametrize(
    ("providers", "settings", "overall", "per_provider"),
    [
        (
            ("openai", "slack", "anthropic") * 12,
            dataclasses.replace(FAST, concurrency=4, per_provider=2),
            4,
            2,
        ),
        # the defaults: eight overall, four per provider
        (("openai", "slack", "anthropic", "github") * 10, FAST, 8, 4),
    ],
    ids=["configured", "default"],
)
def test_concurrency_is_bounded_overall_and_per_provider(
    providers: tuple[str, ...],
    settings: VerifySettings,
    overall: int,
    per_provider: int,
    messages: list[str],
) -> None:
    with pytest.MonkeyPatch.context() as patch, fake_provider(0.2, patch) as server:
        findings = [finding(p, make_key(p)) for p in providers]
        results = verify_findings(findings, VERIFIERS, settings, messages.append)
    assert all(r.verdict and r.verdict.status is S.LIVE for r in results)
    assert server.total == len(providers)
    # never over the limits; and above one provider's limit, so the providers ran side by side
    assert per_provider < server.max_in_flight_total <= overall
    assert max(server.max_in_flight.values()) <= per_provider


def test_cache_answers_the_second_run(server: FakeProvider, messages: list[str]) -> None:
    cached = dataclasses.replace(FAST, use_cache=True)
    key = make_key("openai")
    assert verify_one(key, messages, cached) is S.LIVE
    assert verify_one(key, messages, cached) is S.LIVE
    assert server.requests[key] == 1
    assert verify_one(key, messages, FAST) is S.LIVE  # --no-verify-cache asks again
    assert server.requests[key] == 2
    blob = (entry_path(ENTRIES)).read_bytes()
    assert key.encode() not in blob and key[-12:].encode() not in blob
    assert len((cache_dir() / SALT).read_bytes()) == 32


def test_the_verdict_cache_folder_is_private(server: FakeProvider, messages: list[str]) -> None:
    """A scan may have made the cache directory already, readable by others (0755)."""
    cache_dir().mkdir(parents=True, mode=0o755)
    cache_dir().chmod(0o755)
    verify_one(make_key("openai"), messages, dataclasses.replace(FAST, use_cache=True))
    for path in (entry_path(ENTRIES), cache_dir() / SALT):
        assert (path.parent.stat().st_mode & 0o777) == 0o700, path
        assert (path.stat().st_mode & 0o777) == 0o600, path


def test_cache_entries_expire(server: FakeProvider, messages: list[str]) -> None:
    expired = dataclasses.replace(FAST, use_cache=True, cache_ttl=0.0)
    key = make_key("openai")
    verify_one(key, messages, expired)
    verify_one(key, messages, expired)
    assert server.requests[key] == 2


def test_cache_keeps_no_transient_verdicts(server: FakeProvider, messages: list[str]) -> None:
    cached = dataclasses.replace(FAST, use_cache=True)
    key = make_key("openai")
    server.script(key, Answer(503, {}), Answer(503, {}), Answer(503, {}), Answer())
    clock = FakeClock()
    assert verify_key("openai", key, cached, say=messages.append, clock=clock).status is S.UNKNOWN
    assert len(clock.waits) == cached.max_retries
    assert verify_one(key, messages, cached) is S.LIVE
    assert server.requests[key] == 4


@pytest.mark.parametrize(
    "damage", [b"garbage", b"", b"keyleak-cache-1\n" + b"0" * 64 + b"\n{}"], ids=str
)
def test_damaged_cache_is_ignored_and_rebuilt(
    damage: bytes, server: FakeProvider, messages: list[str]
) -> None:
    cached = dataclasses.replace(FAST, use_cache=True)
    key = make_key("openai")
    verify_one(key, messages, cached)
    path = entry_path(ENTRIES)
    path.write_bytes(damage)
    assert verify_one(key, messages, cached) is S.LIVE
    assert server.requests[key] == 2
    assert verify_one(key, messages, cached) is S.LIVE
    assert server.requests[key] == 2


def test_cache_with_a_wrong_shape_inside_a_valid_entry(
    server: FakeProvider, messages: list[str]
) -> None:
    from scanner.util.disk_cache import write_entry

    cached = dataclasses.replace(FAST, use_cache=True)
    key = make_key("openai")
    verify_one(key, messages, cached)
    entries = json.loads((entry_path(ENTRIES)).read_bytes().split(b"\n", 2)[2])
    write_entry(ENTRIES, json.dumps({name: {"at": "x"} for name in entries}).encode())
    assert verify_one(key, messages, cached) is S.LIVE
    assert server.requests[key] == 2


def test_dry_run_sends_nothing_and_shows_redacted_requests(
    server: FakeProvider, messages: list[str]
) -> None:
    key = make_key("openai")
    dry = dataclasses.replace(FAST, dry_run=True)
    (result,) = verify_findings([finding("openai", key)], VERIFIERS, dry, messages.append)
    assert server.total == 0
    assert result.verdict is not None and result.verdict.status is S.SKIPPED
    shown = "\n".join(messages)
    assert f"GET {server.url}/v1/models" in shown
    assert "Authorization: Bearer sk-proj-" in shown
    assert key not in shown and key[-12:] not in shown


def test_override_warns_and_bad_override_is_a_usage_error(
    server: FakeProvider, messages: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    verify_one(make_key("openai"), messages)
    assert any("redirected" in m and server.url in m for m in messages)
    monkeypatch.setenv("KEYLEAK_OPENAI_BASE_URL", "ftp://127.0.0.1:1")
    with pytest.raises(ConfigError):
        verify_one(make_key("openai"), messages)


def test_official_hosts_are_https() -> None:
    from scanner.verify.registry import provider_named
    from tests.fake_provider import PROVIDERS

    for name in PROVIDERS:
        provider = provider_named(name)
        assert provider is not None
        assert provider.base_url.startswith("https://")


def test_every_rule_that_names_a_verifier_names_a_registered_one() -> None:
    from scanner.rules import load_rules
    from scanner.verify.registry import shipped_registry

    PROVIDERS = shipped_registry().providers
    named = {rule.verify for rule in load_rules().rules if rule.verify is not None}
    assert named <= set(PROVIDERS)
    assert all(name == provider.name for name, provider in PROVIDERS.items())


def test_rules_without_a_verifier_are_skipped(server: FakeProvider, messages: list[str]) -> None:
    key = make_key("openai")
    findings = [finding("no-verify", key), finding("named-nothing", make_key("openai"))]
    results = verify_findings(
        findings, {"no-verify": None, "named-nothing": "nosuchprovider"}, FAST, messages.append
    )
    assert [r.verdict.status for r in results if r.verdict] == [S.SKIPPED, S.SKIPPED]
    assert server.total == 0


@pytest.mark.parametrize("provider", ["openai", "slack", "aws"])
def test_a_key_with_a_non_ascii_character_costs_that_key_only(
    provider: str, server: FakeProvider, messages: list[str]
) -> None:
    """A custom rule may find a key with any character; HTTP headers carry ASCII only."""
    odd, good = make_key(provider)[:-1] + "\u00e9", make_key(provider)
    findings = [finding(provider, odd), finding(provider, good, path="b.py")]
    if provider == "aws":
        findings += [
            finding("aws-secret-access-key", aws_secret(), line=2),
            finding("aws-secret-access-key", aws_secret(), path="b.py", line=2),
        ]
    results = verify_findings(findings, VERIFIERS, FAST, messages.append)
    statuses = [r.verdict.status for r in results[:2] if r.verdict]
    assert statuses == [S.SKIPPED, S.LIVE]
    assert server.requests[good] == 1 and server.total == 1


def test_a_key_two_providers_claim_is_sent_to_neither(
    server: FakeProvider, messages: list[str]
) -> None:
    key = make_key("openai")
    findings = [finding("openai", key), finding("slack", key, line=2)]
    results = verify_findings(findings, VERIFIERS, FAST, messages.append)
    assert all(r.verdict and r.verdict.status is S.SKIPPED for r in results)
    assert server.total == 0


def test_aws_pairs_the_nearest_secret_in_the_same_file(
    server: FakeProvider, messages: list[str]
) -> None:
    key_id = make_key("aws")
    near, far, elsewhere = aws_secret(), aws_secret(), aws_secret()
    findings = [
        finding("aws-secret-access-key", far, line=1),
        finding("aws", key_id, line=10),
        finding("aws-secret-access-key", near, line=11),
        finding("aws-secret-access-key", elsewhere, path="other.py", line=10),
    ]
    results = verify_findings(findings, VERIFIERS, FAST, messages.append)
    statuses = [r.verdict.status for r in results if r.verdict]
    assert statuses == [S.SKIPPED, S.LIVE, S.LIVE, S.SKIPPED]
    assert server.requests[key_id] == 1
    assert not server.malformed


def test_aws_ids_and_secrets_of_two_accounts_on_adjacent_lines_are_each_paired_right(
    server: FakeProvider, messages: list[str]
) -> None:
    """The DEV id's nearest secret is PROD's: signed with it, STS refuses the signature; the
    next secret near the id is tried, and both accounts' keys are live."""
    dev_id, prod_id = make_key("aws"), make_key("aws")
    dev_secret, prod_secret = aws_secret(), aws_secret()
    server.aws_secrets.update({dev_id: dev_secret, prod_id: prod_secret})
    findings = [
        finding("aws", dev_id, line=1),
        finding("aws", prod_id, line=2),
        finding("aws-secret-access-key", prod_secret, line=3),
        finding("aws-secret-access-key", dev_secret, line=4),
    ]
    results = verify_findings(findings, VERIFIERS, FAST, messages.append)
    assert [r.verdict.status for r in results if r.verdict] == [S.LIVE] * 4
    assert (server.requests[dev_id], server.requests[prod_id]) == (2, 1)
    assert not server.malformed


def test_an_aws_id_is_never_invalid_because_the_secrets_near_it_are_not_its_own(
    server: FakeProvider, messages: list[str]
) -> None:
    key_id = make_key("aws")
    server.aws_secrets[key_id] = aws_secret()
    findings = [finding("aws", key_id)]
    findings += [finding("aws-secret-access-key", aws_secret(), line=n) for n in (2, 3)]
    results = verify_findings(findings, VERIFIERS, FAST, messages.append)
    verdict = results[0].verdict
    assert verdict is not None and verdict.status is S.UNKNOWN
    assert "does not belong" in verdict.reason
    assert server.requests[key_id] == 2


def test_the_secrets_tried_with_one_aws_id_are_bounded(
    server: FakeProvider, messages: list[str]
) -> None:
    key_id = make_key("aws")
    server.aws_secrets[key_id] = aws_secret()
    findings = [finding("aws", key_id)]
    findings += [finding("aws-secret-access-key", aws_secret(), line=n) for n in range(2, 30)]
    results = verify_findings(findings, VERIFIERS, FAST, messages.append)
    assert results[0].verdict is not None and results[0].verdict.status is S.UNKNOWN
    assert server.requests[key_id] == MAX_PARTNERS


def test_sigv4_signing_key_matches_the_aws_documented_example() -> None:
    derived = signing_key(AWS_DOC_SECRET, "20150830", "us-east-1", "iam").hex()
    assert derived == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"


def test_sigv4_signature_matches_the_aws_test_suite_get_vanilla() -> None:
    """AWS's Signature Version 4 test suite, case get-vanilla (GET /, host and x-amz-date)."""
    _, header = authorization(
        key_id="AKIDEXAMPLE",
        secret=AWS_DOC_SECRET,
        host="example.amazonaws.com",
        path="/",
        query="",
        when=datetime(2015, 8, 30, 12, 36, 0),
        region="us-east-1",
        service="service",
    )
    assert header == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_no_key_text_in_logs_messages_or_verdicts(
    server: FakeProvider, messages: list[str], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    keys = {p: make_key(p) for p in ("openai", "github", "anthropic", "slack")}
    # answers that echo the key, as some providers do, in every path through the client
    for key in keys.values():
        server.script(key, Answer(401, {"error": {"message": f"bad key {key}", "code": key}}))
    closed = make_key("openai")
    server.script(closed, Answer(close=True))
    slow = make_key("openai")
    server.script(slow, Answer(delay=2.0))
    findings = [finding(p, k) for p, k in keys.items()]
    findings += [finding("openai", closed), finding("openai", slow)]
    settings = dataclasses.replace(FAST, timeout=0.2, use_cache=True)
    results = verify_findings(findings, VERIFIERS, settings, messages.append)
    texts = [record.getMessage() for record in caplog.records] + messages
    for result in results:
        assert result.verdict is not None
        texts.append(result.verdict.reason)
        texts.extend(value for _, value in result.verdict.details)
    texts.append((entry_path(ENTRIES)).read_bytes().decode("utf-8", "replace"))
    for key in [*keys.values(), closed, slow]:
        for text in texts:
            assert key not in text and key[-12:] not in text
