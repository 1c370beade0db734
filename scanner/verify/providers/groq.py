"""Groq: `GET /openai/v1/models` (free)."""

from __future__ import annotations

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import (
    bearer_get,
    by_status,
    error_fields,
    invalid,
    listing,
    long_listing,
    rate_limited,
)

BASE_URL = "https://api.groq.com"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"gsk_[A-Za-z0-9]{52}",)


def build_request(candidate: Candidate) -> Request:
    return bearer_get("/openai/v1/models", candidate.secret)


def classify(reply: Reply) -> Verdict | None:
    code, _, _ = error_fields(reply)
    if reply.status == 401 and code == "invalid_api_key":
        return invalid(code)
    return by_status(reply, listing("data"), {429: rate_limited()})


PROVIDER = Provider("groq", BASE_URL, build_request, classify, SHAPES, long_answer=long_listing)
