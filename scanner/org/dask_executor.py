"""Run an audit's per-repository tasks on an existing Dask cluster (`keyleak audit --scheduler`).

One task per item, submitted with pure=False so that two equal items are still two tasks. Results
are taken as they finish (distributed.as_completed), so the audit's progress and resume state move
on while the slowest repositories are still being scanned.

Worker deaths: when a worker dies while running a task, the Dask scheduler itself runs the task
again on another worker, up to `distributed.scheduler.allowed-failures` times (3 by default), and
only then fails it with KilledWorker. keyleak promises that a task whose worker died runs at least
twice, without multiplying the scheduler's own retries: it resubmits a task after KilledWorker only
while fewer than MIN_ATTEMPTS attempts have been made, counting the scheduler's (allowed-failures
+ 1 per submission, which KilledWorker reports). So on a scheduler with allowed-failures 0 keyleak
resubmits once and a task runs at most twice; on one left at the default the scheduler's four
attempts stand and keyleak adds none. A task that raised is never retried: the exception is the
repository's answer, and running it again would give the same one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from scanner.errors import KeyleakError
from scanner.org.executor import TaskFailure
from scanner.org.local_executor import failure

if TYPE_CHECKING:
    from distributed import Client, Future

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONNECT_TIMEOUT = 10.0
#: attempts a task whose workers keep dying gets before it is reported as failed
MIN_ATTEMPTS = 2


class DistributedMissing(KeyleakError):
    pass


class SchedulerUnreachable(KeyleakError):
    pass


class SchedulerLost(KeyleakError):
    pass


class DaskExecutor:
    """Tasks on the Dask scheduler at `address`, or on an existing `cluster` object (such as a
    LocalCluster). The connection is made here, so that a wrong address fails before any work;
    close() (or leaving the `with` block) closes the client, never the cluster."""

    def __init__(
        self,
        address: str | None = None,
        *,
        cluster: object | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        if (address is None) == (cluster is None):
            raise ValueError("DaskExecutor takes a scheduler address or a cluster, not both")
        try:
            from distributed import Client
        except ImportError as error:
            raise DistributedMissing(
                f"a Dask scheduler needs the distributed package ({error}): "
                "pip install 'keyleak[distributed]'"
            ) from None
        self.where = address or str(getattr(cluster, "scheduler_address", cluster))
        try:
            self._client: Client = Client(
                address if address is not None else cluster,
                timeout=connect_timeout,
                set_as_default=False,
            )
        except ValueError as error:
            raise SchedulerUnreachable(
                f"not a Dask scheduler address: {address} ({error})"
            ) from None
        except OSError:
            # distributed raises OSError for refused connections, unresolvable hosts and timeouts
            # alike, after retrying for the whole timeout
            raise SchedulerUnreachable(
                f"no Dask scheduler answered at {self.where} within {connect_timeout:g} s "
                "(is it running, and reachable from here?)"
            ) from None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        # after a lost connection, closing cancels the client's attempts to reconnect, which
        # distributed logs with their tracebacks: nothing a user can act on
        with _silenced("distributed.client"):
            self._client.close()

    def run(
        self, function: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R | TaskFailure]]:
        from distributed import as_completed

        tasks = _Tasks(self._client, self.where, function, items)
        try:
            completed = as_completed(
                list(tasks.pending), loop=self._client.loop, with_results=True, raise_errors=False
            )
            for future, outcome in completed:
                index, result = tasks.settle(future, outcome)
                if isinstance(result, _Resubmitted):
                    completed.add(tasks.resubmit(index))
                else:
                    yield index, result
        except KeyboardInterrupt:
            tasks.cancel()
            self.close()
            raise
        finally:
            tasks.cancel()


class _Resubmitted:
    """The outcome of a task that is running again."""


_RESUBMITTED = _Resubmitted()


class _Tasks(Generic[T, R]):
    """The futures of one run: which item each belongs to, and how often its workers died."""

    def __init__(
        self, client: Client, where: str, function: Callable[[T], R], items: Sequence[T]
    ) -> None:
        self.client = client
        self.where = where
        self.function = function
        self.items = items
        self.pending: dict[Future[R], int] = dict(
            zip(client.map(function, items, pure=False), range(len(items)), strict=True)
        )
        self.deaths = [0] * len(items)

    def settle(self, future: Future[R], outcome: Any) -> tuple[int, R | TaskFailure | _Resubmitted]:
        """What a completed future means for its item; `outcome` is what as_completed gave with
        raise_errors=False: the result, (type, exception, traceback), or a CancelledError."""
        from distributed import KilledWorker

        index = self.pending.pop(future)
        if future.status == "finished":
            result: R = outcome
            return index, result
        if future.status == "cancelled":
            reason = getattr(outcome, "reason", "")
            if reason == "scheduler-connection-lost" or self.client.status != "running":
                # the scheduler died or was shut down, and every unfinished task with it: a
                # report of them all as failed would hide the one thing that went wrong
                raise SchedulerLost(
                    f"lost the connection to the Dask scheduler at {self.where} with "
                    f"{len(self.pending) + 1} of {len(self.items)} tasks unfinished"
                )
            return index, TaskFailure(f"the Dask scheduler cancelled it ({reason or 'no reason'})")
        error: BaseException = outcome[1]
        if not isinstance(error, KilledWorker):
            # worded as the local executor words it, so that a report reads the same either way
            return index, failure(error)
        self.deaths[index] += error.allowed_failures + 1
        if self.deaths[index] < MIN_ATTEMPTS:
            return index, _RESUBMITTED
        return index, TaskFailure(
            f"the Dask worker running it died on each of {self.deaths[index]} attempts "
            f"(last on {error.last_worker.address})"
        )

    def resubmit(self, index: int) -> Future[R]:
        future = self.client.submit(self.function, self.items[index], pure=False)
        self.pending[future] = index
        return future

    def cancel(self) -> None:
        """Stop what has not finished, so that an interrupted audit leaves the cluster free."""
        if self.pending and self.client.status == "running":
            self.client.cancel(list(self.pending))
        self.pending.clear()


@contextlib.contextmanager
def _silenced(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)
