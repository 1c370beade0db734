"""DeepSeek: `GET /user/balance`; only whether it can spend, and in which currencies."""

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

BASE_URL = "https://api.deepseek.com"


def build_request(candidate: Candidate) -> Request:
    return Request(
        "GET", "/user/balance", headers(bearer(candidate.secret)), secrets=(candidate.secret,)
    )


def classify(reply: Reply) -> Verdict | None:
    body = reply.json_object()
    if reply.status == 200:
        available = body.get("is_available")
        infos: Any = body.get("balance_infos")
        if not isinstance(available, bool):
            return unexpected(reply)
        currencies = sorted(
            {str(item.get("currency")) for item in infos or () if isinstance(item, dict)}
        )
        if not available:
            return exhausted("balance not available", currencies=currencies)
        return live(currencies=currencies)
    if reply.status == 401:
        return invalid("authentication fails")
    if reply.status == 402:
        return exhausted("insufficient balance")
    if reply.status == 429:
        return rate_limited()
    return None
