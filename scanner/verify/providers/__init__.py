"""One module per provider, named by a rule's `verify` field; each exposes the Provider protocol."""

from __future__ import annotations

import importlib
from typing import Protocol, cast

from scanner.model import Verdict
from scanner.verify.probe import Candidate, Reply, Request


class Provider(Protocol):
    #: the official scheme and host (no path): the only place the key is ever sent
    BASE_URL: str

    def build_request(self, candidate: Candidate) -> Request | Verdict:
        """The read-only probe for this key, or a `skipped` verdict when none may be sent."""
        ...

    def classify(self, reply: Reply) -> Verdict | None:
        """The provider's own table; None leaves the reply to the generic rules (unknown)."""
        ...


def load_provider(name: str) -> Provider | None:
    if not name.isidentifier() or name.startswith("_"):
        return None
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        return None
    return cast(Provider, module)
