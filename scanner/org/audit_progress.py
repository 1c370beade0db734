"""An audit's progress on stderr: repositories done out of all, a bar only on a terminal."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any


class AuditProgress:
    """Counts repositories as they finish, and says which failed as they do (on a terminal,
    above the bar; elsewhere as plain lines, for CI logs)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar: Any = None
        self.task: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("auditing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("repositories"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[last]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("auditing", total=total, last="")

    def done(self, name: str, status: str, error: str) -> None:
        if status == "failed":
            self.say(f"keyleak: {name}: failed: {error}")
        if self.bar is not None:
            self.bar.update(self.task, advance=1, last=name)

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
