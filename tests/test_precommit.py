"""The pre-commit framework runs keyleak from the hook manifest and blocks a commit with a key.

No network: instead of letting pre-commit clone this repository and pip-install it (what
`language: python` does for users), the test turns the real manifest entry into a `repo: local`
hook with `language: system` that runs the keyleak of the current environment.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import git, run_process
from tests.keys import openai_key

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
KEYLEAK = Path(sys.executable).parent / "keyleak"
CLEAN_CONFIG = 'import os\n\nOPENAI_API_KEY = os.environ["OPENAI_API_KEY"]\n'
#: fields a `language: python` hook needs only to be installed from its repository
INSTALL_ONLY = {"language", "language_version", "additional_dependencies"}


def manifest_hook() -> dict[str, Any]:
    hooks = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    assert len(hooks) == 1
    hook = hooks[0]
    assert isinstance(hook, dict)
    return hook


def local_hook(hook: dict[str, Any]) -> dict[str, Any]:
    """The manifest hook as a `repo: local` hook running this environment's keyleak."""
    command, *arguments = shlex.split(hook["entry"])
    assert command == "keyleak"
    local = {key: value for key, value in hook.items() if key not in INSTALL_ONLY}
    local["entry"] = shlex.join([str(KEYLEAK), *arguments])
    local["language"] = "system"
    return local


def pre_commit_env(tmp_path: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PRE_COMMIT") and name != "SKIP"
    }
    env.update(
        {
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
            "PRE_COMMIT_COLOR": "never",
            # if pre-commit ever tried to install something, fail instead of downloading it
            "PIP_NO_INDEX": "1",
        }
    )
    return env


run = run_process


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def test_manifest_hands_keyleak_staged_the_file_names_after_a_double_dash() -> None:
    hook = manifest_hook()
    assert hook["id"] == "keyleak"
    assert hook["name"] == "keyleak"
    assert hook["description"]
    # `--`: a file named `-x.py` is a name, never an option
    assert hook["entry"] == "keyleak staged --"
    assert hook["language"] == "python"
    assert hook.get("pass_filenames", True) is True
    assert hook["require_serial"] is True
    assert {"pre-commit", "pre-push", "manual"} <= set(hook["stages"])


