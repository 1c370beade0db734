"""`keyleak staged`: the lines a commit would add, read from the index and never the worktree.

Every test builds a real repository under tmp_path. Keys are built at run time (tests/keys.py):
no key-shaped literal may appear in this file.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Chunk, Skipped
from scanner.sources.diff import parse_added_lines, unquote_path
from scanner.sources.staged_diff import staged_chunks
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.keys import OPENAI_MARKER, every_openai_shape, openai_key

KEYLEAK = Path(sys.executable).parent / "keyleak"
PROJECT = "openai-project-key"
TOO_BIG = "larger than --max-file-size"


# --- helpers -------------------------------------------------------------------------------


Staged = Callable[..., Outcome]


@pytest.fixture
def staged(capsys: pytest.CaptureFixture[str]) -> Staged:
    """Run `keyleak staged --format json [args]` in-process from `cwd`, through `main()`.

    `main()` is what the installed script runs, so the exit code is the real one (errors
    included), not just the command's return value.
    """

    def invoke(cwd: Path, *args: str) -> Outcome:
        return keyleak(capsys, cwd, "staged", "--format", "json", *args)

    return invoke


def assert_clean(outcome: Outcome) -> None:
    assert outcome.err == ""
    assert outcome.found() == []
    assert outcome.code == 0


def put(root: Path, name: str, content: str | bytes) -> Path:
    """Write a file byte for byte (no newline translation), creating its directories."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def text(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


def commit_all(repo: Path, message: str = "base") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def filler(count: int, prefix: str = "line") -> list[str]:
    return [f"{prefix} {number} = {number * 7}" for number in range(1, count + 1)]


# --- first commit, index versus worktree ---------------------------------------------------


def test_nothing_staged_is_clean(repo: Path, staged: Staged) -> None:
    outcome = staged(repo)
    assert_clean(outcome)
    assert outcome.report()["stats"]["files_scanned"] == 0
    assert outcome.report()["skipped"] == []


def test_initial_commit_scans_every_staged_line(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "README.md", text("# demo", "", "nothing to see"))
    put(repo, "app/config.py", text("import os", "", f'API_KEY = "{key}"', "DEBUG = False"))
    git(repo, "add", "-A")

    outcome = staged(repo)

    assert outcome.code == 1
    assert outcome.found() == [("app/config.py", 3, PROJECT)]
    location = outcome.report()["findings"][0]["location"]
    assert location == {
        "kind": "staged",
        "path": "app/config.py",
        "line": 3,
        "column": 12,
        "end_line": 3,
    }
    assert key not in outcome.out  # redacted by default
    assert outcome.report()["stats"]["files_scanned"] == 2
    assert git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0


def test_initial_commit_reports_every_openai_shape(repo: Path, staged: Staged) -> None:
    shapes = every_openai_shape()
    put(repo, "keys.txt", text("header", *(f"k{n} = {k}" for n, (_, k) in enumerate(shapes))))
    git(repo, "add", "keys.txt")

    outcome = staged(repo)

    assert outcome.code == 1
    assert outcome.found() == [
        ("keys.txt", line, rule_id) for line, (rule_id, _) in enumerate(shapes, start=2)
    ]


def test_no_redact_reports_the_exact_staged_secret(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "k.env", text(f"OPENAI_API_KEY={key}"))
    git(repo, "add", "k.env")

    outcome = staged(repo, "--no-redact")

    assert outcome.found() == [("k.env", 1, PROJECT)]
    assert outcome.report()["findings"][0]["secret"] == key


def test_key_only_in_worktree_is_clean(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "settings.py", text(*filler(3)))
    commit_all(repo)
    put(repo, "settings.py", text(*filler(3), f"KEY = '{key}'"))  # modified, not staged
    put(repo, "untracked.env", text(f"OPENAI_API_KEY={key}"))  # never added
    put(repo, "other.py", text("print('hello')"))
    git(repo, "add", "other.py")

    assert_clean(staged(repo))


