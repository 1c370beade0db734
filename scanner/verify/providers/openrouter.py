"""OpenRouter: `GET /api/v1/key`, which reports the key's spending limit and what is left of it."""

from __future__ import annotations

from typing import Any

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Reply, Request
from scanner.verify.providers._common import (
    bearer,
    exhausted,
    headers,
    invalid,
    live,
    rate_limited,
    unexpected,
)

BASE_URL = "https://openrouter.ai"


def build_request(candidate: Candidate) -> Request:
    return Request(
        "GET", "/api/v1/key", headers(bearer(candidate.secret)), secrets=(candidate.secret,)
    )


def classify(reply: Reply) -> Verdict | None:
    if reply.status == 200:
        data: Any = reply.json_object().get("data")
        if not isinstance(data, dict):
            return unexpected(reply)
        free = data.get("is_free_tier")
        limit, remaining = data.get("limit"), data.get("limit_remaining")
        if isinstance(limit, int | float) and isinstance(remaining, int | float) and remaining <= 0:
            return exhausted("limit reached", is_free_tier=free)
        return live(is_free_tier=free)
    if reply.status == 401:
        return invalid("unauthorized")
    if reply.status == 402:
        return exhausted("payment required")
    if reply.status == 429:
        return rate_limited()
    return None
