"""Matching: every rule against a chunk's bytes, with no I/O and no settings.

Both engines compute exactly the same thing, which is the definition of a match:

    for every rule whose keywords (case-insensitive) occur in the chunk,
    every non-overlapping `regex.finditer` match of the rule, whose `secret` group
    passes the rule's entropy floor and allow patterns.

The Hyperscan engine only decides faster which rules can possibly match a chunk; the
confirmation step is shared, which is what keeps the two engines' results identical.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from scanner.model import Match, Rule

if TYPE_CHECKING:
    from scanner.config.settings import EngineName


@dataclass(frozen=True)
class MatchResult:
    matches: tuple[Match, ...]
    #: rules whose regex hit the time limit on this chunk: the region was not fully scanned
    timed_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class Survey:
    """A chunk's matches, and where base64 text in it may hide a secret (for scanner.decode)."""

    result: MatchResult
    #: ends of keyword encodings (scanner.engine.encoded): one at least in every token that could
    #: be decoded and holds one (`EncodedSearch.ends`); how many more depends on the engine
    encoded_ends: tuple[int, ...] = ()
    #: ends of every word that says base64 follows (`encoded.HINTS`, any case)
    hint_ends: tuple[int, ...] = ()
    #: whether the chunk is a Kubernetes Secret (`encoded.SECRET_MANIFEST`)
    secret_manifest: bool = False


#: what most chunks yield: shared, since the dataclasses are frozen
NO_MATCHES = MatchResult(matches=())
NOTHING_FOUND = Survey(NO_MATCHES)


class Matcher(Protocol):
    name: str

    def scan(self, content: bytes) -> MatchResult: ...

    def survey(self, content: bytes) -> Survey: ...

    def expect_volume(self) -> None:
        """Get ready for far more than a commit's worth of text (worker processes are about to
        copy this matcher, or load what it caches)."""


def sorted_matches(matches: Iterable[Match]) -> tuple[Match, ...]:
    return tuple(sorted(matches, key=lambda m: (m.start, m.end, m.rule_id)))


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def build_matcher(rules: tuple[Rule, ...], digest: str, engine: EngineName = "auto") -> Matcher:
    """The Hyperscan engine where the library imports (its database cached on disk), else regex."""
    if engine == "regex" or (engine == "auto" and not hyperscan_available()):
        from scanner.engine.fallback import RegexMatcher

        return RegexMatcher(rules)
    if engine == "hyperscan" and not hyperscan_available():
        from scanner.errors import KeyleakError

        raise KeyleakError("--engine hyperscan: the hyperscan package is not installed")
    from scanner.engine.cache import load_or_compile
    from scanner.engine.hs import HyperscanMatcher

    return HyperscanMatcher(rules, load_or_compile(rules, digest))
