"""The terminal format: findings grouped by file, what to do about each, then a summary.

Written for 80 columns: every line that could run longer (rule names, the offending line,
remediation) is wrapped under its label. Paths and lines come from scanned files, so control
characters in them are neutralised before they reach a terminal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TextIO

from scanner.model import (
    LIVE_VERDICTS,
    Commit,
    Finding,
    History,
    Location,
    Removal,
    RepositoryStatus,
    ScanResult,
    Verdict,
    VerdictStatus,
    informational,
    severity_text,
)
from scanner.report import ReportOptions, shown_line, shown_secret
from scanner.report.summary import (
    breakdown_line,
    exceptions_line,
    headline,
    human_size,
    plural,
)
from scanner.util.printable import clean

RED, GREEN, YELLOW, BOLD, DIM, RESET = (
    "\033[31m",
    "\033[32m",
    "\033[33m",
    "\033[1m",
    "\033[2m",
    "\033[0m",
)
WIDTH = 80
INDENT = "    "
CODE = INDENT + "| "
LABEL_WIDTH = 13
#: refs named per removal commit in a history; the JSON report lists every one
REFS_SHOWN = 3

ADVICE = (
    "Replace each secret with an environment lookup; revoke it if it was ever pushed\n"
    "or shared. A false positive can be marked with `keyleak:allow` in a comment on\n"
    "its line."
)

Paint = Callable[[str, str], str]


def write(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
    def paint(text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if options.color else text

    if not options.quiet:
        if result.repositories:
            write_repositories(result, stream, options, paint)
        else:
            write_files(listed(result.findings), stream, options, paint)
        if result.findings:
            stream.write(ADVICE + "\n\n")
    summary = [f"keyleak: note: {clean(note)}" for note in result.notes]
    if not result.repositories and (folded := len(result.findings) - len(listed(result.findings))):
        summary.append(folded_line(folded))
    summary += filter(None, (exceptions_line(result), breakdown_line(result)))
    if result.repositories:
        summary.append(repositories_line(result.repositories))
    # the headline last, and short enough not to wrap: a glance at a CI log's end finds it
    summary.append(headline(result, options.subject, options.read_from))
    for line in summary:
        stream.write("\n".join(wrap(line, "", " " * len("keyleak: "))) + "\n")


def listed(findings: Iterable[Finding]) -> list[Finding]:
    """What the terminal lists: not the informational findings, which fail nothing and would
    bury the ones that do; the summary counts them."""
    return [finding for finding in findings if not informational(finding)]


def folded_line(count: int) -> str:
    noun = "finding" if count == 1 else "findings"
    return (
        f"keyleak: {count:,} info {noun} not listed (demo credentials, local or example hosts; "
        "--format json lists them)"
    )


def write_files(
    findings: Iterable[Finding], stream: TextIO, options: ReportOptions, paint: Paint
) -> None:
    for path, group in by_path(findings).items():
        count = f"{len(group):,} {plural(len(group), 'secret')}"
        header = wrap(f"{clean(path)} ({count})", "", INDENT)
        header[0] = paint(header[0], BOLD)
        stream.write("\n".join(header) + "\n")
        for finding in group:
            stream.write(block(finding, options, paint))
        stream.write("\n")


def write_repositories(
    result: ScanResult, stream: TextIO, options: ReportOptions, paint: Paint
) -> None:
    """Audits: a section per repository, in the order given, each with its files' findings."""
    found: dict[str | None, list[Finding]] = {}
    for finding in result.findings:
        found.setdefault(finding.location.repository, []).append(finding)
    for repository in result.repositories:
        header = wrap(f"=== {clean(repository_text(repository))}", "", INDENT)
        style = RED + BOLD if repository.status == "failed" else BOLD
        stream.write("\n".join(paint(line, style) for line in header) + "\n")
        if repository.error:
            stream.write("\n".join(labelled("error", clean(repository.error))) + "\n")
        stream.write("\n")
        write_files(found.get(repository.name, ()), stream, options, paint)


