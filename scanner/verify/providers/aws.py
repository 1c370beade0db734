"""AWS: STS `GetCallerIdentity`, which needs no permission; signed with the paired secret key."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Pairing, Provider, Reply, Request
from scanner.verify.providers.common import (
    headers,
    invalid,
    live,
    rate_limited,
    skipped,
    unexpected,
    unknown,
)
from scanner.verify.sigv4 import authorization

BASE_URL = "https://sts.amazonaws.com"
#: the keys it issues (scanner.verify.shapes)
SHAPES = (r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",)
QUERY = "Action=GetCallerIdentity&Version=2011-06-15"
REFUSED = "secret key does not belong to this key id"
ARN_KIND = re.compile(r"arn:aws[\w-]*:(?:iam|sts)::\d{12}:([a-z-]+)")


def build_request(candidate: Candidate) -> Request | Verdict:
    key_id = candidate.secret
    if key_id.startswith("ASIA"):
        return skipped("temporary credentials without their session token")
    if not key_id.startswith("AKIA"):
        return skipped("not a long-term access key id")
    if candidate.partner is None:
        return skipped("no secret access key found near the key id")
    return Request("GET", f"/?{QUERY}", headers(), secrets=(candidate.secret, candidate.partner))


def sign(
    request: Request, candidate: Candidate, host: str, when: datetime | None = None
) -> Request:
    """The request with its SigV4 headers, signed for `host` as the client will send it."""
    assert candidate.partner is not None
    stamp, auth = authorization(
        key_id=candidate.secret,
        secret=candidate.partner,
        host=host,
        path="/",
        query=QUERY,
        when=when or datetime.now(UTC),
        region="us-east-1",
        service="sts",
    )
    extra = (("X-Amz-Date", stamp), ("Authorization", auth))
    return Request(request.method, request.target, request.headers + extra, secrets=request.secrets)


def _tag(body: str, name: str) -> str | None:
    found = re.search(rf"<{name}>([^<]{{0,256}})</{name}>", body)
    return found.group(1).strip() if found else None


def classify(reply: Reply) -> Verdict | None:
    body = reply.body.decode("utf-8", "replace")
    code = _tag(body, "Code") or ""
    if reply.status == 200:
        account, arn = _tag(body, "Account"), _tag(body, "Arn") or ""
        if account is None or not account.isdigit():
            return unexpected(reply)
        # the ARN ends in an IAM user or role name, which may be a person's: keep only its kind
        principal = ARN_KIND.match(arn)
        return live(account=account, principal=principal.group(1) if principal else None)
    if reply.status == 403:
        if code == "InvalidClientTokenId":
            return invalid(code)
        if code == "SignatureDoesNotMatch":
            if "signature expired" in (_tag(body, "Message") or "").lower():
                return unknown("clock skew")
            return unknown(REFUSED)
        if code == "ExpiredToken":
            return invalid(code)
    if reply.status in (400, 429) and code in ("Throttling", "ThrottlingException"):
        return rate_limited()
    return None


PROVIDER = Provider(
    name="aws",
    base_url=BASE_URL,
    build_request=build_request,
    classify=classify,
    shapes=SHAPES,
    sign=sign,
    pairing=Pairing(
        partner_rule="aws-secret-access-key",
        unpaired="no AWS access key id near this secret key",
        refused=REFUSED,
    ),
)
