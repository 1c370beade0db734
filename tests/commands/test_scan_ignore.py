"""`keyleak scan` in a git work tree: what git ignores is left out and counted, `--no-ignore`
reads it, `--exclude` leaves out more; `keyleak scan -` reads standard input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import cli
from tests.cli_helpers import Outcome, keyleak, scan_json, write
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import commit, config_line


def plant(root: Path, *names: str) -> dict[str, str]:
    """A distinct key in each named file, by file name."""
    keys = {name: openai_key() for name in names}
    for name, key in keys.items():
        write(root, name, config_line(key))
    return keys


def found_paths(outcome: Outcome) -> set[str]:
    return {path for path, _line, _rule in outcome.found()}


def test_gitignored_virtualenv_is_not_read_and_is_counted(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, ".gitignore", ".venv/\n.env\n")
    plant(repo, ".venv/lib/site.py", ".venv/lib/deep/more.py", ".env", "app.py")
    outcome = scan_json(capsys, repo)
    assert outcome.code == 1
    assert found_paths(outcome) == {"app.py"}
    report = outcome.report()
    assert report["stats"]["ignored"] == 2  # .venv/ is one entry, however much it holds
    assert report["left_out"]["ignored"] == [".env", ".venv/"]
    text = keyleak(capsys, repo, "scan", "--quiet")
    assert "2 paths ignored by git not read (.env, .venv/; --no-ignore reads them)" in text.out


def test_no_ignore_reads_what_git_ignores(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, ".gitignore", ".venv/\n.env\n")
    plant(repo, ".venv/lib/site.py", ".env", "app.py")
    outcome = scan_json(capsys, repo, "--no-ignore")
    assert found_paths(outcome) == {".venv/lib/site.py", ".env", "app.py"}
    assert outcome.report()["stats"]["ignored"] == 0
    assert "left_out" not in outcome.report()


def test_tracked_and_untracked_files_are_read(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, ".gitignore", "*.log\n")
    keys = plant(repo, "tracked.py")
    commit(repo, {}, "start")
    keys |= plant(repo, "untracked.py", "src/new.py")
    # a tracked file matching an ignore rule is still tracked: git lists it, so it is read
    keys |= plant(repo, "forced.log")
    git(repo, "add", "-f", "forced.log")
    plant(repo, "noise.log")
    outcome = scan_json(capsys, repo)
    assert found_paths(outcome) == set(keys)
    assert outcome.report()["left_out"]["ignored"] == ["noise.log"]


def test_nested_gitignore(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "pkg/.gitignore", "generated/\n*.secret\n")
    plant(repo, "pkg/generated/out.py", "pkg/local.secret", "pkg/code.py", "other/generated/x.py")
    outcome = scan_json(capsys, repo)
    # the nested file's rules hold below pkg/ only
    assert found_paths(outcome) == {"pkg/code.py", "other/generated/x.py"}


def test_info_exclude(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("scratch/\n", encoding="utf-8")
    plant(repo, "scratch/notes.py", "app.py")
    outcome = scan_json(capsys, repo)
    assert found_paths(outcome) == {"app.py"}
    assert outcome.report()["left_out"]["ignored"] == ["scratch/"]


def test_core_excludes_file_from_the_users_git_config(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # HOME is the test's own (conftest): this is the user's global config, not the real one
    home = Path(os.environ["HOME"])
    excludes = home / "global-ignore"
    excludes.write_text("*.bak\n", encoding="utf-8")
    (home / ".gitconfig").write_text(f"[core]\n\texcludesFile = {excludes}\n", encoding="utf-8")
    plant(repo, "old.bak", "app.py")
    outcome = scan_json(capsys, repo)
    assert found_paths(outcome) == {"app.py"}
    assert outcome.report()["left_out"]["ignored"] == ["old.bak"]


def test_scan_of_a_subdirectory(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, ".gitignore", "build/\n")
    plant(repo, "src/app.py", "src/build/gen.py", "top.py")
    outcome = scan_json(capsys, repo, "src")
    assert found_paths(outcome) == {"src/app.py"}
    assert outcome.report()["left_out"]["ignored"] == ["src/build/"]
    # from inside the subdirectory, paths are as the user sees them
    inside = scan_json(capsys, repo / "src")
    assert found_paths(inside) == {"app.py"}


def test_ignored_paths_named_on_the_command_line_are_read(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, ".gitignore", "build/\n.env\n")
    plant(repo, "build/deep/gen.py", ".env", "app.py")
    assert found_paths(scan_json(capsys, repo, ".env")) == {".env"}
    assert found_paths(scan_json(capsys, repo, "build")) == {"build/deep/gen.py"}
    assert found_paths(scan_json(capsys, repo, "build/deep")) == {"build/deep/gen.py"}


def test_odd_file_names_are_listed_exactly(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = ["with space.py", "new\nline.py", 'quote"d.py', "ünïcode.py"]
    keys = plant(repo, *names)
    outcome = scan_json(capsys, repo)
    assert found_paths(outcome) == set(keys)


def test_nested_repository_keeps_its_own_ignore_rules(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nested = repo / "vendored"
    nested.mkdir()
    git(nested, "init", "-q")
    write(nested, ".gitignore", "cache/\n")
    plant(repo, "vendored/lib.py", "vendored/cache/blob.py")
    outcome = scan_json(capsys, repo)
    assert found_paths(outcome) == {"vendored/lib.py"}
    assert outcome.report()["left_out"]["ignored"] == ["vendored/cache/"]


def test_submodule_is_read_with_its_own_ignore_rules(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    write(upstream, ".gitignore", "dist/\n")
    plant(upstream, "lib.py")
    commit(upstream, {}, "library")
    commit(repo, {"app.py": "print(1)\n"}, "start")
    add = ["-c", "protocol.file.allow=always", "submodule", "add", "-q", str(upstream), "sub"]
    git(repo, *add)
    plant(repo, "sub/dist/bundle.js")
    outcome = scan_json(capsys, repo)
    assert found_paths(outcome) == {"sub/lib.py"}
    assert outcome.report()["left_out"]["ignored"] == ["sub/dist/"]


@pytest.mark.parametrize(
    "command", [("scan", "."), ("staged",), ("history",)], ids=["scan", "staged", "history"]
)
def test_a_work_trees_file_system_monitor_is_never_run(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    marker = tmp_path / "monitor-ran"
    script = tmp_path / "monitor.sh"
    script.write_text(f"#!/bin/sh\ntouch '{marker}'\n", encoding="utf-8")
    script.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(script))
    plant(repo, "app.py")
    commit(repo, {}, "start")
    plant(repo, "staged.py")
    git(repo, "add", "staged.py")
    marker.unlink(missing_ok=True)  # git above may have run it: only keyleak counts
    outcome = keyleak(capsys, repo, *command, "--format", "json")
    assert outcome.code == 1
    assert not marker.exists()


def test_a_tracked_path_below_a_symlinked_directory_is_never_read(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the index still lists conf/deploy.env; the work tree's conf is now a link out of the tree
    write(repo, "conf/deploy.env", "x = 1\n")
    write(repo, "app.py", "print(1)\n")
    commit(repo, {}, "base")
    outside = tmp_path / "outside"
    plant(outside, "deploy.env")
    (repo / "conf" / "deploy.env").unlink()
    (repo / "conf").rmdir()
    (repo / "conf").symlink_to(outside)

    outcome = scan_json(capsys, repo)

    assert outcome.code == 0, outcome.out
    assert outcome.found() == []
    assert {entry["path"]: entry["reason"] for entry in outcome.report()["skipped"]} == {
        "conf": "symlink",
        "conf/deploy.env": "symlink",
    }


def test_what_the_work_tree_made_of_a_tracked_file_decides_how_it_is_read(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # git lists what its index holds; the work tree may have deleted a file or put something
    # else in its place since
    names = ("gone.py", "linked.py", "fifo.py", "kept.py", "sub/kept.py")
    for name in names:
        write(repo, name, "x = 1\n")
    commit(repo, {}, "base")
    (repo / "gone.py").unlink()
    outside = tmp_path / "outside"
    plant(outside, "secret.py")
    (repo / "linked.py").unlink()
    (repo / "linked.py").symlink_to(outside / "secret.py")
    (repo / "fifo.py").unlink()
    os.mkfifo(repo / "fifo.py")
    keys = plant(repo, "kept.py", "sub/kept.py")

    for target in (".", str(repo)):
        outcome = scan_json(capsys, repo, target)

        prefix = "" if target == "." else f"{repo}/"
        assert found_paths(outcome) == {f"{prefix}{name}" for name in keys}
        assert {entry["path"]: entry["reason"] for entry in outcome.report()["skipped"]} == {
            f"{prefix}linked.py": "symlink",
            f"{prefix}fifo.py": "not a regular file",
        }


def test_outside_a_work_tree_everything_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain"
    write(plain, ".gitignore", ".venv/\n")
    plant(plain, ".venv/lib/site.py", "app.py")
    outcome = scan_json(capsys, plain)
    assert found_paths(outcome) == {".venv/lib/site.py", "app.py"}
    assert outcome.report()["stats"]["ignored"] == 0


def test_exclude_repeats_and_is_counted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plant(repo, "vendor/a/lib.py", "vendor/b.py", "fixtures/one.json", "src/fixtures/two.json")
    plant(repo, "src/app.py", "notes.md")
    outcome = scan_json(capsys, repo, "--exclude", "vendor/", "--exclude", "*.json")
    assert found_paths(outcome) == {"src/app.py", "notes.md"}
    left_out = outcome.report()["left_out"]
    assert left_out["excluded"] == ["fixtures/one.json", "src/fixtures/two.json", "vendor/"]
    assert outcome.report()["stats"]["excluded"] == 3


@pytest.mark.parametrize("ignore", [[], ["--no-ignore"]])
def test_exclude_is_relative_to_the_directory_named(
    repo: Path, capsys: pytest.CaptureFixture[str], ignore: list[str]
) -> None:
    plant(repo, "src/gen/out.py", "src/app.py", "gen/top.py")
    outcome = scan_json(capsys, repo, "src", "--exclude", "/gen", *ignore)
    assert found_paths(outcome) == {"src/app.py"}
    assert outcome.report()["left_out"]["excluded"] == ["src/gen/"]


def test_exclude_leaves_a_file_named_on_the_command_line_alone(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plant(repo, "vendor/lib.py", "app.py")
    outcome = scan_json(capsys, repo, "vendor/lib.py", ".", "--exclude", "vendor/")
    assert found_paths(outcome) == {"vendor/lib.py", "app.py"}


def test_exclude_outside_a_work_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain"
    plant(plain, "node_modules/x/index.js", "app.py")
    outcome = scan_json(capsys, plain, "--exclude", "node_modules")
    assert found_paths(outcome) == {"app.py"}
    assert outcome.report()["left_out"]["excluded"] == ["node_modules/"]


def test_a_bad_exclude_glob_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = keyleak(capsys, repo, "scan", "--exclude", "/")
    assert outcome.code == 2
    assert "--exclude '/': an empty pattern" in outcome.err


@pytest.mark.parametrize("glob", ["../app.py", "src/../app.py", ".."])
def test_an_exclude_glob_that_climbs_out_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str], glob: str
) -> None:
    plant(repo, "src/app.py")
    outcome = keyleak(capsys, repo / "src", "scan", "--exclude", glob)
    assert outcome.code == 2
    assert "cannot climb out" in outcome.err


def test_stdin_through_click(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    key = openai_key()
    text = "first line\n" + config_line(key)
    args = ["scan", "-", "--format", "json", "--no-redact", "--stdin-name", "pasted.env"]
    # standalone_mode=False: the command's return value is its exit code (scanner.entry)
    result = CliRunner().invoke(cli, args, input=text, standalone_mode=False)
    assert result.return_value == 1, result.output
    outcome = Outcome(result.return_value, result.stdout, "")
    assert outcome.found() == [("pasted.env", 2, outcome.findings()[0]["rule_id"])]
    assert outcome.secrets() == {key}


def stdin_run(cwd: Path, data: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "scanner", "scan", "-", *args],
        cwd=cwd,
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_stdin_in_a_real_process_with_its_default_name(tmp_path: Path) -> None:
    key = openai_key()
    completed = stdin_run(tmp_path, config_line(key).encode())
    assert completed.returncode == 1
    out = completed.stdout.decode()
    assert "<stdin>:1" in out
    assert key not in out  # redacted, as a file's would be


def test_stdin_larger_than_the_limit_is_an_error(tmp_path: Path) -> None:
    completed = stdin_run(tmp_path, b"x" * 5000, "--max-file-size", "1K")
    assert completed.returncode == 2
    assert b"standard input is larger than --max-file-size" in completed.stderr
    assert b"Traceback" not in completed.stderr


def test_binary_stdin_is_skipped(tmp_path: Path) -> None:
    completed = stdin_run(tmp_path, b"\x00\x01binary" * 100, "--format", "json")
    assert completed.returncode == 0
    assert b'"reason": "binary"' in completed.stdout


def test_stdin_beside_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain"
    plant(plain, "app.py")
    key = openai_key()
    args = ["scan", "-", str(plain), "--format", "json", "--no-redact"]
    result = CliRunner().invoke(cli, args, input=config_line(key), standalone_mode=False)
    outcome = Outcome(result.return_value, result.stdout, "")
    assert outcome.code == 1
    assert {path for path, _, _ in outcome.found()} == {"<stdin>", str(plain / "app.py")}
