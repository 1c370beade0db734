"""What the rules' verify cases cannot say, against the loopback fake provider (no internet):
answers too long to write in a case, keys never sent, AWS, and the answers every provider
meets alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from scanner.model import VerdictStatus
from tests.fake_provider import (
    PROVIDERS,
    Answer,
    FakeProvider,
    aws_secret,
    fake_provider,
    github_token,
    make_key,
    override_all,
    verify_key,
)

S = VerdictStatus
LATER = {"Retry-After": "3600"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProvider]:
    with fake_provider() as running:
        yield running


@pytest.fixture(autouse=True)
def point_at_server(server: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    override_all(server, monkeypatch)


def error(code: str | None, kind: str, message: str) -> dict[str, object]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def aws_error(code: str, message: str = "...") -> str:
    error = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return f"<ErrorResponse>{error}</ErrorResponse>"


@dataclass(frozen=True)
class Case:
    name: str
    provider: str
    answers: tuple[Answer, ...]
    status: VerdictStatus
    requests: int = 1
    key: Callable[[], str] | None = None
    details: dict[str, str] = field(default_factory=dict)


def long_list(field: str) -> dict[str, object]:
    """A listing answer longer than the 64 KiB keyleak reads: many models, as a real API has."""
    return {
        "object": "list",
        field: [{"id": f"model-{n:05d}", "object": "model"} for n in range(3000)],
    }


CASES = (
    # OpenAI
    Case("openai-long-list", "openai", (Answer(200, long_list("data")),), S.LIVE),
    # Anthropic
    Case("anthropic-long-list", "anthropic", (Answer(200, long_list("data")),), S.LIVE),
    Case(
        "anthropic-oauth-skipped",
        "anthropic",
        (),
        S.SKIPPED,
        requests=0,
        key=lambda: make_key("anthropic").replace("sk-ant-api03-", "sk-ant-oat01-"),
    ),
    # GitHub
    Case(
        "github-checksum-skipped",
        "github",
        (),
        S.SKIPPED,
        requests=0,
        key=lambda: github_token(valid=False),
    ),
    Case(
        "github-refresh-skipped",
        "github",
        (),
        S.SKIPPED,
        requests=0,
        key=lambda: "ghr_" + make_key("github")[4:],
    ),
    # Slack
    Case(
        "slack-app-token-skipped",
        "slack",
        (),
        S.SKIPPED,
        requests=0,
        key=lambda: "xapp-1-A0123456789-1234567890-" + "ab" * 32,
    ),
    # Stripe
    Case(
        "stripe-test-skipped",
        "stripe",
        (),
        S.SKIPPED,
        requests=0,
        key=lambda: make_key("stripe").replace("_live_", "_test_"),
    ),
    # Google
    Case("google-long-list", "google", (Answer(200, long_list("models")),), S.LIVE),
    # AWS (STS GetCallerIdentity, SigV4)
    Case(
        "aws-live",
        "aws",
        (Answer(),),
        S.LIVE,
        details={"account": "123456789012", "principal": "user"},
    ),
    Case(
        "aws-invalid-id",
        "aws",
        (Answer(403, aws_error("InvalidClientTokenId"), content_type="text/xml"),),
        S.INVALID,
    ),
    Case(
        # the id exists; only this secret is not its own: proof of nothing about the id
        "aws-wrong-secret",
        "aws",
        (Answer(403, aws_error("SignatureDoesNotMatch"), content_type="text/xml"),),
        S.UNKNOWN,
    ),
    Case(
        "aws-clock-skew",
        "aws",
        (
            Answer(
                403,
                aws_error("SignatureDoesNotMatch", "Signature expired: 20200101T000000Z"),
                content_type="text/xml",
            ),
        ),
        S.UNKNOWN,
    ),
    Case(
        "aws-throttled",
        "aws",
        (Answer(400, aws_error("Throttling"), content_type="text/xml"),),
        S.RATE_LIMITED,
        requests=3,
    ),
    Case(
        "aws-temporary-skipped",
        "aws",
        (),
        S.SKIPPED,
        requests=0,
        key=lambda: "ASIA" + make_key("aws")[4:],
    ),
    # Groq
    Case("groq-live", "groq", (Answer(),), S.LIVE),
    Case("groq-long-list", "groq", (Answer(200, long_list("data")),), S.LIVE),
    Case(
        "groq-invalid",
        "groq",
        (Answer(401, error("invalid_api_key", "invalid_request_error", "Invalid API Key")),),
        S.INVALID,
    ),
    Case("groq-forbidden", "groq", (Answer(403, {"error": {"message": "Forbidden"}}),), S.UNKNOWN),
    Case("groq-rate", "groq", (Answer(429, {}, LATER),), S.RATE_LIMITED),
    # SendGrid
    Case(
        "sendgrid-live",
        "sendgrid",
        (Answer(),),
        S.LIVE,
        details={"scope_count": "2", "mail_send": "true"},
    ),
    Case(
        "sendgrid-invalid",
        "sendgrid",
        (Answer(401, {"errors": [{"message": "authorization required"}]}),),
        S.INVALID,
    ),
    Case("sendgrid-restricted", "sendgrid", (Answer(403, {"errors": []}),), S.LIVE_RESTRICTED),
    Case("sendgrid-rate", "sendgrid", (Answer(429, {}, LATER),), S.RATE_LIMITED),
)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_provider_verdicts(case: Case, server: FakeProvider) -> None:
    key = (case.key or (lambda: make_key(case.provider)))()
    server.script(key, *case.answers)
    partner = aws_secret() if case.provider == "aws" else None
    verdict = verify_key(case.provider, key, partner=partner)
    assert verdict.status is case.status, verdict
    assert server.requests[key] == case.requests
    assert set(case.details.items()) <= set(verdict.details)
    assert not server.malformed


#: answers no provider's own table speaks of: every provider's verdict and request count alike
GENERIC = (
    (
        "html-page",
        (Answer(200, "<!DOCTYPE html><html>portal</html>", content_type="text/html"),),
        S.UNKNOWN,
        1,
    ),
    ("html-as-json", (Answer(200, "<html><body>sign in</body></html>"),), S.UNKNOWN, 1),
    ("missing-fields", (Answer(200, {}),), S.UNKNOWN, 1),
    ("teapot", (Answer(418, {}),), S.UNKNOWN, 1),
    ("server-error", (Answer(500, {}),), S.UNKNOWN, 3),
    ("closed", (Answer(close=True),), S.UNKNOWN, 3),
    # a rate limit asking for a longer wait than the run allows returns at once
    ("rate-limit-too-long", (Answer(429, {}, LATER),), S.RATE_LIMITED, 1),
    ("server-error-then-success", (Answer(500, {}), Answer()), S.LIVE, 2),
    # a proxy's or CDN's error page is a 5xx like any other: worth asking again
    (
        "html-server-error-then-success",
        (
            Answer(503, "<html><body>Service Unavailable</body></html>", content_type="text/html"),
            Answer(),
        ),
        S.LIVE,
        2,
    ),
)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("name", "answers", "status", "requests"), GENERIC, ids=[g[0] for g in GENERIC]
)
def test_generic_answers_get_the_same_verdict_from_every_provider(
    provider: str,
    name: str,
    answers: tuple[Answer, ...],
    status: VerdictStatus,
    requests: int,
    server: FakeProvider,
) -> None:
    key = make_key(provider)
    server.script(key, *answers)
    verdict = verify_key(provider, key, partner=aws_secret() if provider == "aws" else None)
    assert verdict.status is status, (name, verdict)
    assert server.requests[key] == requests


def test_aws_key_id_without_secret_is_skipped_unsent(server: FakeProvider) -> None:
    key = make_key("aws")
    verdict = verify_key("aws", key)
    assert verdict.status is S.SKIPPED
    assert "secret" in verdict.reason
    assert server.requests[key] == 0


def test_no_personal_data_in_details(server: FakeProvider) -> None:
    """The fake answers carry an email and a full name, as the real APIs do; none is kept."""
    for provider in ("github", "huggingface", "slack"):
        key = make_key(provider)
        verdict = verify_key(provider, key)
        assert verdict.status is S.LIVE
        values = " ".join(value for _, value in verdict.details)
        assert "example.com" not in values and "A Person" not in values
    # an IAM ARN ends in a user or role name, which may be a person's
    aws = verify_key("aws", make_key("aws"), partner=aws_secret())
    assert aws.status is S.LIVE
    assert not any("deploy" in value for _, value in aws.details)
