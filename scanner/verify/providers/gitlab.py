"""GitLab: `GET /api/v4/personal_access_tokens/self`, which describes the token itself."""

from __future__ import annotations

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Reply, Request
from scanner.verify.providers._common import (
    headers,
    invalid,
    live,
    message,
    rate_limited,
    restricted,
    unexpected,
)

BASE_URL = "https://gitlab.com"


def build_request(candidate: Candidate) -> Request:
    return Request(
        "GET",
        "/api/v4/personal_access_tokens/self",
        headers(("PRIVATE-TOKEN", candidate.secret)),
        secrets=(candidate.secret,),
    )


def classify(reply: Reply) -> Verdict | None:
    body = reply.json_object()
    if reply.status == 200:
        if body.get("active") is True:
            return live(
                name=body.get("name"), scopes=body.get("scopes"), expires=body.get("expires_at")
            )
        if body.get("active") is False:
            return invalid("inactive token")
        return unexpected(reply)
    if reply.status == 401:
        return invalid("unauthorized")
    if reply.status == 403:
        if body.get("error") == "insufficient_scope":
            return restricted("insufficient_scope")
        if "blocked" in message(reply):
            return restricted("account_blocked")
    if reply.status == 429:
        return rate_limited()
    return None