def test_manifest_is_valid_for_pre_commit(tmp_path: Path) -> None:
    completed = run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)],
        cwd=tmp_path,
        env=pre_commit_env(tmp_path),
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture
def framework_repo(repo: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository with one commit whose pre-commit and pre-push hooks are the framework
    running keyleak."""
    config = {"repos": [{"repo": "local", "hooks": [local_hook(manifest_hook())]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "configure pre-commit")
    env = pre_commit_env(tmp_path)
    command = [sys.executable, "-m", "pre_commit", "install", "-t", "pre-commit", "-t", "pre-push"]
    installed = run(command, cwd=repo, env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "pre_commit" in (repo / ".git" / "hooks" / "pre-commit").read_text(encoding="utf-8")
    return repo, env


def test_framework_blocks_a_staged_key_then_lets_the_fix_through(
    framework_repo: tuple[Path, dict[str, str]], key: str
) -> None:
    repo, env = framework_repo
    before = head(repo)

    (repo / "config.py").write_text(f'OPENAI_API_KEY = "{key}"\n', encoding="utf-8")
    git(repo, "add", "config.py")
    blocked = run(["git", "commit", "-m", "add a key"], cwd=repo, env=env)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert head(repo) == before
    assert "Failed" in output
    assert "config.py:1:" in output
    assert "OpenAI project API key" in output
    assert "openai-project-key" in output
    # redacted: the vendor prefix and the last four characters, never the key
    assert "sk-proj-" in output
    assert f"…{key[-4:]}" in output
    assert key not in output
    body = key.removeprefix("sk-proj-")
    assert not any(body[i : i + 16] in output for i in range(len(body) - 15))

    (repo / "config.py").write_text(CLEAN_CONFIG, encoding="utf-8")
    git(repo, "add", "config.py")
    passed = run(["git", "commit", "-m", "read the key from the environment"], cwd=repo, env=env)
    output = passed.stdout + passed.stderr
    assert passed.returncode == 0, output
    assert head(repo) != before
    assert "Passed" in output
    assert git(repo, "show", "HEAD:config.py").stdout == CLEAN_CONFIG

    # the framework ran the system keyleak: it installed no environment of its own
    home = Path(env["PRE_COMMIT_HOME"])
    assert not [path for path in home.iterdir() if path.is_dir()]


def pre_commit(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "pre_commit", "run", *args], cwd=repo, env=env)


def commit_unchecked(repo: Path, name: str, content: str, message: str) -> str:
    """Commit a file past the hooks (`--no-verify`), as a key gets into a repository."""
    (repo / name).write_text(content, encoding="utf-8")
    git(repo, "add", name)
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return head(repo)


def assert_blocked(completed: subprocess.CompletedProcess[str], where: str, key: str) -> None:
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, output
    assert "Failed" in output
    assert where in output
    assert "openai-project-key" in output
    assert key not in output


def assert_passed(completed: subprocess.CompletedProcess[str]) -> None:
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "Passed" in output


def test_run_all_files_fails_on_a_committed_key(
    framework_repo: tuple[Path, dict[str, str]], key: str
) -> None:
    """pre-commit.ci and most CI jobs run `pre-commit run --all-files`: nothing is staged there,
    so the hook must read the files it is handed, whole."""
    repo, env = framework_repo
    commit_unchecked(repo, "app.py", "import os\n", "app")
    commit_unchecked(repo, "config.py", f'OPENAI_API_KEY = "{key}"\n', "leak")

    assert_blocked(pre_commit(repo, env, "--all-files"), "config.py:1:", key)


def test_run_files_fails_on_the_named_file_only(
    framework_repo: tuple[Path, dict[str, str]], key: str
) -> None:
    repo, env = framework_repo
    commit_unchecked(repo, "app.py", "import os\n", "app")
    commit_unchecked(repo, "leaked.py", f'OPENAI_API_KEY = "{key}"\n', "leak")

    assert_blocked(pre_commit(repo, env, "--files", "leaked.py"), "leaked.py:1:", key)
    assert_passed(pre_commit(repo, env, "--files", "app.py"))


def test_a_commit_still_scans_only_the_lines_it_adds(
    framework_repo: tuple[Path, dict[str, str]], key: str
) -> None:
    """A key committed before the hook was installed is not the next commit's fault: during a
    commit the hook scans the staged lines, not the files it is handed whole."""
    repo, env = framework_repo
    commit_unchecked(repo, "config.py", f'OPENAI_API_KEY = "{key}"\n', "old leak")
    before = head(repo)
    (repo / "config.py").write_text(f'OPENAI_API_KEY = "{key}"\nDEBUG = 1\n', encoding="utf-8")
    git(repo, "add", "config.py")

    committed = run(["git", "commit", "-m", "debug"], cwd=repo, env=env)

    assert_passed(committed)
    assert head(repo) != before


def test_from_ref_to_ref_scans_the_lines_the_range_adds(
    framework_repo: tuple[Path, dict[str, str]], key: str
) -> None:
    repo, env = framework_repo
    old_key, new_key = key, openai_key()
    start = commit_unchecked(repo, "config.py", f'OLD = "{old_key}"\n', "old leak")
    clean = commit_unchecked(repo, "config.py", f'OLD = "{old_key}"\nDEBUG = 1\n', "debug")
    leak = commit_unchecked(
        repo, "config.py", f'OLD = "{old_key}"\nDEBUG = 1\nNEW = "{new_key}"\n', "new leak"
    )

    # the file holding the old key changes in the range, so the hook runs, and passes
    assert_passed(pre_commit(repo, env, "--from-ref", start, "--to-ref", clean))
    blocked = pre_commit(repo, env, "--from-ref", clean, "--to-ref", leak)
    assert_blocked(blocked, "config.py:3:", new_key)
    assert old_key[-4:] not in blocked.stdout + blocked.stderr


def test_pre_push_blocks_a_push_that_adds_a_key(
    framework_repo: tuple[Path, dict[str, str]], key: str, tmp_path: Path
) -> None:
    repo, env = framework_repo
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    commit_unchecked(repo, "app.py", "import os\n", "app")
    first = run(["git", "push", "origin", "main"], cwd=repo, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    pushed = head(repo)
    commit_unchecked(repo, "config.py", f'OPENAI_API_KEY = "{key}"\n', "leak")

    stage = pre_commit(
        repo, env, "--hook-stage", "pre-push", "--from-ref", pushed, "--to-ref", "HEAD"
    )
    assert_blocked(stage, "config.py:1:", key)
    blocked = run(["git", "push", "origin", "main"], cwd=repo, env=env)
    assert_blocked(blocked, "config.py:1:", key)
    assert git(remote, "rev-parse", "main").stdout.strip() == pushed


def test_a_first_push_is_checked_over_its_whole_history(
    framework_repo: tuple[Path, dict[str, str]], key: str, tmp_path: Path
) -> None:
    """pre-commit runs a push the remote has nothing of as `--all-files`: a key added and
    removed again is in no file, but every commit is sent."""
    repo, env = framework_repo
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    commit_unchecked(repo, "config.py", f'OPENAI_API_KEY = "{key}"\n', "leak")
    commit_unchecked(repo, "config.py", CLEAN_CONFIG, "fix")

    blocked = run(["git", "push", "origin", "main"], cwd=repo, env=env)

    assert_blocked(blocked, "config.py:1:", key)
    assert (
        git(tmp_path / "remote.git", "rev-parse", "--verify", "-q", "main", check=False).stdout
        == ""
    )


@pytest.mark.parametrize(
    "mode",
    [
        ("commit",),
        ("run",),
        ("run", "--all-files"),
        ("run", "--files", "config.py"),
        ("run", "--from-ref", "HEAD~1", "--to-ref", "HEAD"),
        ("push",),
    ],
    ids=["commit", "run", "all-files", "files", "from-ref", "push"],
)
def test_a_clean_repository_passes_in_every_mode(
    framework_repo: tuple[Path, dict[str, str]], tmp_path: Path, mode: tuple[str, ...]
) -> None:
    repo, env = framework_repo
    commit_unchecked(repo, "config.py", CLEAN_CONFIG, "config")
    (repo / "config.py").write_text(CLEAN_CONFIG + "DEBUG = 1\n", encoding="utf-8")
    git(repo, "add", "config.py")
    if mode == ("commit",):
        completed = run(["git", "commit", "-m", "debug"], cwd=repo, env=env)
    elif mode == ("push",):
        git(repo, "commit", "-q", "--no-verify", "-m", "debug")
        git(tmp_path, "init", "-q", "--bare", "remote.git")
        git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
        completed = run(["git", "push", "origin", "main"], cwd=repo, env=env)
    else:
        if "--from-ref" in mode:
            git(repo, "commit", "-q", "--no-verify", "-m", "debug")
        completed = pre_commit(repo, env, *mode[1:])
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "keyleak" in output and "Failed" not in output
