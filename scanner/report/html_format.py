"""The HTML report: one self-contained page to read and to show around.

Secrets are always redacted here, whatever --no-redact says: the page is made to be passed on.
Paths, names, commit messages and repository names come from whoever wrote the scanned data, so
every one of them is escaped. The page makes no request of any kind: its CSS and JS
(scanner/report/html/) are inlined, and its Content-Security-Policy allows exactly those two
(by hash) and data: images, nothing else. It holds no clock time, so one result gives one page.
Rows are rendered here; the script only sorts and filters them.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from importlib.resources import files
from typing import TextIO

from scanner import __version__
from scanner.model import (
    LIVE_VERDICTS,
    Commit,
    Finding,
    ScanResult,
    VerdictStatus,
    severity_text,
)
from scanner.report import ReportOptions
from scanner.report.html_timeline import Span, bar_label, parse_date, timeline
from scanner.report.summary import (
    human_size,
    plural,
    severity_counts,
    skip_reasons,
    suppression_parts,
)

NOT_VERIFIED = "not verified"
REDACTION_NOTE = (
    "Secrets are always redacted in this report, even when keyleak ran with --no-redact: "
    "it is made to be shared."
)
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
#: (key, heading, sort type) of the secrets table; rows carry the filterable ones as data-*
COLUMNS = (
    ("severity", "Severity", "number"),
    ("provider", "Provider", "text"),
    ("rule", "Rule", "text"),
    ("secret", "Secret (redacted)", "text"),
    ("verdict", "Verdict", "text"),
    ("repository", "Repository", "text"),
    ("path", "Path", "text"),
    ("line", "Line", "number"),
    ("introduced", "Introduced by", "number"),
    ("exposure", "Exposure window", "number"),
    ("present", "Still present", "text"),
)
FILTERS = (
    ("provider", "all providers"),
    ("verdict", "all verdicts"),
    ("repository", "all repositories"),
    ("present", "still present or not"),
)

Cell = tuple[str, str | None]  # escaped content, sort key (None: sort by the text)


def write(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
    css, script = asset("report.css"), asset("report.js")
    findings = result.findings
    repositories = bool(result.repositories) or any(f.location.repository for f in findings)
    horizon = max(filter(None, map(parse_date, dates(findings))), default=None)
    stream.write(
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy(css, script)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>keyleak report: {esc(title(result, options))}</title>\n"
        f"<style>{css}</style>\n</head>\n<body>\n"
    )
    stream.write(header(result, options, horizon))
    stream.write(summary(result, options, repositories))
    stream.write(failures(result))
    stream.write(exposure(findings, horizon))
    stream.write(table(findings, repositories, horizon))
    stream.write(notes(result))
    stream.write(f"<footer>keyleak {esc(__version__)}</footer>\n<script>{script}</script>\n")
    stream.write("</body>\n</html>\n")


def asset(name: str) -> str:
    return files("scanner.report").joinpath("html", name).read_text(encoding="utf-8")


def policy(css: str, script: str) -> str:
    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    return (
        f"default-src 'none'; style-src {digest(css)}; script-src {digest(script)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute; control characters shown as escapes."""
    text = str(value)
    if not text.isprintable():
        text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    return html.escape(text, quote=True)


def title(result: ScanResult, options: ReportOptions) -> str:
    if result.repositories:
        count = len(result.repositories)
        return f"audit of {count} {'repository' if count == 1 else 'repositories'}"
    return options.target or f"{options.subject} scan"


def heading(result: ScanResult, options: ReportOptions) -> str:
    """The title as the page shows it: a scanned path wraps as the table's paths do."""
    if result.repositories or not options.target:
        return esc(title(result, options))
    return path_html(options.target, "span")


def dates(findings: Iterable[Finding]) -> Iterable[str]:
    for finding in findings:
        if finding.introduced_by:
            yield finding.introduced_by.date
        if history := finding.history:
            for commit in (history.introduced, history.last_present, history.removed):
                if commit is not None:
                    yield commit.date