def test_staged_key_removed_from_worktree_is_still_found(
    repo: Path, staged: Staged, key: str
) -> None:
    put(repo, "settings.py", text(*filler(3)))
    commit_all(repo)
    put(repo, "settings.py", text("line 1 = 7", f"KEY = '{key}'", *filler(3)[1:]))
    git(repo, "add", "settings.py")
    put(repo, "settings.py", text(*filler(3), "KEY = os.environ['KEY']"))  # fixed, not staged

    outcome = staged(repo)

    assert outcome.code == 1
    assert outcome.found() == [("settings.py", 2, PROJECT)]


def test_line_numbers_come_from_the_index_not_the_worktree(
    repo: Path, staged: Staged, key: str
) -> None:
    put(repo, "settings.py", text(*filler(4)))
    commit_all(repo)
    staged_lines = [*filler(2), f"KEY = '{key}'", *filler(4)[2:]]
    put(repo, "settings.py", text(*staged_lines))
    git(repo, "add", "settings.py")
    put(repo, "settings.py", text(*filler(5, "new"), *staged_lines))  # key now on line 8

    assert staged(repo).found() == [("settings.py", 3, PROJECT)]


def test_partially_staged_file_follows_the_index(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "settings.py", text(*filler(4)))
    commit_all(repo)
    put(repo, "settings.py", text(*filler(4), "TIMEOUT = 30"))
    git(repo, "add", "settings.py")  # the index gets the harmless line
    put(repo, "settings.py", text(*filler(4), "TIMEOUT = 30", f"KEY = '{key}'"))

    assert_clean(staged(repo))


def test_intent_to_add_file_is_not_scanned(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "base.txt", text("base"))
    commit_all(repo)
    put(repo, "later.env", text(f"OPENAI_API_KEY={key}"))
    git(repo, "add", "--intent-to-add", "later.env")  # a commit would not include its content

    assert_clean(staged(repo))


# --- only added lines ----------------------------------------------------------------------


def test_committed_key_with_unrelated_change_is_clean(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "settings.py", text("NAME = 'demo'", f"KEY = '{key}'", "PORT = 80"))
    commit_all(repo)
    # change the lines on both sides of the committed key, and append one
    put(repo, "settings.py", text("NAME = 'demo2'", f"KEY = '{key}'", "PORT = 81", "DEBUG = 1"))
    git(repo, "add", "settings.py")

    assert_clean(staged(repo))


@pytest.mark.parametrize("line", [1, 6, 11])
def test_key_added_to_existing_file_is_reported_on_its_line(
    repo: Path, staged: Staged, key: str, line: int
) -> None:
    lines = filler(10)
    put(repo, "settings.py", text(*lines))
    commit_all(repo)
    lines[lines.index("line 3 = 21")] = "line 3 = changed"  # another hunk before or around it
    lines.insert(line - 1, f"KEY = '{key}'")
    put(repo, "settings.py", text(*lines))
    git(repo, "add", "settings.py")

    outcome = staged(repo)

    assert outcome.code == 1
    assert outcome.found() == [("settings.py", line, PROJECT)]


def test_several_keys_in_several_files(repo: Path, staged: Staged) -> None:
    first, second, third = openai_key(), openai_key("svcacct-"), openai_key("admin-", 58)
    put(repo, "a.py", text(*filler(20)))
    put(repo, "b/c.py", text(*filler(5)))
    commit_all(repo)
    a_lines = filler(20)
    a_lines[4] = f"A = '{first}'"
    a_lines.insert(15, f"B = '{second}'")
    put(repo, "a.py", text(*a_lines))
    put(repo, "b/c.py", text(*filler(5), f"C = '{third}'"))
    git(repo, "add", "-A")

    assert staged(repo).found() == [
        ("a.py", 5, PROJECT),
        ("a.py", 16, "openai-service-account-key"),
        ("b/c.py", 6, "openai-admin-key"),
    ]


# --- renames, deletions, mode changes, binary files ----------------------------------------


def test_rename_of_file_with_committed_key_is_clean(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "old.env", text(*filler(10), f"OPENAI_API_KEY={key}"))
    commit_all(repo)
    (repo / "conf").mkdir()
    git(repo, "mv", "old.env", "conf/new name.env")

    assert_clean(staged(repo))


