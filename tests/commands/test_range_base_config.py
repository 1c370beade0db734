"""A range scan's base config: its errors name `<base>:<path>`, a broken one fails the scan
(no fallback to the defaults or to the head's), and the private directory it is written to
never outlives the run.

Every repository is real, under tmp_path; keys are built at run time (tests/keys.py).
"""

from __future__ import annotations

import contextlib
import signal
import stat
import tempfile
import time
from pathlib import Path

import pytest

from scanner.config.project import Config
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import commit, config_line

#: a gitleaks rule keyleak cannot translate: skipped, with a warning
GITLEAKS_UNTRANSLATABLE = "[[rules]]\nid = 'x'\nregex = '''(unclosed'''\n"
#: a base config and the files it names, each with one thing wrong, and the file to blame
BROKEN: dict[str, tuple[dict[str, str], str]] = {
    "config": ({".keyleak.toml": "[allow\npaths = 1\n"}, ".keyleak.toml"),
    "pyproject": ({"pyproject.toml": "[tool.keyleak]\nfail_on = 7\n"}, "pyproject.toml"),
    "rules file": (
        {".keyleak.toml": 'rules = ["ci/rules.toml"]\n', "ci/rules.toml": "[[rules]\n"},
        "ci/rules.toml",
    ),
    "missing rules file": ({".keyleak.toml": 'rules = ["ci/gone.toml"]\n'}, "ci/gone.toml"),
    "gitleaks config": (
        {".keyleak.toml": 'gitleaks_config = "ci/gl.toml"\n', "ci/gl.toml": "[[rules]\n"},
        "ci/gl.toml",
    ),
    "baseline": (
        {".keyleak.toml": 'baseline = "ci/known.json"\n', "ci/known.json": "{not json"},
        "ci/known.json",
    ),
    "default baseline": ({".keyleak-baseline.json": "[1, 2"}, ".keyleak-baseline.json"),
}


