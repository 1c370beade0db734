"""Every verdict for every provider, against the loopback fake provider (no internet)."""

from __future__ import annotations

import time
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


def google_error(code: int, status: str, reason: str = "") -> dict[str, object]:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}]
    return {"error": {"code": code, "message": "...", "status": status, "details": details}}


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


OPENAI_SCOPES = "You have insufficient permissions for this operation. Missing scopes: model.read."
CASES = (
    # OpenAI
    Case("openai-live", "openai", (Answer(),), S.LIVE),
    Case(
        "openai-invalid",
        "openai",
        (Answer(401, error("invalid_api_key", "invalid_request_error", "Incorrect API key")),),
        S.INVALID,
    ),
    Case(
        "openai-scopes-401",
        "openai",
        (Answer(401, error(None, "invalid_request_error", OPENAI_SCOPES)),),
        S.LIVE_RESTRICTED,
    ),
    Case(
        "openai-scopes-403",
        "openai",
        (Answer(403, error(None, "invalid_request_error", OPENAI_SCOPES)),),
        S.LIVE_RESTRICTED,
    ),
    Case(
        "openai-quota",
        "openai",
        (Answer(429, error("insufficient_quota", "insufficient_quota", "exceeded quota")),),
        S.LIVE_QUOTA_EXHAUSTED,
    ),
    Case(
        "openai-billing-not-active",
        "openai",
        (Answer(429, error("billing_not_active", "billing_not_active", "Account not active")),),
        S.LIVE_QUOTA_EXHAUSTED,
    ),
    Case("openai-long-list", "openai", (Answer(200, long_list("data")),), S.LIVE),
    Case(
        "openai-rate",
        "openai",
        (Answer(429, error("rate_limit_exceeded", "requests", "Rate limit"), LATER),),
        S.RATE_LIMITED,
    ),
    Case(
        "openai-geo",
        "openai",
        (Answer(403, error("unsupported_country_region_territory", "request_forbidden", "no")),),
        S.UNKNOWN,
    ),
    Case(
        "openai-admin-live",
        "openai",
        (Answer(200, {"object": "list", "data": [{"owner": {"email": "x@example.com"}}]}),),
        S.LIVE,
        key=lambda: make_key("openai").replace("sk-proj-", "sk-admin-"),
    ),
    # Anthropic
    Case("anthropic-live", "anthropic", (Answer(),), S.LIVE),
    Case("anthropic-long-list", "anthropic", (Answer(200, long_list("data")),), S.LIVE),
    Case(
        "anthropic-invalid",
        "anthropic",
        (Answer(401, {"type": "error", "error": {"type": "authentication_error"}}),),
        S.INVALID,
    ),
    Case(
        "anthropic-billing",
        "anthropic",
        (Answer(402, {"type": "error", "error": {"type": "billing_error"}}),),
        S.LIVE_QUOTA_EXHAUSTED,
    ),
    Case(
        "anthropic-rate",
        "anthropic",
        (Answer(429, {"type": "error", "error": {"type": "rate_limit_error"}}, LATER),),
        S.RATE_LIMITED,
    ),
    Case(
        "anthropic-overloaded",
        "anthropic",
        (Answer(529, {"type": "error", "error": {"type": "overloaded_error"}}),),
        S.UNKNOWN,
        requests=3,
    ),
    Case(
        "anthropic-permission",
        "anthropic",
        (Answer(403, {"type": "error", "error": {"type": "permission_error"}}),),
        S.UNKNOWN,
    ),
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
        "github-live",
        "github",
        (Answer(200, None, {"X-OAuth-Scopes": "repo, read:org"}),),
        S.LIVE,
        details={"login": "octo-bot", "type": "Bot", "scopes": "repo, read:org"},
    ),
    Case(
        "github-installation-live",
        "github",
        (Answer(),),
        S.LIVE,
        key=lambda: github_token("ghs_"),
    ),
    Case("github-invalid", "github", (Answer(401, {"message": "Bad credentials"}),), S.INVALID),
    Case(
        "github-integration",
        "github",
        (Answer(403, {"message": "Resource not accessible by integration"}),),
        S.LIVE_RESTRICTED,
    ),
    Case(
        "github-rate",
        "github",
        (
            Answer(
                403,
                {"message": "API rate limit exceeded"},
                {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 3600)},
            ),
        ),
        S.RATE_LIMITED,
    ),
    Case(
        "github-secondary-rate-no-hint",
        "github",
        (Answer(403, {"message": "You have exceeded a secondary rate limit."}),),
        S.RATE_LIMITED,
    ),
    Case(
        "github-user-agent",
        "github",
        (Answer(403, {"message": "Request forbidden: missing User-Agent header"}),),
        S.UNKNOWN,
    ),
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
    # GitLab
    Case(
        "gitlab-live",
        "gitlab",
        (Answer(),),
        S.LIVE,
        details={"name": "ci-token", "scopes": "read_api", "expires": "2030-01-01"},
    ),
    Case("gitlab-invalid", "gitlab", (Answer(401, {"message": "401 Unauthorized"}),), S.INVALID),
    Case(
        "gitlab-inactive",
        "gitlab",
        (Answer(200, {"id": 1, "name": "old", "active": False, "revoked": True}),),
        S.INVALID,
    ),
    Case(
        "gitlab-scope",
        "gitlab",
        (Answer(403, {"error": "insufficient_scope", "error_description": "..."}),),
        S.LIVE_RESTRICTED,
    ),
    Case(
        "gitlab-rate", "gitlab", (Answer(429, {"message": "Retry later"}, LATER),), S.RATE_LIMITED
    ),
    # Slack: HTTP 200 even for bad tokens
    Case(
        "slack-live",
        "slack",
        (Answer(),),
        S.LIVE,
        details={"team": "Acme", "team_id": "T0001", "user_id": "U0001"},
    ),
    Case(
        "slack-invalid",
        "slack",
        (Answer(200, {"ok": False, "error": "invalid_auth"}),),
        S.INVALID,
    ),
    Case(
        "slack-revoked",
        "slack",
        (Answer(200, {"ok": False, "error": "token_revoked"}),),
        S.INVALID,
    ),
    Case(
        "slack-rate",
        "slack",
        (Answer(429, {"ok": False, "error": "ratelimited"}, LATER),),
        S.RATE_LIMITED,
    ),
    Case(
        "slack-other-error",
        "slack",
        (Answer(200, {"ok": False, "error": "fatal_error"}),),
        S.UNKNOWN,
    ),
    Case(
        "slack-app-token-skipped",
        "slack",
        (),
        S.SKIPPED,
        requests=0,
        key=lambda: "xapp-1-A0123456789-1234567890-" + "ab" * 32,
    ),
    # Stripe
    Case("stripe-live", "stripe", (Answer(),), S.LIVE, details={"livemode": "true"}),
    Case(
        "stripe-invalid",
        "stripe",
        (Answer(401, {"error": {"message": "Invalid API Key provided: sk_live_***"}}),),
        S.INVALID,
    ),
    Case(
        "stripe-expired",
        "stripe",
        (Answer(401, {"error": {"code": "api_key_expired", "message": "Expired API Key"}}),),
        S.INVALID,
    ),
    Case(
        "stripe-restricted",
        "stripe",
        (Answer(403, {"error": {"message": "does not have the required permissions"}}),),
        S.LIVE_RESTRICTED,
    ),
    Case(
        "stripe-rate",
        "stripe",
        (Answer(429, {"error": {"code": "rate_limit"}}, LATER),),
        S.RATE_LIMITED,
    ),
    Case(
        "stripe-test-skipped",
        "stripe",
        (),
        S.SKIPPED,
        requests=0,
        key=lambda: make_key("stripe").replace("_live_", "_test_"),
    ),
    # Hugging Face
    Case("huggingface-live", "huggingface", (Answer(),), S.LIVE, details={"role": "read"}),
    Case(
        "huggingface-invalid",
        "huggingface",
        (Answer(401, {"error": "Invalid credentials in Authorization header"}),),
        S.INVALID,
    ),
    Case("huggingface-rate", "huggingface", (Answer(429, {}, LATER),), S.RATE_LIMITED),
    # Google
    Case("google-live", "google", (Answer(),), S.LIVE),
    Case("google-long-list", "google", (Answer(200, long_list("models")),), S.LIVE),
    Case(
        "google-invalid",
        "google",
        (Answer(400, google_error(400, "INVALID_ARGUMENT", "API_KEY_INVALID")),),
        S.INVALID,
    ),
    Case(
        "google-disabled",
        "google",
        (Answer(403, google_error(403, "PERMISSION_DENIED", "SERVICE_DISABLED")),),
        S.LIVE_RESTRICTED,
    ),
    Case(
        "google-referrer",
        "google",
        (Answer(403, google_error(403, "PERMISSION_DENIED", "API_KEY_HTTP_REFERRER_BLOCKED")),),
        S.LIVE_RESTRICTED,
    ),
    Case(
        "google-billing",
        "google",
        (Answer(403, google_error(403, "PERMISSION_DENIED", "BILLING_DISABLED")),),
        S.LIVE_QUOTA_EXHAUSTED,
    ),
    Case(
        "google-other-denied",
        "google",
        (Answer(403, google_error(403, "PERMISSION_DENIED", "CONSUMER_INVALID")),),
        S.UNKNOWN,
    ),
    Case(
        "google-location",
        "google",
        (Answer(400, google_error(400, "FAILED_PRECONDITION")),),
        S.UNKNOWN,
    ),
    Case(
        "google-rate",
        "google",
        (Answer(429, google_error(429, "RESOURCE_EXHAUSTED"), LATER),),
        S.RATE_LIMITED,
    ),
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
    # OpenRouter
    Case("openrouter-live", "openrouter", (Answer(),), S.LIVE, details={"is_free_tier": "false"}),
    Case(
        "openrouter-limit-reached",
        "openrouter",
        (Answer(200, {"data": {"limit": 5, "limit_remaining": 0, "usage": 5}}),),
        S.LIVE_QUOTA_EXHAUSTED,
    ),
    Case(
        "openrouter-invalid",
        "openrouter",
        (Answer(401, {"error": {"message": "No auth credentials found", "code": 401}}),),
        S.INVALID,
    ),
    Case(
        "openrouter-payment",
        "openrouter",
        (Answer(402, {"error": {"code": 402}}),),
        S.LIVE_QUOTA_EXHAUSTED,
    ),
    Case("openrouter-rate", "openrouter", (Answer(429, {}, LATER),), S.RATE_LIMITED),
    # DeepSeek
    Case("deepseek-live", "deepseek", (Answer(),), S.LIVE, details={"currencies": "USD"}),
    Case(
        "deepseek-empty",
        "deepseek",
        (Answer(200, {"is_available": False, "balance_infos": []}),),
        S.LIVE_QUOTA_EXHAUSTED,
    ),
    Case(
        "deepseek-invalid",
        "deepseek",
        (Answer(401, {"error": {"message": "Authentication Fails"}}),),
        S.INVALID,
    ),
    Case(
        "deepseek-balance",
        "deepseek",
        (Answer(402, {"error": {"message": "Insufficient Balance"}}),),
        S.LIVE_QUOTA_EXHAUSTED,
    ),
    Case("deepseek-rate", "deepseek", (Answer(429, {}, LATER),), S.RATE_LIMITED),
    Case("deepseek-unavailable", "deepseek", (Answer(503, {}),), S.UNKNOWN, requests=3),
    # xAI
    Case("xai-live", "xai", (Answer(),), S.LIVE, details={"name": "ci", "acls": "api-key:model:*"}),
    Case(
        "xai-disabled",
        "xai",
        (Answer(200, {"team_blocked": False, "api_key_blocked": False, "api_key_disabled": True}),),
        S.INVALID,
    ),
    Case(
        "xai-team-blocked",
        "xai",
        (Answer(200, {"team_blocked": True, "api_key_blocked": False, "api_key_disabled": False}),),
        S.LIVE_QUOTA_EXHAUSTED,
    ),
    Case("xai-bad-key", "xai", (Answer(400, {"error": "Incorrect API key provided"}),), S.INVALID),
    # a 400 about anything but the key (a malformed request, a changed API) proves nothing
    Case("xai-other-400", "xai", (Answer(400, {"error": "Invalid request body"}),), S.UNKNOWN),
    Case("xai-bare-400", "xai", (Answer(400, {}),), S.UNKNOWN),
    Case("xai-forbidden", "xai", (Answer(403, {"error": "blocked"}),), S.UNKNOWN),
    Case("xai-rate", "xai", (Answer(429, {}, LATER),), S.RATE_LIMITED),
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