def test_rename_with_added_key_reports_only_the_new_line_under_the_new_path(
    repo: Path, staged: Staged, key: str
) -> None:
    old_key, new_key = key, openai_key()
    lines = [*filler(10), f"OPENAI_API_KEY={old_key}"]
    put(repo, "old.env", text(*lines))
    commit_all(repo)
    (repo / "conf").mkdir()
    git(repo, "mv", "old.env", "conf/new.env")
    lines.insert(3, f"SECOND_KEY={new_key}")
    put(repo, "conf/new.env", text(*lines))
    git(repo, "add", "conf/new.env")
    status = git(repo, "diff", "--cached", "-M", "--name-status").stdout
    assert status.startswith("R"), status  # really seen as a rename

    outcome = staged(repo, "--no-redact")

    assert outcome.found() == [("conf/new.env", 4, PROJECT)]
    assert outcome.report()["findings"][0]["secret"] == new_key


def test_deleted_file_and_deleted_lines_are_clean(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "gone.env", text(f"OPENAI_API_KEY={key}"))
    put(repo, "kept.py", text("A = 1", f"KEY = '{key}'", "B = 2"))
    commit_all(repo)
    git(repo, "rm", "-q", "gone.env")
    put(repo, "kept.py", text("A = 1", "B = 2"))
    git(repo, "add", "kept.py")

    assert_clean(staged(repo))


def test_mode_change_of_file_with_committed_key_is_clean(
    repo: Path, staged: Staged, key: str
) -> None:
    script = put(repo, "run.sh", text("#!/bin/sh", f"export OPENAI_API_KEY={key}"))
    commit_all(repo)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    git(repo, "add", "run.sh")
    assert git(repo, "diff", "--cached", "--name-only").stdout == "run.sh\n"

    assert_clean(staged(repo))


def test_binary_file_is_not_reported(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "a.bin", b"\x00\x01\x02binary\n" + f"OPENAI_API_KEY={key}\n".encode())
    put(repo, "b.env", text("X=1", f"OPENAI_API_KEY={openai_key()}"))
    git(repo, "add", "-A")

    outcome = staged(repo)

    assert outcome.found() == [("b.env", 2, PROJECT)]  # the text file after it is still parsed
    assert outcome.report()["skipped"] == [{"path": "a.bin", "reason": "binary"}]


def test_binary_attribute_does_not_hide_a_text_file(repo: Path, staged: Staged, key: str) -> None:
    put(repo, ".gitattributes", text("*.env binary"))
    commit_all(repo)
    put(repo, "prod.env", text(f"OPENAI_API_KEY={key}"))
    git(repo, "add", "prod.env")

    assert staged(repo).found() == [("prod.env", 1, PROJECT)]


# --- path names ----------------------------------------------------------------------------

UNUSUAL_NAMES = (
    "naïve dir/clé.env",
    "with space.env",
    "tab\there.env",
    'double"quote.env',
    'space and "quote".env',
    "back\\slash.env",
    "日本/鍵.txt",
    "-- dashes.env",
    "+++ plus.env",
)


@pytest.mark.parametrize("quote_path", ["true", "false"])
@pytest.mark.parametrize("first_commit", [True, False], ids=["new-files", "modified-files"])
def test_unusual_file_names_are_reported_decoded(
    repo: Path, staged: Staged, quote_path: str, first_commit: bool
) -> None:
    git(repo, "config", "core.quotePath", quote_path)
    if not first_commit:
        for name in UNUSUAL_NAMES:
            put(repo, name, text("first line"))
        commit_all(repo)
    keys = {name: openai_key() for name in UNUSUAL_NAMES}
    for name, key in keys.items():
        put(repo, name, text("first line", f"KEY={key}"))
    git(repo, "add", "-A")

    outcome = staged(repo, "--no-redact")

    assert outcome.code == 1
    assert sorted(outcome.found()) == sorted((name, 2, PROJECT) for name in UNUSUAL_NAMES)
    assert {f["location"]["path"]: f["secret"] for f in outcome.report()["findings"]} == keys


def test_unusual_file_name_in_text_report(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "naïve dir/clé.env", text("X=1", f"KEY={key}"))
    git(repo, "add", "-A")

    outcome = staged(repo, "--format", "text")  # the later --format wins

    assert outcome.code == 1
    assert "naïve dir/clé.env:2:5" in outcome.out
    assert key not in outcome.out


# --- line endings and diff markers ---------------------------------------------------------


