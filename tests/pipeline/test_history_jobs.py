"""`keyleak history --jobs N` when the machine cannot hold N workers: fewer of them scan every
blob (or this process does), never an internal error and never a blob left unread."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from scanner import git as git_module
from scanner.errors import GitError
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import run_process
from tests.keys import openai_key
from tests.pipeline.test_history_scan import many_blobs


def audit(capsys: pytest.CaptureFixture[str], repo: Path, jobs: int) -> Outcome:
    return keyleak(
        capsys, repo, "history", str(repo), "--format", "json", "--no-redact", "-j", str(jobs)
    )


def test_more_jobs_than_file_descriptors_allow_still_scans_every_blob(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [openai_key() for _ in range(6)]
    many_blobs(repo, keys)
    serial = audit(capsys, repo, 1)
    probe = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))\n"
        "from scanner.entry import main\n"
        "main(['history', '.', '--format', 'json', '--no-redact', '-j', '100'])\n"
    )

    completed = run_process([sys.executable, "-c", probe], repo, dict(os.environ))

    assert completed.returncode == 1, completed.stderr
    report = json.loads(completed.stdout)
    assert report["findings"] == serial.report()["findings"]
    assert {finding["secret"] for finding in report["findings"]} == set(keys)
    assert report["stats"]["files_scanned"] == serial.report()["stats"]["files_scanned"]


def refused_in_workers(fail: list[int], parent: int, marker: Path | None) -> object:
    """A BlobReader.start that cannot start git in a worker process, as when it has no file
    descriptor left: in every worker, or (given `marker`) in the first to try only."""
    start = git_module.BlobReader.start

    def refused(self: git_module.BlobReader) -> object:
        if os.getpid() != parent:
            first = True
            if marker is not None:
                try:
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                except FileExistsError:
                    first = False
            if first:
                fail.append(1)
                raise GitError("cannot run git: Too many open files")
        return start(self)

    return refused


@pytest.mark.parametrize("only_one", [True, False], ids=["one-worker", "every-worker"])
def test_a_worker_whose_git_cannot_start_leaves_its_batches_to_the_others(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    only_one: bool,
) -> None:
    keys = [openai_key() for _ in range(6)]
    many_blobs(repo, keys)
    serial = audit(capsys, repo, 1)
    marker = tmp_path / "refused" if only_one else None
    monkeypatch.setattr(git_module.BlobReader, "start", refused_in_workers([], os.getpid(), marker))

    parallel = audit(capsys, repo, 2)

    assert parallel.code == 1, parallel.err
    assert parallel.findings() == serial.findings()
    assert set(parallel.by_secret()) == set(keys)
    counts = ("files_scanned", "bytes_scanned", "commits_scanned", "skipped")
    assert [parallel.report()["stats"][n] for n in counts] == [
        serial.report()["stats"][n] for n in counts
    ]
    if only_one:
        assert marker is not None and marker.exists()


def test_a_worker_that_cannot_be_started_is_left_out(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of processes (fork refused) after the first worker: the one that started scans all."""
    import errno
    from multiprocessing.process import BaseProcess

    keys = [openai_key() for _ in range(6)]
    many_blobs(repo, keys)
    serial = audit(capsys, repo, 1)
    real_start = BaseProcess.start
    started: list[int] = []

    def refused_after_one(self: BaseProcess) -> None:
        if started:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        started.append(1)
        real_start(self)

    monkeypatch.setattr(BaseProcess, "start", refused_after_one)

    parallel = audit(capsys, repo, 4)

    assert parallel.code == 1, parallel.err
    assert started == [1]
    assert parallel.findings() == serial.findings()
    assert set(parallel.by_secret()) == set(keys)
