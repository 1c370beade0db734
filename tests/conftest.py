from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.keys import openai_key

if TYPE_CHECKING:
    from tests.fake_provider import FakeProvider


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep every test away from the user's git config, cache and colour settings."""
    home = tmp_path_factory.mktemp("home")
    saved = dict(os.environ)
    os.environ.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "KEYLEAK_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "keyleak-cache"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Test Author",
            "GIT_AUTHOR_EMAIL": "author@example.com",
            "GIT_COMMITTER_NAME": "Test Committer",
            "GIT_COMMITTER_EMAIL": "committer@example.com",
        }
    )
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "NO_COLOR"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def reports_match_their_schemas(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SARIF, JSON and JSONL report a test writes in-process is checked against its schema."""
    from tests.report_schemas import validate_every_report

    validate_every_report(monkeypatch)


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=check, capture_output=True, text=True, encoding="utf-8"
    )


def run_process(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a program with no stdin and text output, never raising on its exit code."""
    return subprocess.run(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeProvider]:
    """The fake provider on loopback, with a verdict cache of the test's own (test modules
    that need another kind of server define their own `server`)."""
    from tests.fake_provider import fake_provider

    monkeypatch.setenv("KEYLEAK_CACHE_DIR", str(tmp_path / "cache"))
    with fake_provider(environ=monkeypatch) as running:
        yield running


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository (no commits) with a default branch and an identity."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "commit.gpgsign", "false")
    return path


@pytest.fixture
def key() -> str:
    return openai_key()