def repository_text(repository: RepositoryStatus) -> str:
    if repository.status == "failed":
        return f"{repository.name}: failed"
    count = repository.findings
    secrets = f"{count:,} {plural(count, 'secret')}" if count else "no secrets"
    if repository.status == "unchanged":
        return f"{repository.name}: {secrets}, unchanged since the last audit"
    commits = f"{repository.commits:,} {plural(repository.commits, 'commit')}"
    blobs = f"{repository.blobs:,} {plural(repository.blobs, 'blob')}"
    return f"{repository.name}: {secrets} ({commits}, {blobs}, {human_size(repository.bytes)})"


def repositories_line(repositories: Iterable[RepositoryStatus]) -> str:
    statuses = Counter(repository.status for repository in repositories)
    total = sum(statuses.values())
    parts = ", ".join(
        f"{statuses[status]:,} {status}"
        for status in ("scanned", "unchanged", "failed")
        if statuses[status]
    )
    noun = "repository" if total == 1 else "repositories"
    return f"keyleak: {total:,} {noun}: {parts}"


def by_path(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by file, files in order of their first finding."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(place(finding.location), []).append(finding)
    return groups


#: what stands for the path of a blob a ref holds with no tree to name it (`git tag t <blob>`)
NO_PATH = "(a blob a ref holds)"


def place(location: Location) -> str:
    return location.path or NO_PATH


def block(finding: Finding, options: ReportOptions, paint: Paint) -> str:
    location = finding.location
    where = f"{clean(place(location))}:{location.line}:{location.column}"
    known = " (known: in the baseline)" if finding.baselined else ""
    title = f"{where}: {finding.rule_name}"
    tags = f"[{finding.rule_id}, {finding.provider}, {finding.severity.value}]{known}"
    if len(title) + 1 + len(tags) <= WIDTH:
        lines = [f"{title} {tags}"]
    else:  # the tags move to a line of their own rather than break mid-way
        lines = wrap(title, "", INDENT) + wrap(tags, INDENT, INDENT)
    lines[0] = lines[0].replace(where, paint(where, BOLD), 1)
    secret = clean(shown_secret(finding, options))
    if finding.variables is not None:
        # a file rule's "secret" is the file's name, its line the file's first: neither says
        # what the file exposes, its variable names do
        lines += labelled("file", clean(place(location)))
        lines += labelled("variables", ", ".join(finding.variables) or "none")
    elif finding.line_text:
        code = clean(shown_line(finding, options)).strip()
        lines += [row.replace(secret, paint(secret, RED), 1) for row in code_rows(code, secret)]
    if finding.encoding:
        # apart from the line, which shows the encoded text the file holds
        decoded = f"from {', then '.join(finding.encoding)}:"
        shown = f"{secret} (redacted)" if options.redact else secret
        lines.append(f"{INDENT}decoded {decoded} {paint(shown, RED) if options.redact else shown}")
    if finding.variables is None and not finding.encoding:
        # never broken across rows, however long: a key copied from two rows is a wrong key
        lines.append(f"{INDENT}{'secret:':<{LABEL_WIDTH}}{paint(secret, RED)}")
    if finding.verdict:
        style = verdict_style(finding)
        lines += [paint(row, style) for row in labelled("verified", verdict_text(finding.verdict))]
    details: list[tuple[str, str]] = [(label, clean(text)) for label, text in finding.details]
    if location.commit:
        details.append(("commit", location.commit[:12]))
    if location.cell is not None:
        details.append(("cell", f"{location.cell}, line {location.cell_line}"))
    if finding.introduced_by:
        details.append(("introduced", commit_text(finding.introduced_by)))
    if finding.history:
        details += history_rows(finding.history)
    if finding.context or finding.severity_reason:
        details.append(("severity", f"{finding.severity.value}: {severity_text(finding)}"))
    details.append(("fingerprint", finding.fingerprint[:16]))
    details.append(("fix", finding.remediation))
    for label, text in details:
        lines += labelled(label, text)
    return "\n".join(lines) + "\n"


def code_rows(code: str, secret: str) -> list[str]:
    """The offending line under the finding, the secret whole on one row: cut around it when it
    fits a row, else on a row of its own, longer than the others, between the rest."""
    width = WIDTH - len(CODE)
    start = code.find(secret) if secret else -1
    if start < 0 or len(secret) + 2 <= width:
        return wrap(fit(code, secret, width), CODE, CODE, code=True)
    before, after = code[:start].rstrip(), code[start + len(secret) :]
    rows = wrap(before, CODE, CODE, code=True) if before else []
    rows.append(CODE + secret)
    return rows + (wrap(after, CODE, CODE, code=True) if after.strip() else [])


def fit(code: str, secret: str, width: int) -> str:
    """Cut the line to `width` around the secret, so it shows whole on one row if it can."""
    if len(code) <= width:
        return code
    start = code.find(secret)
    if start < 0 or len(secret) + 2 >= width:
        return code
    room = width - len(secret) - 2
    after = len(code) - start - len(secret)
    before = min(start, max(room // 2, room - after))
    first = start - before
    cut = code[first : first + width - 2]
    return ("…" if first else "") + cut + ("…" if first + width - 2 < len(code) else "")


def labelled(label: str, text: str) -> list[str]:
    first = f"{INDENT}{label + ':':<{LABEL_WIDTH}}"
    return wrap(text, first, " " * len(first))


def wrap(text: str, first: str, rest: str, code: bool = False) -> list[str]:
    """Wrap at WIDTH; code is cut anywhere (it often has no spaces), prose only between words."""
    if text and len(first) + len(text) <= WIDTH and text.isprintable() and text == text.strip():
        # a line that fits, such as a clean run's summary: the hook need not import textwrap
        return [first + text]
    import textwrap

    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=True,
        break_on_hyphens=False,
        drop_whitespace=not code,
    ) or [first.rstrip()]


def verdict_text(verdict: Verdict) -> str:
    text = verdict.status.value.replace("_", " ")
    if verdict.reason:
        text += f": {verdict.reason}"
    if verdict.details:
        text += " (" + ", ".join(f"{key} {value}" for key, value in verdict.details) + ")"
    return clean(text)


def verdict_style(finding: Finding) -> str:
    assert finding.verdict is not None
    if finding.verdict.status in LIVE_VERDICTS:
        return RED + BOLD
    return GREEN if finding.verdict.status is VerdictStatus.INVALID else YELLOW


def commit_text(commit: Commit) -> str:
    return clean(
        f"{commit.sha[:12]} {commit.date[:10]} {commit.author_name} <{commit.author_email}>"
    )


def history_rows(history: History) -> list[tuple[str, str]]:
    if history.introduced is None:
        # only refs hold it (a tag on a blob or a tree): no commit to date it from
        introduced, window = "no commit (held by refs only)", "still present"
    else:
        introduced = commit_text(history.introduced)
        first = f"{history.introduced.sha[:12]} ({history.introduced.date[:10]})"
        if history.still_present:
            window = f"{first}, still present"
        elif history.removed:
            window = f"{first} until {history.removed.sha[:12]} ({history.removed.date[:10]})"
        else:
            # no ref walked reaches it (a history of revisions no ref points at)
            last = history.last_present or history.introduced
            window = f"{first}, last seen {last.sha[:12]} ({last.date[:10]})"
    rows = [
        ("introduced", introduced),
        ("exposed", window),
        ("in HEAD", "yes" if history.in_head else "no"),
    ]
    if history.paths:  # a message has none
        rows.append(("paths", clean(", ".join(history.paths))))
    if history.refs:
        rows.append(("refs", clean(", ".join(history.refs))))
    if history.removals:
        rows.append(("removed in", clean(removals_text(history.removals))))
    return rows


def removals_text(removals: tuple[Removal, ...]) -> str:
    """Refs grouped by the commit that dropped the secret from them: branches cut before a
    removal share it, and a repository may have hundreds of them."""
    by_commit: dict[Commit, list[str]] = {}
    for removal in removals:
        by_commit.setdefault(removal.commit, []).append(removal.ref)
    parts = []
    for commit, refs in by_commit.items():
        named = ", ".join(refs[:REFS_SHOWN])
        if len(refs) > REFS_SHOWN:
            named += f" and {len(refs) - REFS_SHOWN} more"
        parts.append(f"{named} at {commit.sha[:12]} ({commit.date[:10]})")
    return "; ".join(parts)
