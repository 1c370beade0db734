"""xAI: `GET /v1/api-key`, which describes the calling key and its blocked/disabled flags."""

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
    message,
    rate_limited,
)

BASE_URL = "https://api.x.ai"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"xai-[A-Za-z0-9]{80}",)
FLAGS = ("api_key_blocked", "api_key_disabled", "team_blocked")
ERRORS = {401: invalid("invalid api key"), 429: rate_limited()}
#: xAI answers 400 to a bad key and to a bad request alike: only its message tells them apart
BAD_KEY_MESSAGES = ("incorrect api key", "invalid api key")


def build_request(candidate: Candidate) -> Request:
    return bearer_get("/v1/api-key", candidate.secret)


def classify(reply: Reply) -> Verdict | None:
    if reply.status == 400 and any(text in message(reply) for text in BAD_KEY_MESSAGES):
        return invalid("invalid api key")
    return by_status(reply, _key, ERRORS)


def _key(body: dict[str, Any]) -> Verdict | None:
    if not all(isinstance(body.get(flag), bool) for flag in FLAGS):
        return None
    if body["api_key_blocked"] or body["api_key_disabled"]:
        return invalid("api key blocked or disabled")
    if body["team_blocked"]:
        return exhausted("team_blocked")
    return live(name=body.get("name"), acls=body.get("acls"))


PROVIDER = Provider("xai", BASE_URL, build_request, classify, SHAPES)
