"""Hugging Face: `GET /api/whoami-v2`; only the token's role and expiry are kept."""

from __future__ import annotations

from typing import Any

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Reply, Request
from scanner.verify.providers._common import (
    bearer,
    headers,
    invalid,
    live,
    rate_limited,
    unexpected,
)

BASE_URL = "https://huggingface.co"


def build_request(candidate: Candidate) -> Request:
    return Request(
        "GET", "/api/whoami-v2", headers(bearer(candidate.secret)), secrets=(candidate.secret,)
    )


def classify(reply: Reply) -> Verdict | None:
    if reply.status == 200:
        auth: Any = reply.json_object().get("auth")
        if not isinstance(auth, dict):
            return unexpected(reply)
        token = auth.get("accessToken")
        token = token if isinstance(token, dict) else {}
        return live(role=token.get("role"), expires=token.get("expiration"))
    if reply.status == 401:
        return invalid("unauthorized")
    if reply.status == 429:
        return rate_limited()
    return None