def header(result: ScanResult, options: ReportOptions, horizon: datetime | None) -> str:
    scanned = [f"{result.files_scanned:,} {plural(result.files_scanned, options.subject)}"]
    if result.commits_scanned:
        scanned.insert(0, f"{result.commits_scanned:,} {plural(result.commits_scanned, 'commit')}")
    scanned.append(human_size(result.bytes_scanned))
    # not how long it took: a page that held a duration would differ between two runs on the
    # same data
    lines = [f"Scanned {', '.join(scanned)}."]
    if horizon:
        lines.append(f"History up to {horizon:%Y-%m-%d %H:%M} UTC (the latest commit it names).")
    count = len(result.findings)
    return (
        f"<header>\n<h1>keyleak report: {heading(result, options)}</h1>\n"
        f'<p class="headline">{count:,} {plural(count, "secret")} found</p>\n'
        + "".join(f"<p>{esc(line)}</p>\n" for line in lines)
        + f'<p class="redaction">{esc(REDACTION_NOTE)}</p>\n</header>\n'
    )


def summary(result: ScanResult, options: ReportOptions, repositories: bool) -> str:
    findings = result.findings
    providers = Counter(f.provider for f in findings)
    verdicts = Counter(verdict(f) for f in findings)
    verdict_order = [status.value for status in VerdictStatus] + [NOT_VERIFIED]
    tables = [
        counts("Severity", [(name, n) for name, n in severity_counts(findings).items() if n]),
        counts("Provider", sorted(providers.items(), key=lambda item: (-item[1], item[0]))),
        counts("Verdict", [(name, verdicts[name]) for name in verdict_order if verdicts[name]]),
    ]
    if not findings:
        tables = []
    if repositories:
        tables.append(repository_table(result))
    else:
        tables.append(counts("Scanned", [(options.target or "this scan", len(findings))]))
    return '<section class="summary">\n<h2>Summary</h2>\n' + "".join(tables) + "</section>\n"


def counts(heading: str, rows: list[tuple[str, int]]) -> str:
    body = "".join(f"<tr><td>{esc(name)}</td><td>{n:,}</td></tr>" for name, n in rows)
    return (
        f'<table class="counts"><thead><tr><th scope="col">{esc(heading)}</th>'
        f'<th scope="col">Secrets</th></tr></thead><tbody>{body}</tbody></table>\n'
    )


def repository_table(result: ScanResult) -> str:
    found = Counter(f.location.repository for f in result.findings)
    rows = "".join(
        f'<tr><td title="{esc(repo.url)}">{path_html(repo.name, "span")}</td>'
        f"<td>{esc(repo.status)}</td>"
        + (
            "<td>—</td><td>—</td>"
            if repo.status == "failed"
            else f"<td>{repo.commits:,}</td><td>{found[repo.name]:,}</td>"
        )
        + "</tr>"
        for repo in result.repositories
    )
    known = {repo.name for repo in result.repositories}
    rows += "".join(
        f"<tr><td>{path_html(name, 'span')}</td><td></td><td></td><td>{n:,}</td></tr>"
        for name, n in sorted(found.items())
        if name is not None and name not in known
    )
    return (
        '<table class="counts"><thead><tr><th scope="col">Repository</th>'
        '<th scope="col">Status</th><th scope="col">Commits</th><th scope="col">Secrets</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>\n"
    )


def failures(result: ScanResult) -> str:
    failed = [repo for repo in result.repositories if repo.status == "failed"]
    if not failed:
        return ""
    items = "".join(
        f'<li><strong>{esc(repo.name)}</strong> <span class="url">{esc(repo.url)}</span>: '
        f"{esc(repo.error or 'no error message')}</li>"
        for repo in failed
    )
    return (
        f'<section class="failures">\n<h2>Failed repositories ({len(failed)})</h2>\n'
        f"<p>These were not audited: their secrets are not in this report.</p>\n"
        f"<ul>{items}</ul>\n</section>\n"
    )


