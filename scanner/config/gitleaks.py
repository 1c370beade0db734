"""Rules from a gitleaks configuration, and `.gitleaksignore` entries, for teams migrating.

A gitleaks `[[rules]]` table becomes a keyleak Rule: its Go (RE2) regex is translated to the
`regex` module's syntax with the secret group renamed `secret`; `entropy` becomes `min_entropy`;
allowlist regexes and stopwords on the secret become the rule's `allow` patterns, allowlisted
paths and the rule's `path` fold into the rule's path regex. What cannot be expressed is
reported with the rule id: a rule whose regex cannot be translated is left out (its findings
would be wrong), an allowlist part that cannot be is dropped (the rule then reports more, never
less). gitleaks rules carry no examples, so imported rules have none; `keyleak rules check`
counts them as unchecked.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from scanner.errors import ConfigError
from scanner.model import Finding, Rule, Severity
from scanner.redaction import masked_path, quoted

PROVIDER = "gitleaks"
SEVERITY = Severity.HIGH
REMEDIATION = (
    "Revoke the secret where it was issued, then read it from the environment or a secret manager."
)
#: bump when a change to the translation changes the rules it produces (keys the cache)
TRANSLATOR_VERSION = 1
#: gitleaks' own default config, some 200 rules, is about 100 KiB.
CONFIG_LIMIT = 4 << 20
#: A `.gitleaksignore` line is about 100 bytes: some 160,000 entries.
IGNORE_FILE_LIMIT = 16 << 20
#: shortest literal run worth using as a keyword when a rule names none
MIN_KEYWORD = 3
POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
GO_FLAGS = frozenset("imsU")
RULE_KEYS = frozenset(
    {"id", "description", "regex", "secretGroup", "keywords", "entropy", "path", "tags"}
    | {"allowlist", "allowlists"}
)
ALLOWLIST_KEYS = frozenset(
    {"description", "condition", "commits", "paths", "regexTarget", "regexes", "stopwords"}
    | {"targetRules"}
)
TOP_KEYS = frozenset({"title", "description", "extend", "rules", "allowlist", "allowlists"})


class Untranslatable(Exception):
    """A Go regex construct with no equivalent here."""


# --------------------------------------------------------------------------- regex translation


@dataclass
class Translation:
    """A gitleaks regex in keyleak's syntax, and the literals every match contains."""

    pattern: str
    #: literal runs every match must contain, for rules without keywords
    literals: list[str] = field(default_factory=list)


def translate_regex(go: str, secret_group: int | None = None) -> Translation:
    """Go RE2 syntax to `regex` syntax, with capture group `secret_group` named `secret`.

    With no `secret_group`, the first group is the secret (gitleaks takes the first non-empty
    group) and a pattern without groups is the secret as a whole.
    """
    translator = Translator(go)
    body = translator.run()
    groups = translator.capture_starts
    if secret_group is None or secret_group == 0:
        if not groups:
            return Translation(f"(?P<secret>{body})", translator.literals())
        secret_group = 1
    if secret_group > len(groups):
        raise Untranslatable(f"secretGroup {secret_group} but the regex has {len(groups)} groups")
    start, end = groups[secret_group - 1]
    if "secret" in translator.names and body[start:end] != "(?P<secret>":
        raise Untranslatable("a group other than secretGroup is named 'secret'")
    return Translation(body[:start] + "(?P<secret>" + body[end:], translator.literals())


