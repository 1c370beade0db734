"""All matches of one chunk: its text, its encoded runs decoded, and rules about the file itself.

Where a provider rule and a generic rule report the same text (`OPENAI_API_KEY = "sk-..."` is
also a secret-looking assignment), only the provider rule's match is kept: it names the key and
how to revoke it; nor is a generic match kept on a value a provider rule recognises by its shape
and rejects. Pure: the matcher is passed in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from scanner.match.decoding import encoded_matches
from scanner.match.file_rules import file_matches, file_rules, is_file_rule
from scanner.match.kubernetes import secret_values
from scanner.match.results import NO_MATCHES, Matcher, MatchResult, sorted_matches
from scanner.model import Chunk, Match, Rule

GENERIC_PROVIDER = "generic"


def chunk_matches(chunk: Chunk, matcher: Matcher, rules: Mapping[str, Rule]) -> MatchResult:
    """Every match of the chunk. The placeholders counted are those of the text as written:
    a decoded run's buffer repeats the text of its line, which would count them twice."""
    surveyed = matcher.survey(chunk.content)
    plain = surveyed.result
    encoded = encoded_matches(chunk.content, matcher.survey, surveyed)
    if not plain.matches and not encoded.matches:  # most chunks: nothing to choose between
        by_file = file_matches(chunk, file_rules(rules))
        timed_out = (*plain.timed_out, *encoded.timed_out)
        if not by_file and not timed_out and not plain.placeholders:
            return NO_MATCHES
        return MatchResult(
            sorted_matches(by_file), tuple(dict.fromkeys(timed_out)), plain.placeholders
        )
    content = secret_values(
        (
            match
            for match in (*plain.matches, *encoded.matches)
            if not is_file_rule(rules[match.rule_id])
        ),
        chunk.content,
    )
    kept = preferred(content, rules)
    # a generic match on a value a provider rule knows by its shape and rejects (a `ghp_` token
    # failing GitHub's checksum) is a made-up token: dropped, and counted as a placeholder
    deferred = [m for m in kept if rules[m.rule_id].provider == GENERIC_PROVIDER]
    deferred = [m for m in deferred if rejected_shape(m.secret, rules)]
    if deferred:
        kept = [m for m in kept if m not in deferred]
    return MatchResult(
        matches=sorted_matches(unshadowed(kept, rules) + file_matches(chunk, file_rules(rules))),
        timed_out=tuple(dict.fromkeys((*plain.timed_out, *encoded.timed_out))),
        placeholders=plain.placeholders + len(deferred),
    )


def rejected_shape(secret: bytes, rules: Mapping[str, Rule]) -> bool:
    """Whether a provider rule with a checksum finds its key's shape in `secret` and the
    checksum rejects it."""
    from scanner.match.checksums import CHECKS

    for pattern, checksum in checksum_rules(rules):
        for found in shape_pattern(pattern).finditer(secret):
            if not CHECKS[checksum](found.group("secret")):
                return True
    return False


class ChecksumRules:
    """The (regex, checksum) of each rule with a checksum, picked once per catalogue (the last
    one asked about): each generic match of a history walked the whole catalogue for them."""

    def __init__(self) -> None:
        self._of: tuple[Mapping[str, Rule], tuple[tuple[str, str], ...]] | None = None

    def __call__(self, rules: Mapping[str, Rule]) -> tuple[tuple[str, str], ...]:
        of = self._of  # one read: another thread may replace it, never half-way
        if of is None or of[0] is not rules:
            picked = tuple((r.regex, r.checksum) for r in rules.values() if r.checksum is not None)
            of = self._of = (rules, picked)
        return of[1]


checksum_rules = ChecksumRules()


@functools.cache
def shape_pattern(pattern: str) -> Any:
    import regex

    return regex.compile(pattern.encode())


def overlap(one: Match, other: Match) -> bool:
    return one.start < other.end and other.start < one.end


def preferred(matches: Iterable[Match], rules: Mapping[str, Rule]) -> list[Match]:
    """The matches without generic ones that overlap a provider rule's match, and no repeats.

    A secret the plain scan found is not reported again from a decoded copy (a key that is left
    as it is inside URL-encoded text); a generic match on encoded text yields to what decoding
    it found (`password: <base64>`).
    """
    unique = list(dict.fromkeys(matches))
    plain = [m for m in unique if not m.encoding]
    encoded = [
        m
        for m in unique
        if m.encoding
        and not any(
            p.rule_id == m.rule_id and p.secret == m.secret and overlap(p, m) for p in plain
        )
    ]
    unique = encoded + [
        m
        for m in plain
        if rules[m.rule_id].provider != GENERIC_PROVIDER or not any(overlap(m, e) for e in encoded)
    ]
    specific = [m for m in unique if rules[m.rule_id].provider != GENERIC_PROVIDER]
    return specific + [
        match
        for match in unique
        if rules[match.rule_id].provider == GENERIC_PROVIDER
        and not any(overlap(match, other) for other in specific)
    ]


SHAPE_KIND = "shape"


def unshadowed(matches: list[Match], rules: Mapping[str, Rule]) -> list[Match]:
    """The matches without a shape rule's (a JWT, a .netrc password) where a service's rule
    reports the same secret: that one names the key and how to revoke it."""
    services = [m for m in matches if rules[m.rule_id].kind != SHAPE_KIND]
    if len(services) == len(matches):  # most chunks
        return matches
    return [
        match
        for match in matches
        if rules[match.rule_id].kind != SHAPE_KIND
        or not any(overlap(match, other) for other in services)
    ]
