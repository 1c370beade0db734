"""xAI: `GET /v1/api-key`, which describes the calling key and its blocked/disabled flags."""

from __future__ import annotations

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

BASE_URL = "https://api.x.ai"
FLAGS = ("api_key_blocked", "api_key_disabled", "team_blocked")


def build_request(candidate: Candidate) -> Request:
    return Request(
        "GET", "/v1/api-key", headers(bearer(candidate.secret)), secrets=(candidate.secret,)
    )


def classify(reply: Reply) -> Verdict | None:
    body = reply.json_object()
    if reply.status == 200:
        if not all(isinstance(body.get(flag), bool) for flag in FLAGS):
            return unexpected(reply)
        if body["api_key_blocked"] or body["api_key_disabled"]:
            return invalid("api key blocked or disabled")
        if body["team_blocked"]:
            return exhausted("team_blocked")
        return live(name=body.get("name"), acls=body.get("acls"))
    if reply.status in (400, 401):
        return invalid("invalid api key")
    if reply.status == 429:
        return rate_limited()
    return None
