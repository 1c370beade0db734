"""One key to ask about: the candidate, its provider, where the request goes and the request."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.verify.probe import Candidate, Provider, Request


@dataclass(frozen=True)
class Job:
    """A candidate ready to send: its provider, the base URL really used, its request."""

    candidate: Candidate
    provider: Provider
    base_url: str
    request: Request
