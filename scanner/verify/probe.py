"""The values a provider module works with: the candidate key, its request, the reply."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: the most of a response body ever read; enough for every probe's answer
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Candidate:
    """One distinct key to verify, with the second half some providers need (AWS secret)."""

    provider: str
    secret: str
    partner: str | None = None


@dataclass(frozen=True)
class Request:
    """What a probe sends: `target` is the path and query appended to the provider's base URL.

    `secrets` lists every credential text in the request, so a dry run can redact them.
    """

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reply:
    status: int
    #: header names lowercased
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: the answer was longer than MAX_BODY: `body` is its start only
    truncated: bool = False

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        return data if isinstance(data, dict) else {}

    def looks_html(self) -> bool:
        """A portal, CDN or proxy page rather than the API (AWS's XML is not HTML)."""
        if "text/html" in self.headers.get("content-type", "").lower():
            return True
        start = self.body[:512].lstrip().lower()
        return start.startswith(b"<html") or start.startswith(b"<!doctype html")
