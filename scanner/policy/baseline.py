"""Baselines: the secrets a team has accepted as known, so that only new ones fail a run.

An entry is a rule id and a finding's fingerprint (the SHA-256 of rule id, NUL, secret, as in
every report), optionally with a path scope (a gitignore-style glob relative to the repository
root). It never holds the secret, a line number or a date: moving a secret to another line, or
to another file within its scope, keeps it known; a different secret on the same line is new.

The file is JSON written for git: one entry per line, sorted, each ending in a comma (the array
ends with `null`), so two branches that add entries merge line by line; with
`.keyleak-baseline.json merge=union` in `.gitattributes` they never conflict. A baseline made
from the history says so (`"from_history": true`): its entries may name secrets only old commits
hold, which a scan of the work tree cannot judge.
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scanner.errors import ConfigError
from scanner.model import Finding, NamedTuple, ScanResult
from scanner.policy.allowlist import repo_relative
from scanner.redaction import masked_path, quoted

if TYPE_CHECKING:  # globs are compiled only for entries with a path scope
    from scanner.config.globs import GlobSet

FORMAT_VERSION = 1
#: An entry is a line of about 130 bytes: some 500,000 known secrets, fifty times what the
#: largest baselines we know hold, and still read in a few seconds.
BASELINE_LIMIT = 64 << 20
ABOUT = (
    "keyleak baseline: known secrets, by fingerprint only. One entry per line, sorted; "
    "the final null keeps every entry line alike for merges. See docs/adopting.md."
)
ENTRY_KEYS = frozenset({"rule_id", "fingerprint", "path"})
FINGERPRINT = re.compile(r"[0-9a-f]{64}")
Scope = Literal["any", "file"]


class BaselineError(ConfigError):
    pass


class Entry(NamedTuple):
    """A named tuple rather than a dataclass: built and hashed in C, 10,000 at a time."""

    fingerprint: str
    rule_id: str
    #: a glob the finding's root-relative path must match; None: anywhere
    path: str | None = None

    def line(self) -> str:
        item: dict[str, str] = {"rule_id": self.rule_id, "fingerprint": self.fingerprint}
        if self.path is not None:
            item["path"] = self.path
        return json.dumps(item, ensure_ascii=False)

    def sort_key(self) -> tuple[str, str, str]:
        return (self.fingerprint, self.rule_id, self.path or "")


@functools.lru_cache(maxsize=4096)
def scope(glob: str) -> GlobSet | None:
    """The compiled path scope; None when the glob is not valid."""
    from scanner.config.globs import compile_globs, validate

    return compile_globs([glob]) if validate(glob) is None else None


@dataclass(frozen=True)
class Baseline:
    """A baseline's entries, and where they were read from."""

    entries: tuple[Entry, ...]
    #: where it was read from, for messages
    label: str = "baseline"
    #: made (or last updated) from the whole history, not from the work tree
    from_history: bool = False

    @functools.cached_property
    def by_fingerprint(self) -> dict[str, list[Entry]]:
        index: dict[str, list[Entry]] = {}
        for entry in self.entries:
            index.setdefault(entry.fingerprint, []).append(entry)
        return index

    @functools.cached_property
    def rule_ids(self) -> tuple[str, ...]:
        """Sorted, so that which of two entries for one secret is used does not vary by run."""
        return tuple(sorted({entry.rule_id for entry in self.entries}))

    def entry_for(self, finding: Finding, root: Path) -> Entry | None:
        """The entry that makes `finding` known, if any: one recorded under its own rule, else
        one that an older rule set recorded for the same secret under another rule id."""
        entry = self.recorded_as(finding, finding.rule_id, finding.fingerprint, root)
        if entry is not None or not finding.secret:
            return entry
        for rule_id in self.rule_ids:
            if rule_id == finding.rule_id:
                continue
            entry = self.recorded_as(finding, rule_id, former_fingerprint(finding, rule_id), root)
            if entry is not None:
                return entry
        return None

    def recorded_as(
        self, finding: Finding, rule_id: str, fingerprint: str, root: Path
    ) -> Entry | None:
        """The entry for `fingerprint` under `rule_id` whose scope holds the finding."""
        candidates = self.by_fingerprint.get(fingerprint)
        if not candidates:
            return None
        path = repo_relative(finding.location, root)
        for entry in candidates:
            if entry.rule_id == rule_id and (entry.path is None or self.in_scope(entry.path, path)):
                return entry
        return None

    def in_scope(self, glob: str, path: str) -> bool:
        globs = scope(glob)
        if globs is None:
            from scanner.config.globs import validate

            raise BaselineError(f"{self.label}: path {quoted(glob)}: {validate(glob)}")
        return globs.matches(path)


