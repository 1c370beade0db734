"""Commit messages and annotated tags' messages, scanned as text of their own: keys get pasted
into them, and no file holds them.

A finding in a message is one per message: the same key in two commits' messages is two
leaks, each with its own author and date, as a key in two files is reported in both. Its
fingerprint is the key's in a message, apart from the same key's in a file: a baseline entry or
an allowlisted fingerprint for one does not silence the other. Its path is a pseudo-path that
names the commit or the tag (`commit-message/<sha12>`, `tag-message/<name>`), which no tree
scan reports, so every report format can show where it is.

Most histories' messages hold no key: they are matched in batches joined into one text, and a
message is matched on its own only when its batch has a match, so that reading messages costs
about one matcher call per batch, not one per commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from scanner import git
from scanner.match.chunk import chunk_matches
from scanner.match.results import Matcher
from scanner.model import (
    NOTHING_SUPPRESSED,
    Chunk,
    Commit,
    Finding,
    History,
    Provenance,
    Rule,
    SourceKind,
    Suppressed,
)
from scanner.pipeline.attribution import as_commit
from scanner.pipeline.run import Scanner, scan_chunk
from scanner.redaction import in_message

#: bytes of messages matched at once: a batch that holds a match is matched again message by
#: message, so small enough that this costs little, large enough that clean ones cost one call
BATCH_BYTES = 64 * 1024


def message_fingerprint(finding: Finding) -> str:
    return in_message(finding.fingerprint)


def commit_place(sha: str) -> str:
    return f"commit-message/{sha[:12]}"


def tag_place(name: str) -> str:
    return f"tag-message/{name}"


class MessageScan:
    """Messages through the matcher, in batches; what inline markers and placeholder filters
    dropped is counted as for files."""

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        self.rules: dict[str, Rule] = scanner.ruleset.by_id()
        self._matcher: Matcher | None = None
        self.suppressed: Suppressed = NOTHING_SUPPRESSED

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            self._matcher = self.scanner.matcher()
        return self._matcher

    def scan(self, messages: Sequence[bytes], kind: SourceKind) -> list[list[Finding]]:
        """Each message's findings (one per key), in order; most batches: none at all."""
        found: list[list[Finding]] = [[] for _ in messages]
        start = size = 0
        for end, message in enumerate(messages, start=1):
            size += len(message)
            if size >= BATCH_BYTES or end == len(messages):
                self._batch(messages, start, end, kind, found)
                start, size = end, 0
        return found

    def _batch(
        self,
        messages: Sequence[bytes],
        start: int,
        end: int,
        kind: SourceKind,
        found: list[list[Finding]],
    ) -> None:
        joined = b"\n".join(messages[start:end])
        if not joined.strip():
            return
        # the joined text matches whatever one of its messages does (rules are not anchored
        # to the start of a text, and a line never spans two messages)
        result = chunk_matches(Chunk(joined, Provenance("", kind)), self.matcher, self.rules)
        if not result.matches and not result.timed_out and not result.placeholders:
            return
        for index in range(start, end):
            found[index] = self._one(messages[index], kind)

    def _one(self, message: bytes, kind: SourceKind) -> list[Finding]:
        # an empty path: a rule limited to some paths (gitleaks' `path`) never applies, and
        # no file rule names a message
        chunk = Chunk(message, Provenance("", kind))
        outcome = scan_chunk(chunk, self.matcher, self.rules, self.scanner.markers)
        if outcome.suppressed:
            self.suppressed += outcome.suppressed
        once: dict[str, Finding] = {}
        for finding in outcome.findings:
            once.setdefault(finding.fingerprint, finding)
        return [replace(f, fingerprint=message_fingerprint(f)) for f in once.values()]


def in_commit(finding: Finding, commit: git.LoggedCommit) -> Finding:
    """A commit message's finding, located in its commit."""
    where = replace(finding.location, path=commit_place(commit.sha), commit=commit.sha)
    return replace(finding, location=where)


class CommitMessages:
    """The history's commit messages, scanned as the commit log is read: `through` hands on
    each commit once its message has been scanned, and `found` tells its findings."""

    def __init__(self, scan: MessageScan) -> None:
        self.scan = scan
        self.by_commit: dict[str, list[Finding]] = {}

    def through(self, commits: Iterator[git.LoggedCommit]) -> Iterator[git.LoggedCommit]:
        pending: list[git.LoggedCommit] = []
        size = 0
        for commit in commits:
            pending.append(commit)
            size += len(commit.message)
            if size >= BATCH_BYTES:
                yield from self._scanned(pending)
                pending, size = [], 0
        yield from self._scanned(pending)

    def _scanned(self, commits: list[git.LoggedCommit]) -> list[git.LoggedCommit]:
        messages = [commit.message for commit in commits]
        for commit, findings in zip(
            commits, self.scan.scan(messages, SourceKind.COMMIT_MESSAGE), strict=True
        ):
            if findings:
                self.by_commit[commit.sha] = [in_commit(f, commit) for f in findings]
        return commits

    def found(self, commit: git.LoggedCommit) -> list[Finding]:
        return self.by_commit.pop(commit.sha, [])


def tag_findings(scan: MessageScan, tags: Sequence[git.TagMessage]) -> list[Finding]:
    """Annotated tags' findings: introduced by the tag (its object id, tagger and date), held by
    its ref, never removed, never in HEAD (no tree holds a message), and still present: the tag
    carries its message wherever it is fetched or pushed."""
    findings: list[Finding] = []
    messages = [tag.message for tag in tags]
    for tag, found in zip(tags, scan.scan(messages, SourceKind.TAG_MESSAGE), strict=True):
        tagger = Commit(tag.tag, tag.tagger_name, tag.tagger_email, tag.date)
        history = History(
            introduced=tagger,
            last_present=tagger,
            removed=None,
            paths=(),
            in_head=False,
            refs=(tag.name,),
            still_present=True,
        )
        for finding in found:
            where = replace(finding.location, path=tag_place(tag.name), commit=tag.commit)
            findings.append(replace(finding, location=where, history=history))
    return findings


def range_message_findings(scan: MessageScan, commits: Sequence[git.LoggedCommit]) -> list[Finding]:
    """A range's commit messages' findings, each introduced by its commit."""
    findings: list[Finding] = []
    messages = [commit.message for commit in commits]
    for commit, found in zip(commits, scan.scan(messages, SourceKind.COMMIT_MESSAGE), strict=True):
        author = as_commit(commit)
        findings.extend(replace(in_commit(f, commit), introduced_by=author) for f in found)
    return findings
