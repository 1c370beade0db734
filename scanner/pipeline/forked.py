"""A list of items worked through by this process and forked copies of it together.

A pool of worker processes left this process idle while they matched, fed them batches through
queues and threads, and sent every item's result back pickled; on a two-core machine the pool's
start alone took longer than matching a small tree. Here the list is known before the fork, so
each copy already holds it: the only thing shared is which batch is next (a pipe holding every
batch's number, read four bytes at a time, which Linux hands out whole to one reader each), and
each helper sends its results once, at its end.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

TOKEN = struct.Struct("<I")
#: Batches at most: their numbers must all fit in a pipe's buffer (64 KB on Linux) before the
#: fork, as nothing writes to it after.
MAX_BATCHES = 4096
#: Items per batch at least: taking a batch costs one read of the pipe.
MIN_BATCH = 4
#: The signals that stop a scan (keyleak turns SIGTERM into an exception, as Python SIGINT).
STOPPING = frozenset({signal.SIGINT, signal.SIGTERM})


class HelperFailed(RuntimeError):
    """A helper process died without sending its results."""


def forked_map(function: Callable[[T], R], items: Sequence[T], helpers: int) -> list[R]:
    """`function(item)` for every item, in the items' order, by this process and `helpers`
    forked copies of it, each taking the next batch as it finishes one.

    `function` runs in the helpers as it is at the fork: what it loads on first use (compiled
    patterns, say) is loaded by each copy that needs it. An exception a helper raises is raised
    here; helpers never outlive the call.
    """
    size = max(MIN_BATCH, -(-len(items) // MAX_BATCHES))
    count = -(-len(items) // size)
    tokens_out, tokens_in = os.pipe()
    try:
        os.write(tokens_in, b"".join(TOKEN.pack(number) for number in range(count)))
    finally:
        os.close(tokens_in)
    done: dict[int, list[R]] = {}
    children: list[tuple[int, int]] = []
    try:
        # a collector walking the objects shared at the fork would write to (and so copy) every
        # page they are on, in the helpers and here: until they are done, only new objects count
        gc.freeze()
        # a helper with no batch left to take would only cost its fork
        for _ in range(min(helpers, count - 1)):
            try:
                results_out, results_in = os.pipe()
            except OSError:  # out of file descriptors: fewer hands, as below
                break
            # an interrupt between the fork and the line that records the helper would leave
            # it behind, unkilled: it waits until then (a busy machine can make that a while)
            with signals_deferred():
                try:
                    pid = os.fork()
                except OSError:  # out of processes or memory: fewer hands, the same results
                    os.close(results_out)
                    os.close(results_in)
                    break
                if pid == 0:  # pragma: no cover -- the helper's coverage is not collected
                    os.close(results_out)
                    helper(function, items, size, tokens_out, results_in)
                children.append((pid, results_out))
            os.close(results_in)
        done.update(work(function, items, size, tokens_out))
        for pid, results_out in children:
            done.update(collected(pid, results_out))
    finally:
        # nor may a second interrupt stop the cleanup halfway
        with signals_deferred():
            gc.unfreeze()
            os.close(tokens_out)
            for pid, results_out in children:
                end(pid, results_out, finished=len(done) == count)
    return [result for number in range(count) for result in done[number]]


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM, if they come, are handled when the block ends. Blocking them in this
    thread would not do: another thread (pytest-xdist has one) can take the signal, and Python
    then runs the handler in this thread all the same, at once."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread handles signals, and may set their handlers
        return
    caught: list[int] = []
    previous = {
        stopping: signal.signal(stopping, lambda signalled, _: caught.append(signalled))
        for stopping in STOPPING
        if signal.getsignal(stopping) is not None  # a handler set outside Python: left alone
    }
    try:
        yield
    finally:
        for stopping, handler in previous.items():
            signal.signal(stopping, handler)
        for signalled in caught:
            signal.raise_signal(signalled)


def work(
    function: Callable[[T], R], items: Sequence[T], size: int, tokens: int
) -> dict[int, list[R]]:
    """Take batches until none is left; each batch's results by its number."""
    done: dict[int, list[R]] = {}
    while token := os.read(tokens, TOKEN.size):
        (number,) = TOKEN.unpack(token)
        done[number] = [function(item) for item in items[number * size : (number + 1) * size]]
    return done


def helper(
    function: Callable[[T], R],
    items: Sequence[T],
    size: int,
    tokens: int,
    results: int,
) -> None:
    """A forked helper's whole life: work, send the results (or the error), exit. It never
    returns into the code that forked it, which would go on as a second copy of the command."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent cleans up, not us
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            payload = pickle.dumps((True, work(function, items, size, tokens)), protocol=-1)
        except Exception as exc:  # raised again in the parent
            try:
                payload = pickle.dumps((False, exc), protocol=-1)
            except Exception:  # an exception that cannot be pickled
                payload = pickle.dumps((False, HelperFailed(f"{type(exc).__name__}: {exc}")))
        with open(results, "wb") as stream:
            stream.write(payload)
    except BaseException:  # whatever happens, the helper must end here
        code = 1
    finally:
        os._exit(code)


def collected(pid: int, results: int) -> dict[int, list[R]]:
    """A helper's results, once it has sent them all; its exception raised here."""
    with open(results, "rb", closefd=False) as stream:
        payload = stream.read()
    try:
        ok, value = pickle.loads(payload)
    except Exception:  # killed while sending, or an error that cannot be rebuilt
        raise HelperFailed("a scanning process ended without its results") from None
    if not ok:
        raise value
    done: dict[int, list[R]] = value
    return done


def end(pid: int, results: int, finished: bool) -> None:
    """Reap a helper: waited for once every result is in (it is exiting), else killed (an error
    or an interrupt here, while it may still be working)."""
    os.close(results)
    if not finished:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