def former_fingerprint(finding: Finding, rule_id: str) -> str:
    """The fingerprint `finding`'s secret had when `rule_id` reported it.

    A fingerprint names its rule, and an upgrade can change which rule reports a secret: a rule
    renamed or split (its `aliases` list the ids it had), a provider rule that now takes a value
    a generic rule reported. A baseline holds no secret, only these hashes, so an entry made
    under another id is found by hashing the finding's secret under that id. What it cannot
    find: an entry whose rule captured a different part of the text (a generic rule's value
    with its quotes, a provider rule's key without its prefix).
    """
    from scanner.model import MESSAGE_KINDS
    from scanner.redaction import fingerprint, in_message

    # the secret's bytes were decoded with replacement: one that is not UTF-8 is not found again
    former = fingerprint(rule_id, finding.secret.encode())
    return in_message(former) if finding.location.kind in MESSAGE_KINDS else former


# --------------------------------------------------------------------------- reading and writing


def parse(text: str, label: str) -> Baseline:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise BaselineError(f"{label}: not a keyleak baseline: invalid JSON ({exc})") from exc
    except RecursionError:
        raise BaselineError(f"{label}: not a keyleak baseline: nested too deeply") from None
    if not isinstance(document, dict) or document.get("keyleak_baseline") != FORMAT_VERSION:
        raise BaselineError(
            f"{label}: not a keyleak baseline (expected an object with "
            f'"keyleak_baseline": {FORMAT_VERSION})'
        )
    items = document.get("entries")
    if not isinstance(items, list):
        raise BaselineError(f'{label}: "entries" must be a list')
    # duplicates appear when a union merge takes the same new entry from both sides
    entries = dict.fromkeys(
        parse_entry(item, label, position)
        for position, item in enumerate(items)
        if item is not None
    )
    return Baseline(tuple(entries), label, document.get("from_history") is True)


def parse_entry(item: Any, file_label: str, position: int) -> Entry:
    """One entry; the checks are ordered so a valid entry (the hook may read 10,000) is cheap."""
    if type(item) is dict and item.keys() <= ENTRY_KEYS:
        rule_id, fingerprint, path = item.get("rule_id"), item.get("fingerprint"), item.get("path")
        if (
            type(rule_id) is str
            and rule_id
            and type(fingerprint) is str
            and FINGERPRINT.fullmatch(fingerprint)
            # a scope's glob is compiled when a finding first needs it
            and (path is None or (type(path) is str and path.strip("/!")))
        ):
            return Entry(fingerprint, rule_id, path)
    raise BaselineError(f"{file_label}: entries[{position}]: {entry_problem(item)}")


def entry_problem(item: Any) -> str:
    if not isinstance(item, dict):
        return "expected an object"
    unknown = sorted(set(item) - ENTRY_KEYS)
    if unknown:
        return f"unknown key {quoted(unknown[0])}"
    rule_id, fingerprint = item.get("rule_id"), item.get("fingerprint")
    if not isinstance(rule_id, str) or not rule_id:
        return "'rule_id' must be a rule id"
    if not isinstance(fingerprint, str) or not FINGERPRINT.fullmatch(fingerprint):
        return "'fingerprint' must be 64 lowercase hex digits"
    return "'path' must be a glob like 'tests/**'"


def load(path: Path) -> Baseline:
    from scanner.util.small_file import read_small_file

    try:
        text = read_small_file(path, BASELINE_LIMIT).decode("utf-8")
    except FileNotFoundError as exc:
        raise BaselineError(
            f"{masked_path(str(path))}: no such baseline (create one: keyleak baseline create)"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        # an OSError's own text repeats the file name, unmasked
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise BaselineError(f"{masked_path(str(path))}: cannot read baseline: {reason}") from exc
    return parse(text, masked_path(str(path)))


def render(baseline: Baseline) -> str:
    lines = [
        "{",
        f'"keyleak_baseline": {FORMAT_VERSION},',
        f'"about": {json.dumps(ABOUT)},',
        *(['"from_history": true,'] if baseline.from_history else []),
        '"entries": [',
        *(entry.line() + "," for entry in sorted(set(baseline.entries), key=Entry.sort_key)),
        "null",
        "]",
        "}",
    ]
    return "\n".join(lines) + "\n"


def save(baseline: Baseline, path: Path) -> None:
    """Replace the file atomically, keeping its permissions."""
    from scanner.util.atomic import replace_file

    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    except OSError as exc:
        raise BaselineError(
            f"{masked_path(str(path))}: cannot write baseline: {exc.strerror}"
        ) from exc
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, render(baseline).encode("utf-8"), mode)
    except OSError as exc:
        raise BaselineError(
            f"{masked_path(str(path))}: cannot write baseline: {exc.strerror}"
        ) from exc


