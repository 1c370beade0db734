"""The pure-`regex` engine: a keyword prefilter, then each candidate rule's regex."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.match.confirm import CompiledRule, compile_rules, confirm
from scanner.match.keyword_encodings import EncodedSearch, encoded_keywords, is_secret_manifest
from scanner.match.results import MatchResult, Survey, sorted_matches
from scanner.model import Match, Rule


class RegexMatcher:
    name = "regex"

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._compiled: list[CompiledRule] = compile_rules(rules)
        self._encoded = EncodedSearch(encoded_keywords(rules))

    def scan(self, content: bytes) -> MatchResult:
        lowered = content.lower()
        matches: list[Match] = []
        timed_out: list[str] = []
        placeholders = 0
        for compiled in self._compiled:
            if not any(keyword in lowered for keyword in compiled.keywords):
                continue
            confirmed = confirm(compiled, content)
            matches.extend(confirmed.matches)
            placeholders += confirmed.placeholders
            if confirmed.cut_short:
                timed_out.append(compiled.rule.id)
        return MatchResult(sorted_matches(matches), tuple(timed_out), placeholders)

    def expect_volume(self) -> None:
        """Nothing to load ahead: the encodings' pattern is built on first need either way."""

    def survey(self, content: bytes) -> Survey:
        return Survey(
            self.scan(content),
            tuple(self._encoded.ends(content)),
            tuple(self._encoded.hint_ends(content)),
            is_secret_manifest(content),
        )
