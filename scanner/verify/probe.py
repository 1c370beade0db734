"""The values a provider module works with: the candidate key, its request, the reply, and what
a provider is."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scanner.model import Verdict

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
    """A provider's answer: status, headers, and the start of the body."""

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


#: a provider that signs requests (AWS) signs each attempt afresh, for the host really used
Signer = Callable[[Request, Candidate, str], Request]


@dataclass(frozen=True)
class Pairing:
    """A key that is tested with a second secret found as a finding of its own (AWS: an access
    key id and its secret access key): each key of this provider is tried with the findings of
    `partner_rule` nearest it in the same file, one after the other (`scanner.verify.plan`), and
    a partner finding takes the verdict of the pairs it was tried in."""

    partner_rule: str
    #: the reason of a partner finding with no key near it (it is never sent on its own)
    unpaired: str
    #: the reason of a verdict that refuses the pair's signature: the secret is not the key's
    #: own, which says nothing of the key, so the next secret near it is tried
    refused: str


@dataclass(frozen=True)
class Provider:
    """A verifier: where one provider's keys go, how their probe is built and its answer read."""

    name: str
    #: the official scheme and host (no path): the only place the key is ever sent
    base_url: str
    #: the read-only probe for a key, or a `skipped` verdict when none may be sent
    build_request: Callable[[Candidate], Request | Verdict]
    #: the provider's own table; None leaves the answer to the generic classifier (unknown)
    classify: Callable[[Reply], Verdict | None]
    #: regexes for the keys the provider issues (`scanner.verify.shapes`): no other is sent
    shapes: tuple[str, ...] = ()
    sign: Signer | None = None
    pairing: Pairing | None = None
    #: whether a rate limit whose answer names no wait is retried after a backoff
    retry_without_hint: bool = True
    #: the verdict of an answer longer than MAX_BODY, from its status and start (a long listing)
    long_answer: Callable[[Reply], Verdict | None] | None = None
    #: the host is each user's own (GitHub Enterprise, Okta...): keys go only to the one the
    #: user names (--verify-host), which must end with `host_suffix` when there is one
    user_host: bool = False
    host_suffix: str = ""
    #: a verifier whose keys take different requests (OpenAI admin keys): the variant whose
    #: shape a key has builds its request and reads its answer
    variants: tuple[Provider, ...] = ()
