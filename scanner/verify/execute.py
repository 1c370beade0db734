"""Sending the jobs of a run: `concurrency` threads, a limit per provider, retries as told."""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from scanner.config.verification import VerifySettings
from scanner.model import Verdict, VerdictStatus
from scanner.verify.classify import Decision, decide
from scanner.verify.clock import SYSTEM_CLOCK, Clock
from scanner.verify.job import Job
from scanner.verify.probe import Reply, Request
from scanner.verify.transport import Transport, TransportFailure
from scanner.verify.waits import backoff, server_wait

#: the verdict of a key not asked about, or not answered, before the run's deadline
DEADLINE = Verdict(VerdictStatus.UNKNOWN, "verification deadline reached")


def run_jobs(
    jobs: Sequence[Job], settings: VerifySettings, clock: Clock = SYSTEM_CLOCK
) -> list[Verdict]:
    """Every job's verdict, in order: `concurrency` threads share one connection pool.

    Threads, not asyncio: the work is waiting on sockets, and httpcore's synchronous path costs
    a fraction of its asynchronous one per request. Jobs are started round-robin by provider so
    that threads seldom wait on one provider's limit while others have work.
    """
    slots = {
        name: threading.BoundedSemaphore(settings.per_provider)
        for name in {job.candidate.provider for job in jobs}
    }
    order = interleave(range(len(jobs)), key=lambda index: jobs[index].candidate.provider)
    verdicts: dict[int, Verdict] = {}
    stop = clock.monotonic() + settings.run_deadline
    with Transport(
        timeout=settings.timeout, deadline=settings.deadline, connections=settings.concurrency
    ) as transport:
        pool = ThreadPoolExecutor(max_workers=settings.concurrency)
        try:
            futures = {
                index: pool.submit(
                    verify_job,
                    jobs[index],
                    transport,
                    slots[jobs[index].candidate.provider],
                    settings,
                    stop,
                    clock,
                )
                for index in order
            }
            verdicts = {index: future.result() for index, future in futures.items()}
        finally:
            # on an interrupt, drop what has not started; what runs ends within its deadline
            pool.shutdown(wait=True, cancel_futures=True)
    return [verdicts[index] for index in range(len(jobs))]


def interleave(items: Iterable[int], key: Callable[[int], str]) -> list[int]:
    """The items, taking one of each key in turn (a a a b b c -> a b c a b a)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    columns = itertools.zip_longest(*groups.values())
    return [item for column in columns for item in column if item is not None]


def verify_job(
    job: Job,
    transport: Transport,
    slots: threading.BoundedSemaphore,
    settings: VerifySettings,
    stop: float,
    clock: Clock,
) -> Verdict:
    """Ask once, and again only for network trouble, 5xx and rate limits, waiting as told; all
    of it before `stop` (the run's deadline on `clock`'s monotonic time)."""
    attempt = 0
    while True:
        wait: float | None = None
        request = sign(job)
        if not slots.acquire(timeout=max(0.0, stop - clock.monotonic())):
            return DEADLINE
        try:
            left = stop - clock.monotonic()
            if left <= 0:
                return DEADLINE
            # the sockets keep real time whatever the clock: they get what is left of the run
            reply = transport.send(job.base_url, request, until=time.monotonic() + left)
        except TransportFailure as failure:
            decision = Decision(Verdict(VerdictStatus.UNKNOWN, str(failure)), retry=True)
        else:
            decision = safe_decide(job, reply)
            wait = server_wait(reply.headers, clock.time())
        finally:
            slots.release()
        if not decision.retry or attempt >= settings.max_retries:
            return decision.verdict
        if wait is None:
            limited = decision.verdict.status is VerdictStatus.RATE_LIMITED
            if limited and not job.provider.retry_without_hint:
                return decision.verdict
            wait = backoff(attempt, settings.backoff)
        if wait > settings.max_wait or clock.monotonic() + wait >= stop:
            return decision.verdict
        clock.sleep(wait)
        attempt += 1


def safe_decide(job: Job, reply: Reply) -> Decision:
    """A classifier tripping over a strange answer costs that key a verdict, not the whole run."""
    try:
        return decide(job.provider, reply)
    except Exception as exc:
        return Decision(Verdict(VerdictStatus.UNKNOWN, f"unreadable answer ({type(exc).__name__})"))


def sign(job: Job) -> Request:
    """Providers that sign requests (AWS) sign each attempt afresh, for the host really used."""
    if job.provider.sign is None:
        return job.request
    return job.provider.sign(job.request, job.candidate, urlsplit(job.base_url).netloc)
