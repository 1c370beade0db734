"""A report that cannot be written is a usage error (2), never "internal" (3) nor "secrets
found" (1); a reader that stops reading early (`| head`) is no error at all."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.keys import openai_key


@pytest.fixture
def clean_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "clean"
    tree.mkdir()
    (tree / "a.py").write_text("print('hello')\n", encoding="utf-8")
    return tree


@pytest.fixture
def leaky_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "leaky"
    tree.mkdir()
    for number in range(200):
        (tree / f"settings_{number}.py").write_text(
            f'OPENAI_API_KEY = "{openai_key()}"\n', encoding="utf-8"
        )
    return tree


def keyleak(
    args: list[str],
    stdout: int | None,
    stderr: int | None = subprocess.PIPE,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        preexec_fn=preexec_fn,
        check=False,
        timeout=120,
    )


def close_stdout() -> None:
    os.close(1)


def test_closed_stdout_is_a_usage_error_with_a_message(clean_tree: Path) -> None:
    completed = keyleak(["scan", str(clean_tree)], stdout=None, preexec_fn=close_stdout)
    assert completed.returncode == 2
    assert b"standard output" in completed.stderr
    assert b"Traceback" not in completed.stderr and b"internal error" not in completed.stderr


@pytest.mark.parametrize("tree", ["clean_tree", "leaky_tree"])
def test_full_stdout_is_a_usage_error_with_a_message(
    tree: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(tree)
    with open("/dev/full", "wb") as full:
        completed = keyleak(["scan", str(path)], stdout=full.fileno())
    assert completed.returncode == 2
    assert b"standard output" in completed.stderr
    assert b"No space left" in completed.stderr
    assert b"Traceback" not in completed.stderr and b"Exception ignored" not in completed.stderr


def test_full_stdout_and_stderr_is_still_a_usage_error(clean_tree: Path) -> None:
    with open("/dev/full", "wb") as full:
        completed = keyleak(["scan", str(clean_tree)], stdout=full.fileno(), stderr=full.fileno())
    assert completed.returncode == 2


@pytest.mark.parametrize(
    ("tree", "expected", "args"),
    [
        ("clean_tree", 0, []),
        ("leaky_tree", 1, []),
        ("leaky_tree", 1, ["--format", "json"]),
    ],
)
def test_a_reader_that_stops_early_keeps_the_scan_exit_code(
    tree: str, expected: int, args: list[str], request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(tree)
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner", "scan", str(path), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    # as `| head -c 1` does: read a little, then close the pipe while keyleak still writes
    process.stdout.close()
    errors = process.stderr.read()
    assert process.wait(timeout=120) == expected
    assert errors == b""


def test_the_hook_keeps_its_exit_code_when_the_reader_stops_early(
    tmp_path: Path, repo: Path
) -> None:
    from tests.conftest import git

    (repo / "settings.py").write_text(f'OPENAI_API_KEY = "{openai_key()}"\n', encoding="utf-8")
    git(repo, "add", "settings.py")
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner", "staged"],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    errors = process.stderr.read()
    assert process.wait(timeout=120) == 1
    assert errors == b""


def test_any_command_with_a_full_stdout_is_a_usage_error() -> None:
    # the rule list is longer than stdout's buffer: the write fails mid-command
    with open("/dev/full", "wb") as full:
        completed = keyleak(["rules", "list"], stdout=full.fileno())
    assert completed.returncode == 2
    assert b"keyleak: error: cannot write output: No space left" in completed.stderr
