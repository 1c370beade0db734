"""Whether a key has its provider's shape: the only keys a provider is ever sent.

A rule names the provider that verifies its keys, and a repository may bring its own rules: a
rule could name any provider for any text. So the verifier checks the text itself against the
shapes of the keys its provider issues (those its shipped rules find), whatever rule found it.
Every shape is ASCII, as HTTP headers are: a key with any other character is never sent.
"""

from __future__ import annotations

import functools
import re

from scanner.verify.probe import Provider


@functools.cache
def _pattern(shapes: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{shape})" for shape in shapes)) if shapes else None


def has_shape(provider: Provider, secret: str) -> bool:
    """The whole secret is one of the provider's key shapes (none declared: nothing is)."""
    pattern = _pattern(provider.shapes)
    return pattern is not None and pattern.fullmatch(secret) is not None


def sent_through(provider: Provider, secret: str) -> Provider | None:
    """The provider, or the variant of it, whose shape the key has: the one it is sent through."""
    if not provider.variants:
        return provider if has_shape(provider, secret) else None
    return next((each for each in provider.variants if has_shape(each, secret)), None)
