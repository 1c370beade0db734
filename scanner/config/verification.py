"""Verification settings: one frozen value built from the command line or from configuration.

Kept free of heavy imports: the CLI builds it on the pre-commit path even when verification is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from scanner.errors import ConfigError

FailOn = Literal["any", "live", "unknown-or-live"]
FAIL_ON_CHOICES: tuple[str, ...] = get_args(FailOn)


@dataclass(frozen=True)
class VerifySettings:
    """How --verify asks providers (a docstring spares `dataclass` an `inspect` call)."""

    #: ask providers whether found keys still work (the only network use in keyleak)
    enabled: bool = False
    #: print the requests that would be sent, keys redacted, and send nothing
    dry_run: bool = False
    #: read and write verdicts in the persistent cache
    use_cache: bool = True
    cache_ttl: float = 24 * 3600.0
    #: seconds for each connect / TLS handshake / read / write
    timeout: float = 10.0
    #: seconds for a whole request, so a server trickling bytes cannot hold a worker for ever
    deadline: float = 15.0
    #: seconds for the whole verification: what is in flight then ends, what waits is not sent
    run_deadline: float = 120.0
    #: requests in flight overall, and per provider
    concurrency: int = 8
    per_provider: int = 4
    #: retries after the first attempt (network errors, 5xx, rate limits only)
    max_retries: int = 2
    #: a rate limit asking for a longer wait than this is reported as `rate_limited` at once
    max_wait: float = 60.0
    #: first backoff when the server names no wait; doubles per retry
    backoff: float = 0.5

    def __post_init__(self) -> None:
        positive = {
            "cache_ttl": self.cache_ttl >= 0,
            "timeout": self.timeout > 0,
            "deadline": self.deadline > 0,
            "run_deadline": self.run_deadline > 0,
            "concurrency": self.concurrency >= 1,
            "per_provider": self.per_provider >= 1,
            "max_retries": self.max_retries >= 0,
            "max_wait": self.max_wait >= 0,
            "backoff": self.backoff >= 0,
        }
        wrong = [name for name, ok in positive.items() if not ok]
        if wrong:
            raise ConfigError(f"verification setting out of range: {', '.join(wrong)}")
