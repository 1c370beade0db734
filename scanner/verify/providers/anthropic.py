"""Anthropic: `GET /v1/models?limit=1` (free); admin keys list one API key of their org."""

from __future__ import annotations

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import (
    by_status,
    error_fields,
    exhausted,
    invalid,
    listing,
    long_listing,
    probe,
    rate_limited,
    skipped,
)

BASE_URL = "https://api.anthropic.com"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA",)
API_VERSION = "2023-06-01"
OAUTH_PREFIXES = ("sk-ant-oat", "sk-ant-ort")


def build_request(candidate: Candidate) -> Request | Verdict:
    if candidate.secret.startswith(OAUTH_PREFIXES):
        return skipped("Claude Code OAuth token: no read-only probe")
    admin = candidate.secret.startswith("sk-ant-admin")
    target = "/v1/organizations/api_keys?limit=1" if admin else "/v1/models?limit=1"
    secret = candidate.secret
    return probe(target, secret, ("x-api-key", secret), ("anthropic-version", API_VERSION))


def classify(reply: Reply) -> Verdict | None:
    _, kind, _ = error_fields(reply)
    if reply.status == 401 and kind == "authentication_error":
        return invalid(kind)
    if reply.status == 402 and kind == "billing_error":
        return exhausted(kind)
    if reply.status == 429 and kind in ("rate_limit_error", ""):
        return rate_limited()
    return by_status(reply, listing("data"))


PROVIDER = Provider(
    "anthropic", BASE_URL, build_request, classify, SHAPES, long_answer=long_listing
)