def in_range(capsys: pytest.CaptureFixture[str], repo: Path, span: str, *extra: str) -> Outcome:
    return keyleak(
        capsys, repo, "history", str(repo), "--range", span, "--format", "json", "-j", "1", *extra
    )


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary directory keyleak writes to, watched: empty before and after a run."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def broken_base(repo: Path, case: str) -> tuple[str, str]:
    """A base whose config is broken as `case` says, then a pull request that repairs it (the
    head's config must not be used instead); the range and the blamed `<rev>:<path>`."""
    files, blamed = BROKEN[case]
    base = commit(repo, files, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    repaired = dict.fromkeys(files, "\n")
    commit(repo, {**repaired, "app.py": config_line(openai_key())}, "the pull request")
    return f"{base}..feature", f"{base[:12]}:{blamed}"


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_base_config_fails_naming_the_revision_and_path(
    repo: Path, capsys: pytest.CaptureFixture[str], private_tmp: Path, case: str
) -> None:
    span, blamed = broken_base(repo, case)

    outcome = in_range(capsys, repo, span)

    assert outcome.code == 2, outcome.err
    assert outcome.err.startswith("keyleak: "), outcome.err
    assert blamed in outcome.err
    assert "keyleak-base-config" not in outcome.err
    assert str(private_tmp) not in outcome.err
    assert list(private_tmp.iterdir()) == []


def test_head_config_scans_past_a_base_config_that_cannot_be_read(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The user chose the work tree's config: the base's, broken, is told of, not fatal."""
    span, blamed = broken_base(repo, "config")

    outcome = in_range(capsys, repo, span, "--head-config")

    assert outcome.code == 1, outcome.err
    notes = "\n".join(outcome.report()["notes"])
    assert f"the base's config cannot be read: {blamed}: not valid TOML" in notes


def test_a_config_the_head_adds_to_a_base_without_one_is_listed_not_applied(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = commit(repo, {"README.md": "hello\n"}, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    key = openai_key()
    pyproject = '[tool.keyleak]\ninline_ignores = false\n[tool.keyleak.allow]\npaths = ["*.py"]\n'
    commit(repo, {"pyproject.toml": pyproject, "app.py": config_line(key)}, "pr")

    outcome = in_range(capsys, repo, f"{base}..feature")

    assert outcome.code == 1, outcome.err
    assert [finding["location"]["path"] for finding in outcome.findings()] == ["app.py"]
    notes = "\n".join(outcome.report()["notes"])
    assert "pyproject.toml: allow.paths adds '*.py'" in notes
    assert "pyproject.toml: inline_ignores = False (base: unset)" in notes


def test_the_base_config_directory_is_private_and_removed(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    private_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scanner.commands import history

    commit(repo, {".keyleak.toml": 'baseline = "ci/known.json"\n', "ci/known.json": "{}"}, "b")
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    commit(repo, {"app.py": "x = 1\n"}, "pr")
    seen: list[int] = []
    run_history = history.run_history

    def watched(options: object, *rest: object) -> int:
        config = options.config  # type: ignore[attr-defined]
        assert isinstance(config, Config) and config.root is not None
        seen.append(stat.S_IMODE(Path(config.root).stat().st_mode))
        assert Path(config.root).parent == private_tmp
        return run_history(options, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(history, "run_history", watched)
    assert in_range(capsys, repo, f"{base}..HEAD").code == 0
    assert seen == [0o700]
    assert list(private_tmp.iterdir()) == []


def test_the_base_config_directory_is_removed_when_interrupted(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    private_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scanner.commands import history

    commit(repo, {".keyleak.toml": 'baseline = "ci/known.json"\n', "ci/known.json": "{}"}, "b")
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    commit(repo, {"app.py": "x = 1\n"}, "pr")
    entered: list[bool] = []

    def interrupted(*_: object) -> int:
        entered.append(any(private_tmp.iterdir()))
        raise KeyboardInterrupt

    monkeypatch.setattr(history, "run_history", interrupted)
    assert in_range(capsys, repo, f"{base}..HEAD").code == 130
    assert entered == [True]
    assert list(private_tmp.iterdir()) == []


def test_a_warning_about_a_base_file_names_the_revision_and_path(
    repo: Path, capsys: pytest.CaptureFixture[str], private_tmp: Path
) -> None:
    config = 'gitleaks_config = "ci/gl.toml"\n'
    base = commit(repo, {".keyleak.toml": config, "ci/gl.toml": GITLEAKS_UNTRANSLATABLE}, "b")
    commit(repo, {"app.py": "x = 1\n"}, "pr")

    outcome = in_range(capsys, repo, f"{base}..HEAD")

    assert outcome.code == 0, outcome.err
    assert f"keyleak: warning: {base[:12]}:ci/gl.toml: x: skipped" in outcome.err
    assert str(private_tmp) not in outcome.err


@pytest.mark.parametrize(
    ("number", "jobs"),
    [(signal.SIGINT, "1"), (signal.SIGINT, "2"), (signal.SIGTERM, "1"), (signal.SIGTERM, "2")],
)
def test_the_base_config_directory_does_not_outlive_a_signal(
    repo: Path, tmp_path: Path, number: signal.Signals, jobs: str
) -> None:
    """Ctrl-C, or a CI job cancelled, mid-scan: the run ends as the signal says, and leaves no
    copy of the base's config behind."""
    from tests.test_interrupts import keyleak_process, slowed_down, wait_for

    files = {".keyleak.toml": 'baseline = "ci/known.json"\n', "ci/known.json": "{}"}
    base = commit(repo, files, "base")
    commit(repo, {f"f{n:03}.txt": f"line {n}\n" for n in range(400)}, "many files")
    env, started = slowed_down(tmp_path, "scanner.pipeline.run", "scan_chunk")
    private = tmp_path / "tmp"
    private.mkdir()
    env["TMPDIR"] = str(private)

    process = keyleak_process(
        ["history", str(repo), "--range", f"{base}..HEAD", "-j", jobs, "--no-progress"],
        tmp_path,
        env,
    )
    wait_for(started)
    assert [path.name[:20] for path in private.iterdir()] == ["keyleak-base-config-"]
    workers = processes_of(process.pid)
    process.send_signal(number)
    _, err = process.communicate(timeout=30)

    assert process.returncode == (130 if number == signal.SIGINT else -signal.SIGTERM), err
    assert "Traceback" not in err
    assert list(private.iterdir()) == []
    # the workers' in-flight batches may finish first, but none outlives its run for long
    deadline = time.monotonic() + 10
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(alive, workers)), "a worker outlived the run"


def processes_of(parent: int) -> list[int]:
    """The processes whose parent is `parent`."""
    children = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(status.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(status.parent.name))
    return children


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