class Translator:
    """One pass over a Go pattern, writing its `regex` equivalent."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.position = 0
        self.out: list[str] = []
        #: (start, end) in the output of each capturing group's opening, in group order
        self.capture_starts: list[tuple[int, int]] = []
        self.names: set[str] = set()
        #: per open group: flags set by a bare `(?i)` inside it, reopened after each `|`
        self.scoped_flags: list[list[str]] = [[]]
        #: literal characters at the top level, with None where a run is broken
        self.top_literals: list[str | None] = []
        self.top_alternation = False

    def text(self) -> str:
        return "".join(self.out)

    def run(self) -> str:
        while self.position < len(self.source):
            self.step()
        if len(self.scoped_flags) != 1:
            raise Untranslatable("unbalanced parentheses")
        self.close_scopes()
        return self.text()

    def emit_literal(self, text: str, char: str | None) -> None:
        self.out.append(text)
        if len(self.scoped_flags) == 1:
            self.top_literals.append(char)

    def break_literals(self) -> None:
        if len(self.scoped_flags) == 1:
            self.top_literals.append(None)

    def step(self) -> None:
        char = self.source[self.position]
        if char == "\\":
            self.escape()
        elif char == "[":
            self.char_class()
        elif char == "(":
            self.open_group()
        elif char == ")":
            self.close_scopes()
            self.scoped_flags.pop()
            if not self.scoped_flags:
                raise Untranslatable("unbalanced parentheses")
            self.out.append(")")
            self.position += 1
            self.break_literals()
        elif char == "|":
            scopes = self.scoped_flags[-1]
            self.close_scopes()
            self.out.append("|")
            for flags in scopes:
                self.out.append(f"(?{flags}:")
            self.scoped_flags[-1] = scopes
            if len(self.scoped_flags) == 1:
                self.top_alternation = True
            self.position += 1
        elif char in "*?+{":
            self.quantifier()
        elif char in ".^$":
            self.out.append(char)
            self.position += 1
            self.break_literals()
        else:
            self.emit_literal(re.escape(char), char)
            self.position += 1

    def close_scopes(self) -> None:
        self.out.append(")" * len(self.scoped_flags[-1]))
        self.scoped_flags[-1] = []

    def quantifier(self) -> None:
        char = self.source[self.position]
        end = self.position + 1
        if char == "{":
            close = self.source.find("}", self.position)
            counted = re.fullmatch(r"\{(\d+)(,\d*)?\}", self.source[self.position : close + 1])
            if close < 0 or counted is None:
                # Go takes a `{` that starts no repetition literally
                self.emit_literal("\\{", "{")
                self.position += 1
                return
            end = close + 1
            optional = counted.group(1) == "0"
        else:
            optional = char in "*?"
        if end < len(self.source) and self.source[end] == "?":
            end += 1
        self.out.append(self.source[self.position : end])
        if len(self.scoped_flags) == 1 and self.top_literals:
            # a required repeated character ends a run; an optional one is not in every match
            last = self.top_literals.pop()
            if not optional and last is not None:
                self.top_literals.append(last)
            self.top_literals.append(None)
        self.position = end

    def escape(self) -> None:
        source = self.source
        if self.position + 1 >= len(source):
            raise Untranslatable("trailing backslash")
        code = source[self.position + 1]
        if code == "Q":
            close = source.find("\\E", self.position + 2)
            literal = source[self.position + 2 : close if close >= 0 else len(source)]
            for char in literal:
                self.emit_literal(re.escape(char), char)
            self.position = close + 2 if close >= 0 else len(source)
            return
        if code == "z":
            self.out.append("\\Z")
            self.break_literals()
        elif code == "C":
            raise Untranslatable("\\C (any byte) has no equivalent")
        elif code in "pP":
            # \pL or \p{Greek}: the same in `regex`, but only for str patterns, not bytes
            raise Untranslatable(f"Unicode class \\{code} (keyleak matches bytes)")
        elif code in "123456789":
            raise Untranslatable(f"octal escape \\{code}...")
        elif code in "dDsSwWbBAxnrtfv0a":
            end = self.position + 2
            if code == "x" and source[end : end + 1] == "{":
                end = source.find("}", end) + 1
                if end <= 0:
                    raise Untranslatable("unterminated \\x{")
            elif code == "x":
                end += 2
            self.out.append(source[self.position : end])
            self.break_literals()
            self.position = end
            return
        elif code.isalnum():
            raise Untranslatable(f"unknown escape \\{code}")
        else:
            self.emit_literal(re.escape(code), code)
        self.position += 2

    def char_class(self) -> None:
        source = self.source
        position = self.position + 1
        parts = ["["]
        if source[position : position + 1] == "^":
            parts.append("^")
            position += 1
        first = True
        while position < len(source):
            char = source[position]
            if char == "]" and not first:
                break
            first = False
            if source.startswith("[:", position):
                close = source.find(":]", position)
                if close < 0:
                    raise Untranslatable("unterminated POSIX class")
                name = source[position + 2 : close]
                if name.startswith("^") or name not in POSIX_CLASSES:
                    raise Untranslatable(f"POSIX class [:{name}:]")
                parts.append(POSIX_CLASSES[name])
                position = close + 2
            elif char == "\\":
                code = source[position + 1 : position + 2]
                if code in ("p", "P"):
                    raise Untranslatable(f"Unicode class \\{code} (keyleak matches bytes)")
                if code == "x" and source[position + 2 : position + 3] == "{":
                    close = source.find("}", position)
                    parts.append(source[position : close + 1])
                    position = close + 1
                else:
                    parts.append(source[position : position + 2])
                    position += 2
            elif char == "[":
                parts.append("\\[")
                position += 1
            else:
                parts.append(char)
                position += 1
        else:
            raise Untranslatable("unterminated character class")
        parts.append("]")
        self.out.append("".join(parts))
        self.break_literals()
        self.position = position + 1

    def open_group(self) -> None:
        source = self.source
        rest = source[self.position :]
        self.break_literals()
        named = re.match(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>", rest)
        if named:
            start = len(self.text())
            opening = f"(?P<{named.group(1)}>"
            self.out.append(opening)
            self.capture_starts.append((start, start + len(opening)))
            self.names.add(named.group(1))
            self.position += named.end()
            self.scoped_flags.append([])
            return
        flags = re.match(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])", rest)
        if rest.startswith("(?") and not flags:
            raise Untranslatable(f"group syntax {rest[:4]!r}")
        if flags:
            on, off, kind = flags.group(1), flags.group(2) or "", flags.group(3)
            unknown = set(on + off) - GO_FLAGS
            if unknown:
                raise Untranslatable(f"flag(s) {''.join(sorted(unknown))!r}")
            if "U" in on + off:
                raise Untranslatable("the U (ungreedy) flag")
            spec = on + (f"-{off}" if off else "")
            self.position += flags.end()
            if kind == ":":
                self.out.append(f"(?{spec}:" if spec else "(?:")
                self.scoped_flags.append([])
            elif spec:
                # RE2 applies a bare (?i) to the rest of its group; Python wants it scoped
                self.out.append(f"(?{spec}:")
                self.scoped_flags[-1].append(spec)
            return
        start = len(self.text())
        self.out.append("(")
        self.capture_starts.append((start, start + 1))
        self.position += 1
        self.scoped_flags.append([])

    def literals(self) -> list[str]:
        """Runs of literal characters every match contains (none if the top level alternates)."""
        if self.top_alternation:
            return []
        runs: list[str] = []
        current: list[str] = []
        for char in [*self.top_literals, None]:
            if char is None:
                if current:
                    runs.append("".join(current))
                current = []
            else:
                current.append(char)
        return runs


# --------------------------------------------------------------------------- rules


@dataclass
class Imported:
    """What a gitleaks config gave: the rules translated, and what could not be."""

    rules: list[Rule] = field(default_factory=list)
    #: one line per construct that could not be translated, naming the rule
    problems: list[str] = field(default_factory=list)
    #: rules left out (each also has a line in `problems`)
    skipped: int = 0


def normalize_id(rule_id: str) -> str:
    """gitleaks allows any id; keyleak ids are lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9-]+", "-", rule_id.lower()).strip("-") or "rule"


