"""Interrupts, concurrent hooks and damaged cache files: nothing half-written, nothing stuck."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scanner.util.disk_cache import MAGIC
from tests.conftest import git
from tests.keys import openai_key

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def child_env(cache: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "KEYLEAK_CACHE_DIR": str(cache)}


def keyleak_process(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scanner", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


#: Loaded by the child through PYTHONPATH: slows one function of keyleak's and says when it is
#: first called, so the interrupt lands mid-scan on any machine instead of after a guessed delay.
SLOW_DOWN = """
import os, signal, time
import {module} as target

# a shell running the tests in the background starts them with SIGINT ignored, and children
# inherit that; a user's terminal delivers Ctrl-C
signal.signal(signal.SIGINT, signal.default_int_handler)

real = target.{function}

def slowed(*args, **kwargs):
    open(os.environ["KEYLEAK_TEST_STARTED"], "a").close()
    time.sleep(0.01)
    return real(*args, **kwargs)

target.{function} = slowed
"""


def slowed_down(tmp_path: Path, module: str, function: str) -> tuple[dict[str, str], Path]:
    """The environment of a keyleak child whose `module.function` is slow, and the file that
    appears once it has been called."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SLOW_DOWN.format(module=module, function=function))
    started = tmp_path / "started"
    env = {
        **child_env(tmp_path / "cache"),
        "PYTHONPATH": f"{hooks}{os.pathsep}{PROJECT_ROOT}",
        "KEYLEAK_TEST_STARTED": str(started),
    }
    return env, started


def wait_for(started: Path) -> None:
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_ctrl_c_during_a_scan_exits_130_and_leaves_no_report(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for number in range(2000):
        (tree / f"f{number:04}.txt").write_text("nothing to see\n")
    env, started = slowed_down(tmp_path, "scanner.sources.named_files", "read_file")
    report = tmp_path / "report.json"

    process = keyleak_process(
        ["scan", str(tree), "-j", "2", "--format", "json", "-o", str(report)], tmp_path, env
    )
    wait_for(started)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)

    assert started.exists()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert not report.exists()
    assert not list(tmp_path.glob(".report.json.*"))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_during_a_history_scan_exits_130_and_leaves_no_git_behind(
    repo: Path, tmp_path: Path, jobs: str
) -> None:
    # more than git's enlarged pipe holds, so cat-file is still writing when the signal comes;
    # more blobs than one batch, so two jobs are two worker processes, each with its own git
    for number in range(600):
        (repo / f"f{number:03}.txt").write_text(f"version {number}\n" * 1000)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "many blobs")
    env, started = slowed_down(tmp_path, "scanner.pipeline.run", "scan_chunk")

    process = keyleak_process(["history", str(repo), "-j", jobs, "--no-progress"], tmp_path, env)
    wait_for(started)
    running_git = git_processes_in(repo)
    interrupted_at = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)

    assert started.exists()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    # the git processes keyleak started, seen running, are gone with it
    assert any("cat-file" in command for command in running_git)
    assert time.monotonic() - interrupted_at < 30
    deadline = time.monotonic() + 5
    while git_processes_in(repo) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert git_processes_in(repo) == []


def git_processes_in(directory: Path) -> list[str]:
    """Command lines of the running git processes whose working directory is `directory`."""
    found: list[str] = []
    for proc in Path("/proc").iterdir():
        try:
            if Path(os.readlink(proc / "cwd")) != directory.resolve():
                continue
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if command.startswith("git"):
            found.append(command)
    return found


def test_report_replaces_a_regular_file_whole(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text(f"KEY={openai_key()}\n")
    report = tmp_path / "report.json"
    report.write_text("previous report\n")
    env = child_env(tmp_path / "cache")

    completed = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", str(tmp_path / "a.env"), "--format", "json",
         "-o", str(report)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert completed.returncode == 1
    assert json.loads(report.read_text())["stats"]["findings"] == 1


def test_report_to_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text(f"KEY={openai_key()}\n")
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()

    completed = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", str(tmp_path / "a.env"), "--format", "json",
         "-o", str(fifo)],
        env=child_env(tmp_path / "cache"), capture_output=True, text=True, check=False,
        timeout=60,
    )  # fmt: skip
    reader.join(timeout=30)

    assert completed.returncode == 1, completed.stderr
    assert json.loads(received[0])["stats"]["findings"] == 1
    assert fifo.is_fifo()


def test_concurrent_hooks_share_a_cold_cache(repo: Path, tmp_path: Path) -> None:
    (repo / "settings.py").write_text(f'KEY = "{openai_key()}"\n')
    git(repo, "add", "-A")
    env = child_env(tmp_path / "cold-cache")

    processes = [keyleak_process(["staged", "--format", "json"], repo, env) for _ in range(6)]
    outcomes = [(p.wait(timeout=120), *p.communicate()) for p in processes]

    for code, out, err in outcomes:
        assert code == 1, err
        assert [f["rule_id"] for f in json.loads(out)["findings"]] == ["openai-project-key"]
    entries = [p for p in (tmp_path / "cold-cache").iterdir() if not p.name.startswith(".")]
    assert entries
    assert all(entry.read_bytes().startswith(MAGIC + b"\n") for entry in entries)
    assert not [p for p in (tmp_path / "cold-cache").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_cache_is_detected_and_rebuilt(repo: Path, tmp_path: Path, damage: str) -> None:
    (repo / "settings.py").write_text(f'KEY = "{openai_key()}"\n')
    git(repo, "add", "-A")
    cache = tmp_path / "cache"
    env = child_env(cache)
    first = keyleak_process(["staged", "--format", "json"], repo, env)
    first.communicate(timeout=120)
    entries = sorted(cache.iterdir())
    good = {entry: entry.read_bytes() for entry in entries}
    for entry, content in good.items():
        entry.write_bytes(
            {"garbage": os.urandom(256), "truncated": content[: len(content) // 2], "empty": b""}[
                damage
            ]
        )

    second = keyleak_process(["staged", "--format", "json"], repo, env)
    out, err = second.communicate(timeout=120)

    assert second.returncode == 1, err
    assert [f["rule_id"] for f in json.loads(out)["findings"]] == ["openai-project-key"]
    for entry in entries:
        assert entry.read_bytes().startswith(MAGIC + b"\n"), entry.name
