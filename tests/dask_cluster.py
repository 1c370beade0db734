"""A real Dask cluster on loopback for tests and benchmarks: `dask scheduler` and nanny-supervised
`dask worker` processes of one thread each, every socket on 127.0.0.1.

The scheduler runs with allowed-failures 0, so a task whose worker dies fails at once with
KilledWorker and keyleak's own retry is the one observed, and with worker-saturation 1.0, so a
worker holds only the task it is running and a death takes no queued bystander with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0
#: --no-dashboard still starts an HTTP server (health, metrics) on :8787, all interfaces
LOOPBACK_HTTP = ("--dashboard-address", "127.0.0.1:0")


def cluster_environment(directory: Path, keyleak_cache: Path | None = None) -> dict[str, str]:
    """The environment of the cluster's processes: this project importable (workers unpickle
    keyleak's and the tests' functions by reference), nothing read from the user's home, and
    keyleak's cache (compiled rules) in `keyleak_cache`, when given, else in `directory`."""
    home = directory / "home"
    home.mkdir(parents=True, exist_ok=True)
    python_path = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    return {
        **os.environ,
        "PYTHONPATH": python_path,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "KEYLEAK_CACHE_DIR": str(keyleak_cache or directory / "keyleak-cache"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
        "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
    }


def _start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        # a session of its own, so that stopping it reaches the worker processes its nanny spawned
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            # the nanny has exited; anything it left in its group goes too
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
        return


def _scheduler_address(scheduler_file: Path, scheduler: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError(f"dask scheduler exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            address = json.loads(scheduler_file.read_text())["address"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            time.sleep(0.1)
            continue
        return str(address)
    raise RuntimeError(f"dask scheduler did not start within {START_TIMEOUT:g} s")


def wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout=START_TIMEOUT, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=START_TIMEOUT)


@contextmanager
def loopback_cluster(
    directory: Path, workers: int = 2, keyleak_cache: Path | None = None
) -> Iterator[str]:
    """Start the cluster, yield the scheduler's address once every worker has joined, and stop
    every process on the way out, whatever happened in between. The scheduler's process id is
    in `directory`/scheduler.pid."""
    directory.mkdir(parents=True, exist_ok=True)
    env = cluster_environment(directory, keyleak_cache)
    dask = [sys.executable, "-m", "dask"]
    scheduler_file = directory / "scheduler.json"
    with ExitStack() as stack:
        log = directory / "scheduler.log"
        scheduler = _start(
            [
                *dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                *LOOPBACK_HTTP,
                "--scheduler-file",
                str(scheduler_file),
                "--pid-file",
                str(directory / "scheduler.pid"),
                # if the test run is killed outright, the cluster still goes away on its own
                "--idle-timeout",
                "300s",
            ],
            log,
            env,
        )
        stack.callback(_stop, scheduler)
        address = _scheduler_address(scheduler_file, scheduler, log)
        for number in range(workers):
            worker = _start(
                [
                    *dask,
                    "worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--nanny",
                    "--no-dashboard",
                    *LOOPBACK_HTTP,
                    "--name",
                    f"worker-{number}",
                    "--local-directory",
                    str(directory / f"worker-{number}"),
                    "--death-timeout",
                    "60s",
                ],
                directory / f"worker-{number}.log",
                env,
            )
            stack.callback(_stop, worker)
        wait_for_workers(address, workers)
        yield address


@contextmanager
def in_process_cluster() -> Iterator[object]:
    """Two single-threaded workers in this process."""
    from distributed import LocalCluster

    # dashboard_address=None would still bind an HTTP server to :8787 on every interface
    with LocalCluster(
        processes=False,
        n_workers=2,
        threads_per_worker=1,
        dashboard_address="127.0.0.1:0",
        worker_dashboard_address="127.0.0.1:0",
    ) as cluster:
        yield cluster