def exposure(findings: tuple[Finding, ...], horizon: datetime | None) -> str:
    if not findings:
        return ""
    spans = [span for f in findings if (span := finding_span(f)) is not None]
    left_out = len(findings) - len(spans)
    text = (
        "One bar per secret, from the commit that introduced it to the one that removed it; "
        "a bar ending in an arrow is still present."
    )
    if left_out:
        text += (
            f" {left_out} {plural(left_out, 'secret')} without a history (found in files or in "
            "a range of commits, not by a history audit) are not on the timeline."
        )
    drawing = timeline(spans, horizon) if spans and horizon else ""
    return (
        f'<section class="exposure">\n<h2>Exposure timeline</h2>\n<p>{esc(text)}</p>\n'
        f"{drawing}\n</section>\n"
    )


def finding_span(finding: Finding) -> Span | None:
    history = finding.history
    # a secret no commit holds (a tag on a blob or a tree) has no date to start its bar from
    if history is None or history.introduced is None:
        return None
    if (start := parse_date(history.introduced.date)) is None:
        return None
    # a bar without an end (the arrow) only for a secret still present
    last = None if history.still_present else history.removed or history.last_present
    end = parse_date(last.date) if last else None
    if last and end is None:
        return None
    label = f"{finding.provider} · {place(finding)}"
    window = f"{day(history.introduced)} → {day(last) if last else 'now'}"
    short = bar_label(finding.provider, finding.location.repository, finding.location.path)
    return Span(short, start, end, f"{label} ({finding.redacted}): {window}")


def place(finding: Finding) -> str:
    repository = finding.location.repository
    return f"{repository}: {finding.location.path}" if repository else finding.location.path


def day(commit: Commit) -> str:
    return commit.date[:10]


def verdict(finding: Finding) -> str:
    return finding.verdict.status.value if finding.verdict else NOT_VERIFIED


def present(finding: Finding) -> str:
    if finding.history is None:
        return "unknown"
    return "yes" if finding.history.still_present else "no"


def table(findings: tuple[Finding, ...], repositories: bool, horizon: datetime | None) -> str:
    if not findings:
        return '<section class="secrets">\n<h2>Secrets</h2>\n<p>No secrets found.</p>\n</section>\n'
    columns = [c for c in COLUMNS if repositories or c[0] != "repository"]
    heads = "".join(
        f'<th scope="col" data-key="{key}" data-type="{kind}">{esc(name)}</th>'
        for key, name, kind in columns
    )
    rows = "".join(row(f, repositories, horizon) for f in findings)
    return (
        '<section class="secrets">\n<h2>Secrets</h2>\n'
        + controls(findings, repositories)
        + f'<table id="secrets"><thead><tr>{heads}</tr></thead>\n<tbody>\n{rows}</tbody></table>\n'
        + "</section>\n"
    )


def controls(findings: tuple[Finding, ...], repositories: bool) -> str:
    """Filter box and selects: hidden until the script, which makes them work, shows them."""
    values = {
        "provider": {f.provider for f in findings},
        "verdict": {verdict(f) for f in findings},
        "repository": {f.location.repository or "" for f in findings} - {""},
        "present": {present(f) for f in findings},
    }
    selects = "".join(
        f'<select data-filter="{key}" aria-label="{key}"><option value="">{esc(label)}</option>'
        + "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in sorted(values[key]))
        + "</select>"
        for key, label in FILTERS
        if repositories or key != "repository"
    )
    return (
        '<div id="controls" hidden><input id="filter-text" type="search" '
        f'placeholder="Filter: any text" aria-label="Filter the secrets">{selects}'
        f'<span id="shown">{len(findings)} of {len(findings)}</span></div>\n'
    )


def row(finding: Finding, repositories: bool, horizon: datetime | None) -> str:
    data = {
        "provider": finding.provider,
        "verdict": verdict(finding),
        "repository": finding.location.repository or "",
        "present": present(finding),
    }
    cells = cells_of(finding, horizon)
    if not repositories:
        del data["repository"], cells["repository"]
    attributes = "".join(f' data-{key}="{esc(value)}"' for key, value in data.items())
    shown = "".join(
        f"<td>{text}</td>" if key is None else f'<td data-sort="{esc(key)}">{text}</td>'
        for text, key in cells.values()
    )
    return f"<tr{attributes}>{shown}</tr>\n"


