"""Slack: `POST /api/auth.test`, which needs no scope and answers HTTP 200 even for bad tokens."""

from __future__ import annotations

import re
from typing import Any

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import (
    bearer,
    by_status,
    invalid,
    live,
    probe,
    rate_limited,
    skipped,
    unknown,
)

BASE_URL = "https://slack.com"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (
    r"xoxb-[0-9]{8,14}-(?:[0-9]{8,14}-)?[A-Za-z0-9]{24}",
    r"xoxp-[0-9]{8,14}-[0-9]{8,14}-[0-9]{8,14}-[a-f0-9]{32}",
    r"xapp-[0-9]{1,2}-A[A-Z0-9]{8,12}-[0-9]{8,14}-[a-f0-9]{64}",
    r"xoxe\.xox[bp]-[0-9]-[A-Za-z0-9]{100,250}",
    r"xox[ars]-(?:[0-9]{1,14}-){1,4}[A-Za-z0-9]{10,64}",
)
ERROR_CODE = re.compile(r"[a-z_]{1,40}")
INVALID_ERRORS = frozenset(
    ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired")
)
#: app-level and refresh tokens cannot call auth.test; the only probe would be a write or exchange
UNTESTABLE = ("xapp-", "xoxe-")


def build_request(candidate: Candidate) -> Request | Verdict:
    if candidate.secret.startswith(UNTESTABLE):
        return skipped("no read-only probe for this token type")
    secret = candidate.secret
    form = ("Content-Type", "application/x-www-form-urlencoded")
    return probe("/api/auth.test", secret, bearer(secret), form, method="POST")


def classify(reply: Reply) -> Verdict | None:
    return by_status(reply, _auth_test, {429: rate_limited()})


def _auth_test(body: dict[str, Any]) -> Verdict | None:
    if body.get("ok") is True:
        return live(
            team=body.get("team"),
            team_id=body.get("team_id"),
            user_id=body.get("user_id"),
            bot_id=body.get("bot_id"),
            enterprise_id=body.get("enterprise_id"),
        )
    error = body.get("error")
    if body.get("ok") is False and isinstance(error, str):
        if error in INVALID_ERRORS:
            return invalid(error)
        if error == "ratelimited":
            return rate_limited()
        # Slack's codes are short snake_case words; anything else is not repeated
        return unknown(f"slack error {error}" if ERROR_CODE.fullmatch(error) else "slack error")
    return None


PROVIDER = Provider("slack", BASE_URL, build_request, classify, SHAPES)
