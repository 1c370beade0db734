"""Where verification settings may come from: the command line, the environment, the user's own
config file or a config the user names with --config; never the scanned repository's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.config.verification import BOUNDS, user_config_path
from tests.cli_helpers import Outcome, keyleak, write
from tests.conftest import git
from tests.fake_provider import FakeProvider
from tests.keys import openai_key


@pytest.fixture
def leaky(repo: Path) -> tuple[Path, str]:
    """A repository with one OpenAI key in a file (staged too)."""
    key = openai_key()
    write(repo, "app.py", f"key = '{key}'\n")
    git(repo, "add", "app.py")
    return repo, key


def verdicts(outcome: Outcome) -> list[str | None]:
    return [(f.get("verdict") or {}).get("status") for f in outcome.findings()]


REPO_VERIFY = "[verify]\nenabled = true\nmax_wait = 3600\nmax_retries = 40\ndeadline = 0.001\n"


# --------------------------------------------------------------------------- the repository


@pytest.mark.parametrize(
    "command",
    [("scan", ".", "--format", "json"), ("history", "--format", "json"), ("staged",)],
    ids=["scan", "history", "hook"],
)
def test_a_repository_config_cannot_turn_verification_on(
    leaky: tuple[Path, str],
    server: FakeProvider,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    repo, _ = leaky
    write(repo, ".keyleak.toml", REPO_VERIFY)
    if command[0] == "history":
        git(repo, "commit", "-q", "-m", "start")
    outcome = keyleak(capsys, repo, *command)
    assert outcome.code == 1
    assert server.total == 0
    warnings = [line for line in outcome.err.splitlines() if "[verify]" in line]
    assert len(warnings) == 1
    assert "ignored" in warnings[0]
    assert "enabled, max_wait, max_retries, deadline" in warnings[0]


def test_a_repository_deadline_cannot_hide_a_live_key_from_fail_on_live(
    leaky: tuple[Path, str], server: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = leaky
    write(repo, ".keyleak.toml", "[verify]\ndeadline = 0.001\ntimeout = 0.001\n")
    argv = ("scan", ".", "--verify", "--fail-on", "live", "--format", "json")
    outcome = keyleak(capsys, repo, *argv)
    assert verdicts(outcome) == ["live"]
    assert outcome.code == 1


@pytest.mark.parametrize(
    "table",
    ['[verify]\nretries = "many"\nconcurrency = -1\n', "verify = 3\n"],
    ids=["bad-keys", "not-a-table"],
)
def test_a_repository_verify_table_of_any_shape_does_not_break_the_run(
    leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str], table: str
) -> None:
    repo, _ = leaky
    write(repo, ".keyleak.toml", table)
    outcome = keyleak(capsys, repo, "scan", ".")
    assert outcome.code == 1
    assert outcome.err.count("[verify]") == 1


def test_a_pyproject_verify_table_is_ignored_too(
    leaky: tuple[Path, str], server: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = leaky
    write(repo, "pyproject.toml", "[tool.keyleak.verify]\nenabled = true\n")
    outcome = keyleak(capsys, repo, "scan", ".")
    assert outcome.code == 1 and server.total == 0
    assert "[tool.keyleak.verify] ignored" in outcome.err
    assert "enabled" in outcome.err


# --------------------------------------------------------------------------- the user's sources


def test_the_user_config_file_lives_under_xdg_config_home(tmp_path: Path) -> None:
    assert user_config_path() == Path(os.environ["XDG_CONFIG_HOME"]) / "keyleak" / "config.toml"


def test_the_user_config_file_turns_verification_on(
    leaky: tuple[Path, str], server: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, key = leaky
    write(user_config_path().parent, "config.toml", "[verify]\nenabled = true\nuse_cache = false\n")
    outcome = keyleak(capsys, repo, "scan", ".", "--format", "json")
    assert verdicts(outcome) == ["live"]
    assert server.requests[key] == 1
    assert "[verify]" not in outcome.err
    # the command line wins over it
    outcome = keyleak(capsys, repo, "scan", ".", "--format", "json", "--no-verify")
    assert verdicts(outcome) == [None]


def test_a_user_config_nested_too_deeply_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    depth = 100_000
    write(
        user_config_path().parent, "config.toml", "[verify]\nenabled = " + "[" * depth + "]" * depth
    )
    write(repo, "a.py", "x = 1\n")
    outcome = keyleak(capsys, repo, "scan", "a.py")
    assert outcome.code == 2, outcome.err
    assert "nested too deeply" in outcome.err


def test_a_user_config_that_is_not_a_regular_file_is_a_config_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a FIFO would block the open, and so every commit, for ever
    user_config_path().parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(user_config_path())
    write(repo, "a.py", "x = 1\n")
    outcome = keyleak(capsys, repo, "scan", "a.py")
    assert outcome.code == 2, outcome.err
    assert "not a regular file" in outcome.err


def test_the_user_config_file_is_read_by_the_hook(
    leaky: tuple[Path, str], server: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    """`keyleak staged` as the pre-commit hook runs it, without click."""
    repo, key = leaky
    write(user_config_path().parent, "config.toml", "[verify]\nenabled = true\nuse_cache = false\n")
    assert keyleak(capsys, repo, "staged").code == 1
    assert server.requests[key] == 1


def test_the_environment_turns_verification_on(
    leaky: tuple[Path, str],
    server: FakeProvider,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo, key = leaky
    monkeypatch.setenv("KEYLEAK_VERIFY_ENABLED", "true")
    monkeypatch.setenv("KEYLEAK_VERIFY_USE_CACHE", "false")
    outcome = keyleak(capsys, repo, "staged", "--format", "json", "--no-redact")
    assert verdicts(outcome) == ["live"]
    assert server.requests[key] == 1


def test_a_config_the_user_names_is_trusted(
    leaky: tuple[Path, str],
    server: FakeProvider,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    repo, _ = leaky
    named = write(tmp_path, "ci.toml", "[verify]\nenabled = true\nuse_cache = false\n")
    outcome = keyleak(capsys, repo, "scan", ".", "--format", "json", "--config", str(named))
    assert verdicts(outcome) == ["live"]
    assert "[verify]" not in outcome.err


# --------------------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, bound) for name, (low, high) in BOUNDS.items() for bound in (low, high)],
)
def test_every_bound_itself_is_accepted(
    leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str], name: str, value: float
) -> None:
    repo, _ = leaky
    write(user_config_path().parent, "config.toml", f"[verify]\n{name} = {value!r}\n")
    assert keyleak(capsys, repo, "scan", ".").code == 1


@pytest.mark.parametrize(
    ("source", "setting", "said"),
    [
        ("cli", ("--verify-deadline", "0.5"), "--verify-deadline"),
        ("cli", ("--verify-timeout", "0.01"), "--verify-timeout"),
        ("cli", ("--verify-concurrency", "1000"), "--verify-concurrency"),
        ("env", ("KEYLEAK_VERIFY_MAX_RETRIES", "40"), "KEYLEAK_VERIFY_MAX_RETRIES"),
        ("env", ("KEYLEAK_VERIFY_MAX_WAIT", "lots"), "KEYLEAK_VERIFY_MAX_WAIT"),
        ("env", ("KEYLEAK_VERIFY_ENABLED", "maybe"), "KEYLEAK_VERIFY_ENABLED"),
        ("user", "[verify]\ndeadline = 0.001\n", "config.toml: [verify] deadline"),
        ("user", "[verify]\nretries = 3\n", "config.toml: [verify] retries: unknown key"),
        ("user", "[verify]\nenabled = 1\n", "config.toml: [verify] enabled"),
        ("user", "verify = 3\n", "config.toml: [verify]: expected a table"),
        ("user", "[verify\n", "config.toml: not valid TOML"),
        ("named", "[verify]\nmax_wait = 3600\n", "ci.toml: [verify] max_wait"),
    ],
)
def test_a_setting_out_of_bounds_is_a_clear_error(
    leaky: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    source: str,
    setting: str | tuple[str, str],
    said: str,
) -> None:
    repo, _ = leaky
    argv = ["scan", "."]
    if source == "cli":
        argv += list(setting)
    elif source == "env":
        monkeypatch.setenv(*setting)
    elif source == "user":
        write(user_config_path().parent, "config.toml", str(setting))
    else:
        argv += ["--config", str(write(tmp_path, "ci.toml", str(setting)))]
    outcome = keyleak(capsys, repo, *argv)
    assert outcome.code == 2
    assert said in outcome.err
    assert outcome.err.count("\n") == 1