def path_regex(rule_path: str | None, allowed_paths: Sequence[str]) -> str | None:
    """One search regex: the rule's path matches and no allowlisted path does."""
    if rule_path is None and not allowed_paths:
        return None
    parts = ["^"]
    if allowed_paths:
        parts.append("(?!.*(?:" + "|".join(f"(?:{p})" for p in allowed_paths) + "))")
    if rule_path is not None:
        parts.append(f"(?=.*(?:{rule_path}))")
    return "".join(parts)


def allowlists_of(table: dict[str, Any]) -> list[Any]:
    items: list[Any] = []
    if "allowlist" in table:
        items.append(table["allowlist"])
    raw = table.get("allowlists", [])
    items.extend(raw if isinstance(raw, list) else [raw])
    return items


@dataclass
class Allowance:
    """What keyleak can express of one gitleaks allowlist: secret patterns and paths."""

    secret_patterns: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


def read_allowlist(item: Any, label: str, problems: list[str]) -> Allowance:
    """What of one gitleaks allowlist keyleak can express; the rest is reported and dropped."""
    allowance = Allowance()
    if not isinstance(item, dict):
        problems.append(f"{label}: allowlist: expected a table")
        return allowance
    for key in sorted(set(item) - ALLOWLIST_KEYS):
        problems.append(f"{label}: allowlist: unknown key {quoted(key)} ignored")
    regexes = list(item.get("regexes", []))
    stopwords = list(item.get("stopwords", []))
    paths = list(item.get("paths", []))
    kinds = sum(1 for present in (regexes or stopwords, paths, item.get("commits")) if present)
    if str(item.get("condition", "OR")).upper() == "AND" and kinds > 1:
        problems.append(f"{label}: allowlist with condition AND over several criteria dropped")
        return allowance
    if item.get("commits"):
        problems.append(f"{label}: allowlist commits dropped (keyleak has no per-commit allowlist)")
    target = item.get("regexTarget", "secret")
    if regexes and target != "secret":
        problems.append(f"{label}: allowlist regexes with regexTarget {quoted(target)} dropped")
        regexes = []
    for pattern in regexes:
        try:
            allowance.secret_patterns.append(translate_regex_plain(pattern))
        except Untranslatable as exc:
            problems.append(f"{label}: allowlist regex {quoted(pattern)} dropped: {exc}")
    allowance.secret_patterns.extend(f"(?i:{re.escape(word)})" for word in stopwords)
    for pattern in paths:
        try:
            allowance.paths.append(translate_regex_plain(pattern))
        except Untranslatable as exc:
            problems.append(f"{label}: allowlist path {quoted(pattern)} dropped: {exc}")
    return allowance