def test_crlf_file_line_numbers_and_secret(repo: Path, staged: Staged, key: str) -> None:
    git(repo, "config", "core.autocrlf", "false")
    put(repo, "win.ini", "[a]\r\nname=demo\r\n")
    commit_all(repo)
    put(repo, "win.ini", f"[a]\r\nname=demo\r\n\r\nkey={key}\r\nport=1\r\n")
    put(repo, "new.ini", f"key={openai_key()}\r\n")
    git(repo, "add", "-A")

    outcome = staged(repo, "--no-redact")

    assert outcome.found() == [("new.ini", 1, PROJECT), ("win.ini", 4, PROJECT)]
    windows = outcome.report()["findings"][1]
    assert windows["secret"] == key
    assert "\r" not in outcome.report()["findings"][0]["secret"]
    assert (windows["location"]["column"], windows["location"]["end_line"]) == (5, 4)


def test_removed_double_dash_lines_do_not_confuse_the_parser(
    repo: Path, staged: Staged, key: str
) -> None:
    # A deleted "-- x" is shown as "--- x" and an added "++ b/x" as "+++ b/x": both look like
    # file headers, and only the hunk counts tell them apart.
    put(repo, "q.sql", text("select 1;", "-- x", "-- a/decoy", "select 2;", "-- y"))
    put(repo, "z.env", text("Z=1"))
    commit_all(repo)
    put(repo, "q.sql", text("select 1;", "++ b/evil.env", f"-- {key}", "select 2;"))
    put(repo, "z.env", text("Z=1", f"OPENAI_API_KEY={openai_key()}"))
    git(repo, "add", "-A")
    diff = git(repo, "diff", "--cached", "-U0").stdout
    assert "\n--- x\n" in diff and "\n+++ b/evil.env\n" in diff

    outcome = staged(repo)

    assert outcome.found() == [("q.sql", 3, PROJECT), ("z.env", 2, PROJECT)]


def test_no_newline_at_end_of_file(repo: Path, staged: Staged) -> None:
    put(repo, "a.txt", "one\ntwo")
    commit_all(repo)
    put(repo, "a.txt", f"one\ntwo\nKEY={openai_key()}")
    put(repo, "b.txt", f"KEY={openai_key()}")  # a new file without a final newline
    put(repo, "c.txt", text("x", f"KEY={openai_key()}"))
    git(repo, "add", "-A")
    assert "\\ No newline at end of file" in git(repo, "diff", "--cached").stdout

    assert staged(repo).found() == [
        ("a.txt", 3, PROJECT),
        ("b.txt", 1, PROJECT),
        ("c.txt", 2, PROJECT),
    ]


# --- false positives and suppressions ------------------------------------------------------


def test_placeholders_are_clean(repo: Path, staged: Staged) -> None:
    put(
        repo,
        "app.py",
        text(
            "OPENAI_API_KEY=sk-...",
            'client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])',
            "OPENAI_API_KEY: ${OPENAI_API_KEY}",
            "openai.api_key = 'sk-your-key-here'",
            "api_key = 'sk-" + "x" * 48 + "'",
            "key: sk-proj-" + "*" * 40 + OPENAI_MARKER + "*" * 4,
        ),
    )
    git(repo, "add", "-A")

    assert_clean(staged(repo))


def test_inline_allow_suppresses_only_its_line(repo: Path, staged: Staged, key: str) -> None:
    put(
        repo,
        "tests/fixture.py",
        text("A = 1", f"EXAMPLE = '{key}'  # keyleak:allow", f"REAL = '{openai_key()}'"),
    )
    git(repo, "add", "-A")

    outcome = staged(repo)

    assert outcome.found() == [("tests/fixture.py", 3, PROJECT)]
    assert outcome.report()["stats"]["suppressed"] == 1


def test_only_allowed_keys_is_clean(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "doc.md", text(f"`{key}` <!-- keyleak:allow -->"))
    git(repo, "add", "-A")

    outcome = staged(repo)

    assert_clean(outcome)
    assert outcome.report()["stats"]["suppressed"] == 1


# --- where it runs from --------------------------------------------------------------------


