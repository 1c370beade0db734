"""Groq: `GET /openai/v1/models` (free)."""

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
    unexpected,
)

BASE_URL = "https://api.groq.com"


def build_request(candidate: Candidate) -> Request:
    return Request(
        "GET", "/openai/v1/models", headers(bearer(candidate.secret)), secrets=(candidate.secret,)
    )


def classify(reply: Reply) -> Verdict | None:
    code, _, _ = error_fields(reply)
    if reply.status == 200:
        return live() if isinstance(reply.json_object().get("data"), list) else unexpected(reply)
    if reply.status == 401 and code == "invalid_api_key":
        return invalid(code)
    if reply.status == 429:
        return rate_limited()
    return None
