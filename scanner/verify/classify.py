"""The generic classifier around each provider's own table
(docs/verification.md#generic-classifier)."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import Verdict, VerdictStatus
from scanner.verify.probe import MAX_BODY, Provider, Reply


@dataclass(frozen=True)
class Decision:
    """A verdict, and whether asking again may give a better one."""

    verdict: Verdict
    #: another attempt may give a better answer (network trouble, 5xx, rate limit)
    retry: bool = False


def retryable_status(status: int) -> bool:
    return status in (408, 429, 529) or (500 <= status < 600 and status != 501)


def decide(provider: Provider, reply: Reply) -> Decision:
    """Redirects and HTML are never about the key; then the provider's table; else `unknown`."""
    status = reply.status
    may_retry = reply.headers.get("x-should-retry", "").lower() != "false"
    if 300 <= status < 400:
        return Decision(Verdict(VerdictStatus.UNKNOWN, "redirect (not followed)"))
    if reply.looks_html():
        # a proxy's or CDN's 5xx page is as passing as the API's own 5xx
        page = Verdict(VerdictStatus.UNKNOWN, f"HTTP {status} HTML page, not the API")
        return Decision(page, may_retry and retryable_status(status))
    if reply.truncated:
        # a listing's success proves the key works however long the list; for any other
        # answer the start of it proves nothing
        long = provider.long_answer(reply) if provider.long_answer is not None else None
        if long is not None:
            return Decision(long)
        reason = f"HTTP {status} answer over {MAX_BODY // 1024} KiB, not read in full"
        return Decision(Verdict(VerdictStatus.UNKNOWN, reason))
    verdict = provider.classify(reply)
    if verdict is not None:
        return Decision(verdict, may_retry and verdict.status is VerdictStatus.RATE_LIMITED)
    if status == 429:
        return Decision(Verdict(VerdictStatus.RATE_LIMITED, "rate limited"), may_retry)
    return Decision(
        Verdict(VerdictStatus.UNKNOWN, f"HTTP {status}"), may_retry and retryable_status(status)
    )
