"""SendGrid: `GET /v3/scopes`, the calling key's own scopes; only their count is kept."""

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
    restricted,
    unexpected,
)

BASE_URL = "https://api.sendgrid.com"


def build_request(candidate: Candidate) -> Request:
    return Request(
        "GET", "/v3/scopes", headers(bearer(candidate.secret)), secrets=(candidate.secret,)
    )


def classify(reply: Reply) -> Verdict | None:
    if reply.status == 200:
        scopes: Any = reply.json_object().get("scopes")
        if not isinstance(scopes, list):
            return unexpected(reply)
        return live(scope_count=len(scopes), mail_send="mail.send" in scopes)
    if reply.status == 401:
        return invalid("authorization required")
    if reply.status == 403:
        return restricted("forbidden")
    if reply.status == 429:
        return rate_limited()
    return None
