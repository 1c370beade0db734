"""The Hyperscan engine: one database holds every rule's regex (in prefilter mode), so a single
pass over a chunk says which rules can match it; only those are confirmed.

Prefilter mode may report a rule that does not really match, never the reverse, so confirming
candidates whose keywords occur with the rule's own regex gives exactly the fallback engine's
results. The keywords are checked in Python, and only for the few rules the database reports:
as literals in the database they halved its speed, short caseless ones (`sk`, `aws`) matching
all over source code.

The base64 forms of the keywords (keyword_encodings) are reported with their offsets, so
the decoder knows which runs to decode. They make the database four times larger, which a
pre-commit run would pay for loading while it rarely holds base64 at all; so the first
`GATE_BYTES` a matcher scans go through the rules' database alone, and through the encodings'
database only when a chunk holds a run the decoder would decode. Past that, one database holding
both is cheaper than two scans of every chunk.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import hyperscan

from scanner.match.decoding import PERCENT_ESCAPE as PERCENT_ESCAPE_PATTERN
from scanner.match.decoding import has_decodable_run
from scanner.match.keyword_encodings import (
    HINTS,
    SECRET_MANIFEST,
    encoded_expressions,
    encoded_keywords,
)
from scanner.match.keyword_lines import (
    KEYWORD_START,
    LINE_HINT,
    KeywordLines,
    LineFinder,
    OnLines,
)
from scanner.match.results import (
    NO_MATCHES,
    NOTHING_FOUND,
    MatchResult,
    Survey,
    sorted_matches,
)
from scanner.model import Match, NamedTuple, Rule

REGEX_FLAGS = (
    hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY
)
#: every occurrence: the decoder needs each base64 token that holds one, each line with a hint
ENCODED_FLAGS = 0
#: every end of a match: which lines may hold one (`compile_combined`)
LINES_FLAGS = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_ALLOWEMPTY
HINT_FLAGS = hyperscan.HS_FLAG_CASELESS
MANIFEST_FLAGS = hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_SINGLEMATCH
#: ids after the rules': the hints, then the manifest line, the `%XX` escape, then (in the
#: combined database) the keywords' base64 forms
MANIFEST_ID = len(HINTS)
ESCAPE_ID = MANIFEST_ID + 1
FIRST_ENCODED_ID = ESCAPE_ID + 1
#: Whether a chunk holds any URL escape: most `%` in code are format strings (`%s`), and the
#: decoder walked each one in Python for a tenth of the matching time.
PERCENT_ESCAPE = PERCENT_ESCAPE_PATTERN.pattern
ESCAPE_FLAGS = hyperscan.HS_FLAG_SINGLEMATCH
#: A keyword-gated rule's keywords, as one literal expression of the database, have the id
#: `KEYWORDS_ID + the rule's index`: far past every other id of any catalogue.
KEYWORDS_ID = 1 << 24
#: Keywords this long and longer are looked for by the database (`gate_literal`): a chunk that
#: one gated rule's regex hits was otherwise copied in lowercase to look for them, which cost
#: a fifth of the matching of a history full of YAML (the Kubernetes rules' prefilter fires on
#: every indented `name: value` line). Shorter ones (`sk_`, `AC`) would match all over code and
#: slow the whole database; their rules keep the lowercase check.
MIN_GATE_LITERAL = 4
KEYWORDS_FLAGS = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH
#: A line-local rule whose every possible match's end the combined database reports
#: (`compile_combined`) has the id `ENDS_ID + the rule's index`: past the keywords' ids.
ENDS_ID = 1 << 25
#: Bytes a matcher scans with the rules' database alone, before it switches to the combined
#: one: a commit's worth. A pre-commit run loads a quarter of the bytes (and looks for a
#: decodable run itself, which would cost more than the encodings' scan on a whole history);
#: a scan of a tree or a history scans each chunk once instead of twice.
GATE_BYTES = 256 * 1024
#: Hyperscan unrolls counted repeats: a lower bound such as `{16384,}` costs seconds of compile
#: time per rule and a few together can take minutes, so such rules are left to the keyword gate
#: instead (upper bounds are dropped by `prefilter_form`).
MAX_COUNTED_REPEAT = 1024
COUNTED_REPEAT = re.compile(r"(?<!\\)\{(\d*),?(\d*)\}")


def too_costly_to_compile(pattern: str) -> bool:
    return any(
        int(bound) > MAX_COUNTED_REPEAT
        for match in COUNTED_REPEAT.finditer(prefilter_form(pattern))
        for bound in match.groups()
        if bound
    )


#: Upper bounds of counted repeats above this are dropped in the database's form of a regex
#: (`prefilter_form`): Hyperscan builds a state per repeat, so a nested `(...{0,200}){0,8}`
#: cost seconds of every cold start, while without the bound it compiles in milliseconds.
WIDEST_BOUND = 32
BOUNDED_REPEAT = re.compile(r"\{(\d+),(\d+)\}(?!\+)")
LOOKAROUND = re.compile(r"\(\?<?[=!]")


def database_expression(rule: Rule) -> str:
    """What the database holds for a rule: a family member's keywords (where they start a word,
    `MEMBER_START`), any other rule's regex in its prefilter form.

    Every match of a member's pattern holds one of its keywords, so the keywords select it as
    surely as the pattern does, and the confirm step decides as before. Five hundred members'
    full patterns made the database eight times larger (9.8 of 11.2 MB), which every hook run
    reads and loads; as literals they cost little, and service names are rare in code.
    """
    if rule.family:
        keywords = "(?i:" + "|".join(re.escape(keyword) for keyword in rule.keywords) + ")"
        if rule.regex.startswith(MEMBER_START):
            return WORD_START + keywords
        return keywords
    return prefilter_form(rule.regex)


def starts_at_a_word(rule: Rule) -> bool:
    """Whether every match of the rule starts at one of its keywords where it starts a word (a
    family member's regex tried at its keywords only): its keyword lines are those where one
    does, as a line where all start inside a longer word (`sqlalchemy`) holds no match."""
    return rule.regex.startswith(MEMBER_START) and KEYWORD_START in rule.hints


#: How a family's regex starts: a keyword that starts a word. The database asks the same of
#: the keyword, by the byte before it (any but an ASCII letter or digit, which is what the
#: look-behind rejects in bytes, whatever the case) or the start of the text: `alchemy` on
#: its own made every file of SQLAlchemy a candidate, confirmed for nothing.
MEMBER_START = "(?i:(?<![a-z0-9])(?:"
WORD_START = "(?:^|[^A-Za-z0-9])"


def prefilter_form(pattern: str) -> str:
    """The regex as the database holds it: each counted repeat `{m,n}` with n above
    `WIDEST_BOUND` as `{m,}`, which matches wherever the regex does (and more), so prefilter
    mode still never misses a match and confirmation still decides which are real.

    Repeats inside a character class are text, and inside a lookaround (whose negative forms
    would reject more once widened) are left alone; so are possessive ones, which never match
    more for being widened."""
    parts: list[str] = []
    position = 0
    in_class = False
    groups: list[bool] = []  # for each open group, whether it is a lookaround
    at = 0
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            at += 1
            if pattern.startswith("^", at):
                at += 1
            if pattern.startswith("]", at):  # a member of the class, not its end
                at += 1
            continue
        elif char == "(":
            groups.append(bool(LOOKAROUND.match(pattern, at)))
        elif char == ")":
            if groups:
                groups.pop()
        elif char == "{" and not any(groups):
            repeat = BOUNDED_REPEAT.match(pattern, at)
            if repeat is not None and int(repeat.group(2)) > WIDEST_BOUND:
                parts.append(pattern[position:at] + "{" + repeat.group(1) + ",}")
                position = at = repeat.end()
                continue
        at += 1
    parts.append(pattern[position:])
    return "".join(parts)


def gate_literal(rule: Rule, keywords: tuple[bytes, ...]) -> bytes | None:
    """The database expression of a keyword-gated rule's keywords (`rule_keywords`; any case,
    as the gate compares them with the lowercased chunk), if the database looks for them."""
    if not reports_keywords(rule, keywords):
        return None
    return b"|".join(map(escaped_bytes, keywords))


def escaped_bytes(keyword: bytes) -> bytes:
    """`keyword` as a Hyperscan literal: every byte escaped, so none is an operator."""
    return b"".join(b"\\x%02x" % byte for byte in keyword)


def reports_keywords(rule: Rule, keywords: tuple[bytes, ...]) -> bool:
    """Whether the database looks for a gated rule's keywords itself: all long enough, and ASCII,
    where Hyperscan's caseless matching is `bytes.lower`'s."""
    if rule.family or LINE_HINT in rule.hints:  # selected by their keywords' lines instead
        return False
    return bool(keywords) and all(len(k) >= MIN_GATE_LITERAL and k.isascii() for k in keywords)


#: A regex that starts at a line start, in multiline mode (`(?m)^[ \t]{1,16}[\w.-]{1,253}:`):
#: with no literal of its own before the secret, its prefilter fires on nearly every line.
LINE_ANCHORED = re.compile(r"\(\?[a-z]*m[a-z]*\)\^")


def keyword_selected(rules: Sequence[Rule], reported: Iterable[int]) -> set[int]:
    """The rules the database holds by their keywords' literal alone, not by their regex: those
    whose regex starts at every line (`LINE_ANCHORED`) among those whose keywords it reports
    (`reported`, by `reports_keywords`). Such a rule is confirmed only where its keywords occur,
    so its regex selected nothing the literal does not; the Kubernetes Secret rules' one,
    firing on every indented `name: value` line of code, cost an eighth of the database's scan
    time."""
    return {index for index in reported if LINE_ANCHORED.match(rules[index].regex)}


def keywords_reported(
    rules: Sequence[Rule], keywords: Sequence[tuple[bytes, ...]] | None = None
) -> set[int]:
    """The rules whose keywords the database reports (`gate_literal`); `keywords`: the rules'
    `rule_keywords`, where the caller has them already."""
    if keywords is None:
        keywords = rule_keywords(rules)
    return {
        index
        for index, (rule, its_keywords) in enumerate(zip(rules, keywords, strict=True))
        if reports_keywords(rule, its_keywords)
    }


def rule_keywords(rules: Sequence[Rule]) -> tuple[tuple[bytes, ...], ...]:
    return tuple(tuple(k.lower().encode() for k in rule.keywords) for rule in rules)


class CompiledDatabase(NamedTuple):
    """Loaders of the databases, each called on first need, and the rules none holds (a named
    tuple: the hook creates the class on every commit)."""

    #: the rules' database (`compile_database`): a scan of more than `GATE_BYTES` never uses it
    database: Callable[[], Any]
    always_candidates: frozenset[int]
    #: the keywords' base64 forms alone (`compile_encoded`)
    encoded: Callable[[], Any]
    #: the rules' database and the base64 forms in one (`compile_combined`)
    combined: Callable[[], Any]


def compile_database(rules: Sequence[Rule]) -> tuple[bytes, frozenset[int]]:
    """Compile and serialize the rules' database; returns it with the indices of unsupported
    rules.

    Ids 0..n-1 are the rules' regexes; the words that announce base64 (`keyword_encodings.HINTS`)
    follow, then the `kind: Secret` line. Rules whose regex Hyperscan rejects even in prefilter
    mode are left out: the keyword gate alone selects them.
    """
    unsupported = {i for i, rule in enumerate(rules) if too_costly_to_compile(rule.regex)}
    while True:
        try:
            return compile_parts(rules, unsupported, ()), frozenset(unsupported)
        except hyperscan.error:
            failing = first_unsupported(rules, unsupported)
            if failing is None:
                raise
            unsupported.add(failing)


def compile_combined(rules: Sequence[Rule], unsupported: frozenset[int]) -> bytes:
    """The rules' database with the keywords' base64 forms after the manifest line, reporting
    every end of the line-local rules' possible matches (`narrowed_rules`, with the ids
    `ENDS_ID + index`), or, if Hyperscan rejects one of them without the single-match flag,
    only whether they may match.

    The rules' database says only whether a rule may match a chunk; once it may, the rule was
    tried on every line holding one of its keywords, and the generic rules' keywords (`token`,
    `pass`) are on lines all over code. Prefilter mode reports a superset of the regex's
    matches, each by where it ends, and a line-local rule's match never spans a newline: only
    the lines where the database reports one can hold one. A database of their own scanned
    each chunk they may match a second time; reported by this one, the ends come with the
    scan every chunk has, and without the single-match flag it costs less than that scan did
    (4% fewer instructions of a generated history's matching)."""
    encodings = keyword_encodings(rules)
    try:
        return compile_parts(rules, unsupported, encodings, narrowed_rules(rules, unsupported))
    except hyperscan.error:
        return compile_parts(rules, unsupported, encodings)


def compile_encoded(rules: Sequence[Rule]) -> bytes:
    """The keywords' base64 forms (keyword_encodings) alone: four times the size of the
    rules' database, it is loaded only once a chunk holds a run that could be decoded, which
    most pre-commit runs never see."""
    encoded = keyword_encodings(rules)
    return compile_expressions(list(encoded), [ENCODED_FLAGS] * len(encoded))


def narrowed_rules(rules: Sequence[Rule], unsupported: set[int] | frozenset[int]) -> list[int]:
    """The line-local rules confirmed only on the lines where the combined database reports
    their matches may end (`compile_combined`): those it holds in their regex's prefilter form
    (not the family members, which it holds by their keywords, nor the rules it holds by
    their keywords' literal alone)."""
    held_by_keywords = keyword_selected(rules, keywords_reported(rules))
    return [
        index
        for index, rule in enumerate(rules)
        if LINE_HINT in rule.hints
        and not rule.family
        and index not in unsupported
        and index not in held_by_keywords
    ]


def keyword_encodings(rules: Sequence[Rule]) -> tuple[bytes, ...]:
    return encoded_expressions(encoded_keywords(rules))


def compile_parts(
    rules: Sequence[Rule],
    unsupported: set[int] | frozenset[int],
    encodings: Sequence[bytes],
    every_end: Iterable[int] = (),
) -> bytes:
    """The database of the rules' expressions, the hints, the manifest line, the `%XX` escape,
    the `encodings` and the gated rules' keyword literals; the rules of `every_end` report
    every end of a possible match, with the id `ENDS_ID + index`."""
    expressions, ids, flags = [], [], []
    left_out = keyword_selected(rules, keywords_reported(rules)).union(unsupported)
    ends_of = frozenset(every_end)
    for index, rule in enumerate(rules):
        if index not in left_out:
            expressions.append(database_expression(rule).encode())
            ids.append(ENDS_ID + index if index in ends_of else index)
            flags.append(LINES_FLAGS if index in ends_of else REGEX_FLAGS)
    for offset, hint in enumerate(HINTS):
        expressions.append(escaped_bytes(hint))
        ids.append(len(rules) + offset)
        flags.append(HINT_FLAGS)
    expressions.append(SECRET_MANIFEST)
    ids.append(len(rules) + MANIFEST_ID)
    flags.append(MANIFEST_FLAGS)
    expressions.append(PERCENT_ESCAPE)
    ids.append(len(rules) + ESCAPE_ID)
    flags.append(ESCAPE_FLAGS)
    for offset, encoding in enumerate(encodings):
        expressions.append(encoding)
        ids.append(len(rules) + FIRST_ENCODED_ID + offset)
        flags.append(ENCODED_FLAGS)
    for index, (rule, keywords) in enumerate(zip(rules, rule_keywords(rules), strict=True)):
        literal = gate_literal(rule, keywords)
        if literal is not None:
            expressions.append(literal)
            ids.append(KEYWORDS_ID + index)
            flags.append(KEYWORDS_FLAGS)
    return compile_expressions(expressions, flags, ids)


def compile_expressions(
    expressions: list[bytes], flags: list[int], ids: list[int] | None = None
) -> bytes:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=expressions,
        ids=list(range(len(expressions))) if ids is None else ids,
        elements=len(expressions),
        flags=flags,
    )
    return hyperscan.dumpb(database)


