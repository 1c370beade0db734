"""Running an audit's tasks on this machine: in this process, or in a pool of worker processes.

Workers are started with `spawn`, not forked from a process that may run a progress thread, so
a task's function and items must be picklable (as they must be for Dask anyway). A worker that
dies (killed, out of memory) breaks the whole pool: the pool is replaced and the tasks it lost
are run once more, each alone, so a task that kills its worker again is the one reported and
the tasks that merely shared the pool with it are not.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from scanner.org import task_events
from scanner.org.executor import TaskFailure

if TYPE_CHECKING:  # concurrent.futures is imported only when a pool is started
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.queues import SimpleQueue

T = TypeVar("T")
R = TypeVar("R")

DIED = "the worker process running it died, twice"
#: seconds between two looks at the events the running tasks sent
EVENTS_INTERVAL = 0.1


class LocalExecutor:
    """`jobs` tasks at a time: in this process for one, in worker processes for more. The
    progress events the tasks send (`task_events`) are handed to `events`, if given."""

    def __init__(self, jobs: int, events: task_events.Sink | None = None) -> None:
        self.jobs = jobs
        self.events = events
        self.pool: ProcessPoolExecutor | None = None
        #: the workers' events on their way here, one queue per pool
        self.channel: SimpleQueue[task_events.Event] | None = None

    def run(
        self, function: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R | TaskFailure]]:
        if self.jobs == 1 or len(items) == 1:
            return self.serial(function, items)
        return self.pooled(function, items)

    def serial(
        self, function: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R | TaskFailure]]:
        for index, item in enumerate(items):
            previous = task_events.install(self.events)
            try:
                outcome: R | TaskFailure = function(item)
            except Exception as exc:
                outcome = failure(exc)
            finally:
                task_events.install(previous)
            yield index, outcome

    def pooled(
        self, function: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R | TaskFailure]]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        fresh = deque(range(len(items)))
        #: tasks lost with a broken pool, to be run once more, each alone
        suspects: deque[int] = deque()
        attempts = [0] * len(items)
        running: dict[Future[R], int] = {}

        def submit(queue: deque[int]) -> bool:
            try:
                future = self.start().submit(function, items[queue[0]])
            except BrokenProcessPool:
                if running:  # the tasks running in it will report the breakage
                    return False
                self.stop()  # a worker died idle
                future = self.start().submit(function, items[queue[0]])
            index = queue.popleft()
            attempts[index] += 1
            running[future] = index
            return True

        while fresh or suspects or running:
            if suspects:
                if not running:
                    submit(suspects)
            else:
                while fresh and len(running) < self.jobs and submit(fresh):
                    pass
            # woken now and then to pass the running tasks' progress on
            timeout = EVENTS_INTERVAL if self.channel is not None else None
            done, _ = wait(running, timeout, return_when=FIRST_COMPLETED)
            self.pass_events()
            if any(isinstance(future.exception(), BrokenProcessPool) for future in done):
                # every task still running went down with the pool
                done, _ = wait(running)
                self.stop()
            for future in done:
                index = running.pop(future)
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    if attempts[index] < 2:
                        suspects.append(index)
                    else:
                        yield index, TaskFailure(DIED)
                elif error is not None:
                    yield index, failure(error)
                else:
                    yield index, future.result()

    def start(self) -> ProcessPoolExecutor:
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("spawn")
            if self.events is None:
                self.pool = ProcessPoolExecutor(self.jobs, mp_context=context)
            else:
                # a new queue with each pool: a worker killed while writing to the old one
                # may have left its lock taken
                self.channel = context.SimpleQueue()
                self.pool = ProcessPoolExecutor(
                    self.jobs,
                    mp_context=context,
                    initializer=task_events.to_queue,
                    initargs=(self.channel,),
                )
        return self.pool

    def pass_events(self) -> None:
        channel = self.channel
        if channel is None or self.events is None:
            return
        while not channel.empty():
            self.events(channel.get())

    def stop(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        channel, self.channel = self.channel, None
        if channel is not None:
            channel.close()

    def close(self) -> None:
        self.stop()


def failure(error: BaseException) -> TaskFailure:
    return TaskFailure(f"{type(error).__name__}: {error}")
