"""Rules and paths: rules about a file itself, and rules limited to some paths.

A file rule (`filters = ["file"]`, e.g. `dotenv-file`) is about the file, not its content: its
regex is matched against the chunk's path (`/`-separated), never its content, and a hit is
reported once per chunk, on its first line: a committed `.env` is a leak whatever it holds.
Keeping the predicate in the rule's own regex lets `keyleak rules check` exercise it with the
rule's examples (paths) and negative examples.

A rule with a `path` regex (gitleaks' `path`) reports only in files whose path matches: a setting
about where to look, applied to a chunk's matches by whoever knows the chunk's path.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping, Sequence

from scanner.model import Chunk, Match, Rule
from scanner.rules import SECRET_GROUP

FILE_FILTER = "file"


def is_file_rule(rule: Rule) -> bool:
    return FILE_FILTER in rule.filters


class FileRules:
    """The file rules of one rule set, each with its keywords as lowercase bytes, picked out
    once: a scan asks for every chunk."""

    def __init__(self) -> None:
        self._of: tuple[Mapping[str, Rule], tuple[FileRule, ...]] | None = None

    def __call__(self, rules: Mapping[str, Rule]) -> tuple[FileRule, ...]:
        if self._of is None or self._of[0] is not rules:
            picked = tuple(
                (rule, tuple(k.lower().encode() for k in rule.keywords))
                for rule in rules.values()
                if is_file_rule(rule)
            )
            self._of = (rules, picked)
        return self._of[1]


FileRule = tuple[Rule, tuple[bytes, ...]]
file_rules = FileRules()


def per_path_key(fingerprint: str, path: str) -> str:
    """What tells one file rule's findings apart: every `.env` has the secret `.env`, and each
    path is a leak of its own."""
    return f"{fingerprint} {path}"


def file_matches(chunk: Chunk, rules: Sequence[FileRule]) -> list[Match]:
    """One match per file rule whose regex matches the chunk's path, spanning its first line."""
    if not chunk.content or not rules:
        return []
    found = path_matches(chunk.origin.path, rules)
    if not found:  # nearly every chunk: its first line is not looked for
        return []
    first_line_end = chunk.content.find(b"\n")
    end = first_line_end if first_line_end > 0 else max(len(chunk.content), 1)
    return [Match(rule_id=rule.id, start=0, end=end, secret=secret) for (rule, _), secret in found]


def path_matches(path: str | bytes, rules: Sequence[FileRule]) -> list[tuple[FileRule, bytes]]:
    """The file rules whose regex matches `path`, each with the part of the path it reports."""
    if isinstance(path, str):
        path = path.replace(os.sep, "/").encode("utf-8", "surrogateescape")
    lowered = path.lower()
    found = []
    for file_rule in rules:
        rule, keywords = file_rule
        # the keyword gate first, as in the matcher: most paths never need `regex` imported
        if not any(k in lowered for k in keywords):
            continue
        from scanner.match.confirm import compile_rule

        hit = compile_rule(rule).pattern.search(path)
        if hit is not None:
            found.append((file_rule, hit.group(SECRET_GROUP)))
    return found


@functools.lru_cache(maxsize=256)
def compiled_path_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def rule_applies_to(rule: Rule, path: str) -> bool:
    """A rule with a `path` regex (gitleaks' `path`) reports only in files whose path matches."""
    return rule.path is None or compiled_path_pattern(rule.path).search(path) is not None
