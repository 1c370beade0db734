"""Attribution: which commits, paths and refs a secret found in some blobs belongs to.

One pass over the commit graph (`git log --raw`, no contents), parents before children. Only
blobs that held a finding, or were skipped, and paths a file rule names (a committed `.env`) are
tracked, so memory grows with what was found, not with the history: per commit, the set of
(secret, path) pairs its tree holds is kept only while non-empty, and shared with the parent
when the commit changes none of them.

Removals are carried the same way: per commit, for each secret its history reached that its
tree no longer holds, the commit of its first-parent line that dropped it (one whose tree lacks
the secret while a parent's held it: for a merge that drops a file, the merge), or, when the
line never held it, the removal on the merged branch that brought it in. A ref's tip then tells
what the ref holds and where it dropped the rest, with no walk per ref.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from scanner import git
from scanner.errors import GitError
from scanner.match.file_rules import (
    FileRule,
    file_matches,
    file_rules,
    path_matches,
    per_path_key,
    rule_applies_to,
)
from scanner.model import (
    Chunk,
    Commit,
    Finding,
    History,
    Provenance,
    Removal,
    Rule,
    Skipped,
    SourceKind,
)
from scanner.pipeline.findings import make_findings
from scanner.redaction import fingerprint as make_fingerprint
from scanner.sources.content import as_text

Held = frozenset[tuple[str, str]]
EMPTY: Held = frozenset()
#: per secret a commit's line dropped: the walk's index and commit of the removal (never changed
#: once stored: a child that changes nothing shares its parent's)
Gone = dict[str, tuple[int, git.LoggedCommit]]
NOTHING_GONE: Gone = {}
SUBMODULE_MODE = "160000"


@dataclass
class Secret:
    """What the walk learns about one fingerprint."""

    #: the first finding of this secret in each blob that holds it (path is the object id)
    in_blob: dict[str, Finding]
    #: its rule, when that rule reports only under some paths (gitleaks' `path`)
    limited_to: Rule | None = None
    #: a file rule's secret (a committed `.env`) is found from paths, its finding made from
    #: the first blob at one once the walk is over: (blob, path)
    file_rule: FileRule | None = None
    first_file: tuple[str, str] | None = None
    introduced: Commit | None = None
    location: Finding | None = None
    bit: int = 0
    paths: dict[str, None] = field(default_factory=dict)
    last_present: tuple[int, git.LoggedCommit] | None = None
    refs: list[str] = field(default_factory=list)
    #: a ref holds it: its tip's tree, or the ref itself outside any commit (a tag on a blob or
    #: a tree, which nothing can remove)
    kept: bool = False
    #: (ref, removal) of each ref that reached it and whose tip no longer holds it
    removals: list[tuple[str, tuple[int, git.LoggedCommit]]] = field(default_factory=list)


@dataclass(frozen=True)
class Attribution:
    """The findings with their history, what was skipped, and the commits walked."""

    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    commits: int


def as_commit(logged: git.LoggedCommit) -> Commit:
    return Commit(logged.sha, logged.author_name, logged.author_email, logged.date)


def secrets_by_fingerprint(
    blob_findings: Mapping[str, Iterable[Finding]], rules: Mapping[str, Rule]
) -> dict[str, Secret]:
    secrets: dict[str, Secret] = {}
    for oid, findings in blob_findings.items():
        for finding in findings:
            secret = secrets.get(finding.fingerprint)
            if secret is None:
                rule = rules.get(finding.rule_id)
                limited = rule if rule is not None and rule.path is not None else None
                secret = secrets[finding.fingerprint] = Secret(in_blob={}, limited_to=limited)
            secret.in_blob.setdefault(oid, finding)
    return secrets


class Walk:
    """The state of the pass over the commit graph."""

    def __init__(
        self,
        secrets: dict[str, Secret],
        skipped_blobs: Mapping[str, str],
        stored: Container[str] | None,
        file_rules: Sequence[FileRule],
        absent: str | None = None,
    ) -> None:
        self.secrets = secrets
        self.file_rules = file_rules
        self.stored = stored
        self.absent = absent
        self.skipped_blobs = skipped_blobs
        self.path_gate = keyword_gate(file_rules)
        self.tracked: dict[str, tuple[str, ...]] = {}
        for fingerprint, secret in secrets.items():
            for oid in secret.in_blob:
                self.tracked[oid] = (*self.tracked.get(oid, ()), fingerprint)
        self.held: dict[str, Held] = {}
        self.gone: dict[str, Gone] = {}
        #: the walk's index and commit of the last commit to hold each set of (secret, path)
        self.latest: dict[Held, tuple[int, git.LoggedCommit]] = {}
        #: per commit, one bit per secret whose introducing commit it is or descends from: which
        #: refs reach an introduction is read off the ref tips at the end
        self.masks: dict[str, int] = {}
        self.owners: list[Secret] = []
        self.skipped: dict[tuple[str, str], None] = {}
        self.commits = 0
        #: commit messages' secrets, by fingerprint and commit
        self.in_messages: dict[str, Secret] = {}

    def visit(self, index: int, commit: git.LoggedCommit) -> None:
        self.commits += 1
        before = self.held.get(commit.parents[0], EMPTY) if commit.parents else EMPTY
        mask = 0
        for parent in commit.parents:
            mask |= self.masks.get(parent, 0)
        after: set[tuple[str, str]] | None = None
        for change in commit.changes:
            if change.new_mode == SUBMODULE_MODE:
                self.skipped.setdefault((os.fsdecode(change.path), "submodule"), None)
                continue
            reason = self.skipped_blobs.get(change.new_oid)
            if reason is None and self.stored is not None and change.new_oid not in self.stored:
                reason = self.missing(commit, change)
            if reason is not None:
                self.skipped.setdefault((os.fsdecode(change.path), reason), None)
            gone = self.tracked.get(change.old_oid, ())
            came = self.tracked.get(change.new_oid, ())
            if self.file_rules:
                named = self.named_by_path(change.path)
                if named:
                    gone = (*gone, *named)
                    # as a scan of the file would: not when it is empty, binary or skipped
                    if change.new_oid not in (git.NULL_OID, git.EMPTY_BLOB) and reason is None:
                        came = (*came, *named)
            if not gone and not came:
                continue
            path = os.fsdecode(change.path)
            if after is None:
                after = set(before)
            after.difference_update((fingerprint, path) for fingerprint in gone)
            for fingerprint in came:
                secret = self.secrets[fingerprint]
                if secret.limited_to is not None and not rule_applies_to(secret.limited_to, path):
                    continue
                after.add((fingerprint, path))
                mask |= self.arrive(secret, commit, change.new_oid, path)
        held = before if after is None else frozenset(after)
        if after is None and len(commit.parents) == 1:
            # most commits: nothing tracked changed, nothing merged; inlined, as this runs for
            # every commit of the history
            if line_gone := self.gone.get(commit.parents[0]):
                self.gone[commit.sha] = line_gone
        else:
            self.note_removals(index, commit, before, held)
        if held:
            self.held[commit.sha] = held
            # most commits hold what their parent held: one entry per set held, not one per
            # secret and commit
            self.latest[held] = (index, commit)
        if mask:
            self.masks[commit.sha] = mask

    def note_removals(self, index: int, commit: git.LoggedCommit, before: Held, held: Held) -> None:
        """What the commit's line has dropped: its first parent's removals, less what it holds
        again, plus what it drops itself (held by a parent, not by it), plus the removals of
        merged branches for secrets the line never held."""
        parents = commit.parents
        inherited = self.gone.get(parents[0], NOTHING_GONE) if parents else NOTHING_GONE
        merged = [p for p in parents[1:] if p in self.held or p in self.gone]
        # pairs, not secrets: a set difference costs what changed, not what is held
        lost, came = before - held, held - before
        if not merged and not lost and not (came and inherited):
            # a secret that moved, or a tracked file changed, drops nothing
            if inherited:
                self.gone[commit.sha] = inherited
            return
        present = {fingerprint for fingerprint, _ in held}
        gone = {f: when for f, when in inherited.items() if f not in present}
        dropped = {fingerprint for fingerprint, _ in lost}
        for parent in merged:
            dropped.update(fingerprint for fingerprint, _ in self.held.get(parent, EMPTY) - held)
        for fingerprint in dropped - present:
            gone[fingerprint] = (index, commit)
        for parent in merged:
            for fingerprint, when in self.gone.get(parent, NOTHING_GONE).items():
                if fingerprint not in present:
                    gone.setdefault(fingerprint, when)
        if gone:
            self.gone[commit.sha] = gone

    def last_present(self) -> None:
        """Set each secret's last commit to hold it, from the last commit to hold each set."""
        for held, (index, commit) in self.latest.items():
            for fingerprint, _ in held:
                secret = self.secrets[fingerprint]
                if secret.last_present is None or secret.last_present[0] < index:
                    secret.last_present = (index, commit)

    def missing(self, commit: git.LoggedCommit, change: git.Change) -> str | None:
        """A blob the commit records but the object store lacks (deletions name no blob): the
        reason it was not scanned when blobs may be absent (a partial clone), else an error."""
        if change.new_oid == git.NULL_OID:
            return None
        if self.absent is not None:
            return self.absent
        path = os.fsdecode(change.path)
        raise GitError(
            f"object {change.new_oid} ({path} in commit {commit.sha}) is missing from the "
            "repository"
        )

    def named_by_path(self, path: bytes) -> tuple[str, ...]:
        """The keys of the file rules' secrets that `path` is (most paths: none)."""
        if self.path_gate is None or self.path_gate.search(path.lower()) is None:
            return ()
        found = path_matches(path, self.file_rules)
        if not found:
            return ()
        named = []
        for file_rule, name in found:
            key = per_path_key(make_fingerprint(file_rule[0].id, name), os.fsdecode(path))
            if key not in self.secrets:
                self.secrets[key] = Secret(in_blob={}, file_rule=file_rule)
            named.append(key)
        return tuple(named)

    def arrive(self, secret: Secret, commit: git.LoggedCommit, oid: str, path: str) -> int:
        """Record a blob holding the secret landing at `path`; the bit of a first arrival."""
        secret.paths.setdefault(path, None)
        if secret.introduced is not None:
            return 0
        secret.introduced = as_commit(commit)
        if secret.file_rule is not None:
            secret.first_file = (oid, path)
        else:
            first = secret.in_blob[oid]
            where = replace(first.location, path=path, commit=commit.sha, kind=SourceKind.COMMIT)
            secret.location = replace(first, location=where)
        secret.bit = 1 << len(self.owners)
        self.owners.append(secret)
        return secret.bit

    def held_by_refs(self, held: Iterable[tuple[str, str, str]]) -> None:
        """Name the refs that hold a secret's blob outside any commit (a tag on a blob or a
        tree): no commit introduced such a secret, so, if no commit holds it either, its
        finding is located in the blob, at its path in the tree when a tree gives one."""
        # a path, where some tree gives one, over none; then a stable order
        for oid, path, name in sorted(held, key=lambda item: (not item[1], item[1], item[2])):
            owners = [self.secrets[fingerprint] for fingerprint in self.tracked.get(oid, ())]
            # as the walk would: not when the file is empty, binary or skipped
            if self.file_rules and path and oid != git.EMPTY_BLOB and oid not in self.skipped_blobs:
                owners += (self.secrets[key] for key in self.named_by_path(os.fsencode(path)))
            for secret in owners:
                if secret.limited_to is not None and not rule_applies_to(secret.limited_to, path):
                    continue
                secret.refs.append(name)
                secret.kept = True
                if path:
                    secret.paths.setdefault(path, None)
                if secret.file_rule is not None:
                    if secret.first_file is None:
                        secret.first_file = (oid, path)
                elif secret.location is None:
                    first = secret.in_blob[oid]
                    where = replace(first.location, path=path, kind=SourceKind.REF)
                    secret.location = replace(first, location=where)

    def messages(self, index: int, commit: git.LoggedCommit, found: Iterable[Finding]) -> None:
        """A commit message's findings: each its own secret, introduced and last present in its
        commit, never removed; the refs that reach the commit are told by its bit, as those
        that reach an introduction are."""
        for finding in found:
            key = f"{finding.fingerprint} {commit.sha}"
            secret = Secret(in_blob={}, introduced=as_commit(commit), location=finding)
            secret.last_present = (index, commit)
            secret.bit = 1 << len(self.owners)
            self.owners.append(secret)
            self.secrets[key] = self.in_messages[key] = secret
            self.masks[commit.sha] = self.masks.get(commit.sha, 0) | secret.bit

    def messages_reaching(self, commit: str | None) -> set[str]:
        """The message secrets whose commit is `commit` or one of its ancestors."""
        mask = self.masks.get(commit, 0) if commit is not None else 0
        return {key for key, secret in self.in_messages.items() if mask & secret.bit}

    def name_refs(self, tips: Iterable[tuple[str, str]]) -> None:
        for commit, name in tips:
            mask = self.masks.get(commit, 0)
            while mask:
                low = mask & -mask
                self.owners[low.bit_length() - 1].refs.append(name)
                mask ^= low
            for fingerprint, _ in self.held.get(commit, EMPTY):
                self.secrets[fingerprint].kept = True
            for fingerprint, when in self.gone.get(commit, NOTHING_GONE).items():
                self.secrets[fingerprint].removals.append((name, when))