@pytest.mark.parametrize("relative", [None, "true"], ids=["default", "diff.relative"])
def test_run_from_a_subdirectory_sees_the_whole_index(
    repo: Path, staged: Staged, relative: str | None
) -> None:
    if relative is not None:
        git(repo, "config", "diff.relative", relative)
    put(repo, "top.env", text(f"KEY={openai_key()}"))
    put(repo, "src/deep/app.py", text("x = 1", f"KEY = '{openai_key()}'"))
    put(repo, "src/other/b.py", text("", "", f"KEY = '{openai_key()}'"))
    git(repo, "add", "-A")

    outcome = staged(repo / "src" / "deep")

    assert outcome.found() == [
        ("src/deep/app.py", 2, PROJECT),
        ("src/other/b.py", 3, PROJECT),
        ("top.env", 1, PROJECT),
    ]


def test_repository_nested_in_a_plain_directory(
    tmp_path: Path, staged: Staged, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    inner = tmp_path / "workspace" / "projects" / "inner"
    inner.mkdir(parents=True)
    put(tmp_path, "workspace/loose.env", text(f"KEY={openai_key()}"))  # outside any repository
    git(inner, "init", "-q", "-b", "main")
    put(inner, "pkg/mod.py", text("a = 1", "b = 2", f"KEY = '{key}'"))
    git(inner, "add", "-A")

    assert staged(inner / "pkg").found() == [("pkg/mod.py", 3, PROJECT)]
    outside = staged(tmp_path / "workspace")
    assert outside.code == 2
    assert outside.out == ""


def test_repository_nested_in_another_repository(repo: Path, staged: Staged, key: str) -> None:
    inner = repo / "vendor" / "inner"
    inner.mkdir(parents=True)
    git(inner, "init", "-q", "-b", "main")
    put(repo, "outer.env", text(f"KEY={openai_key()}"))
    put(inner, "inner.env", text("X=1", f"KEY={key}"))
    git(repo, "add", "outer.env")
    git(inner, "add", "inner.env")

    assert staged(inner).found() == [("inner.env", 2, PROJECT)]
    assert staged(repo).found() == [("outer.env", 1, PROJECT)]


# --- git configuration and environment must not change the result --------------------------

HOSTILE_SETTINGS: list[tuple[dict[str, str], dict[str, str]]] = [
    ({"diff.noprefix": "true"}, {}),
    ({"diff.mnemonicPrefix": "true"}, {}),
    ({"color.ui": "always", "color.diff": "always"}, {}),
    ({"diff.external": "false"}, {}),
    ({"diff.renames": "copies"}, {}),
    ({"diff.context": "5"}, {}),
    ({"diff.interHunkContext": "5"}, {}),
    ({"diff.interHunkContext": "5", "diff.suppressBlankEmpty": "true"}, {}),
    ({"diff.suppressBlankEmpty": "true"}, {"GIT_DIFF_OPTS": "--unified=3"}),
    ({"diff.algorithm": "histogram", "diff.indentHeuristic": "false"}, {}),
    ({}, {"GIT_EXTERNAL_DIFF": "false"}),
    ({}, {"LANG": "fr_FR.UTF-8", "LC_ALL": "fr_FR.UTF-8"}),
]


@pytest.mark.parametrize(
    ("config", "environment"),
    HOSTILE_SETTINGS,
    ids=[",".join([*config, *environment]) for config, environment in HOSTILE_SETTINGS],
)
def test_git_configuration_does_not_change_the_result(
    repo: Path,
    staged: Staged,
    monkeypatch: pytest.MonkeyPatch,
    config: dict[str, str],
    environment: dict[str, str],
) -> None:
    lines = ["a = 1", "b = 2", "", "d = 4", "e = 5", "", "g = 7", "h = 8"]
    put(repo, "f.py", text(*lines))
    put(repo, "g.env", text("X=1"))
    commit_all(repo)
    lines[1] = f"b = '{openai_key()}'"
    lines[4] = f"e = '{openai_key()}'"  # a blank line between the two changes
    lines.insert(7, f"g2 = '{openai_key()}'")
    put(repo, "f.py", text(*lines))
    put(repo, "g.env", text("X=1", f"KEY={openai_key()}"))
    git(repo, "add", "-A")
    for name, value in config.items():
        git(repo, "config", name, value)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    outcome = staged(repo)

    assert outcome.found() == [
        ("f.py", 2, PROJECT),
        ("f.py", 5, PROJECT),
        ("f.py", 8, PROJECT),
        ("g.env", 2, PROJECT),
    ]


# --- it only reads -------------------------------------------------------------------------


def snapshot(repo: Path) -> dict[str, Any]:
    index = repo / ".git" / "index"
    files = {
        str(path.relative_to(repo)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }
    return {
        "index": index.read_bytes(),
        "index_mtime": index.stat().st_mtime_ns,
        "git_dir": sorted(str(p.relative_to(repo)) for p in (repo / ".git").rglob("*")),
        "ls_files": git(repo, "ls-files", "-s").stdout,
        "cached": git(repo, "diff", "--cached").stdout,
        "files": files,
    }


def test_never_modifies_the_index_or_the_files(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "a.py", text(*filler(5)))
    put(repo, "b.py", text("b"))
    commit_all(repo)
    put(repo, "a.py", text(*filler(5), f"KEY = '{key}'"))
    git(repo, "add", "a.py")
    put(repo, "a.py", text("worktree only"))
    # make the index stale so that anything refreshing it would rewrite it
    os.utime(repo / "b.py", ns=(1_000_000_000, 1_000_000_000))
    before = snapshot(repo)

    outcome = staged(repo)

    after = snapshot(repo)
    assert outcome.found() == [("a.py", 6, PROJECT)]
    assert after == before


def test_existing_index_lock_does_not_make_it_fail(repo: Path, staged: Staged, key: str) -> None:
    put(repo, "a.py", text("a"))
    commit_all(repo)
    put(repo, "a.py", text("a", f"KEY = '{key}'"))
    git(repo, "add", "a.py")
    lock = repo / ".git" / "index.lock"
    lock.write_bytes(b"")  # as while `git commit` runs its hooks
    index = (repo / ".git" / "index").read_bytes()

    outcome = staged(repo)

    assert outcome.err == ""
    assert outcome.found() == [("a.py", 2, PROJECT)]
    assert lock.exists() and lock.read_bytes() == b""
    assert (repo / ".git" / "index").read_bytes() == index


# --- errors --------------------------------------------------------------------------------


def test_outside_a_repository_is_a_one_line_usage_error(
    tmp_path: Path, staged: Staged, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    plain = tmp_path / "plain"
    plain.mkdir()
    put(plain, "k.env", text(f"KEY={openai_key()}"))

    outcome = staged(plain)

    assert outcome.code == 2
    assert outcome.out == ""
    assert outcome.err == "keyleak: error: not inside a git repository\n"


def test_outside_a_repository_with_the_real_binary(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    environment = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)}

    completed = subprocess.run(
        [str(KEYLEAK), "staged"], cwd=plain, env=environment, capture_output=True, text=True
    )

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == ["keyleak: error: not inside a git repository"]


# --- --max-file-size -----------------------------------------------------------------------


def test_added_content_over_max_file_size_is_skipped_not_found(repo: Path, staged: Staged) -> None:
    short = openai_key(length=20)
    put(repo, "big.env", text(*filler(10), f"KEY={openai_key(length=20)}"))
    put(repo, "small.env", text(f"K={short}"))
    git(repo, "add", "-A")

    outcome = staged(repo, "--max-file-size", "100")

    assert outcome.found() == [("small.env", 1, PROJECT)]
    assert outcome.report()["skipped"] == [{"path": "big.env", "reason": TOO_BIG}]
    assert outcome.report()["stats"]["skipped"] == 1
    assert outcome.code == 1


def test_only_skipped_content_is_not_a_finding(repo: Path, staged: Staged) -> None:
    put(repo, "big.env", text(*filler(10), f"KEY={openai_key()}"))
    git(repo, "add", "-A")

    outcome = staged(repo, "--max-file-size", "200")

    assert_clean(outcome)
    assert outcome.report()["skipped"] == [{"path": "big.env", "reason": TOO_BIG}]


def test_max_file_size_counts_only_the_added_lines(repo: Path, staged: Staged) -> None:
    put(repo, "large.py", text(*filler(100)))  # far over the limit, but already committed
    commit_all(repo)
    put(repo, "large.py", text(*filler(100), f"K='{openai_key(length=20)}'"))
    git(repo, "add", "-A")

    outcome = staged(repo, "--max-file-size", "100")

    assert outcome.found() == [("large.py", 101, PROJECT)]
    assert outcome.report()["skipped"] == []


# --- through a real pre-commit hook --------------------------------------------------------


@pytest.fixture
def hooked(repo: Path) -> Path:
    """A repository with one committed file and a plain hook that runs the installed binary."""
    put(repo, "settings.py", text("NAME = 'demo'", "PORT = 80"))
    commit_all(repo)
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(f"#!/bin/sh\nexec {shlex.quote(str(KEYLEAK))} staged\n", encoding="utf-8")
    hook.chmod(0o755)
    return repo


def test_commit_all_with_a_new_key_is_blocked(hooked: Path, key: str) -> None:
    before = head(hooked)
    put(hooked, "settings.py", text("NAME = 'demo'", "PORT = 80", f"KEY = '{key}'"))

    completed = git(hooked, "commit", "-a", "-m", "x", check=False)

    output = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert head(hooked) == before
    assert "settings.py:3:" in output
    assert key not in output
    assert git(hooked, "diff", "--cached", "--name-only").stdout == ""  # index left as it was


def test_commit_all_without_a_key_succeeds(hooked: Path) -> None:
    before = head(hooked)
    put(hooked, "settings.py", text("NAME = 'demo'", "PORT = 81", "DEBUG = True"))

    completed = git(hooked, "commit", "-a", "-m", "x", check=False)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert head(hooked) != before


def test_commit_with_a_pathspec_uses_the_temporary_index(hooked: Path, key: str) -> None:
    before = head(hooked)
    put(hooked, "settings.py", text("NAME = 'demo'", f"KEY = '{key}'", "PORT = 80"))

    completed = git(hooked, "commit", "-m", "x", "--", "settings.py", check=False)

    assert completed.returncode != 0
    assert head(hooked) == before
    assert "settings.py:2:" in completed.stdout + completed.stderr


def test_commit_ignores_a_key_left_unstaged(hooked: Path, key: str) -> None:
    before = head(hooked)
    put(hooked, "settings.py", text("NAME = 'demo'", "PORT = 80", f"KEY = '{key}'"))
    put(hooked, "notes.txt", text("harmless"))
    git(hooked, "add", "notes.txt")

    completed = git(hooked, "commit", "-m", "x", check=False)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert head(hooked) != before
    assert git(hooked, "show", "--name-only", "--format=", "HEAD").stdout == "notes.txt\n"


# --- the parser, on hand-written diffs -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"b/plain.txt", b"b/plain.txt"),
        (b"b/with space.txt\t", b"b/with space.txt"),
        (b'"b/na\\303\\257ve dir/cl\\303\\251.env"', "b/naïve dir/clé.env".encode()),
        (b'"b/na\\303\\257ve dir/cl\\303\\251.env"\t', "b/naïve dir/clé.env".encode()),
        (b'"b/tab\\there"', b"b/tab\there"),
        (b'"b/q\\"uote"', b'b/q"uote'),
        (b'"b/sp \\"q\\".txt"\t', b'b/sp "q".txt'),
        (b'"b/back\\\\slash"', b"b/back\\slash"),
        (b'"b/new\\nline\\r"', b"b/new\nline\r"),
        (b'"b/\\a\\b\\f\\v"', b"b/\a\b\f\v"),
        (b'"b/\\346\\227\\245"', "b/日".encode()),
        (b'"b/caf\\351"', b"b/caf\xe9"),
    ],
)
def test_unquote_path(raw: bytes, expected: bytes) -> None:
    assert unquote_path(raw) == expected


