"""What matching a chunk gives, and what every engine offers: the values shared by the matcher,
the decoder and whoever reads their results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from scanner.model import Match, frozen


@frozen
class MatchResult:
    """A text's matches, sorted; the rules cut short; the placeholder values dropped."""

    matches: tuple[Match, ...]
    #: rules whose regex hit the time limit on this chunk: the region was not fully scanned
    timed_out: tuple[str, ...] = ()
    #: matches the placeholder filter of generic rules dropped (`policy.placeholders`)
    placeholders: int = 0


@frozen
class Survey:
    """A chunk's matches, and where base64 text in it may hide a secret (for decoding)."""

    result: MatchResult
    #: ends of keyword encodings (keyword_encodings): one at least in every token that could
    #: be decoded and holds one (`EncodedSearch.ends`); how many more depends on the engine
    encoded_ends: tuple[int, ...] = ()
    #: ends of every word that says base64 follows (`keyword_encodings.HINTS`, any case)
    hint_ends: tuple[int, ...] = ()
    #: whether the chunk is a Kubernetes Secret (`keyword_encodings.SECRET_MANIFEST`)
    secret_manifest: bool = False
    #: whether the chunk may hold a `%XX` escape: False only where the engine looked for one
    #: and found none, so the decoder need not walk its `%` signs
    percent_escapes: bool = True


#: what most chunks yield: shared, since the dataclasses are frozen
NO_MATCHES = MatchResult(matches=())
#: what most chunks yield from an engine that looks for escapes: not even one of those
NOTHING_FOUND = Survey(NO_MATCHES, percent_escapes=False)


class Matcher(Protocol):
    name: str

    def scan(self, content: bytes) -> MatchResult: ...

    def survey(self, content: bytes) -> Survey: ...

    def expect_volume(self) -> None:
        """Get ready for far more than a commit's worth of text (worker processes are about to
        copy this matcher, or load what it caches)."""


def sorted_matches(matches: Iterable[Match]) -> tuple[Match, ...]:
    return tuple(sorted(matches, key=lambda m: (m.start, m.end, m.rule_id)))
