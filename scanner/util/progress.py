"""Progress of a long scan on stderr: a bar on a terminal, nothing elsewhere.

rich is imported only when a bar is shown, and this module only by `keyleak history`: the hook
path never pays for it.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

#: Seconds between updates handed to rich: per-object updates would cost more than the scan.
UPDATE_INTERVAL = 0.1


class Progress:
    """Objects and bytes done out of known totals; a no-op unless `enabled`."""

    def __init__(self, objects: int, size: int, enabled: bool, label: str = "scanning") -> None:
        self.objects = objects
        self.size = size
        self.done = 0
        self.pending_objects = 0
        self.pending_bytes = 0
        self.last_update = 0.0
        self.bar: Any = None
        self.task: Any = None
        if enabled:
            self.start(label, size)

    def start(self, label: str, size: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as Bar

        self.bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[done]:,}/{task.fields[objects]:,} objects"),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task(label, total=size, done=0, objects=self.objects)

    def expect(self, objects: int, size: int) -> None:
        """New totals: the objects to do are still being listed while the first are done."""
        if self.bar is None or (objects, size) == (self.objects, self.size):
            return
        self.objects, self.size = objects, size
        self.bar.update(self.task, total=size, objects=objects)

    def advance(self, size: int, objects: int = 1) -> None:
        """`objects` more objects, of `size` bytes in all, done."""
        if self.bar is None:
            return
        self.pending_objects += objects
        self.pending_bytes += size
        now = time.monotonic()
        if now - self.last_update >= UPDATE_INTERVAL:
            self.flush(now)

    def flush(self, now: float) -> None:
        self.done += self.pending_objects
        self.bar.update(self.task, advance=self.pending_bytes, done=self.done)
        self.pending_objects = self.pending_bytes = 0
        self.last_update = now

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.flush(time.monotonic())
            self.bar.stop()


def wanted(requested: bool) -> bool:
    return requested and sys.stderr.isatty()
