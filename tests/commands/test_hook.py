"""`keyleak hook install|uninstall`: the plain git hook, exercised with real `git commit`s."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from scanner.commands.hook import BACKUP_SUFFIX, MARKER
from scanner.entry import main
from tests.conftest import git

FOREIGN_HOOK = "#!/bin/sh\n# someone else's hook\nexit 0\n"
CLEAN_CONFIG = 'import os\n\nOPENAI_API_KEY = os.environ["OPENAI_API_KEY"]\n'


def keyleak(*args: str) -> int:
    """Run the CLI in-process and return its exit code."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    code = exit_info.value.code
    assert isinstance(code, int)
    return code


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def commit(repo: Path, message: str) -> tuple[int, str]:
    completed = git(repo, "commit", "-m", message, check=False)
    return completed.returncode, completed.stdout + completed.stderr


def write_foreign_hook(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FOREIGN_HOOK, encoding="utf-8")
    path.chmod(0o755)


def is_executable(path: Path) -> bool:
    return path.is_file() and bool(path.stat().st_mode & stat.S_IXUSR)


@pytest.fixture
def in_repo(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The empty repository with one commit, as the current directory."""
    git(repo, "commit", "-q", "--allow-empty", "-m", "initial")
    monkeypatch.chdir(repo)
    return repo


def hook_path(repo: Path) -> Path:
    return repo / ".git" / "hooks" / "pre-commit"


def assert_blocks_key_and_passes_clean(repo: Path, key: str) -> None:
    before = head(repo)
    (repo / "config.py").write_text(f'OPENAI_API_KEY = "{key}"\n', encoding="utf-8")
    git(repo, "add", "config.py")
    code, output = commit(repo, "add a key")
    assert code != 0, output
    assert head(repo) == before
    assert "config.py" in output
    assert "openai-project-key" in output
    assert key not in output

    (repo / "config.py").write_text(CLEAN_CONFIG, encoding="utf-8")
    git(repo, "add", "config.py")
    code, output = commit(repo, "read the key from the environment")
    assert code == 0, output
    assert head(repo) != before


def test_install_writes_an_executable_marked_hook(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert keyleak("hook", "install") == 0
    hook = hook_path(in_repo)
    assert is_executable(hook)
    text = hook.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert MARKER in text
    assert str(hook) in capsys.readouterr().out


def test_install_is_idempotent(in_repo: Path) -> None:
    assert keyleak("hook", "install") == 0
    first = hook_path(in_repo).read_text(encoding="utf-8")
    assert keyleak("hook", "install") == 0
    assert hook_path(in_repo).read_text(encoding="utf-8") == first
    assert not hook_path(in_repo).with_name("pre-commit" + BACKUP_SUFFIX).exists()


def test_installed_hook_blocks_a_staged_key_and_passes_a_clean_commit(
    in_repo: Path, key: str
) -> None:
    assert keyleak("hook", "install") == 0
    assert_blocks_key_and_passes_clean(in_repo, key)


def test_installed_hook_is_not_shadowed_by_a_scanner_package_in_the_repository(
    in_repo: Path, key: str
) -> None:
    # git runs hooks from the top of the work tree: `python -m scanner` must still find keyleak,
    # not a `scanner` package that happens to live in the repository being committed to.
    package = in_repo / "scanner"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "__main__.py").write_text(
        "raise SystemExit('not keyleak: the repository scanner package ran')\n", encoding="utf-8"
    )
    git(in_repo, "add", "scanner")
    git(in_repo, "commit", "-q", "-m", "a scanner package of its own")
    assert keyleak("hook", "install") == 0
    assert_blocks_key_and_passes_clean(in_repo, key)


def test_install_refuses_to_overwrite_a_foreign_hook(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = hook_path(in_repo)
    write_foreign_hook(hook)
    assert keyleak("hook", "install") == 2
    assert hook.read_text(encoding="utf-8") == FOREIGN_HOOK
    assert not hook.with_name("pre-commit" + BACKUP_SUFFIX).exists()
    assert "--force" in capsys.readouterr().err


def test_force_keeps_the_foreign_hook_and_uninstall_restores_it(in_repo: Path) -> None:
    hook = hook_path(in_repo)
    backup = hook.with_name("pre-commit" + BACKUP_SUFFIX)
    write_foreign_hook(hook)

    assert keyleak("hook", "install", "--force") == 0
    assert MARKER in hook.read_text(encoding="utf-8")
    assert is_executable(hook)
    assert backup.read_text(encoding="utf-8") == FOREIGN_HOOK

    assert keyleak("hook", "uninstall") == 0
    assert hook.read_text(encoding="utf-8") == FOREIGN_HOOK
    assert is_executable(hook)
    assert not backup.exists()


def test_force_never_overwrites_an_earlier_backup(in_repo: Path) -> None:
    hook = hook_path(in_repo)
    backup = hook.with_name("pre-commit" + BACKUP_SUFFIX)
    write_foreign_hook(hook)
    assert keyleak("hook", "install", "--force") == 0
    second = "#!/bin/sh\n# another tool's hook\nexit 0\n"
    hook.write_text(second, encoding="utf-8")

    assert keyleak("hook", "install", "--force") == 2
    assert backup.read_text(encoding="utf-8") == FOREIGN_HOOK
    assert hook.read_text(encoding="utf-8") == second


def test_a_dangling_symlink_hook_is_foreign(in_repo: Path) -> None:
    hook = hook_path(in_repo)
    hook.parent.mkdir(parents=True, exist_ok=True)
    target = in_repo / "shared-hooks" / "pre-commit"
    hook.symlink_to(target)

    assert keyleak("hook", "install") == 2
    assert hook.is_symlink()
    assert not target.parent.exists()

    assert keyleak("hook", "install", "--force") == 0
    assert hook.with_name("pre-commit" + BACKUP_SUFFIX).is_symlink()
    assert not hook.is_symlink()
    assert MARKER in hook.read_text(encoding="utf-8")
    assert not target.parent.exists()


def test_uninstall_removes_keyleaks_hook(in_repo: Path) -> None:
    assert keyleak("hook", "install") == 0
    assert keyleak("hook", "uninstall") == 0
    assert not hook_path(in_repo).exists()


def test_uninstall_refuses_to_remove_a_foreign_hook(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = hook_path(in_repo)
    write_foreign_hook(hook)
    assert keyleak("hook", "uninstall") == 2
    assert hook.read_text(encoding="utf-8") == FOREIGN_HOOK
    assert "not written by keyleak" in capsys.readouterr().err


def test_uninstall_with_nothing_installed_is_a_no_op(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert keyleak("hook", "uninstall") == 0
    assert not hook_path(in_repo).exists()
    assert "nothing to do" in capsys.readouterr().out


@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_core_hooks_path_is_honoured(in_repo: Path, key: str, absolute: bool) -> None:
    hooks = in_repo / "githooks"
    git(in_repo, "config", "core.hooksPath", str(hooks) if absolute else "githooks")
    assert keyleak("hook", "install") == 0
    assert is_executable(hooks / "pre-commit")
    assert not hook_path(in_repo).exists()
    # git itself runs it from there
    assert_blocks_key_and_passes_clean(in_repo, key)


def test_core_hooks_path_is_honoured_from_a_subdirectory(
    in_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(in_repo, "config", "core.hooksPath", "githooks")
    subdirectory = in_repo / "src" / "deep"
    subdirectory.mkdir(parents=True)
    monkeypatch.chdir(subdirectory)
    assert keyleak("hook", "install") == 0
    assert is_executable(in_repo / "githooks" / "pre-commit")
    assert not (subdirectory / "githooks").exists()
    assert os.listdir(subdirectory) == []


def test_install_from_a_linked_worktree_uses_the_shared_hooks(
    in_repo: Path, key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linked = tmp_path / "linked"
    git(in_repo, "worktree", "add", "-q", "-b", "feature", str(linked))
    monkeypatch.chdir(linked)
    assert keyleak("hook", "install") == 0
    assert is_executable(hook_path(in_repo))
    assert_blocks_key_and_passes_clean(linked, key)