def translate_regex_plain(go: str) -> str:
    translator = Translator(go)
    return translator.run()


def convert_rule(
    table: Any, index: int, source: str, shared: list[tuple[frozenset[str], Allowance]]
) -> tuple[Rule | None, list[str]]:
    problems: list[str] = []
    if not isinstance(table, dict) or not isinstance(table.get("id"), str):
        return None, [f"{source}: rules[{index}]: needs a string 'id'"]
    original_id: str = table["id"]
    label = f"{source}: {original_id}"
    for key in sorted(set(table) - RULE_KEYS):
        problems.append(f"{label}: unknown key {quoted(key)} ignored")
    go_regex = table.get("regex")
    if not isinstance(go_regex, str) or not go_regex:
        return None, [*problems, f"{label}: skipped: rules without a regex (path only) unsupported"]
    secret_group = table.get("secretGroup")
    group = secret_group if isinstance(secret_group, int) else None
    try:
        translation = translate_regex(go_regex, group)
        rule_path = translate_regex_plain(str(table["path"])) if "path" in table else None
        regex.compile(translation.pattern.encode())
    except Untranslatable as exc:
        return None, [*problems, f"{label}: skipped: cannot translate: {exc}"]
    except regex.error as exc:
        return None, [*problems, f"{label}: skipped: translated regex does not compile: {exc}"]
    keywords = [k for k in table.get("keywords", []) if isinstance(k, str) and k]
    if not keywords:
        longest = max(translation.literals, key=len, default="")
        if len(longest) < MIN_KEYWORD:
            return None, [
                *problems,
                f"{label}: skipped: no keywords, and no literal of {MIN_KEYWORD}+ characters in "
                "every match to use as one (keyleak runs a rule only where a keyword occurs)",
            ]
        keywords = [longest]
    rule_id = normalize_id(original_id)
    allow: list[str] = []
    allowed_paths: list[str] = []
    for item in allowlists_of(table):
        allowance = read_allowlist(item, label, problems)
        allow += allowance.secret_patterns
        allowed_paths += allowance.paths
    for targets, allowance in shared:
        if not targets or original_id in targets:
            allow += allowance.secret_patterns
            allowed_paths += allowance.paths
    entropy = table.get("entropy")
    description = table.get("description") if isinstance(table.get("description"), str) else ""
    rule = Rule(
        id=rule_id,
        name=description or original_id,
        provider=PROVIDER,
        description=description or f"gitleaks rule {original_id}",
        regex=translation.pattern,
        keywords=tuple(keywords),
        severity=SEVERITY,
        remediation=REMEDIATION,
        examples=(),
        negative_examples=(),
        min_entropy=float(entropy) if isinstance(entropy, int | float) and entropy else None,
        allow=tuple(allow),
        source=source,
        path=path_regex(rule_path, allowed_paths),
    )
    return rule, problems


