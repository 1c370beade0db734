"""Stripe: `GET /v1/balance`, which holds no customer data; test-mode keys are never sent."""

from __future__ import annotations

from typing import Any

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import (
    bearer_get,
    by_status,
    error_fields,
    invalid,
    live,
    rate_limited,
    restricted,
    skipped,
)

BASE_URL = "https://api.stripe.com"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,247}",)
ERRORS = {403: restricted("missing permissions"), 429: rate_limited()}


def build_request(candidate: Candidate) -> Request | Verdict:
    if "_test_" in candidate.secret[:8]:
        return skipped("test-mode key")
    return bearer_get("/v1/balance", candidate.secret)


def classify(reply: Reply) -> Verdict | None:
    code, _, message = error_fields(reply)
    if reply.status == 401:
        if code == "api_key_expired":
            return invalid(code)
        if "invalid api key" in message:
            return invalid("invalid api key")
    return by_status(reply, _balance, ERRORS)


def _balance(body: dict[str, Any]) -> Verdict | None:
    return live(livemode=body.get("livemode")) if body.get("object") == "balance" else None


PROVIDER = Provider("stripe", BASE_URL, build_request, classify, SHAPES)
