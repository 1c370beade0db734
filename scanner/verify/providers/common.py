"""Helpers shared by the Python verifiers and the declared ones: probes, verdicts, status tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scanner import __version__
from scanner.model import Verdict, VerdictStatus
from scanner.verify.probe import Reply, Request

USER_AGENT = f"keyleak/{__version__}"

#: reads a 200 answer's JSON object; None when it lacks the fields the API documents
Success = Callable[[dict[str, Any]], Verdict | None]


def headers(*pairs: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (("User-Agent", USER_AGENT), ("Accept", "application/json"), *pairs)


def bearer(secret: str) -> tuple[str, str]:
    return ("Authorization", f"Bearer {secret}")


def probe(target: str, secret: str, *pairs: tuple[str, str], method: str = "GET") -> Request:
    """A request that carries one credential, listed so that a dry run can redact it."""
    return Request(method, target, headers(*pairs), secrets=(secret,))


def bearer_get(target: str, secret: str) -> Request:
    return probe(target, secret, bearer(secret))


def by_status(
    reply: Reply, success: Success, errors: Mapping[int, Verdict] | None = None
) -> Verdict | None:
    """A 200 read by `success` (`unexpected` when it finds nothing), else the verdict `errors`
    gives the status; None leaves the reply to the generic rules."""
    if reply.status == 200:
        found = success(reply.json_object())
        return unexpected(reply) if found is None else found
    return (errors or {}).get(reply.status)


def long_listing(reply: Reply) -> Verdict | None:
    """A 200 JSON object too long to read whole: a listing endpoint's success, whatever it lists
    (only the status and the body's first byte are read)."""
    if reply.status == 200 and reply.body.lstrip()[:1] == b"{":
        return live()
    return None


def verdict(status: VerdictStatus, reason: str, details: dict[str, object]) -> Verdict:
    """A verdict whose details keep only set values, as strings, in a stable order."""
    kept = tuple(
        (name, text(value)) for name, value in sorted(details.items()) if value not in (None, "")
    )
    return Verdict(status, reason, kept)


def text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def live(**details: object) -> Verdict:
    return verdict(VerdictStatus.LIVE, "", details)


def restricted(reason: str = "", **details: object) -> Verdict:
    return verdict(VerdictStatus.LIVE_RESTRICTED, reason, details)


def invalid(reason: str = "") -> Verdict:
    return Verdict(VerdictStatus.INVALID, reason)


def rate_limited(reason: str = "rate limited") -> Verdict:
    return Verdict(VerdictStatus.RATE_LIMITED, reason)


def unknown(reason: str) -> Verdict:
    return Verdict(VerdictStatus.UNKNOWN, reason)


def skipped(reason: str) -> Verdict:
    return Verdict(VerdictStatus.SKIPPED, reason)


def unexpected(reply: Reply) -> Verdict:
    """A success status without the fields the API documents: not proof of anything."""
    if not reply.body.strip():
        return unknown(f"HTTP {reply.status} with an empty body")
    # AWS answers in XML, every other provider in JSON
    if reply.json() is None and "xml" not in reply.headers.get("content-type", "").lower():
        return unknown(f"HTTP {reply.status} body is not JSON")
    return unknown(f"HTTP {reply.status} without the expected fields")
