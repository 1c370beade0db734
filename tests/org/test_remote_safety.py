"""`keyleak audit` reaches only allowed transports, and a remote that never answers cannot hang
it: the clone is given up after --network-timeout seconds of silence, with every process git
started for it."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.errors import KeyleakError
from scanner.org.targets import expand
from tests.conftest import run_process
from tests.keys import random_text


@pytest.mark.parametrize(
    "url",
    [
        "fd::0",
        "ext::sh -c touch% owned",
        "http://git.example.com/org/app.git",
        "ftp://git.example.com/org/app.git",
        "git+https://git.example.com/org/app.git",
        "git@-oProxyCommand=touch:app.git",
    ],
)
def test_a_transport_that_is_not_allowed_is_a_usage_error(url: str) -> None:
    with pytest.raises(KeyleakError) as refused:
        expand(url)
    assert "https://, ssh://, git:// or file://" in str(refused.value)


def test_a_refused_url_is_named_without_its_credentials() -> None:
    token = random_text(24)
    with pytest.raises(KeyleakError) as refused:
        expand(f"http://bot:{token}@git.example.com/org/app.git")
    assert token not in str(refused.value)
    assert "http://git.example.com/org/app.git" in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/org/app.git",
        "HTTPS://github.com/org/app.git",
        "ssh://git@host.example/srv/app.git",
        "git://host.example/app.git",
        "git@github.com:org/app.git",
        "file:///srv/git/app.git",
    ],
)
def test_allowed_transports_are_remote_targets(url: str) -> None:
    [target] = expand(url)
    assert target.remote


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts every connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        for connection in held:
            connection.close()


def processes_naming(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


def audit_in_a_process(tmp_path: Path, url: str, env: dict[str, str]) -> dict[str, object]:
    cache = str(tmp_path / "cache")
    options = ["--cache-dir", cache, "--format", "json", "--network-timeout", "1", "--no-progress"]
    completed = run_process(
        [sys.executable, "-m", "scanner", "audit", url, *options],
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    report: dict[str, object] = json.loads(completed.stdout)
    return report


def failure(report: dict[str, object]) -> str:
    [repository] = report["repositories"]  # type: ignore[misc]
    assert repository["status"] == "failed"
    return str(repository["error"])


def test_a_git_server_that_never_answers_is_given_up(silent_server: int, tmp_path: Path) -> None:
    url = f"git://127.0.0.1:{silent_server}/{random_text(12)}.git"
    report = audit_in_a_process(tmp_path, url, dict(os.environ))

    assert "did not answer for 1 seconds" in failure(report)
    assert processes_naming(url) == []


def test_every_process_an_ssh_clone_started_is_stopped(tmp_path: Path) -> None:
    """ssh that starts a child of its own and never answers: git, ssh and the child all go."""
    marker = f"keyleak-test-{random_text(16)}"
    fake_ssh = tmp_path / "fake-ssh"
    fake_ssh.write_text(
        f"#!{sys.executable}\n"
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])\n"
        "time.sleep(600)\n",
        encoding="utf-8",
    )
    fake_ssh.chmod(0o755)
    env = {**os.environ, "GIT_SSH_COMMAND": f"{fake_ssh} {marker}"}
    try:
        report = audit_in_a_process(tmp_path, "ssh://git@host.example/srv/app.git", env)

        assert "did not answer for 1 seconds" in failure(report)
        assert processes_naming(marker) == []
    finally:
        for pid in processes_naming(marker):
            os.kill(pid, 9)


def test_a_remote_helper_is_refused_before_git_runs(tmp_path: Path) -> None:
    completed = run_process(
        [sys.executable, "-m", "scanner", "audit", "fd::0", "--cache-dir", str(tmp_path / "c")],
        cwd=tmp_path,
        env=dict(os.environ),
        timeout=60,
    )
    assert completed.returncode == 2
    assert "fd::: a git remote helper" in completed.stderr
    assert not (tmp_path / "c" / "mirrors").exists()
