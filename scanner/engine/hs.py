"""The Hyperscan engine: one database holds every rule's regex (in prefilter mode) and every
keyword, so a single pass over a chunk says which rules can match it; only those are confirmed.

Prefilter mode may report a rule that does not really match, never the reverse, so confirming
candidates with the rule's own regex gives exactly the fallback engine's results.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import hyperscan

from scanner.engine import MatchResult, sorted_matches
from scanner.model import Match, Rule

REGEX_FLAGS = (
    hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY
)
KEYWORD_FLAGS = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH
#: Hyperscan unrolls counted repeats: `{64,16384}` costs seconds of compile time per rule and
#: a few together can take minutes, so such rules are left to the keyword gate instead.
MAX_COUNTED_REPEAT = 1024
COUNTED_REPEAT = re.compile(r"(?<!\\)\{(\d*),?(\d*)\}")


def too_costly_to_compile(pattern: str) -> bool:
    return any(
        int(bound) > MAX_COUNTED_REPEAT
        for match in COUNTED_REPEAT.finditer(pattern)
        for bound in match.groups()
        if bound
    )


@dataclass(frozen=True)
class Layout:
    """How rules and keywords map to Hyperscan expression ids.

    Ids 0..n-1 are the rules' regexes; the distinct keywords follow. Rules whose regex Hyperscan
    rejects even in prefilter mode are `always_candidates`: the keyword gate alone selects them.
    """

    keywords: tuple[bytes, ...]
    keyword_rules: tuple[frozenset[int], ...]

    @classmethod
    def of(cls, rules: Sequence[Rule]) -> Layout:
        owners: dict[bytes, set[int]] = {}
        for index, rule in enumerate(rules):
            for keyword in rule.keywords:
                owners.setdefault(keyword.lower().encode(), set()).add(index)
        return cls(
            keywords=tuple(owners),
            keyword_rules=tuple(frozenset(o) for o in owners.values()),
        )


@dataclass(frozen=True)
class CompiledDatabase:
    database: Any
    always_candidates: frozenset[int]


def literal_expression(literal: bytes) -> bytes:
    return b"".join(b"\\x%02x" % byte for byte in literal)


def compile_database(rules: Sequence[Rule]) -> tuple[bytes, frozenset[int]]:
    """Compile and serialize the database; returns it with the indices of unsupported rules."""
    layout = Layout.of(rules)
    unsupported = {i for i, rule in enumerate(rules) if too_costly_to_compile(rule.regex)}
    while True:
        expressions, ids, flags = [], [], []
        for index, rule in enumerate(rules):
            if index not in unsupported:
                expressions.append(rule.regex.encode())
                ids.append(index)
                flags.append(REGEX_FLAGS)
        for offset, literal in enumerate(layout.keywords):
            expressions.append(literal_expression(literal))
            ids.append(len(rules) + offset)
            flags.append(KEYWORD_FLAGS)
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            database.compile(expressions=expressions, ids=ids, elements=len(ids), flags=flags)
        except hyperscan.error:
            failing = first_unsupported(rules, unsupported)
            if failing is None:
                raise
            unsupported.add(failing)
            continue
        return hyperscan.dumpb(database), frozenset(unsupported)


def first_unsupported(rules: Sequence[Rule], known: set[int]) -> int | None:
    for index, rule in enumerate(rules):
        if index in known:
            continue
        probe = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            probe.compile(
                expressions=[rule.regex.encode()], ids=[0], elements=1, flags=[REGEX_FLAGS]
            )
        except hyperscan.error:
            return index
    return None


def load_database(serialized: bytes) -> Any:
    return hyperscan.loadb(serialized, hyperscan.HS_MODE_BLOCK)


class HyperscanMatcher:
    name = "hyperscan"

    def __init__(self, rules: Sequence[Rule], compiled: CompiledDatabase) -> None:
        self._rules = tuple(rules)
        self._layout = Layout.of(rules)
        self._database = compiled.database
        self._always = compiled.always_candidates
        self._prototype_scratch = hyperscan.Scratch(self._database)
        self._local = threading.local()
        self._confirmers: dict[int, Any] = {}
        self._confirmers_lock = threading.Lock()

    def scan(self, content: bytes) -> MatchResult:
        hits: set[int] = set()

        def on_match(expression_id: int, start: int, end: int, flags: int, context: Any) -> None:
            hits.add(expression_id)

        self._database.scan(content, match_event_handler=on_match, scratch=self._scratch())
        candidates = self._candidates(hits)
        if not candidates:
            return MatchResult(matches=())
        from scanner.engine.confirm import confirm

        matches: list[Match] = []
        timed_out: list[str] = []
        for index in sorted(candidates):
            found, cut_short = confirm(self._confirmer(index), content)
            matches.extend(found)
            if cut_short:
                timed_out.append(self._rules[index].id)
        return MatchResult(matches=sorted_matches(matches), timed_out=tuple(timed_out))

    def _candidates(self, hits: set[int]) -> set[int]:
        rule_count = len(self._rules)
        gated: set[int] = set()
        for expression_id in hits:
            if expression_id >= rule_count:
                gated |= self._layout.keyword_rules[expression_id - rule_count]
        return {i for i in gated if i in hits or i in self._always}

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._prototype_scratch.clone()
            self._local.scratch = scratch
        return scratch

    def _confirmer(self, index: int) -> Any:
        with self._confirmers_lock:
            compiled = self._confirmers.get(index)
            if compiled is None:
                from scanner.engine.confirm import compile_rule

                compiled = compile_rule(self._rules[index])
                self._confirmers[index] = compiled
            return compiled
