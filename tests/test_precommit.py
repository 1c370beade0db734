"""The pre-commit framework runs keyleak from the hook manifest and blocks a commit with a key.

No network: instead of letting pre-commit clone this repository and pip-install it (what
`language: python` does for users), the test turns the real manifest entry into a `repo: local`
hook with `language: system` that runs the keyleak of the current environment.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import git, run_process

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


def test_manifest_runs_keyleak_staged_once_per_commit() -> None:
    hook = manifest_hook()
    assert hook["id"] == "keyleak"
    assert hook["name"] == "keyleak"
    assert hook["description"]
    assert hook["entry"] == "keyleak staged"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert hook["require_serial"] is True
    assert hook["stages"] == ["pre-commit"]


def test_manifest_is_valid_for_pre_commit(tmp_path: Path) -> None:
    completed = run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)],
        cwd=tmp_path,
        env=pre_commit_env(tmp_path),
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture
def framework_repo(repo: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository with one commit whose pre-commit hook is the framework running keyleak."""
    config = {"repos": [{"repo": "local", "hooks": [local_hook(manifest_hook())]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "configure pre-commit")
    env = pre_commit_env(tmp_path)
    installed = run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=env)
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
