"""DaskExecutor: keyleak audit's tasks on a Dask cluster, in-process and on real processes.

The real cluster (tests/dask_cluster.py) runs on 127.0.0.1 with allowed-failures 0, so that a
worker's death is retried by keyleak, not by the scheduler. Its workers import `behave` from
this module by reference, which is why it lives at module level.
"""

from __future__ import annotations

import _thread
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client

from scanner.org.dask_executor import DaskExecutor, SchedulerLost, SchedulerUnreachable
from scanner.org.executor import TaskFailure
from tests.dask_cluster import in_process_cluster, loopback_cluster, wait_for_workers

GATE_TIMEOUT = 30.0
SLEEP = 3.0
NAP = 0.5

#: (what to do, argument): see behave()
Spec = tuple[str, str]


def attempts(directory: str) -> int:
    return len(list(Path(directory).iterdir()))


def behave(spec: Spec) -> str:
    """One task of the tests: every attempt leaves a marker file in the argument directory."""
    action, argument = spec
    if action == "value":
        return argument
    if action == "nap":
        time.sleep(NAP)
        return "napped"
    (Path(argument) / uuid.uuid4().hex).touch()
    if action == "raise":
        raise ValueError("repository is broken")
    if action == "die-always" or (action == "die-once" and attempts(argument) == 1):
        os._exit(1)
    if action == "count":
        return "counted"
    if action == "sleep":
        time.sleep(SLEEP)
        return "slept"
    if action == "gate":
        # finishes only once the consumer has seen the other results and opens the gate
        deadline = time.monotonic() + GATE_TIMEOUT
        while not (Path(argument).parent / "open").exists():
            if time.monotonic() > deadline:
                return "gate never opened"
            time.sleep(0.05)
        return "gate opened"
    return "survived"


def outcomes(executor: DaskExecutor, specs: list[Spec]) -> dict[int, str | TaskFailure]:
    seen: dict[int, str | TaskFailure] = {}
    for index, outcome in executor.run(behave, specs):
        assert index not in seen
        seen[index] = outcome
    return seen


def marker_dir(tmp_path: Path, name: str) -> str:
    directory = tmp_path / name
    directory.mkdir()
    return str(directory)


# --- in-process LocalCluster -----------------------------------------------------------------


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[object]:
    with in_process_cluster() as cluster:
        yield cluster


def test_local_cluster_returns_every_item_once_and_failures_as_task_failures(
    local_cluster: object, tmp_path: Path
) -> None:
    counted = marker_dir(tmp_path, "counted")
    raised = marker_dir(tmp_path, "raised")
    specs: list[Spec] = [
        *(("value", f"item {n}") for n in range(6)),
        ("raise", raised),
        ("value", "item 0"),
        ("count", counted),
    ]

    with DaskExecutor(cluster=local_cluster) as executor:
        seen = outcomes(executor, specs)

    assert seen == {
        **{n: f"item {n}" for n in range(6)},
        6: TaskFailure("ValueError: repository is broken"),
        7: "item 0",
        8: "counted",
    }
    assert attempts(counted) == 1
    assert attempts(raised) == 1


def test_local_cluster_with_no_items_yields_nothing(local_cluster: object) -> None:
    with DaskExecutor(cluster=local_cluster) as executor:
        assert list(executor.run(behave, [])) == []


def test_executor_takes_an_address_or_a_cluster(local_cluster: object) -> None:
    with pytest.raises(ValueError, match="address or a cluster"):
        DaskExecutor()
    with pytest.raises(ValueError, match="address or a cluster"):
        DaskExecutor("tcp://127.0.0.1:1", cluster=local_cluster)


def test_a_cluster_shut_down_mid_run_stops_the_run_with_a_clear_error() -> None:
    from distributed import LocalCluster

    cluster = LocalCluster(
        processes=False,
        n_workers=1,
        threads_per_worker=1,
        dashboard_address="127.0.0.1:0",
        worker_dashboard_address="127.0.0.1:0",
    )
    specs: list[Spec] = [("value", "first"), ("nap", ""), ("nap", "")]
    seen: list[str | TaskFailure] = []
    with DaskExecutor(cluster=cluster) as executor, pytest.raises(SchedulerLost) as raised:
        for _, outcome in executor.run(behave, specs):
            seen.append(outcome)
            cluster.close()

    assert seen[0] == "first"
    assert "lost the connection to the Dask scheduler" in str(raised.value)


# --- no scheduler ----------------------------------------------------------------------------


def test_an_address_where_no_scheduler_listens_is_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    # the port is free again: nothing listens there

    with pytest.raises(SchedulerUnreachable, match="no Dask scheduler answered at") as raised:
        DaskExecutor(address, connect_timeout=1)

    assert address in str(raised.value)
    assert raised.value.exit_code == 2


def test_a_malformed_address_is_a_clear_error() -> None:
    with pytest.raises(SchedulerUnreachable, match="not a Dask scheduler address: carrier"):
        DaskExecutor("carrier://pigeon:8786", connect_timeout=1)