def parsed(diff: bytes) -> list[tuple[bytes, list[bytes], list[int]]]:
    return [(a.path, a.lines, a.line_numbers) for a in parse_added_lines(diff)]


def test_parse_multiple_hunks_with_and_without_counts() -> None:
    diff = b"""\
diff --git a/f.py b/f.py
index 1111111..2222222 100644
--- a/f.py
+++ b/f.py
@@ -2 +2 @@
-old
+new two
@@ -5,0 +6,2 @@ def f():
+six
+seven
@@ -10,2 +11,0 @@
-gone
-gone too
@@ -20 +19,3 @@ class C:
-x
+a
+b
+c
"""
    assert parsed(diff) == [
        (b"f.py", [b"new two", b"six", b"seven", b"a", b"b", b"c"], [2, 6, 7, 19, 20, 21])
    ]


def test_parse_header_lookalikes_inside_hunks() -> None:
    diff = b"""\
diff --git a/q.sql b/q.sql
--- a/q.sql
+++ b/q.sql
@@ -2,2 +2,3 @@
--- x
--- a/decoy
+++ b/evil
+diff --git a/evil b/evil
+@@ -1 +1 @@
@@ -6 +7,0 @@
--- y
diff --git a/z b/z
--- a/z
+++ b/z
@@ -1,0 +2 @@
+zed
"""
    assert parsed(diff) == [
        (b"q.sql", [b"++ b/evil", b"diff --git a/evil b/evil", b"@@ -1 +1 @@"], [2, 3, 4]),
        (b"z", [b"zed"], [2]),
    ]


