from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from scanner import __version__
from scanner.entry import main
from tests.keys import openai_key


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture
def leaky(tmp_path: Path) -> tuple[Path, str]:
    key = openai_key()
    (tmp_path / "settings.py").write_text(f'OPENAI_API_KEY = "{key}"\n', encoding="utf-8")
    return tmp_path, key


def test_exit_codes_clean_and_findings(
    tmp_path: Path, leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.py").write_text("print('hello')\n")
    assert run(["scan", str(clean)], capsys)[0] == 0
    assert run(["scan", str(leaky[0])], capsys)[0] == 1


def test_text_report_is_redacted_with_location_rule_and_fix(
    leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, key = leaky
    monkeypatch.chdir(root)
    code, out, _ = run(["scan"], capsys)
    assert code == 1
    assert key not in out
    assert "settings.py:1:19: OpenAI project API key [openai-project-key, openai, critical]" in out
    assert f"sk-proj-{key[8:10]}…{key[-4:]}" in out
    assert "platform.openai.com/api-keys" in out
    assert out.rstrip().splitlines()[-1].startswith("keyleak: 1 secret found in 1 file")


def test_no_redact_shows_the_secret(
    leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, key = leaky
    _, out, _ = run(["scan", str(root), "--no-redact", "--format", "json"], capsys)
    assert json.loads(out)["findings"][0]["secret"] == key


def test_output_file_is_written_and_replaced(
    tmp_path: Path, leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, key = leaky
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    report.write_text("old")
    code, out, _ = run(["scan", str(root), "--format", "json", "-o", str(report)], capsys)
    assert (code, out) == (1, "")
    document = json.loads(report.read_text())
    assert document["findings"][0]["location"]["path"].endswith("settings.py")
    assert key not in report.read_text()
    assert [p.name for p in report.parent.iterdir()] == ["report.json"]


def test_output_to_dev_null_keeps_it_a_device(
    leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(["scan", str(leaky[0]), "-o", os.devnull], capsys)
    assert code == 1
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_output_into_missing_directory_is_a_usage_error(
    tmp_path: Path, leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["scan", str(leaky[0]), "-o", str(tmp_path / "no" / "r.json")], capsys)
    assert code == 2
    assert err.startswith("keyleak: error: ") and "cannot write report" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "--format", "xml"],
        ["scan", "--max-file-size", "lots"],
        ["nope"],
        ["scan", "-j", "0"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2
    assert "Traceback" not in err


def test_internal_error_is_one_line_unless_debug(
    leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.commands.scan as scan_command

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(scan_command, "run_scan", broken)
    code, _, err = run(["scan", str(leaky[0])], capsys)
    assert code == 3
    assert err.strip() == (
        "keyleak: internal error: RuntimeError: boom (rerun with --debug for details)"
    )
    code, _, err = run(["--debug", "scan", str(leaky[0])], capsys)
    assert code == 3
    assert "Traceback" in err


def test_an_error_naming_what_a_scanned_repository_wrote_sends_no_terminal_escape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a repository under audit writes its config; CI logs and terminals show the error
    (tmp_path / ".keyleak.toml").write_text(
        'disable = ["\\u001b]0;owned\\u0007\\u001b[2Jzz"]\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)

    code, _, err = run(["scan", "."], capsys)

    assert code == 2
    assert "zz" in err
    assert "\x1b" not in err and "\x07" not in err
    assert err.endswith("\n") and err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ("rules", "show", "{key}"),
        ("scan", "--max-file-size", "{key}", "."),
        ("completion", "{key}"),
        ("history", ".", "--range", "{key}..HEAD"),
        ("history", ".", "{key}"),
    ],
    ids=["rule-id", "option-value", "choice", "range", "revision"],
)
def test_an_error_quoting_a_key_typed_in_the_wrong_place_never_shows_it(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
) -> None:
    key = openai_key()
    monkeypatch.chdir(repo)

    code, out, err = run([arg.format(key=key) for arg in argv], capsys)

    assert code == 2
    assert key not in out + err
    assert key[-4:] in err  # redacted, still recognisable


def test_an_error_naming_a_commit_keeps_its_whole_id(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = "0123456789abcdef" * 2 + "01234567"
    monkeypatch.chdir(repo)

    code, _, err = run(["history", ".", "--range", f"{missing}..HEAD"], capsys)

    assert code == 2
    assert missing in err


def test_debug_is_accepted_after_the_command(
    leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.commands.scan as scan_command

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(scan_command, "run_scan", broken)
    code, _, err = run(["scan", "--debug", str(leaky[0])], capsys)
    assert code == 3
    assert "Traceback" in err and "RuntimeError: boom" in err
    code, _, err = run(["rules", "list", "--debug"], capsys)
    assert code == 0


def test_debug_is_off_unless_given(
    leaky: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run with --debug must not leave it on for the next command run in the same process."""
    import scanner.commands.scan as scan_command

    run(["scan", "--debug", str(leaky[0])], capsys)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(scan_command, "run_scan", broken)
    code, _, err = run(["scan", str(leaky[0])], capsys)
    assert code == 3
    assert "Traceback" not in err


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_and_help(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([flag], capsys)
    assert (code, out.strip()) == (0, f"keyleak, version {__version__}")
    code, out, _ = run(["scan", "--help"], capsys)
    assert code == 0 and "--max-file-size" in out


def test_colour_on_a_tty_unless_no_color(leaky: tuple[Path, str], tmp_path: Path) -> None:
    """Run under a pseudo-terminal: colour appears, and NO_COLOR turns it off."""
    import pty

    def on_tty(extra_env: dict[str, str]) -> bytes:
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | extra_env
        primary, secondary = pty.openpty()
        try:
            subprocess.run(
                [sys.executable, "-m", "scanner", "scan", str(leaky[0])],
                stdout=secondary,
                stderr=secondary,
                env=env,
                check=False,
                timeout=60,
            )
            os.close(secondary)
            chunks = []
            while True:
                try:
                    data = os.read(primary, 65536)
                except OSError:
                    break
                if not data:
                    break
                chunks.append(data)
            return b"".join(chunks)
        finally:
            os.close(primary)

    assert b"\033[" in on_tty({})
    assert b"\033[" not in on_tty({"NO_COLOR": "1"})


def test_python_dash_m_entry_point(leaky: tuple[Path, str]) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", str(leaky[0]), "--format", "jsonl"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 1
    assert json.loads(completed.stdout)["rule_id"] == "openai-project-key"
    assert completed.stderr == ""


def keyleak_on_path() -> dict[str, str]:
    """The environment of a shell that finds this checkout's `keyleak` first."""
    scripts = Path(sys.executable).parent
    assert (scripts / "keyleak").exists()
    return {**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_shell_script(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["completion", shell], capsys)
    assert code == 0
    assert "_KEYLEAK_COMPLETE" in out and f"{shell}_complete" in out


def test_completion_of_an_unknown_shell_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["completion", "tcsh"], capsys)
    assert code == 2
    assert "tcsh" in err


def test_bash_loads_the_completion_script_and_completes_commands() -> None:
    script = (
        "source <(keyleak completion bash) && complete -p keyleak && "
        "COMP_WORDS=(keyleak sc) COMP_CWORD=1 && _keyleak_completion keyleak && "
        'printf "reply:%s\\n" "${COMPREPLY[@]}"'
    )
    completed = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=keyleak_on_path(),
    )
    assert completed.returncode == 0, completed.stderr
    assert "_keyleak_completion keyleak" in completed.stdout
    assert "reply:scan" in completed.stdout.splitlines()


def test_completion_mechanism_offers_subcommands_and_options() -> None:
    """What the scripts run: keyleak itself answers with the environment click reads."""

    def complete(words: str, cword: int) -> str:
        return subprocess.run(
            ["keyleak"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env={
                **keyleak_on_path(),
                "_KEYLEAK_COMPLETE": "bash_complete",
                "COMP_WORDS": words,
                "COMP_CWORD": str(cword),
            },
        ).stdout

    assert "plain,scan" in complete("keyleak sc", 1).splitlines()
    assert "plain,show" in complete("keyleak rules sh", 2).splitlines()
    assert "plain,--debug" in complete("keyleak staged --de", 2).splitlines()