def first_unsupported(rules: Sequence[Rule], known: set[int]) -> int | None:
    held_by_keywords = keyword_selected(rules, keywords_reported(rules))
    for index, rule in enumerate(rules):
        if index in known or index in held_by_keywords:
            continue
        probe = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            probe.compile(
                expressions=[database_expression(rule).encode()],
                ids=[0],
                elements=1,
                flags=[REGEX_FLAGS],
            )
        except hyperscan.error:
            return index
    return None


def load_database(serialized: bytes) -> Any:
    return hyperscan.loadb(serialized, hyperscan.HS_MODE_BLOCK)


class KeywordFinder:
    """The keyword lines of line-local rules (keyword_lines), found in one Hyperscan pass over the
    chunk rather than one `find` pass per keyword: the same lines, a fraction of the time. The
    small caseless literal databases compile in about a millisecond, so they are built on first
    use instead of being cached."""

    def __init__(self, word_start: bool = False) -> None:
        #: find only the keywords that start a word (`starts_at_a_word`)
        self._word_start = word_start
        self._databases: dict[tuple[bytes, ...], Any] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def __call__(self, content: bytes, keywords: tuple[bytes, ...]) -> KeywordLines:
        last = getattr(self._local, "last", None)
        if last is not None and last[0] is content and last[1] == keywords:
            found: KeywordLines = last[2]
            return found
        database = self._database(keywords)
        scratches: dict[tuple[bytes, ...], Any] = self._local.__dict__.setdefault("scratch", {})
        scratch = scratches.get(keywords)
        if scratch is None:
            scratch = scratches[keywords] = hyperscan.Scratch(database)
        positions: list[int] = []

        def on_match(expression_id: int, start: int, end: int, flags: int, context: Any) -> None:
            positions.append(end - len(keywords[expression_id]))

        database.scan(content, match_event_handler=on_match, scratch=scratch)
        lines = KeywordLines(content, positions)
        self._local.last = (content, keywords, lines)
        return lines

    def _database(self, keywords: tuple[bytes, ...]) -> Any:
        with self._lock:
            database = self._databases.get(keywords)
            if database is None:
                start = WORD_START.encode() if self._word_start else b""
                database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
                database.compile(
                    expressions=[start + b"(?i:" + escaped_bytes(k) + b")" for k in keywords],
                    ids=list(range(len(keywords))),
                    elements=len(keywords),
                    flags=[0] * len(keywords),
                )
                self._databases[keywords] = database
            return database


