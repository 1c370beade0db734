"""`keyleak history --range`: exactly the secrets a range of commits adds (pull requests, pushes).

Every test builds a real repository under tmp_path; keys are built at run time (tests/keys.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import author, commit, config_line


def in_range(capsys: pytest.CaptureFixture[str], repo: Path, *ranges: str) -> Outcome:
    args = [part for value in ranges for part in ("--range", value)]
    return keyleak(
        capsys, repo, "history", str(repo), *args, "--format", "json", "--no-redact", "-j", "1"
    )


def branch_off(repo: Path, name: str = "feature") -> str:
    base = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "checkout", "-q", "-b", name)
    return base


def test_pull_request_matrix(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Added, added then removed, present before, moved: only what the range added is reported,
    each once, at the commit that added it."""
    before, moved_before, added, transient, moved_inside = (openai_key() for _ in range(5))
    commit(
        repo,
        {
            "old.py": config_line(before),
            "legacy/settings.py": "x = 1\n" + config_line(moved_before),
        },
        "base",
    )
    base = branch_off(repo)
    first = commit(
        repo,
        {
            "new.py": config_line(added),
            "tmp.py": config_line(transient),
            "later.py": config_line(moved_inside),
        },
        "add three",
        **author("Pat Request", "pat@example.com", "2023-02-03T04:05:06+00:00"),
    )
    commit(repo, {"old.py": "# touched\n" + config_line(before)}, "edit near an old secret")
    commit(
        repo,
        {
            "legacy/settings.py": "x = 1\n",
            "config/settings.py": "y = 2\n" + config_line(moved_before),
        },
        "move an old secret to another file",
    )
    commit(
        repo,
        {"tmp.py": None, "later.py": "pass\n", "moved.py": config_line(moved_inside)},
        "remove one, move one",
    )

    outcome = in_range(capsys, repo, f"{base}..feature")

    assert outcome.code == 1
    found = outcome.by_secret()
    assert set(found) == {added, transient, moved_inside}
    for secret in (added, transient, moved_inside):
        finding = found[secret]
        assert finding["location"]["commit"] == first
        assert finding["location"]["kind"] == "commit"
        assert finding["introduced_by"] == {
            "sha": first,
            "author_name": "Pat Request",
            "author_email": "pat@example.com",
            "date": "2023-02-03T04:05:06+00:00",
        }
    assert found[added]["location"]["path"] == "new.py"
    assert found[moved_inside]["location"]["path"] == "later.py"
    assert outcome.report()["stats"]["commits_scanned"] == 4


def test_line_numbers_are_those_of_the_file_at_that_commit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"app.py": "".join(f"line_{n} = {n}\n" for n in range(10))}, "base")
    base = branch_off(repo)
    lines = [f"line_{n} = {n}\n" for n in range(10)]
    lines.insert(6, config_line(key))
    commit(repo, {"app.py": "".join(lines)}, "insert")

    [finding] = in_range(capsys, repo, f"{base}..HEAD").findings()

    assert (finding["location"]["path"], finding["location"]["line"]) == ("app.py", 7)


def test_rename_inside_the_range_adds_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, {"a/k.py": config_line(openai_key())}, "base")
    base = branch_off(repo)
    git(repo, "mv", "a", "b")
    commit(repo, {}, "rename")

    outcome = in_range(capsys, repo, f"{base}..HEAD")

    assert outcome.code == 0
    assert outcome.findings() == []


def test_each_env_file_the_range_adds_is_reported_at_its_own_path(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, {"README.md": "docs\n"}, "base")
    base = branch_off(repo)
    first = commit(repo, {"api/.env": "PORT=1\n"}, "one")
    second = commit(repo, {"web/.env": "PORT=2\n", "api/.env": "PORT=3\n"}, "two")

    outcome = in_range(capsys, repo, f"{base}..HEAD")

    assert outcome.code == 1
    found = {
        (f["rule_id"], f["location"]["path"], f["location"]["commit"]) for f in outcome.findings()
    }
    assert found == {("dotenv-file", "api/.env", first), ("dotenv-file", "web/.env", second)}


def test_merging_the_base_in_brings_nothing_new(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    on_main, on_branch = openai_key(), openai_key()
    commit(repo, {"README.md": "x\n"}, "base")
    branch_off(repo)
    branch_commit = commit(repo, {"feature.py": config_line(on_branch)}, "feature")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"main.py": config_line(on_main)}, "main")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "--no-edit", "main")

    outcome = in_range(capsys, repo, "main..feature")

    [finding] = outcome.findings()
    assert finding["secret"] == on_branch
    assert finding["location"]["commit"] == branch_commit


