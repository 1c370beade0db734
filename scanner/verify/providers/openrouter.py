"""OpenRouter: `GET /api/v1/key`, which reports the key's spending limit and what is left of it."""

from __future__ import annotations

from typing import Any

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import (
    bearer_get,
    by_status,
    exhausted,
    invalid,
    live,
    rate_limited,
)

BASE_URL = "https://openrouter.ai"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"sk-or-v1-[a-f0-9]{64}",)
ERRORS = {401: invalid("unauthorized"), 402: exhausted("payment required"), 429: rate_limited()}


def build_request(candidate: Candidate) -> Request:
    return bearer_get("/api/v1/key", candidate.secret)


def classify(reply: Reply) -> Verdict | None:
    return by_status(reply, _key, ERRORS)


def _key(body: dict[str, Any]) -> Verdict | None:
    data: Any = body.get("data")
    if not isinstance(data, dict):
        return None
    free = data.get("is_free_tier")
    limit, remaining = data.get("limit"), data.get("limit_remaining")
    if isinstance(limit, int | float) and isinstance(remaining, int | float) and remaining <= 0:
        return exhausted("limit reached", is_free_tier=free)
    return live(is_free_tier=free)


PROVIDER = Provider("openrouter", BASE_URL, build_request, classify, SHAPES)