def keyword_gate(rules: Sequence[FileRule]) -> re.Pattern[bytes] | None:
    """One search for every file rule's keywords in a lowercased path, which `path_matches`
    makes rule by rule: the walk asks for every path every commit changes, and nearly all hold
    none. None when no rule has a keyword: then no path matches."""
    keywords = [keyword for _, rule_keywords in rules for keyword in rule_keywords]
    if not keywords:
        return None
    return re.compile(b"|".join(re.escape(keyword) for keyword in keywords))


def attribute(
    commits: Iterator[git.LoggedCommit],
    blob_findings: Mapping[str, Iterable[Finding]],
    skipped_blobs: Mapping[str, str],
    head: str | None,
    head_blobs: Iterable[str] | None,
    tips: Iterable[tuple[str, str]],
    rules: Mapping[str, Rule],
    read: Callable[[Sequence[str]], Iterable[tuple[str, bytes]]],
    markers: tuple[bytes, ...],
    stored: Container[str] | None = None,
    absent: str | None = None,
    held_by_refs: Iterable[tuple[str, str, str]] = (),
    messages: Callable[[git.LoggedCommit], Iterable[Finding]] | None = None,
) -> Attribution:
    """Findings with their history: one per fingerprint (per path for file rules), located in
    the introducing blob. `read` fetches blobs by id: the first version of each file a file
    rule reports, which its finding quotes.

    `head_blobs` is read only when HEAD is not among the walked commits (the walk already knows
    what HEAD holds otherwise). `stored`, when given, holds every blob the scan listed: a blob
    a commit records outside it is missing from the repository: an error, unless `absent` is
    the reason to report it under (a partial clone's blob, not scanned). `held_by_refs` are
    (blob, path, ref) of the blobs refs reach without a commit (`git.ref_held_blobs`).
    `messages` tells a commit's message findings (already located in the commit): one finding
    each, in HEAD when HEAD's history holds the commit.
    """
    secrets = secrets_by_fingerprint(blob_findings, rules)
    walk = Walk(secrets, skipped_blobs, stored, file_rules(rules), absent)
    for index, commit in enumerate(commits):
        walk.visit(index, commit)
        if messages is not None:
            walk.messages(index, commit, messages(commit))
    # before the file rules' findings are made: a ref may hold the only copy of a `.env`
    walk.held_by_refs(held_by_refs)
    locate_file_findings(walk.secrets.values(), read, rules, markers)
    walk.last_present()
    walk.name_refs(tips)
    in_head = head_secrets(walk, head, head_blobs) | walk.messages_reaching(head)
    findings = [
        with_history(secret, secret.location, fingerprint in in_head)
        for fingerprint, secret in walk.secrets.items()
        if secret.location is not None
    ]
    findings.sort(key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))
    skipped = tuple(Skipped(path=path, reason=reason) for path, reason in walk.skipped)
    return Attribution(tuple(findings), skipped, walk.commits)


