"""An audit's progress on stderr: repositories done out of all and, under it, a row for each
repository being audited (blobs and commits its scan has done); a bar only on a terminal."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

from scanner.org.task_events import Event

#: Seconds between two redraws. The bar has no refresh thread of its own: a task run in this
#: process forks its blob workers, which must not copy a lock such a thread may hold.
REDRAW_INTERVAL = 0.1


class AuditProgress:
    """Counts repositories as they finish, and says which failed as they do (on a terminal,
    above the bar; elsewhere as plain lines, for CI logs)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar: Any = None
        self.task: Any = None
        self.total = total
        self.finished = 0
        #: each repository being audited: its row, and what it has done so far
        self.rows: dict[str, tuple[Any, dict[str, tuple[int, int]]]] = {}
        self.over: set[str] = set()
        self.drawn = 0.0
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
                auto_refresh=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("auditing", total=total, detail=self.counted())

    def counted(self) -> str:
        return f"{self.finished:,}/{self.total:,} repositories"

    def inside(self, event: Event) -> None:
        """What a repository's scan has done: ("blobs", read, listed) or ("commits", walked,
        0 until the walk is over)."""
        name, what, done, total = event
        if self.bar is None or name in self.over:
            return
        if name not in self.rows:
            row = self.bar.add_task(f"  {name}", total=None, detail="")
            self.rows[name] = (row, {})
        row, counts = self.rows[name]
        counts[what] = (done, total)
        blobs_done, blobs_total = counts.get("blobs", (0, 0))
        self.bar.update(row, completed=blobs_done, total=blobs_total or None, detail=detail(counts))
        self.redraw()

    def done(self, name: str, status: str, error: str) -> None:
        if status == "failed":
            self.say(f"keyleak: {name}: failed: {error}")
        self.finished += 1
        self.over.add(name)
        if self.bar is not None:
            if name in self.rows:
                self.bar.remove_task(self.rows.pop(name)[0])
            self.bar.update(self.task, advance=1, detail=self.counted())
            self.redraw(now=True)

    def redraw(self, now: bool = False) -> None:
        moment = time.monotonic()
        if now or moment - self.drawn >= REDRAW_INTERVAL:
            self.bar.refresh()
            self.drawn = moment

    def say(self, line: str) -> None:
        from scanner.util.printable import clean

        line = clean(line)
        if self.bar is not None:
            self.bar.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=sys.stderr, flush=True)

    def __enter__(self) -> AuditProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.stop()


def detail(counts: dict[str, tuple[int, int]]) -> str:
    parts = []
    if "blobs" in counts:
        done, total = counts["blobs"]
        parts.append(f"{done:,}/{total:,} blobs")
    if "commits" in counts:
        parts.append(f"{counts['commits'][0]:,} commits")
    return ", ".join(parts)
