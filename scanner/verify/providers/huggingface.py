"""Hugging Face: `GET /api/whoami-v2`; only the token's role and expiry are kept."""

from __future__ import annotations

from typing import Any

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import bearer_get, by_status, invalid, live, rate_limited

BASE_URL = "https://huggingface.co"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"(?:hf_|api_org_)[A-Za-z0-9]{34}",)
ERRORS = {401: invalid("unauthorized"), 429: rate_limited()}


def build_request(candidate: Candidate) -> Request:
    return bearer_get("/api/whoami-v2", candidate.secret)


def classify(reply: Reply) -> Verdict | None:
    return by_status(reply, _whoami, ERRORS)


def _whoami(body: dict[str, Any]) -> Verdict | None:
    auth: Any = body.get("auth")
    if not isinstance(auth, dict):
        return None
    token = auth.get("accessToken")
    token = token if isinstance(token, dict) else {}
    return live(role=token.get("role"), expires=token.get("expiration"))


PROVIDER = Provider("huggingface", BASE_URL, build_request, classify, SHAPES)