def test_parse_no_newline_markers() -> None:
    diff = b"""\
diff --git a/a.txt b/a.txt
--- a/a.txt
+++ b/a.txt
@@ -2 +2,2 @@
-two
\\ No newline at end of file
+two
+three
\\ No newline at end of file
diff --git a/b.txt b/b.txt
new file mode 100644
--- /dev/null
+++ b/b.txt
@@ -0,0 +1 @@
+bee
\\ No newline at end of file"""
    assert parsed(diff) == [(b"a.txt", [b"two", b"three"], [2, 3]), (b"b.txt", [b"bee"], [1])]


def test_parse_context_lines_and_suppressed_blank_context() -> None:
    # GIT_DIFF_OPTS or diff.interHunkContext add context despite -U0, and
    # diff.suppressBlankEmpty prints a blank context line as an empty line.
    diff = b"""\
diff --git a/f b/f
--- a/f
+++ b/f
@@ -1,4 +1,4 @@
-l1
+L1

 l3
-l4
+L4
diff --git a/g b/g
--- a/g
+++ b/g
@@ -1,0 +2 @@ x
+y
"""
    assert parsed(diff) == [(b"f", [b"L1", b"L4"], [1, 4]), (b"g", [b"y"], [2])]


def test_parse_skips_deletions_binaries_and_pure_renames() -> None:
    diff = b"""\
diff --git a/gone b/gone
deleted file mode 100644
--- a/gone
+++ /dev/null
@@ -1,2 +0,0 @@
-one
-two
diff --git a/img.png b/img.png
new file mode 100644
index 0000000..1111111
Binary files /dev/null and b/img.png differ
diff --git a/old name b/new name
similarity index 100%
rename from old name
rename to new name
diff --git a/shrunk b/shrunk
--- a/shrunk
+++ b/shrunk
@@ -3 +2,0 @@
-three
diff --git "a/na\\303\\257ve dir/x" "b/na\\303\\257ve dir/x"
--- "a/na\\303\\257ve dir/x"\t
+++ "b/na\\303\\257ve dir/x"\t
@@ -1 +1 @@
-old\r
+new\r
"""
    assert parsed(diff) == [("naïve dir/x".encode(), [b"new\r"], [1])]


def test_staged_chunks_keep_line_numbers_and_apply_the_size_limit() -> None:
    diff = b"""\
diff --git a/small b/small
--- a/small
+++ b/small
@@ -4,0 +5,2 @@
+12345
+6789
diff --git a/caf\xe9 b/caf\xe9
--- a/caf\xe9
+++ b/caf\xe9
@@ -0,0 +1 @@
+x
diff --git a/big b/big
--- /dev/null
+++ b/big
@@ -0,0 +1,3 @@
+0123456789
+0123456789
+0123456789
"""
    chunks = list(staged_chunks(diff, max_size=20))

    assert len(chunks) == 3
    small, latin, big = chunks
    assert isinstance(small, Chunk) and isinstance(latin, Chunk)
    assert small.content == b"12345\n6789"
    assert (small.origin.path, small.origin.kind, small.origin.line_numbers) == (
        "small",
        "staged",
        (5, 6),
    )
    assert os.fsencode(latin.origin.path) == b"caf\xe9"
    assert big == Skipped(path="big", reason=TOO_BIG)