def convert(document: dict[str, Any], source: str) -> Imported:
    """Every translatable rule of a parsed gitleaks config, and what could not be translated."""
    result = Imported()
    for key in sorted(set(document) - TOP_KEYS):
        result.problems.append(f"{source}: unknown top-level key {quoted(key)} ignored")
    if "extend" in document:
        result.problems.append(
            f"{source}: [extend] ignored: gitleaks' default rules are not imported "
            "(keyleak's own rules cover those providers)"
        )
    shared: list[tuple[frozenset[str], Allowance]] = []
    for item in allowlists_of(document):
        targets = item.get("targetRules", []) if isinstance(item, dict) else []
        allowance = read_allowlist(item, f"{source}: [allowlist]", result.problems)
        shared.append((frozenset(targets), allowance))
    tables = document.get("rules", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{source}: 'rules' must be an array of tables ([[rules]])")
    seen: set[str] = set()
    for index, table in enumerate(tables):
        rule, problems = convert_rule(table, index, source, shared)
        result.problems.extend(problems)
        if rule is not None and rule.id in seen:
            result.problems.append(f"{source}: {rule.id}: skipped: duplicate rule id")
            rule = None
        if rule is None:
            result.skipped += 1
            continue
        seen.add(rule.id)
        result.rules.append(rule)
    return result


def read(path: Path) -> bytes:
    from scanner.util.small_file import read_small_file

    try:
        return read_small_file(path, CONFIG_LIMIT)
    except OSError as exc:
        # a key pasted where the file name goes is no less a key
        raise ConfigError(
            f"{masked_path(str(path))}: cannot read gitleaks config: {exc.strerror}"
        ) from exc


def parse(raw: bytes, source: str) -> Imported:
    from scanner.util.toml_text import TomlError, load_toml

    try:
        document = load_toml(raw)
    except TomlError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    return convert(document, source)


def load(path: Path) -> tuple[Imported, str]:
    """A gitleaks config's rules and problems, and a digest of it; cached by content, since the
    hook loads it on every commit."""
    from scanner.rules import rule_from_json, rule_to_json
    from scanner.util.disk_cache import read_entry, write_entry

    raw = read(path)
    digest = hashlib.sha256(f"{TRANSLATOR_VERSION}\0{path}\0".encode() + raw).hexdigest()
    cache_name = f"gitleaks-{digest[:32]}.json"
    cached = read_entry(cache_name)
    if cached is not None:
        try:
            item = json.loads(cached)
            rules = [rule_from_json(rule) for rule in item["rules"]]
            return Imported(rules, list(item["problems"]), int(item["skipped"])), digest
        except (ValueError, KeyError, TypeError):
            pass
    imported = parse(raw, str(path))
    payload = {
        "rules": [rule_to_json(r) for r in imported.rules],
        "problems": imported.problems,
        "skipped": imported.skipped,
    }
    write_entry(cache_name, json.dumps(payload).encode())
    return imported, digest


# --------------------------------------------------------------------------- keyleak TOML


def toml_string(value: str) -> str:
    """A TOML string: literal (no escapes to read) when it can be, else a basic string."""
    if "'" not in value and not any(ord(c) < 0x20 or c == "\x7f" for c in value):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


def toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def to_keyleak_toml(rules: Sequence[Rule], origin: str) -> str:
    """keyleak rule-pack TOML for imported rules (marked `imported = "gitleaks"`)."""
    lines = [
        f"# Imported from the gitleaks config {origin} by `keyleak rules import-gitleaks`.",
        "# These rules have no examples: add some (and remove `imported`) to have",
        "# `keyleak rules check` test them.",
    ]
    for rule in rules:
        lines += [
            "",
            "[[rules]]",
            f"id = {toml_string(rule.id)}",
            f"name = {toml_string(rule.name)}",
            f"provider = {toml_string(rule.provider)}",
            f"description = {toml_string(rule.description)}",
            f"regex = {toml_string(rule.regex)}",
            f"keywords = {toml_list(rule.keywords)}",
        ]
        if rule.min_entropy is not None:
            lines.append(f"min_entropy = {rule.min_entropy}")
        if rule.allow:
            lines.append(f"allow = {toml_list(rule.allow)}")
        if rule.path is not None:
            lines.append(f"path = {toml_string(rule.path)}")
        lines += [
            f"severity = {toml_string(rule.severity.value)}",
            f"remediation = {toml_string(rule.remediation)}",
            'imported = "gitleaks"',
            "examples = []",
            "negative_examples = []",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- .gitleaksignore


@dataclass(frozen=True)
class GitleaksIgnore:
    """One `.gitleaksignore` line: `[commit:]file:rule-id:line`."""

    commit: str | None
    path: str
    rule_id: str
    line: int

    def matches(self, finding: Finding, path: str) -> bool:
        location = finding.location
        return (
            self.rule_id == finding.rule_id
            and self.line == location.line
            and self.path == path
            and (self.commit is None or self.commit == location.commit)
        )


COMMIT_PREFIX = re.compile(r"([0-9a-f]{40}):(.*)", re.DOTALL)


def parse_ignore_line(line: str) -> GitleaksIgnore | None:
    """`commit:file:rule-id:line` or `file:rule-id:line`; None for anything else."""
    parts = line.rsplit(":", 2)
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    head, rule_id, number = parts
    commit = None
    if found := COMMIT_PREFIX.fullmatch(head):
        commit, head = found.group(1), found.group(2)
    if not head or not rule_id:
        return None
    return GitleaksIgnore(commit=commit, path=head, rule_id=normalize_id(rule_id), line=int(number))


def read_ignores(path: Path) -> Iterator[GitleaksIgnore]:
    """The entries of a `.gitleaksignore` (comments, blank and unreadable lines skipped)."""
    from scanner.util.small_file import read_small_file

    try:
        text = read_small_file(path, IGNORE_FILE_LIMIT).decode("utf-8", "replace")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    for line in ignore_lines(text):
        if (entry := parse_ignore_line(line)) is not None:
            yield entry


def ignore_lines(text: str) -> Iterator[str]:
    """A `.gitleaksignore`'s lines that say something: no blank lines, no comments."""
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line
