"""Google API keys: `GET /v1/models?pageSize=1` on the Gemini API; `live` means Gemini-usable."""

from __future__ import annotations

from typing import Any

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import (
    by_status,
    exhausted,
    invalid,
    listing,
    long_listing,
    probe,
    rate_limited,
    restricted,
    unknown,
)

BASE_URL = "https://generativelanguage.googleapis.com"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"AIza[A-Za-z0-9_-]{35}",)
RESTRICTIONS = frozenset(
    (
        "SERVICE_DISABLED",
        "API_KEY_SERVICE_BLOCKED",
        "API_KEY_HTTP_REFERRER_BLOCKED",
        "API_KEY_IP_ADDRESS_BLOCKED",
        "API_KEY_ANDROID_APP_BLOCKED",
        "API_KEY_IOS_APP_BLOCKED",
    )
)


def build_request(candidate: Candidate) -> Request:
    secret = candidate.secret
    return probe("/v1/models?pageSize=1", secret, ("x-goog-api-key", secret))


def error_reason(error: dict[str, Any]) -> str:
    """The machine reason: the ErrorInfo item of `error.details`."""
    details = error.get("details")
    for item in details if isinstance(details, list) else ():
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("google.rpc.ErrorInfo"):
            return str(item.get("reason") or "")
    return ""


def classify(reply: Reply) -> Verdict | None:
    error: Any = reply.json_object().get("error")
    if reply.status == 200 or not isinstance(error, dict):
        return by_status(reply, listing("models"))
    status, reason = str(error.get("status") or ""), error_reason(error)
    if reply.status == 400 and reason == "API_KEY_INVALID":
        return invalid(reason)
    if reply.status == 400 and status == "FAILED_PRECONDITION":
        return unknown("location not supported")
    if reply.status == 403:
        if reason in RESTRICTIONS:
            return restricted(reason)
        if reason == "BILLING_DISABLED":
            return exhausted(reason)
    if reply.status == 429 and status == "RESOURCE_EXHAUSTED":
        return rate_limited()
    return None


PROVIDER = Provider("google", BASE_URL, build_request, classify, SHAPES, long_answer=long_listing)