class HyperscanMatcher:
    name = "hyperscan"

    def __init__(self, rules: Sequence[Rule], compiled: CompiledDatabase) -> None:
        self._rules = tuple(rules)
        self._keywords = rule_keywords(rules)
        #: line-local rules, confirmed only on their keywords' lines: which finds none where no
        #: keyword occurs, so checking for one first would only look for them twice
        self._line_local = frozenset(
            index for index, rule in enumerate(rules) if LINE_HINT in rule.hints
        )
        #: rules whose keywords the database reports (`gate_literal`)
        self._keywords_reported = frozenset(keywords_reported(rules, self._keywords))
        #: rules the database holds by their keywords alone (`keyword_selected`)
        self._by_keywords = frozenset(keyword_selected(rules, self._keywords_reported))
        self._always = compiled.always_candidates
        self._local = threading.local()
        self._confirmers: dict[int, Any] = {}
        self._confirmers_lock = threading.Lock()
        self._lines = KeywordFinder()
        self._word_lines = KeywordFinder(word_start=True)
        self._at_words = frozenset(
            index for index, rule in enumerate(rules) if starts_at_a_word(rule)
        )
        self._compiled = compiled
        #: lazily loaded databases (`CompiledDatabase.database`, `.combined`...), each with the
        #: scratch space its threads' own copies are cloned from
        self._loaded: dict[str, tuple[Any, Any]] = {}
        self._loading = threading.Lock()
        self._scanned = 0
        #: whether any keyword has encodings to look for (none when every rule is a family
        #: member: an empty database does not compile)
        self._encodes = any(True for _ in encoded_keywords(rules))

    def scan(self, content: bytes) -> MatchResult:
        return self.survey(content).result

    def survey(self, content: bytes) -> Survey:
        hits: set[int] = set()
        hinted: list[int] = []
        encoded: list[int] = []
        keywords_found: set[int] = set()
        #: where a line-local rule's matches may end, by rule (`compile_combined`)
        match_ends: dict[int, list[int]] = {}
        rule_count = len(self._rules)
        manifest, first_encoded = rule_count + MANIFEST_ID, rule_count + FIRST_ENCODED_ID
        escape = rule_count + ESCAPE_ID

        def on_match(expression_id: int, start: int, end: int, flags: int, context: Any) -> None:
            if expression_id < rule_count or manifest <= expression_id < first_encoded:
                hits.add(expression_id)
            elif expression_id < manifest:
                hinted.append(end)
            elif expression_id >= ENDS_ID:
                index = expression_id - ENDS_ID
                found = match_ends.get(index)
                if found is None:
                    match_ends[index] = [end]
                    hits.add(index)
                else:
                    found.append(end)
            elif expression_id >= KEYWORDS_ID:
                keywords_found.add(expression_id - KEYWORDS_ID)
            else:
                encoded.append(end)

        self._scanned += len(content)
        volume = self._scanned > GATE_BYTES
        if volume:
            combined = getattr(self._local, "combined", None)
            if combined is None:
                combined = self._local.combined = self._lazy("combined", self._compiled.combined)
            combined[0].scan(content, match_event_handler=on_match, scratch=combined[1])
        else:
            database, scratch = self._lazy("rules", self._compiled.database)
            database.scan(content, match_event_handler=on_match, scratch=scratch)
            if self._encodes and has_decodable_run(content):
                database, scratch = self._lazy("encoded", self._compiled.encoded)
                database.scan(
                    content,
                    match_event_handler=lambda _id, _start, end, _flags, _context: encoded.append(
                        end
                    ),
                    scratch=scratch,
                )
        if keywords_found and self._by_keywords:
            hits.update(keywords_found.intersection(self._by_keywords))
        if not hits and not hinted and not encoded and not self._always:  # most chunks
            return NOTHING_FOUND
        is_manifest = manifest in hits
        escaped = escape in hits
        hits.discard(manifest)
        hits.discard(escape)
        hits |= self._always
        ends = tuple(encoded)
        if not hits:
            return Survey(NO_MATCHES, ends, tuple(hinted), is_manifest, escaped)
        keywords = self._keywords
        gated = hits - self._line_local
        checked = gated - self._keywords_reported
        lowered = content.lower() if checked else b""
        candidates = sorted(
            hits.intersection(self._line_local)
            .union(gated.intersection(keywords_found))
            .union(i for i in checked if any(k in lowered for k in keywords[i]))
        )
        if not candidates:
            return Survey(NO_MATCHES, ends, tuple(hinted), is_manifest, escaped)
        from scanner.match.confirm import confirm

        matches: list[Match] = []
        timed_out: list[str] = []
        placeholders = 0
        for index in candidates:
            lines: LineFinder = self._word_lines if index in self._at_words else self._lines
            its_ends = match_ends.get(index)
            if its_ends is not None:
                lines = OnLines(lines, its_ends)
            confirmed = confirm(self._confirmer(index), content, lines)
            matches.extend(confirmed.matches)
            placeholders += confirmed.placeholders
            if confirmed.cut_short:
                timed_out.append(self._rules[index].id)
        result = MatchResult(sorted_matches(matches), tuple(timed_out), placeholders)
        return Survey(result, ends, tuple(hinted), is_manifest, escaped)

    def expect_volume(self) -> None:
        """Load (or compile and cache) the combined database now, and use it from the start."""
        self._lazy("combined", self._compiled.combined)
        self._scanned = GATE_BYTES + 1

    def _lazy(self, name: str, load: Callable[[], Any]) -> tuple[Any, Any]:
        """The database `load` gives, loaded once (kept as `name`), and this thread's scratch
        space for it."""
        loaded = self._loaded.get(name)
        if loaded is None:
            with self._loading:
                loaded = self._loaded.get(name)
                if loaded is None:
                    database = load()
                    prototype: Any = None if database is None else hyperscan.Scratch(database)
                    loaded = self._loaded[name] = (database, prototype)
        if loaded[0] is None:  # a database with nothing to hold
            return loaded
        scratches: dict[str, Any] = self._local.__dict__.setdefault("scratches", {})
        scratch: Any = scratches.get(name)
        if scratch is None:
            scratch = scratches[name] = loaded[1].clone()
        return loaded[0], scratch

    def _confirmer(self, index: int) -> Any:
        with self._confirmers_lock:
            compiled = self._confirmers.get(index)
            if compiled is None:
                from scanner.match.confirm import compile_rule

                compiled = compile_rule(self._rules[index])
                self._confirmers[index] = compiled
            return compiled
