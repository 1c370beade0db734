"""GitLab: `GET /api/v4/personal_access_tokens/self`, which describes the token itself."""

from __future__ import annotations

from typing import Any

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import (
    by_status,
    invalid,
    live,
    message,
    probe,
    rate_limited,
    restricted,
)

BASE_URL = "https://gitlab.com"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"glpat-(?:[A-Za-z0-9_-]{27,300}\.[0-9a-z]{2}\.[0-9a-z]{9}|[A-Za-z0-9_-]{20})",)
ERRORS = {401: invalid("unauthorized"), 429: rate_limited()}


def build_request(candidate: Candidate) -> Request:
    secret = candidate.secret
    return probe("/api/v4/personal_access_tokens/self", secret, ("PRIVATE-TOKEN", secret))


def classify(reply: Reply) -> Verdict | None:
    if reply.status == 403:
        if reply.json_object().get("error") == "insufficient_scope":
            return restricted("insufficient_scope")
        if "blocked" in message(reply):
            return restricted("account_blocked")
    return by_status(reply, _token, ERRORS)


def _token(body: dict[str, Any]) -> Verdict | None:
    if body.get("active") is True:
        return live(
            name=body.get("name"), scopes=body.get("scopes"), expires=body.get("expires_at")
        )
    if body.get("active") is False:
        return invalid("inactive token")
    return None


PROVIDER = Provider("gitlab", BASE_URL, build_request, classify, SHAPES)
