"""A report that cannot be written is a usage error (2), never "internal" (3) nor "secrets
found" (1); a reader that stops reading early (`| head`) is no error at all."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, cast

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


def run_with_reader_gone(
    args: list[str], cwd: Path | None = None, stderr_too: bool = False
) -> tuple[int, bytes]:
    """Run keyleak with a stdout pipe whose reader has gone (`| head -c 1` that already took its
    byte): each write keyleak makes meets a closed pipe. With `stderr_too`, as `2>&1 | head`.
    Returns the exit code and what was written to stderr (when it has its own pipe)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if stderr_too else subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()
    errors = process.stderr.read() if process.stderr is not None else b""
    return process.wait(timeout=120), errors


@pytest.mark.parametrize("args", [["rules", "list"], ["--help"], ["rules", "--help"]])
def test_any_command_keeps_its_exit_code_when_the_reader_stops_early(args: list[str]) -> None:
    assert run_with_reader_gone(args) == (0, b"")


def test_a_failing_command_keeps_its_own_code_when_the_reader_stops_early(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nid = "x"\n', encoding="utf-8")
    # its complaints go to stderr: here into the same closed pipe
    code, _ = run_with_reader_gone(["rules", "check", str(bad)], stderr_too=True)
    assert code == 2


def test_baseline_commands_keep_their_exit_codes_when_the_reader_stops_early(
    repo: Path,
) -> None:
    source = repo / "a.py"
    source.write_text(f'KEY = "{openai_key()}"\n', encoding="utf-8")
    assert run_with_reader_gone(["baseline", "create", str(repo)], cwd=repo)[0] == 0
    assert (repo / ".keyleak-baseline.json").is_file()
    source.write_text("KEY = None\n", encoding="utf-8")
    assert run_with_reader_gone(["baseline", "check", str(repo)], cwd=repo) == (1, b"")


def test_pacified_streams_take_text_and_bytes_after_the_reader_went_away() -> None:
    import click

    from scanner.util.streams import Pacified, discard

    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w", encoding="utf-8") as stream:
        pacified = cast(TextIO, Pacified(stream, stream))
        # as click.echo writes text, and bytes through `buffer`
        click.echo("x" * 100_000, file=pacified)
        click.echo(b"bytes", file=pacified)
        assert os.path.samefile(f"/proc/self/fd/{stream.fileno()}", os.devnull)
    with open("/dev/full", "w", encoding="utf-8") as full:
        with pytest.raises(OSError, match="No space left"):
            click.echo("x" * 100_000, file=cast(TextIO, Pacified(full, full)))
        discard(full)
