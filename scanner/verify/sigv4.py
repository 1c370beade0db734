"""AWS Signature Version 4 for one GET request, with nothing but hmac and hashlib."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

ALGORITHM = "AWS4-HMAC-SHA256"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def authorization(
    *,
    key_id: str,
    secret: str,
    host: str,
    path: str,
    query: str,
    when: datetime,
    region: str,
    service: str,
) -> tuple[str, str]:
    """(X-Amz-Date, Authorization) for a GET with an empty body; `query` already canonical."""
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    date = stamp[:8]
    signed_headers = "host;x-amz-date"
    canonical = "\n".join(
        (
            "GET",
            path,
            query,
            f"host:{host}\nx-amz-date:{stamp}\n",
            signed_headers,
            hashlib.sha256(b"").hexdigest(),
        )
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join((ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()))
    signature = hmac.new(
        signing_key(secret, date, region, service), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return stamp, (
        f"{ALGORITHM} Credential={key_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