def cells_of(finding: Finding, horizon: datetime | None) -> dict[str, Cell]:
    location, history = finding.location, finding.history
    # a message's finding has no paths: its pseudo-path names the commit or the tag
    paths = history.paths if history and history.paths else (location.path,)
    known = ' <span class="badge">known</span>' if finding.baselined else ""
    status = verdict(finding)
    live = " live" if finding.verdict and finding.verdict.status in LIVE_VERDICTS else ""
    reason = esc(finding.verdict.reason) if finding.verdict else ""
    severity = finding.severity.value
    why = severity_text(finding)
    shown_why = f'<br><span class="why">{esc(why)}</span>' if why else ""
    return {
        "severity": (
            f'<span class="sev {severity}">{severity}</span>{shown_why}',
            str(SEVERITY_RANK[severity]),
        ),
        "provider": (esc(finding.provider), None),
        "rule": (f"{esc(finding.rule_name)}{known}", None),
        "secret": (
            f'<code class="key">{esc(finding.redacted)}</code>{details_html(finding)}',
            None,
        ),
        "verdict": (f'<span class="verdict{live}" title="{reason}">{esc(status)}</span>', None),
        "repository": (path_html(location.repository or "", "span"), None),
        "path": ("<br>".join(path_html(path) for path in paths), None),
        "line": (str(location.line), str(location.line)),
        "introduced": introduced(
            finding.introduced_by or (history.introduced if history else None)
        ),
        "exposure": window(finding, horizon),
        "present": (present(finding) if history else "—", present(finding) if history else ""),
    }


def details_html(finding: Finding) -> str:
    """What the secret says about itself (a JWT's alg, issuer, expiry), under it."""
    if not finding.details:
        return ""
    shown = " · ".join(f"{esc(label)}: {esc(text)}" for label, text in finding.details)
    return f'<br><small class="details">{shown}</small>'


def path_html(path: str, tag: str = "code") -> str:
    """A path (or a repository's name) that wraps only after a `/`: each part unbreakable, a
    break point between parts. A name too long for its column overflows, whole."""
    parts = [part + "/" for part in path.split("/")]
    parts[-1] = parts[-1][:-1]
    shown = "<wbr>".join(f"<span>{esc(part)}</span>" for part in parts if part)
    return f'<{tag} class="path">{shown}</{tag}>'


def introduced(commit: Commit | None) -> Cell:
    if commit is None:
        return "—", ""
    moment = parse_date(commit.date)
    return (
        f'{esc(commit.author_name)} <span class="email">&lt;{esc(commit.author_email)}&gt;</span>'
        f"<br><code>{esc(commit.sha[:10])}</code> {esc(day(commit))}",
        f"{moment.timestamp():.0f}" if moment else "",
    )


def window(finding: Finding, horizon: datetime | None) -> Cell:
    """First seen → removed, sorted by how long the secret has been exposed."""
    history = finding.history
    if history is None:
        return "—", ""
    if history.introduced is None:
        return '<span class="open">held by refs only, still present</span>', ""
    start = parse_date(history.introduced.date)
    if history.still_present:
        end, until = horizon, '<span class="open">still present</span>'
    elif history.removed:
        end, until = parse_date(history.removed.date), esc(day(history.removed))
    else:
        # no ref walked reaches it: the last commit seen holding it is all there is
        last = history.last_present or history.introduced
        end, until = parse_date(last.date), f"last seen {esc(day(last))}"
    length = "" if start is None or end is None else f"{(end - start).total_seconds():.0f}"
    return f"{esc(day(history.introduced))} → {until}", length


def notes(result: ScanResult) -> str:
    items = [esc(note) for note in result.notes]
    if result.skipped:
        items.append(esc(f"{len(result.skipped):,} skipped, not scanned: {skip_reasons(result)}"))
    for part in suppression_parts(result):
        items.append(esc(part))
    if not items:
        return ""
    listed = "".join(f"<li>{item}</li>" for item in items)
    return f'<section class="notes">\n<h2>Notes</h2>\n<ul>{listed}</ul>\n</section>\n'
