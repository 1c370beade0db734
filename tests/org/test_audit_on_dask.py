"""`keyleak audit` on Dask: a real scheduler with two worker processes on 127.0.0.1, and an
in-process LocalCluster, each giving the report a `--jobs 1` audit of the same repositories gives.

The repositories are bare ones in tmp_path, audited through file:// URLs; keys are built at run
time. The cluster (tests/dask_cluster.py) is started once for the module.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from scanner.org.dask_executor import DaskExecutor
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.dask_cluster import in_process_cluster, loopback_cluster, wait_for_workers
from tests.keys import openai_key
from tests.repos import commit, config_line


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # the workers share the tests' keyleak cache (tests/conftest.py), and with it the rules
    # compiled by the first audit in this process
    shared = tmp_path_factory.getbasetemp() / "keyleak-cache"
    with loopback_cluster(tmp_path_factory.mktemp("dask-cluster"), keyleak_cache=shared) as address:
        yield address


@pytest.fixture
def live_scheduler(scheduler: str) -> str:
    wait_for_workers(scheduler, 2)
    return scheduler


@pytest.fixture(scope="module")
def local_cluster() -> Iterator[object]:
    with in_process_cluster() as cluster:
        yield cluster


def bare(
    tmp_path: Path,
    name: str,
    history: list[dict[str, str | None]],
    feature: list[dict[str, str | None]] | None = None,
) -> str:
    """A bare repository with one commit per entry of `history` on main, and of `feature` on a
    branch of that name, as a file:// URL."""
    work = tmp_path / "work" / name
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    git(work, "config", "commit.gpgsign", "false")
    for number, files in enumerate(history):
        commit(work, files, f"{name} {number}")
    if feature:
        git(work, "checkout", "-q", "-b", "feature")
        for number, files in enumerate(feature):
            commit(work, files, f"{name} feature {number}")
        git(work, "checkout", "-q", "main")
    target = tmp_path / "remotes" / f"{name}.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(target))
    return target.as_uri()


@pytest.fixture
def organisation(tmp_path: Path) -> tuple[list[str], set[str]]:
    """Three repositories (a key deleted again, a key in HEAD and one on a branch, no key) and
    a URL with no repository behind it; and the keys planted."""
    removed, kept, branch = openai_key(), openai_key(), openai_key()
    urls = [
        bare(
            tmp_path,
            "payments",
            [
                {"README.md": "payments\n"},
                {"app/settings.py": "import os\n\n" + config_line(removed)},
                {"app/settings.py": "import os\n"},
            ],
        ),
        bare(
            tmp_path,
            "billing",
            [{"README.md": "billing\n"}, {"deploy/env.py": config_line(kept)}],
            feature=[{"tools/sync.py": config_line(branch)}],
        ),
        bare(tmp_path, "docs", [{"index.md": "# docs\n"}, {"index.md": "# docs\n\nmore\n"}]),
        (tmp_path / "remotes" / "gone.git").as_uri(),
    ]
    return urls, {removed, kept, branch}


def audit(capsys: pytest.CaptureFixture[str], cwd: Path, cache: Path, *args: str) -> Outcome:
    return keyleak(
        capsys,
        cwd,
        "audit",
        *args,
        "--format",
        "json",
        "--no-redact",
        "--no-progress",
        "--cache-dir",
        str(cache),
    )


def comparable(outcome: Outcome) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The findings and the per-repository statuses of a report, timings left out."""
    report = outcome.report()
    statuses = [
        {key: value for key, value in status.items() if key != "elapsed_seconds"}
        for status in report["repositories"]
    ]
    return report["findings"], statuses


def test_an_audit_on_the_dask_cluster_reports_what_a_local_audit_reports(
    live_scheduler: str,
    organisation: tuple[list[str], set[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    urls, planted = organisation

    local = audit(capsys, tmp_path, tmp_path / "local-cache", "--jobs", "1", *urls)
    dask = audit(capsys, tmp_path, tmp_path / "dask-cache", "--scheduler", live_scheduler, *urls)

    assert local.code == dask.code == 1
    assert comparable(dask) == comparable(local)
    assert dask.secrets() == planted
    statuses = {s["url"]: (s["status"], s["error"]) for s in dask.report()["repositories"]}
    assert [status for status, _ in statuses.values()] == ["scanned"] * 3 + ["failed"]
    assert "gone.git" in statuses[urls[3]][1]
    assert "gone" in dask.err


def test_a_resumed_audit_on_the_dask_cluster_scans_nothing_again(
    live_scheduler: str,
    organisation: tuple[list[str], set[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    urls, planted = organisation
    cache = tmp_path / "cache"
    first = audit(capsys, tmp_path, cache, "--scheduler", live_scheduler, *urls)

    again = audit(capsys, tmp_path, cache, "--scheduler", live_scheduler, *urls)

    assert again.code == 1
    assert [s["status"] for s in again.report()["repositories"]] == ["unchanged"] * 3 + ["failed"]
    assert again.report()["findings"] == first.report()["findings"]
    assert again.secrets() == planted


def test_an_audit_through_an_in_process_local_cluster(
    local_cluster: object,
    organisation: tuple[list[str], set[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls, planted = organisation
    local = audit(capsys, tmp_path, tmp_path / "local-cache", "--jobs", "1", *urls)
    # keyleak audit has no option for an in-process cluster: its executor is swapped for one
    monkeypatch.setattr(
        "scanner.org.coordinator.executor_for",
        lambda _audit, _events=None: DaskExecutor(cluster=local_cluster),
    )

    dask = audit(capsys, tmp_path, tmp_path / "dask-cache", *urls)

    assert dask.code == 1
    assert comparable(dask) == comparable(local)
    assert dask.secrets() == planted


def test_an_audit_with_no_scheduler_at_the_address_stops_with_a_clear_error(
    organisation: tuple[list[str], set[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls, _ = organisation
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    # nothing listens there now: one second is as good as the default wait to find that out
    monkeypatch.setattr(
        "scanner.org.dask_executor.DaskExecutor", partial(DaskExecutor, connect_timeout=1.0)
    )

    outcome = audit(capsys, tmp_path, tmp_path / "cache", "--scheduler", address, *urls)

    assert outcome.code == 2
    assert outcome.out == ""
    assert f"no Dask scheduler answered at {address}" in outcome.err