def test_missing_distributed_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.org.dask_executor import DistributedMissing

    # a None entry in sys.modules makes `import distributed` raise ImportError
    monkeypatch.setitem(sys.modules, "distributed", None)

    with pytest.raises(DistributedMissing, match=r"pip install 'keyleak\[distributed\]'"):
        DaskExecutor("tcp://127.0.0.1:1")


# --- a real scheduler and two worker processes -----------------------------------------------


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with loopback_cluster(tmp_path_factory.mktemp("dask-cluster")) as address:
        yield address


@pytest.fixture
def executor(scheduler: str) -> Iterator[DaskExecutor]:
    # a worker killed by an earlier test is restarted by its nanny; start with both back
    wait_for_workers(scheduler, 2)
    with DaskExecutor(scheduler) as executor:
        yield executor


def test_results_stream_back_as_tasks_finish(executor: DaskExecutor, tmp_path: Path) -> None:
    gate = marker_dir(tmp_path, "gate")
    specs: list[Spec] = [("gate", gate), *(("value", f"item {n}") for n in range(1, 5))]

    order: list[int] = []
    seen: dict[int, str | TaskFailure] = {}
    for index, outcome in executor.run(behave, specs):
        order.append(index)
        seen[index] = outcome
        if len(order) == 4:
            # every quick task has been reported while the gated one is still running
            (tmp_path / "open").touch()

    assert sorted(order[:4]) == [1, 2, 3, 4]
    assert order[4] == 0
    assert seen == {0: "gate opened", **{n: f"item {n}" for n in range(1, 5)}}


def test_a_task_whose_worker_dies_once_is_retried_and_succeeds(
    executor: DaskExecutor, tmp_path: Path
) -> None:
    dying = marker_dir(tmp_path, "dying")
    specs: list[Spec] = [("die-once", dying), ("value", "bystander"), ("value", "other")]

    seen = outcomes(executor, specs)

    assert seen == {0: "survived", 1: "bystander", 2: "other"}
    assert attempts(dying) == 2


def test_a_task_whose_worker_always_dies_fails_after_two_attempts(
    executor: DaskExecutor, tmp_path: Path
) -> None:
    dying = marker_dir(tmp_path, "dying")
    counted = marker_dir(tmp_path, "counted")
    specs: list[Spec] = [("die-always", dying), ("count", counted)]

    seen = outcomes(executor, specs)

    assert seen[1] == "counted"
    failure = seen[0]
    assert isinstance(failure, TaskFailure)
    assert "died on each of 2 attempts" in failure.message
    assert attempts(dying) == 2


def test_a_task_that_raised_is_reported_and_not_retried(
    executor: DaskExecutor, tmp_path: Path
) -> None:
    raised = marker_dir(tmp_path, "raised")
    counted = marker_dir(tmp_path, "counted")
    specs: list[Spec] = [("raise", raised), ("count", counted)]

    seen = outcomes(executor, specs)

    assert seen == {0: TaskFailure("ValueError: repository is broken"), 1: "counted"}
    assert attempts(raised) == 1
    assert attempts(counted) == 1


def scheduler_state(dask_scheduler: Any) -> tuple[int, set[str]]:
    """How many tasks the scheduler holds, and for which clients (its own pseudo-client for
    fire-and-forget tasks aside)."""
    return len(dask_scheduler.tasks), set(dask_scheduler.clients) - {"fire-and-forget"}


def test_an_interrupt_cancels_outstanding_tasks_and_closes_the_client(
    scheduler: str, tmp_path: Path
) -> None:
    wait_for_workers(scheduler, 2)
    slept = marker_dir(tmp_path, "slept")
    specs: list[Spec] = [("value", "quick"), *(("sleep", slept) for _ in range(6))]
    executor = DaskExecutor(scheduler)
    seen: list[int] = []

    # interrupt_main() does nothing where SIGINT is ignored, as in a backgrounded test run
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            for index, _ in executor.run(behave, specs):
                seen.append(index)
                # Ctrl-C while run() waits for the sleeping tasks
                threading.Timer(0.2, _thread.interrupt_main).start()
    finally:
        signal.signal(signal.SIGINT, previous)

    assert seen == [0]
    with Client(scheduler, set_as_default=False) as observer:
        deadline = time.monotonic() + 10
        while (state := observer.run_on_scheduler(scheduler_state)) != (0, {observer.id}):
            assert time.monotonic() < deadline, f"tasks and clients left: {state}"
            time.sleep(0.1)
    # tasks already running finish on their own, but none of the rest ever started
    assert attempts(slept) <= 2


def test_a_scheduler_that_dies_mid_run_stops_the_run_with_a_clear_error(tmp_path: Path) -> None:
    directory = tmp_path / "doomed-cluster"
    with loopback_cluster(directory, workers=1) as address, DaskExecutor(address) as executor:
        specs: list[Spec] = [("value", "first"), *(("nap", "") for _ in range(4))]
        seen: list[str | TaskFailure] = []
        with pytest.raises(SchedulerLost) as raised:
            for _, outcome in executor.run(behave, specs):
                seen.append(outcome)
                os.kill(int((directory / "scheduler.pid").read_text()), signal.SIGKILL)

    assert seen[0] == "first"
    assert f"lost the connection to the Dask scheduler at {address}" in str(raised.value)