# --------------------------------------------------------------------------- using it


def mark(result: ScanResult, baseline: Baseline, root: Path) -> ScanResult:
    """Findings the baseline knows are kept, and counted, with `baselined=True`."""
    if not baseline.entries or not result.findings:
        return result
    findings = tuple(
        replace(finding, baselined=True)
        if baseline.entry_for(finding, root) is not None
        else finding
        for finding in result.findings
    )
    return replace(result, findings=findings)


def entry_of(finding: Finding, root: Path, scope_kind: Scope) -> Entry:
    from scanner.config.globs import escape

    path = escape(repo_relative(finding.location, root)) if scope_kind == "file" else None
    return Entry(fingerprint=finding.fingerprint, rule_id=finding.rule_id, path=path)


def build(
    findings: Iterable[Finding], root: Path, scope_kind: Scope, from_history: bool = False
) -> Baseline:
    entries = tuple({entry_of(finding, root, scope_kind) for finding in findings})
    return Baseline(entries, from_history=from_history)


@dataclass(frozen=True)
class Coverage:
    """What the scan behind an update read, so that it prunes only the entries it can judge: an
    entry goes only when the file it names was scanned, read whole, and holds the secret no more.
    """

    #: root-relative files or directories scanned ("" is the root); None: the whole repository
    scanned: tuple[str, ...] | None = None
    #: root-relative paths that may hold a secret but were not read (too large, unreadable);
    #: "" when a skipped blob's path is not known
    unread: tuple[str, ...] = ()

    def judges(self, entry: Entry) -> bool:
        path = literal_path(entry.path) if entry.path is not None else None
        if path is None:
            # anywhere, or a pattern: only a scan of everything, all of it read, tells
            return self.scanned is None and not self.unread
        return within(path, self.scanned) and not within(path, self.unread)


#: a tree scan of a baseline made from the history: the tree is not where most of it was found
JUDGES_NOTHING = Coverage(scanned=())


def within(path: str, places: tuple[str, ...] | None) -> bool:
    if places is None:
        return True
    return any(not place or path == place or path.startswith(place + "/") for place in places)


def literal_path(glob: str) -> str | None:
    """The one root-relative path a scope names (as `--scope file` writes it); None when it is a
    pattern or a bare name, which match many."""
    body = glob.removeprefix("/")
    if glob.startswith("!") or re.search(r"(?<!\\)[*?\[]", body) or body.endswith("/"):
        return None
    if not glob.startswith("/") and "/" not in body:
        return None
    return re.sub(r"\\(.)", r"\1", body)


@dataclass(frozen=True)
class Update:
    """A baseline refreshed: the entries it added (with a finding behind each), those it pruned,
    and those it kept only because the scan could not judge them."""

    baseline: Baseline
    added: tuple[tuple[Entry, Finding], ...]
    pruned: tuple[Entry, ...]
    unjudged: tuple[Entry, ...] = ()


def update(
    baseline: Baseline,
    findings: Sequence[Finding],
    root: Path,
    scope_kind: Scope,
    coverage: Coverage,
    from_history: bool = False,
) -> Update:
    """Entries for the findings the baseline does not know yet; entries go only when `coverage`
    says the scan judged them and no finding matches them."""
    used: set[Entry] = set()
    added: dict[Entry, Finding] = {}
    for finding in findings:
        entry = baseline.entry_for(finding, root)
        if entry is not None:
            used.add(entry)
        else:
            added.setdefault(entry_of(finding, root, scope_kind), finding)
    pruned, unjudged = unused(baseline, used, coverage)
    gone = set(pruned)
    kept = tuple(entry for entry in baseline.entries if entry not in gone)
    return Update(
        Baseline(kept + tuple(added), baseline.label, baseline.from_history or from_history),
        tuple(sorted(added.items(), key=lambda pair: pair[0].sort_key())),
        pruned,
        unjudged,
    )


def stale(
    baseline: Baseline, findings: Sequence[Finding], root: Path, coverage: Coverage
) -> tuple[Entry, ...]:
    """Entries the scan judged that match no finding: the secret was removed (or its rule
    changed). The same entries `update` would prune."""
    used = {baseline.entry_for(finding, root) for finding in findings}
    judged, _ = unused(baseline, used, coverage)
    return judged


def unused(
    baseline: Baseline, used: Set[Entry | None], coverage: Coverage
) -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
    """The entries not in `used`: those the scan judged (stale), and those it could not."""
    judged: list[Entry] = []
    unjudged: list[Entry] = []
    for entry in baseline.entries:
        if entry not in used:
            (judged if coverage.judges(entry) else unjudged).append(entry)
    return tuple(judged), tuple(unjudged)
