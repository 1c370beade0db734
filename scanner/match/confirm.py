"""The confirmation step shared by both engines: run one rule's regex and apply its filters."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import regex

from scanner.errors import RuleError
from scanner.match.checksums import CHECKS
from scanner.match.keyword_lines import (
    KEYWORD_START,
    LINE_HINT,
    LINE_START,
    LineFinder,
    keyword_lines,
)
from scanner.model import Match, NamedTuple, Rule
from scanner.policy.placeholders import is_placeholder
from scanner.rules import SECRET_GROUP, shannon_entropy

#: Per rule and chunk: long enough for a 50 MB line, short enough that no input can hang a hook.
REGEX_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its regex and allow patterns compiled, and its keywords as bytes."""

    rule: Rule
    pattern: Any
    allow: tuple[Any, ...]
    keywords: tuple[bytes, ...]


def compile_rule(rule: Rule) -> CompiledRule:
    try:
        pattern = regex.compile(rule.regex.encode())
        allow = tuple(regex.compile(a.encode()) for a in rule.allow)
    except regex.error as exc:
        raise RuleError(f"{rule.source}: {rule.id}: regex does not compile: {exc}") from exc
    if SECRET_GROUP not in pattern.groupindex:
        raise RuleError(f"{rule.source}: {rule.id}: regex has no group named {SECRET_GROUP!r}")
    if rule.checksum is not None and rule.checksum not in CHECKS:
        known = ", ".join(sorted(CHECKS))
        raise RuleError(f"{rule.source}: {rule.id}: unknown checksum {rule.checksum!r} ({known})")
    return CompiledRule(
        rule=rule,
        pattern=pattern,
        allow=allow,
        keywords=tuple(k.lower().encode() for k in rule.keywords),
    )


def compile_rules(rules: Sequence[Rule]) -> list[CompiledRule]:
    return [compile_rule(rule) for rule in rules]


#: the rule's secret sits between quotes: a window without any quote cannot hold one, and most
#: lines naming a token or password in code pass it around rather than spell it out
QUOTED_HINT = "quoted"
QUOTES = (b'"', b"'", b"`")


def has_quote(content: bytes, start: int, end: int) -> bool:
    return any(content.find(quote, start, end) >= 0 for quote in QUOTES)


class Confirmed(NamedTuple):
    """One rule's accepted matches in a text, whether the time limit cut the search short, and
    how many matches its placeholder filter dropped (`policy.placeholders`)."""

    matches: list[Match]
    cut_short: bool
    placeholders: int


def confirm(
    compiled: CompiledRule, content: bytes, find_lines: LineFinder = keyword_lines
) -> Confirmed:
    """All accepted matches of one rule in `content`.

    `find_lines` finds the keyword lines of line-local rules (the same whoever finds them)."""
    matches: list[Match] = []
    placeholders = 0
    rule = compiled.rule
    lines = find_lines(content, compiled.keywords) if LINE_HINT in rule.hints else None
    windows = lines.windows if lines else [(0, len(content))]
    if QUOTED_HINT in rule.hints:
        windows = [(start, end) for start, end in windows if has_quote(content, start, end)]
    if lines and KEYWORD_START in rule.hints:
        found_all = anchored(compiled.pattern, content, windows, lines.positions, rule.shipped)
    elif LINE_START in rule.hints:
        anchors = line_starts(content, windows)
        found_all = anchored(compiled.pattern, content, windows, anchors, rule.shipped)
    else:
        found_all = (
            found
            for start, end in windows
            for found in compiled.pattern.finditer(
                content, start, end, timeout=REGEX_TIMEOUT_SECONDS
            )
        )
    try:
        for found in found_all:
            start, end = found.span(SECRET_GROUP)
            if start < 0:
                continue
            secret = content[start:end]
            if rule.min_entropy is not None and shannon_entropy(secret) < rule.min_entropy:
                continue
            if rule.checksum is not None and not CHECKS[rule.checksum](secret):
                continue
            if any(allow.search(secret) for allow in compiled.allow):
                continue
            if "placeholder" in rule.filters and is_placeholder(secret):
                placeholders += 1
                continue
            matches.append(Match(rule_id=rule.id, start=start, end=end, secret=secret))
    except TimeoutError:
        return Confirmed(matches, True, placeholders)
    return Confirmed(matches, False, placeholders)


def line_starts(content: bytes, windows: list[tuple[int, int]]) -> Iterator[int]:
    for start, end in windows:
        yield start
        at = content.find(b"\n", start, end)
        while at >= 0:
            yield at + 1
            at = content.find(b"\n", at + 1, end)


def anchored(
    pattern: Any,
    content: bytes,
    windows: list[tuple[int, int]],
    anchors: Iterable[int],
    shipped: bool = False,
) -> Iterator[Any]:
    """The matches `finditer` finds in the windows, for a regex that can only match from one of
    the (sorted) anchors: tried at each anchor inside a window, past the last match's end.

    One time limit for the whole rule, as `finditer` has, rather than one per anchor. A
    shipped rule's regex cannot run away on one try (tests/match/test_redos.py), so its limit is
    checked between tries only: passed to each one, it cost as much as the try itself."""
    deadline = time.monotonic() + REGEX_TIMEOUT_SECONDS
    window = iter(windows)
    start, end = next(window, (0, -1))
    resume = 0
    for at in anchors:
        while at > end:
            start, end = next(window, (0, -1))
            if end < 0:
                return
        if at < start or at < resume:
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        found = (
            pattern.match(content, at, end)
            if shipped
            else pattern.match(content, at, end, timeout=left)
        )
        if found is not None:
            resume = found.end()
            yield found
