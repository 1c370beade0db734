"""Slack: `POST /api/auth.test`, which needs no scope and answers HTTP 200 even for bad tokens."""

from __future__ import annotations

import re

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Reply, Request
from scanner.verify.providers._common import (
    bearer,
    headers,
    invalid,
    live,
    rate_limited,
    skipped,
    unexpected,
    unknown,
)

BASE_URL = "https://slack.com"
ERROR_CODE = re.compile(r"[a-z_]{1,40}")
INVALID_ERRORS = frozenset(
    ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired")
)
#: app-level and refresh tokens cannot call auth.test; the only probe would be a write or exchange
UNTESTABLE = ("xapp-", "xoxe-")


def build_request(candidate: Candidate) -> Request | Verdict:
    if candidate.secret.startswith(UNTESTABLE):
        return skipped("no read-only probe for this token type")
    return Request(
        "POST",
        "/api/auth.test",
        headers(bearer(candidate.secret), ("Content-Type", "application/x-www-form-urlencoded")),
        secrets=(candidate.secret,),
    )


def classify(reply: Reply) -> Verdict | None:
    body = reply.json_object()
    if reply.status == 429:
        return rate_limited()
    if reply.status != 200:
        return None
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
    return unexpected(reply)
