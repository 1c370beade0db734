"""DeepSeek: `GET /user/balance`; only whether it can spend, and in which currencies."""

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

BASE_URL = "https://api.deepseek.com"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"sk-[a-z0-9]{32}",)
ERRORS = {
    401: invalid("authentication fails"),
    402: exhausted("insufficient balance"),
    429: rate_limited(),
}


def build_request(candidate: Candidate) -> Request:
    return bearer_get("/user/balance", candidate.secret)


def classify(reply: Reply) -> Verdict | None:
    return by_status(reply, _balance, ERRORS)


def _balance(body: dict[str, Any]) -> Verdict | None:
    available = body.get("is_available")
    infos: Any = body.get("balance_infos")
    if not isinstance(available, bool):
        return None
    currencies = sorted(
        {str(item.get("currency")) for item in infos or () if isinstance(item, dict)}
    )
    if not available:
        return exhausted("balance not available", currencies=currencies)
    return live(currencies=currencies)


PROVIDER = Provider("deepseek", BASE_URL, build_request, classify, SHAPES)
