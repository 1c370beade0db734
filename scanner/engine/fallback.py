"""The pure-`regex` engine: a keyword prefilter, then each candidate rule's regex."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.engine import MatchResult, sorted_matches
from scanner.engine.confirm import CompiledRule, compile_rules, confirm
from scanner.model import Match, Rule


class RegexMatcher:
    name = "regex"

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._compiled: list[CompiledRule] = compile_rules(rules)

    def scan(self, content: bytes) -> MatchResult:
        lowered = content.lower()
        matches: list[Match] = []
        timed_out: list[str] = []
        for compiled in self._compiled:
            if not any(keyword in lowered for keyword in compiled.keywords):
                continue
            found, cut_short = confirm(compiled, content)
            matches.extend(found)
            if cut_short:
                timed_out.append(compiled.rule.id)
        return MatchResult(matches=sorted_matches(matches), timed_out=tuple(timed_out))
