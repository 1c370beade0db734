"""Stripe: `GET /v1/balance`, which holds no customer data; test-mode keys are never sent."""

from __future__ import annotations

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Reply, Request
from scanner.verify.providers._common import (
    bearer,
    error_fields,
    headers,
    invalid,
    live,
    rate_limited,
    restricted,
    skipped,
    unexpected,
)

BASE_URL = "https://api.stripe.com"


def build_request(candidate: Candidate) -> Request | Verdict:
    if "_test_" in candidate.secret[:8]:
        return skipped("test-mode key")
    return Request(
        "GET", "/v1/balance", headers(bearer(candidate.secret)), secrets=(candidate.secret,)
    )


def classify(reply: Reply) -> Verdict | None:
    code, _, message = error_fields(reply)
    body = reply.json_object()
    if reply.status == 200:
        if body.get("object") != "balance":
            return unexpected(reply)
        return live(livemode=body.get("livemode"))
    if reply.status == 401:
        if code == "api_key_expired":
            return invalid(code)
        if "invalid api key" in message:
            return invalid("invalid api key")
    if reply.status == 403:
        return restricted("missing permissions")
    if reply.status == 429:
        return rate_limited()
    return None
