"""How long a server asks us to wait before retrying
(docs/verification.md#retries-and-rate-limit-headers)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

#: no backoff grows beyond this, whatever the attempt
MAX_BACKOFF = 8.0
#: a reset value above this is a point in time (2001), below it a number of seconds
EPOCH_FLOOR = 1e9


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def server_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the reply asks for, from the first header that says; None when none does."""
    if (ms := _number(headers.get("retry-after-ms"))) is not None:
        return max(0.0, ms / 1000)
    if (retry_after := headers.get("retry-after")) is not None:
        if (seconds := _number(retry_after)) is not None:
            return max(0.0, seconds)
        try:
            return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    reset = _number(headers.get("x-ratelimit-reset"))
    if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
        return max(0.0, reset - now)
    if (reset := _number(headers.get("ratelimit-reset"))) is not None:
        # GitLab sends an epoch time; the IETF draft header a number of seconds
        return max(0.0, reset - now if reset > EPOCH_FLOOR else reset)
    return None


def backoff(attempt: int, base: float) -> float:
    """Exponential with jitter, so many keys hitting one limit do not come back in step."""
    return float(min(MAX_BACKOFF, base * 2.0**attempt) * random.uniform(0.5, 1.0))
