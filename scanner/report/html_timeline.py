"""The HTML report's exposure timeline: one bar per secret, as inline SVG (no script needed).

A bar runs from the commit that introduced the secret to the one that removed it; a secret still
present runs to the end of the axis, the latest date the report knows, and ends in an arrow.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WIDTH = 1000
LABEL_WIDTH = 290
RIGHT_MARGIN = 24
ROW = 22
AXIS = 30
LABEL_CHARS = 40
#: a repository name longer than this loses its middle in a bar's label
REPO_CHARS = 28
#: the provider is left out of a label that would leave the path less than this
MIN_PATH_CHARS = 16
MAX_TICKS = 8
DAY_STEPS = (1, 2, 7, 14)
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)


@dataclass(frozen=True)
class Span:
    """One secret's exposure: `end` is None while it is still present."""

    label: str
    start: datetime
    end: datetime | None
    tooltip: str


def parse_date(text: str) -> datetime | None:
    """An ISO 8601 commit date in UTC (a naive one taken as UTC), None when unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def timeline(spans: list[Span], horizon: datetime) -> str:
    """The SVG for `spans` on an axis ending at `horizon` (after every date of every span)."""
    low = min(span.start for span in spans)
    pad = max((horizon - low) / 40, timedelta(days=1))
    low, high = low - pad, horizon + pad
    right = WIDTH - RIGHT_MARGIN

    def x(moment: datetime) -> float:
        return LABEL_WIDTH + (moment - low) / (high - low) * (right - LABEL_WIDTH)

    height = AXIS + ROW * len(spans) + 6
    parts = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-label="Exposure timeline" xmlns="http://www.w3.org/2000/svg">'
    ]
    for moment, label in ticks(low, high):
        at = f"{x(moment):.1f}"
        parts.append(
            f'<line class="grid" x1="{at}" y1="{AXIS - 6}" x2="{at}" y2="{height}"/>'
            f'<text class="tick" x="{at}" y="{AXIS - 10}">{label}</text>'
        )
    for row, span in enumerate(spans):
        top = AXIS + ROW * row
        start = x(span.start)
        end = x(span.end if span.end is not None else horizon + pad / 2)
        kind = "removed" if span.end is not None else "present"
        parts.append(
            f'<g class="span {kind}"><title>{html.escape(span.tooltip)}</title>'
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{top + 15}">'
            f"{html.escape(shorten(span.label, LABEL_CHARS))}</text>"
            f'<rect class="bar" x="{start:.1f}" y="{top + 5}" '
            f'width="{max(end - start, 3):.1f}" height="{ROW - 10}" rx="2"/>'
        )
        if span.end is None:
            tip, half = max(end, start + 3), ROW / 2 - 2
            parts.append(f'<path class="arrow" d="M{tip:.1f} {top + 2}l8 {half:g}l-8 {half:g}z"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def bar_label(provider: str, repository: str | None, path: str) -> str:
    """A bar's label, at most LABEL_CHARS long. The repository comes first and stays whole (up
    to REPO_CHARS: past that its middle goes, never its name), since bars of two repositories
    must be told apart; the path loses its middle, keeping the file name; the provider, which
    the table and the tooltip show anyway, goes first when room is short."""
    head = f"{repository}: " if repository else ""
    whole = f"{provider} · {head}{path}"
    if len(whole) <= LABEL_CHARS:
        return whole
    if repository:
        head = f"{shorten(repository, REPO_CHARS)}: "
    if LABEL_CHARS - len(head) - len(provider) - 3 >= MIN_PATH_CHARS:
        head = f"{provider} · {head}"
    return head + shorten(path, LABEL_CHARS - len(head))


def shorten(text: str, room: int) -> str:
    """`text` in `room` characters, its middle replaced by `…`: the last part after a `/` (a
    file or repository name) kept whole when it fits, the start given what is left."""
    if len(text) <= room:
        return text
    name = text.rsplit("/", 1)[-1]
    tail = min(len(name) + ("/" in text), room - 2)
    return text[: room - 1 - tail] + "…" + text[-tail:]


def ticks(low: datetime, high: datetime) -> list[tuple[datetime, str]]:
    """Dates to label, at most MAX_TICKS: days for short spans, else month or year starts."""
    days = (high - low) / timedelta(days=1)
    for step in DAY_STEPS:
        if days / step <= MAX_TICKS:
            first = datetime(low.year, low.month, low.day, tzinfo=UTC) + timedelta(days=1)
            count = int((high - first) / timedelta(days=step)) + 1
            moments = [first + timedelta(days=step * i) for i in range(count)]
            return [(moment, moment.strftime("%Y-%m-%d")) for moment in moments]
    months = next((m for m in MONTH_STEPS if days / (30.44 * m) <= MAX_TICKS), MONTH_STEPS[-1])
    index = low.year * 12 + low.month  # the month after low's: its first day is after low
    index += -index % months
    shown = "%Y" if months >= 12 else "%Y-%m"
    found = []
    while (moment := month_start(index)) <= high:
        found.append((moment, moment.strftime(shown)))
        index += months
    return found


def month_start(index: int) -> datetime:
    """The first day of month `index`, counted as year * 12 + month - 1."""
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)
