"""SendGrid: `GET /v3/scopes`, the calling key's own scopes; only their count is kept."""

from __future__ import annotations

from typing import Any

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import (
    bearer_get,
    by_status,
    invalid,
    live,
    rate_limited,
    restricted,
)

BASE_URL = "https://api.sendgrid.com"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",)
ERRORS = {
    401: invalid("authorization required"),
    403: restricted("forbidden"),
    429: rate_limited(),
}


def build_request(candidate: Candidate) -> Request:
    return bearer_get("/v3/scopes", candidate.secret)


def classify(reply: Reply) -> Verdict | None:
    return by_status(reply, _scopes, ERRORS)


def _scopes(body: dict[str, Any]) -> Verdict | None:
    scopes: Any = body.get("scopes")
    if not isinstance(scopes, list):
        return None
    return live(scope_count=len(scopes), mail_send="mail.send" in scopes)


PROVIDER = Provider("sendgrid", BASE_URL, build_request, classify, SHAPES)