def test_secret_written_by_hand_in_a_merge_is_reported_at_the_merge(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"conf.py": "a = 1\n"}, "base")
    base = branch_off(repo)
    commit(repo, {"conf.py": "a = 2\n"}, "feature")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"conf.py": "a = 3\n"}, "main")
    git(repo, "merge", "-q", "--no-edit", "feature", check=False)
    (repo / "conf.py").write_text("a = 4\n" + config_line(key))
    git(repo, "add", "conf.py")
    git(repo, "commit", "-q", "--no-edit")
    merge = git(repo, "rev-parse", "HEAD").stdout.strip()

    [finding] = in_range(capsys, repo, f"{base}..main").findings()

    assert finding["secret"] == key
    assert finding["location"]["commit"] == merge


def test_secret_written_by_hand_in_an_octopus_merge_is_reported_at_the_merge(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # git's --remerge-diff skips a merge of three parents or more, saying so only in a warning
    hidden, merged = openai_key(), openai_key()
    commit(repo, {"conf.py": "a = 1\n"}, "base")
    base = branch_off(repo, "one")
    commit(repo, {"one.py": config_line(merged)}, "one")
    git(repo, "checkout", "-q", "-b", "two", base)
    commit(repo, {"two.py": "b = 2\n"}, "two")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"main.py": "c = 3\n"}, "main")
    git(repo, "merge", "-q", "--no-commit", "one", "two")
    (repo / "conf.py").write_text("a = 4\n" + config_line(hidden))
    git(repo, "add", "conf.py")
    git(repo, "commit", "-q", "--no-edit")
    merge = git(repo, "rev-parse", "HEAD").stdout.strip()
    assert len(git(repo, "rev-parse", "HEAD^@").stdout.split()) == 3

    found = in_range(capsys, repo, f"{base}..main").by_secret()

    assert set(found) == {hidden, merged}
    assert found[hidden]["location"]["commit"] == merge
    assert found[hidden]["location"]["path"] == "conf.py"
    # what the merge brings from a parent stays at the commit that wrote it
    assert found[merged]["location"]["commit"] != merge


def test_commit_list_of_a_push(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first_key, skipped_key, last_key = openai_key(), openai_key(), openai_key()
    commit(repo, {"README.md": "x\n"}, "base")
    first = commit(repo, {"a.py": config_line(first_key)}, "one")
    commit(repo, {"b.py": config_line(skipped_key)}, "two")
    last = commit(repo, {"c.py": config_line(last_key)}, "three")

    found = in_range(capsys, repo, first, last).by_secret()

    assert set(found) == {first_key, last_key}
    assert found[first_key]["location"]["commit"] == first
    assert found[last_key]["location"]["commit"] == last


def test_empty_range_is_clean(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit(repo, {"k.py": config_line(openai_key())}, "base")

    outcome = in_range(capsys, repo, "HEAD..HEAD")

    assert outcome.code == 0
    assert outcome.findings() == []
    assert outcome.report()["stats"]["commits_scanned"] == 0


def test_unknown_revision_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit(repo, {"README.md": "x\n"}, "base")

    outcome = in_range(capsys, repo, "nosuchbranch..HEAD")

    assert outcome.code == 2
    assert "nosuchbranch" in outcome.err


def test_range_text_report_names_the_commit_and_author(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, {"README.md": "x\n"}, "base")
    base = branch_off(repo)
    added = commit(
        repo,
        {"k.py": config_line(openai_key())},
        "add",
        **author("Pat Request", "pat@example.com", "2023-02-03T04:05:06+00:00"),
    )

    outcome = keyleak(capsys, repo, "history", str(repo), "--range", f"{base}..HEAD")

    assert outcome.code == 1
    assert added[:12] in outcome.out
    assert "Pat Request <pat@example.com>" in outcome.out
    assert "2023-02-03" in outcome.out


def test_a_key_under_an_lfs_pointer_header_is_reported(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pull request cannot hide a key by starting its file like a Git LFS pointer."""
    commit(repo, {"README.md": "hello\n"}, "start")
    base = branch_off(repo)
    key = openai_key()
    header = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32
    commit(repo, {"model.bin": f"{header}\nsize 12\n{config_line(key)}"}, "a fake pointer")

    outcome = in_range(capsys, repo, f"{base}..HEAD")

    assert set(outcome.by_secret()) == {key}
    assert outcome.code == 1
