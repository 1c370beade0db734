"""GitHub: `GET /user` (installation tokens: `GET /rate_limit`), after the offline checksum."""

from __future__ import annotations

import zlib

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Provider, Reply, Request
from scanner.verify.providers.common import (
    USER_AGENT,
    bearer,
    invalid,
    live,
    message,
    rate_limited,
    restricted,
    skipped,
    unexpected,
    unknown,
)

BASE_URL = "https://api.github.com"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (
    r"gh[pousr]_[A-Za-z0-9]{36}",
    r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
    r"ghs_[0-9]{1,12}_[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}",
)
CHECKSUMMED = ("ghp_", "gho_", "ghu_", "ghs_")
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum_ok(token: str) -> bool:
    """The last 6 characters are the CRC-32 of the 30 before them, in base 62."""
    body, check = token[4:34], token[34:]
    if len(token) != 40 or len(check) != 6:
        return False
    value = zlib.crc32(body.encode())
    digits = ""
    while value:
        value, digit = divmod(value, 62)
        digits = BASE62[digit] + digits
    return digits.rjust(6, "0") == check


def build_request(candidate: Candidate) -> Request | Verdict:
    token = candidate.secret
    if token.startswith("ghr_"):
        return skipped("refresh token: only an exchange would test it")
    if token.startswith(CHECKSUMMED) and not checksum_ok(token):
        return skipped("checksum_failed")
    target = "/rate_limit" if token.startswith("ghs_") else "/user"
    return Request(
        "GET",
        target,
        (
            ("User-Agent", USER_AGENT),
            ("Accept", "application/vnd.github+json"),
            ("X-GitHub-Api-Version", "2022-11-28"),
            bearer(token),
        ),
        secrets=(token,),
    )


def classify(reply: Reply) -> Verdict | None:
    body = reply.json_object()
    text = message(reply)
    if reply.status == 200:
        if isinstance(body.get("login"), str):
            return live(
                login=body["login"],
                type=body.get("type"),
                scopes=reply.headers.get("x-oauth-scopes"),
                expires=reply.headers.get("github-authentication-token-expiration"),
            )
        if isinstance(body.get("resources"), dict):
            return live()
        return unexpected(reply)
    if reply.status == 401:
        return invalid("bad credentials")
    if reply.status in (403, 429):
        if reply.headers.get("x-ratelimit-remaining") == "0" or "rate limit" in text:
            return rate_limited()
        if "resource not accessible by integration" in text:
            return restricted("not accessible by integration")
        if "saml" in text:
            return restricted("saml enforcement")
        if "user-agent" in text:
            return unknown("request refused: User-Agent")
    return None


PROVIDER = Provider(
    name="github",
    base_url=BASE_URL,
    build_request=build_request,
    classify=classify,
    shapes=SHAPES,
    # GitHub asks integrations that hit a limit without a reset time to wait at least a minute
    retry_without_hint=False,
)
