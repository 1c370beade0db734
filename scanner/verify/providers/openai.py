"""OpenAI: `GET /v1/models` (free, lists models); admin keys read one admin key of their org."""

from __future__ import annotations

from typing import Any

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import (
    bearer_get,
    by_status,
    error_fields,
    exhausted,
    invalid,
    live,
    long_listing,
    rate_limited,
    restricted,
    unknown,
)

BASE_URL = "https://api.openai.com"
#: the marker every key holds, base64 of "OpenAI" (split so no scanner reads this as a key)
MARKER = "T3Blbk" + "FJ"
HALVES = "|".join(f"[A-Za-z0-9_-]{{{n}}}{MARKER}[A-Za-z0-9_-]{{{n}}}" for n in (74, 58, 20))
#: legacy keys, then project, service account, admin and user keys
SHAPES = (
    f"sk-[A-Za-z0-9]{{20}}{MARKER}[A-Za-z0-9]{{20}}",
    f"sk-(?:proj|svcacct|service|admin|None)-(?:{HALVES})",
)
ADMIN_PREFIX = "sk-admin-"
#: quota, not rate: asking again cannot help (billing_not_active: no active billing plan)
QUOTA_CODES = ("insufficient_quota", "credit_balance_exhausted", "billing_not_active")


def build_request(candidate: Candidate) -> Request:
    admin = candidate.secret.startswith(ADMIN_PREFIX)
    target = "/v1/organization/admin_api_keys?limit=1" if admin else "/v1/models"
    return bearer_get(target, candidate.secret)


def classify(reply: Reply) -> Verdict | None:
    code, kind, message = error_fields(reply)
    if reply.status == 429:
        if code in QUOTA_CODES or kind in QUOTA_CODES:
            return exhausted(code or kind)
        return rate_limited()
    if reply.status == 403 and code == "unsupported_country_region_territory":
        return unknown("geo_block")
    if reply.status in (401, 403):
        if code == "invalid_api_key":
            return invalid("invalid_api_key")
        if "missing scopes" in message or "insufficient permissions" in message:
            return restricted("missing_scopes")
        if "ip not authorized" in message:
            return restricted("ip_allowlist")
        if "must be a member of an organization" in message:
            return invalid("no_organization")
    return by_status(reply, _models)


def _models(body: dict[str, Any]) -> Verdict | None:
    if body.get("object") != "list" or not isinstance(body.get("data"), list):
        return None
    # an admin key's list names other keys' owners: keep none of it
    return live()


PROVIDER = Provider("openai", BASE_URL, build_request, classify, SHAPES, long_answer=long_listing)