def locate_file_findings(
    secrets: Iterable[Secret],
    read: Callable[[Sequence[str]], Iterable[tuple[str, bytes]]],
    rules: Mapping[str, Rule],
    markers: tuple[bytes, ...],
) -> None:
    """File rules' findings, made as a scan of the file's first version would make them (an
    inline marker on its first line silences one)."""
    waiting: dict[str, list[Secret]] = {}
    for secret in secrets:
        if secret.first_file is not None:
            waiting.setdefault(secret.first_file[0], []).append(secret)
    if not waiting:
        return
    for oid, content in read(list(waiting)):
        text = as_text(content)
        for secret in waiting[oid]:
            assert secret.first_file is not None and secret.file_rule is not None
            if text is None:
                continue
            chunk = Chunk(text, Provenance(path=secret.first_file[1]))
            findings, _ = make_findings(
                chunk, file_matches(chunk, [secret.file_rule]), rules, markers
            )
            introduced = secret.introduced
            for finding in findings:
                # no commit introduced a `.env` that only a ref holds (a tag on a tree)
                where = replace(
                    finding.location,
                    commit=introduced.sha if introduced else None,
                    kind=SourceKind.COMMIT if introduced else SourceKind.REF,
                )
                secret.location = replace(finding, location=where)


def head_secrets(walk: Walk, head: str | None, head_blobs: Iterable[str] | None) -> set[str]:
    if head is None:
        return set()
    if head in walk.held or head_blobs is None:
        return {fingerprint for fingerprint, _ in walk.held.get(head, EMPTY)}
    return {fingerprint for oid in head_blobs for fingerprint in walk.tracked.get(oid, ())}


def with_history(secret: Secret, finding: Finding, in_head: bool) -> Finding:
    # a secret only refs hold outside commits has no commits
    last = None if secret.last_present is None else as_commit(secret.last_present[1])
    # HEAD outside the walked revisions is no ref's tip, but holds it all the same
    still = secret.kept or in_head
    removals = sorted(secret.removals, key=lambda removal: removal[0])
    removed = None
    if not still and removals:
        removed = as_commit(min((when for _, when in removals), key=lambda when: when[0])[1])
    history = History(
        introduced=secret.introduced,
        last_present=last,
        removed=removed,
        paths=tuple(secret.paths),
        in_head=in_head,
        refs=tuple(sorted(set(secret.refs))),
        still_present=still,
        removals=tuple(Removal(ref, as_commit(when[1])) for ref, when in removals),
    )
    return replace(finding, history=history)
