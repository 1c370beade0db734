"""`keyleak audit`'s progress inside each repository: the blobs and commits its history scan has
done, sent from wherever the scan runs (this process, or a local worker process) to the bar.

The bar is shown only on a terminal: these tests ask for it anyway (`wanted` patched) and record
what reaches it; its rendering is checked on a recording console.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from rich.console import Console

from scanner.org import coordinator, task
from scanner.org.audit_progress import AuditProgress
from tests.cli_helpers import keyleak
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import commit


class Recording(AuditProgress):
    """The audit's progress, every event from inside a repository kept."""

    seen: ClassVar[list[tuple[str, str, int, int]]] = []

    def inside(self, event: tuple[str, str, int, int]) -> None:
        Recording.seen.append(event)
        super().inside(event)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int, int]]:
    Recording.seen = []
    monkeypatch.setattr(coordinator, "wanted", lambda requested: requested)
    monkeypatch.setattr(coordinator, "AuditProgress", Recording)
    return Recording.seen


def make_repository(root: Path, name: str, commits: int) -> Path:
    path = root / name
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "commit.gpgsign", "false")
    for n in range(commits):
        files = {f"src/f{n}.py": f"value = {n}\n", "keys.py": f'KEY = "{openai_key()}"\n'}
        commit(path, files, f"commit {n}")
    return path


def last(events: list[tuple[str, str, int, int]], name: str, what: str) -> tuple[int, int]:
    mine = [(done, total) for who, kind, done, total in events if (who, kind) == (name, what)]
    assert mine, f"no {what} reported for {name}: {events}"
    return mine[-1]


def audit(capsys: pytest.CaptureFixture[str], cwd: Path, *args: str) -> dict[str, Any]:
    argv = ("audit", *args, "--cache-dir", str(cwd / "cache"), "--format", "json")
    outcome = keyleak(capsys, cwd, *argv)
    assert outcome.code == 1, outcome.err
    report: dict[str, Any] = outcome.report()
    return report


def test_a_repository_audited_here_reports_its_blobs_and_commits(
    recorded: list[tuple[str, str, int, int]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repository(tmp_path, "one", commits=5)
    report = audit(capsys, tmp_path, str(repo))
    (repository,) = report["repositories"]
    blobs, total = last(recorded, repository["name"], "blobs")
    assert blobs == total and blobs >= repository["blobs"] > 0
    assert last(recorded, repository["name"], "commits") == (5, 5)


def test_repositories_audited_in_worker_processes_report_theirs(
    recorded: list[tuple[str, str, int, int]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repos = [make_repository(tmp_path, f"r{n}", commits=n + 2) for n in range(3)]
    report = audit(capsys, tmp_path, *map(str, repos), "--jobs", "2")
    names = [repository["name"] for repository in report["repositories"]]
    for n, name in enumerate(names):
        blobs, total = last(recorded, name, "blobs")
        assert blobs == total > 0
        assert last(recorded, name, "commits") == (n + 2, n + 2)


def test_no_progress_sends_nothing(
    recorded: list[tuple[str, str, int, int]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repos = [make_repository(tmp_path, f"r{n}", commits=2) for n in range(2)]
    audit(capsys, tmp_path, *map(str, repos), "--jobs", "2", "--no-progress")
    assert recorded == []


def test_the_bar_shows_a_row_per_repository_being_audited() -> None:
    def shown(progress: AuditProgress) -> str:
        console = Console(record=True, width=160, force_terminal=False)
        console.print(progress.bar.get_renderable())
        return console.export_text()

    with AuditProgress(2, enabled=True) as progress:
        progress.inside(("team/api", "blobs", 1200, 4500))
        progress.inside(("team/api", "commits", 3000, 0))
        text = shown(progress)
        assert "team/api" in text and "1,200/4,500 blobs" in text and "3,000 commits" in text
        progress.done("team/api", "scanned", "")
        # an event that arrives after its repository finished adds no row back
        progress.inside(("team/api", "commits", 3100, 3100))
        text = shown(progress)
        assert "team/api" not in text and "1/2 repositories" in text


def test_one_repository_is_scanned_with_every_job(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jobs: list[int] = []
    scan = task.scan_history

    def spy(options: Any, history: Any) -> Any:
        jobs.append(options.jobs)
        return scan(options, history)

    monkeypatch.setattr(task, "scan_history", spy)
    repo = make_repository(tmp_path, "one", commits=2)
    audit(capsys, tmp_path, str(repo), "--jobs", "2", "--no-progress")
    assert jobs == [2]
