"""`keyleak history`: every blob of a repository's history once, each secret with its provenance.

Every test builds a real repository under tmp_path; keys are built at run time (tests/keys.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scanner.pipeline.blob_workers import BATCH_OBJECTS
from scanner.util.progress import Progress, wanted
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git, run_process
from tests.keys import HEX, openai_key, random_text
from tests.repos import author, commit, config_line

PROJECT = "openai-project-key"


def history(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> Outcome:
    return keyleak(
        capsys, repo, "history", str(repo), *args, "--format", "json", "--no-redact", "-j", "1"
    )


# --- provenance ------------------------------------------------------------------------------


def test_deleted_secret_keeps_its_introducing_commit_author_and_window(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"README.md": "hello\n"}, "start")
    added = commit(
        repo,
        {"app/settings.py": "import os\n\n" + config_line(key)},
        "settings",
        **author("Ada Lovelace", "ada@example.com", "2021-03-04T05:06:07+02:00"),
    )
    removed = commit(repo, {"app/settings.py": "import os\n"}, "use the environment")
    commit(repo, {"README.md": "hello again\n"}, "later")

    outcome = history(capsys, repo)

    assert outcome.code == 1
    [finding] = outcome.findings()
    assert finding["rule_id"] == PROJECT
    assert finding["secret"] == key
    location = finding["location"]
    assert (location["path"], location["line"], location["column"]) == ("app/settings.py", 3, 12)
    assert location["commit"] == added
    trail = finding["history"]
    assert trail["introduced"] == {
        "sha": added,
        "author_name": "Ada Lovelace",
        "author_email": "ada@example.com",
        "date": "2021-03-04T05:06:07+02:00",
    }
    assert trail["last_present"]["sha"] == added
    assert trail["removed"]["sha"] == removed
    assert trail["in_head"] is False
    assert trail["paths"] == ["app/settings.py"]
    assert trail["refs"] == ["main"]
    assert outcome.report()["stats"]["commits_scanned"] == 4


def test_the_same_secret_in_many_blobs_is_one_finding_with_every_path(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    first = commit(repo, {"a.py": config_line(key)}, "one")
    commit(repo, {"b/c.env": "X=1\n" + config_line(key)}, "copy")
    commit(repo, {"a.py": "# edited\n" + config_line(key)}, "edit")

    [finding] = history(capsys, repo).findings()

    assert finding["location"]["commit"] == first
    assert (finding["location"]["path"], finding["location"]["line"]) == ("a.py", 1)
    assert sorted(finding["history"]["paths"]) == ["a.py", "b/c.env"]
    assert finding["history"]["in_head"] is True
    assert finding["history"]["removed"] is None


def test_rename_adds_the_new_path_and_keeps_the_introducing_commit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    first = commit(repo, {"old/name.py": config_line(key)}, "add")
    git(repo, "mv", "old", "new")
    moved = commit(repo, {}, "rename")

    [finding] = history(capsys, repo).findings()

    assert finding["location"]["commit"] == first
    assert finding["location"]["path"] == "old/name.py"
    assert finding["history"]["paths"] == ["old/name.py", "new/name.py"]
    assert finding["history"]["last_present"]["sha"] == moved
    assert finding["history"]["in_head"] is True


PATH_LIMITED_RULES = """
[[rules]]
id = "internal-token"
regex = '''itok_[0-9a-f]{24}'''
path = '''\\.cfg$'''
"""


def test_a_rule_limited_to_some_paths_is_introduced_where_it_first_applies(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "itok_" + random_text(24, HEX)
    elsewhere = "itok_" + random_text(24, HEX)
    commit(repo, {"notes.txt": f"TOKEN={token}\n", "other.txt": f"{elsewhere}\n"}, "no .cfg")
    # the same blob, now also under a path the rule covers
    introducing = commit(repo, {"deploy/service.cfg": f"TOKEN={token}\n"}, "copied to a .cfg")
    (repo / ".gitleaks.toml").write_text(PATH_LIMITED_RULES)
    (repo / ".keyleak.toml").write_text('gitleaks_config = ".gitleaks.toml"\n')

    findings = history(capsys, repo).findings()

    [finding] = [f for f in findings if f["rule_id"] == "internal-token"]
    assert finding["secret"] == token
    assert finding["location"]["commit"] == introducing
    assert finding["location"]["path"] == "deploy/service.cfg"
    assert finding["history"]["paths"] == ["deploy/service.cfg"]


def test_committed_env_files_are_found_per_path_with_their_exposure_window(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    added = commit(repo, {".env": "DEBUG=1\n", ".env.example": "DEBUG=\n"}, "add")
    edited = commit(repo, {".env": "DEBUG=1\nLEVEL=2\n"}, "edit")
    deleted = commit(repo, {".env": None, "svc/.env.production": "PORT=1\n"}, "move")
    commit(repo, {"empty/.env": ""}, "an empty one")

    outcome = history(capsys, repo)

    assert outcome.code == 1
    found = {f["location"]["path"]: f for f in outcome.findings()}
    assert set(found) == {".env", "svc/.env.production"}
    gone = found[".env"]
    assert gone["rule_id"] == "dotenv-file"
    assert (gone["location"]["commit"], gone["location"]["line"]) == (added, 1)
    assert gone["history"]["last_present"]["sha"] == edited
    assert gone["history"]["removed"]["sha"] == deleted
    assert gone["history"]["in_head"] is False
    kept = found["svc/.env.production"]
    assert kept["location"]["commit"] == deleted
    assert kept["history"]["removed"] is None and kept["history"]["in_head"] is True


def test_secret_readded_after_removal_is_one_finding_still_open(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    first = commit(repo, {"k.py": config_line(key)}, "add")
    commit(repo, {"k.py": "pass\n"}, "remove")
    again = commit(repo, {"other.py": config_line(key)}, "add again")

    [finding] = history(capsys, repo).findings()

    assert finding["history"]["introduced"]["sha"] == first
    assert finding["history"]["last_present"]["sha"] == again
    assert finding["history"]["removed"] is None
    assert finding["history"]["in_head"] is True
    assert finding["history"]["paths"] == ["k.py", "other.py"]


def test_secret_from_a_merged_branch_is_introduced_by_the_branch_commit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"README.md": "base\n"}, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    on_branch = commit(
        repo,
        {"feature.py": config_line(key)},
        "feature",
        **author("Bob Branch", "bob@example.com", "2022-01-01T00:00:00+00:00"),
    )
    git(repo, "checkout", "-q", "main")
    commit(repo, {"main.txt": "main moves on\n"}, "main work")
    git(repo, "merge", "-q", "--no-ff", "--no-edit", "feature")
    git(repo, "branch", "-q", "-D", "feature")

    [finding] = history(capsys, repo).findings()

    assert finding["location"]["commit"] == on_branch
    assert finding["history"]["introduced"]["author_name"] == "Bob Branch"
    assert finding["history"]["refs"] == ["main"]
    assert finding["history"]["in_head"] is True


def test_orphan_branch_is_audited_and_only_its_ref_reaches_the_secret(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"README.md": "main\n"}, "main")
    git(repo, "checkout", "-q", "--orphan", "pages")
    git(repo, "rm", "-q", "-rf", ".")
    orphan = commit(repo, {"site/config.js": f'const k = "{key}";\n'}, "pages")
    git(repo, "checkout", "-q", "main")
    git(repo, "tag", "v1", "pages")

    [finding] = history(capsys, repo).findings()

    assert finding["location"]["commit"] == orphan
    assert finding["history"]["refs"] == ["pages", "v1"]
    assert finding["history"]["in_head"] is False


def test_detached_head_and_stash_are_audited(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    detached_key, stashed_key = openai_key(), openai_key()
    commit(repo, {"README.md": "main\n"}, "main")
    git(repo, "checkout", "-q", "--detach")
    detached = commit(repo, {"d.py": config_line(detached_key)}, "detached work")
    (repo / "README.md").write_text(config_line(stashed_key))
    git(repo, "stash", "-q")

    found = history(capsys, repo).by_secret()

    assert found[detached_key]["location"]["commit"] == detached
    assert "HEAD" in found[detached_key]["history"]["refs"]
    assert found[detached_key]["history"]["in_head"] is True
    assert found[stashed_key]["history"]["refs"] == ["stash"]
    assert found[stashed_key]["history"]["in_head"] is False


def test_given_revisions_limit_the_audit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main_key, other_key = openai_key(), openai_key()
    commit(repo, {"m.py": config_line(main_key)}, "main")
    git(repo, "checkout", "-q", "-b", "other")
    commit(repo, {"o.py": config_line(other_key)}, "other")
    git(repo, "checkout", "-q", "main")

    assert set(history(capsys, repo, "main").by_secret()) == {main_key}
    assert set(history(capsys, repo).by_secret()) == {main_key, other_key}


def many_blobs(repo: Path, keys: list[str]) -> None:
    """More blobs than one batch holds, so that two jobs are two workers, each with its git."""
    per_commit = BATCH_OBJECTS // len(keys) + 1
    for number, key in enumerate(keys):
        files = {f"f{n}.py": f"value = {n}, {number}\n" for n in range(per_commit)}
        files[f"k{number}.py"] = config_line(key)
        commit(repo, files, f"commit {number}")


def test_parallel_audit_finds_the_same(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = [openai_key() for _ in range(6)]
    many_blobs(repo, keys)

    serial = history(capsys, repo)
    parallel = keyleak(
        capsys, repo, "history", str(repo), "--format", "json", "--no-redact", "-j", "2"
    )

    assert parallel.code == serial.code == 1
    assert parallel.findings() == serial.findings()
    assert set(parallel.by_secret()) == set(keys)
    counts = ("files_scanned", "bytes_scanned", "commits_scanned", "skipped")
    assert [parallel.report()["stats"][n] for n in counts] == [
        serial.report()["stats"][n] for n in counts
    ]


def test_parallel_audit_reads_the_commit_log_and_refs_while_the_workers_scan(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner import git as git_module
    from scanner.pipeline import history_scan

    keys = [openai_key() for _ in range(3)]
    many_blobs(repo, keys)
    parsed: list[tuple[bool, bool]] = []
    tips_read: list[tuple[bool, bool]] = []
    scanning = [False]
    logged_commit, scan_blobs = git_module.logged_commit, history_scan.scan_blobs
    ref_tips, is_partial_clone = git_module.ref_tips, git_module.is_partial_clone
    partial_asked: list[tuple[bool, bool]] = []

    def watched_commit(*args: object, **kwargs: object) -> git_module.LoggedCommit:
        on_main = threading.current_thread() is threading.main_thread()
        parsed.append((on_main, scanning[0]))
        return logged_commit(*args, **kwargs)  # type: ignore[arg-type]

    def watched_tips(*args: object) -> list[tuple[str, str]]:
        on_main = threading.current_thread() is threading.main_thread()
        tips_read.append((on_main, scanning[0]))
        return ref_tips(*args)  # type: ignore[arg-type]

    def watched_partial(*args: object) -> bool:
        on_main = threading.current_thread() is threading.main_thread()
        partial_asked.append((on_main, scanning[0]))
        return is_partial_clone(*args)  # type: ignore[arg-type]

    def watched_scan(*args: object, **kwargs: object) -> object:
        scanning[0] = True
        start = kwargs.get("meanwhile")
        if callable(start):
            # the workers go on only once the thread has read a commit: however loaded the
            # machine, what is tested is there to see
            def started() -> None:
                start()
                deadline = time.monotonic() + 30
                while not (parsed and partial_asked) and time.monotonic() < deadline:
                    time.sleep(0.01)

            kwargs["meanwhile"] = started
        try:
            return scan_blobs(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            scanning[0] = False

    monkeypatch.setattr(git_module, "logged_commit", watched_commit)
    monkeypatch.setattr(git_module, "ref_tips", watched_tips)
    monkeypatch.setattr(git_module, "is_partial_clone", watched_partial)
    monkeypatch.setattr(history_scan, "scan_blobs", watched_scan)
    parallel = keyleak(
        capsys, repo, "history", str(repo), "--format", "json", "--no-redact", "-j", "2"
    )

    assert parallel.code == 1
    assert set(parallel.by_secret()) == set(keys)
    assert len(parsed) == len(keys)
    # the first commit read (the log's last) is the read-ahead thread's, during the scan
    assert parsed[0] == (False, True)
    assert tips_read == [(False, True)]
    # a full audit lists the object store, which does not need to know whether it is partial
    assert partial_asked == [(False, True)]


def test_parallel_workers_import_nothing_to_confirm_candidates(repo: Path) -> None:
    # the parent imports it before forking them, once rather than once per worker
    many_blobs(repo, [openai_key() for _ in range(3)])
    probe = (
        "import json, os, sys\n"
        "from scanner.pipeline import blob_workers\n"
        "serve = blob_workers.serve\n"
        "def served(*args):\n"
        "    before = set(sys.modules)\n"
        "    try:\n"
        "        serve(*args)\n"
        "    finally:\n"
        "        print('IMPORTED', json.dumps(sorted(set(sys.modules) - before)), flush=True)\n"
        "blob_workers.serve = served\n"
        "from scanner.entry import main\n"
        "main(['history', '.', '--format', 'json', '-o', os.devnull, '-j', '2'])\n"
    )
    completed = run_process([sys.executable, "-c", probe], repo, dict(os.environ))

    assert completed.returncode == 1, completed.stderr
    imported = [
        json.loads(line.removeprefix("IMPORTED "))
        for line in completed.stdout.splitlines()
        if line.startswith("IMPORTED ")
    ]
    assert len(imported) == 2
    for modules in imported:
        assert "scanner.match.confirm" not in modules
        assert "scanner.policy.placeholders" not in modules


def test_parallel_audit_names_a_corrupt_object(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    many_blobs(repo, [openai_key() for _ in range(3)])
    blob = git(repo, "rev-parse", "HEAD:k1.py").stdout.strip()
    corrupt(loose_object(repo, blob))

    outcome = keyleak(capsys, repo, "history", str(repo), "--format", "json", "-j", "2")

    assert outcome.code == 2
    assert blob in outcome.err
    assert len(outcome.err.strip().splitlines()) == 1


# --- hard cases ------------------------------------------------------------------------------


def test_empty_repository_is_clean(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = history(capsys, repo)

    assert outcome.code == 0
    assert outcome.findings() == []
    assert outcome.report()["stats"]["commits_scanned"] == 0


def test_shallow_clone_says_history_is_truncated(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_key, new_key = openai_key(), openai_key()
    commit(repo, {"old.py": config_line(old_key)}, "old")
    commit(repo, {"old.py": "pass\n"}, "removed")
    commit(repo, {"new.py": config_line(new_key)}, "new")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))

    outcome = history(capsys, clone)

    assert set(outcome.by_secret()) == {new_key}
    assert any("shallow" in note for note in outcome.report()["notes"])
    assert outcome.report()["stats"]["commits_scanned"] == 1


def test_bare_repository(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = openai_key()
    added = commit(repo, {"k.py": config_line(key)}, "add")
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))

    [finding] = history(capsys, bare).findings()

    assert finding["location"]["commit"] == added
    assert finding["history"]["in_head"] is True


def test_submodules_and_lfs_pointers_are_skipped(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pointer = (
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 12345\n"
    )
    gitlink = commit(repo, {"assets/model.bin": pointer}, "lfs")
    # a gitlink without a checkout: the commit records a submodule git cannot read from here
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{gitlink},vendor/lib")
    git(repo, "commit", "-q", "-m", "submodule")

    outcome = history(capsys, repo)

    skipped = {(s["path"], s["reason"]) for s in outcome.report()["skipped"]}
    assert ("vendor/lib", "submodule") in skipped
    assert ("assets/model.bin", "Git LFS pointer") in skipped
    assert outcome.code == 0


def test_blobs_over_the_size_limit_are_skipped_unread(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small_key, big_key = openai_key(), openai_key()
    big = config_line(big_key) + "# padding\n" * 2000
    commit(repo, {"small.py": config_line(small_key), "big.py": big}, "files")

    outcome = history(capsys, repo, "--max-blob-size", "4K")

    assert set(outcome.by_secret()) == {small_key}
    reasons = {s["path"]: s["reason"] for s in outcome.report()["skipped"]}
    assert reasons == {"big.py": "larger than --max-blob-size"}


def test_binary_blobs_are_skipped(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = openai_key()
    commit(repo, {"logo.png": b"\x89PNG\0\0" + key.encode()}, "image")

    outcome = history(capsys, repo)

    assert outcome.findings() == []
    assert {(s["path"], s["reason"]) for s in outcome.report()["skipped"]} == {
        ("logo.png", "binary")
    }


def test_non_utf8_path(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = openai_key()
    name = os.fsdecode(b"conf-\xff.env")
    commit(repo, {name: config_line(key)}, "odd name")

    [finding] = history(capsys, repo).findings()

    assert finding["location"]["path"] == "conf-\\xff.env"


def test_paths_and_names_that_look_like_log_syntax_change_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The commit log is read from its end, by a mark no repository content can copy: a path
    that starts like a commit header or a raw line, and an author whose name does, are data."""
    key = openai_key()
    header_like = os.fsdecode(b"\x01keyleak-0123456789abcdef 1234")
    raw_like = os.fsdecode(b"\n:100644 100644 " + b"0" * 40 + b" M")
    odd = author("\x01keyleak-commit x", "\n:000000@example.com", "2022-01-02T03:04:05+00:00")
    first = commit(repo, {header_like: config_line(key), raw_like: "x\n"}, "odd names", **odd)
    commit(repo, {"README.md": "later\n"}, "later")

    [finding] = history(capsys, repo).findings()

    introduced = finding["history"]["introduced"]
    recorded = git(repo, "log", "-1", "--format=%an", first).stdout.strip()  # git trims some
    assert recorded.startswith(("\x01keyleak-commit", "keyleak-commit"))
    assert (introduced["sha"], introduced["author_name"]) == (first, recorded)
    assert finding["history"]["paths"] == [header_like]
    assert finding["history"]["in_head"] is True


def loose_object(repo: Path, oid: str) -> Path:
    return repo / ".git" / "objects" / oid[:2] / oid[2:]


def test_missing_object_is_a_clear_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit(repo, {"a.py": config_line(openai_key())}, "add")
    blob = git(repo, "rev-parse", "HEAD:a.py").stdout.strip()
    loose_object(repo, blob).unlink()

    outcome = history(capsys, repo)

    assert outcome.code == 2
    assert blob in outcome.err
    assert outcome.err.startswith("keyleak: error: ")


def corrupt(path: Path) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2 :] = b"\xff" * (len(data) - len(data) // 2)
    path.write_bytes(bytes(data))


def test_corrupt_object_is_a_clear_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit(repo, {"a.py": config_line(openai_key())}, "add")
    blob = git(repo, "rev-parse", "HEAD:a.py").stdout.strip()
    corrupt(loose_object(repo, blob))

    outcome = history(capsys, repo)

    assert outcome.code == 2
    assert blob in outcome.err
    assert len(outcome.err.strip().splitlines()) == 1


def test_not_a_repository_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = history(capsys, tmp_path)

    assert outcome.code == 2
    assert "not inside a git repository" in outcome.err


# --- output ----------------------------------------------------------------------------------


def test_text_report_shows_author_date_commit_and_window(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    added = commit(
        repo,
        {"k.py": config_line(key)},
        "add",
        **author("Ada Lovelace", "ada@example.com", "2021-03-04T05:06:07+00:00"),
    )
    removed = commit(
        repo, {"k.py": "pass\n"}, "remove", GIT_AUTHOR_DATE="2021-05-06T00:00:00+00:00"
    )

    outcome = keyleak(capsys, repo, "history", str(repo), "-j", "1")

    assert outcome.code == 1
    assert "Ada Lovelace <ada@example.com>" in outcome.out
    assert added[:12] in outcome.out and removed[:12] in outcome.out
    assert "2021-03-04" in outcome.out and "2021-05-06" in outcome.out
    assert "2 commits" in outcome.out
    # not a terminal: no progress bar, no summary on stderr
    assert outcome.err == ""


def test_progress_is_silent_when_disabled() -> None:
    with Progress(objects=3, size=30, enabled=False) as progress:
        progress.advance(10)
        assert progress.bar is None


def test_progress_counts_objects_and_bytes() -> None:
    with Progress(objects=3, size=30, enabled=True) as progress:
        for _ in range(3):
            progress.advance(10)
    [task] = progress.bar.tasks
    assert (task.completed, task.total, task.fields["done"]) == (30, 30, 3)


def test_progress_bar_only_on_a_terminal_and_never_with_no_progress(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert wanted(True)
    assert not wanted(False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert not wanted(True)


def test_a_clean_history_loads_no_openssl(repo: Path) -> None:
    # `hashlib` and `secrets` load OpenSSL: a clean history needs neither
    commit(repo, {"README.md": "x\n"}, "base")
    probe = (
        "import atexit, os, sys\n"
        "atexit.register(lambda: print('LOADED', [m for m in ('_hashlib', 'secrets', 'hmac')\n"
        "    if m in sys.modules], flush=True))\n"
        "from scanner.entry import main\n"
        "main(['history', '.', '--format', 'json', '-o', os.devnull])\n"
    )
    completed = run_process([sys.executable, "-c", probe], repo, dict(os.environ))

    assert completed.returncode == 0, completed.stderr
    assert "LOADED []" in completed.stdout.splitlines()


def test_history_module_and_rich_stay_off_the_hook_path(repo: Path) -> None:
    commit(repo, {"README.md": "x\n"}, "base")
    probe = (
        "import sys\n"
        "from scanner.entry import main\n"
        "try:\n"
        "    main(['staged'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('rich', 'scanner.pipeline.history_scan',\n"
        "    'scanner.pipeline.attribution', 'scanner.util.progress') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    completed = run_process([sys.executable, "-c", probe], repo, dict(os.environ))

    assert completed.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("block", [1, 3, 7, 64])
def test_log_records_are_read_last_first_across_block_edges(
    block: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from scanner import git as git_module
    from scanner.errors import GitError

    mark = b"\x01m "
    records = [b"a\0x\0", b"", b"bb\0\n:y\0p\0", b"c" * 20]
    log = tmp_path / "log"
    log.write_bytes(b"".join(mark + record for record in records))
    monkeypatch.setattr(git_module, "PIPE_READ_SIZE", block)

    with log.open("rb") as stream:
        assert list(git_module.records_backwards(stream, mark)) == records[::-1]

    log.write_bytes(b"stray" + mark + b"a")
    with log.open("rb") as stream, pytest.raises(GitError, match="does not start"):
        list(git_module.records_backwards(stream, mark))


def test_a_file_that_only_starts_like_an_lfs_pointer_is_scanned(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any small file starting with the LFS header was skipped unread, a key under it too."""
    key = openai_key()
    header = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32
    commit(repo, {"model.bin": f"{header}\nsize 12\n{config_line(key)}"}, "a fake pointer")

    outcome = history(capsys, repo)

    assert set(outcome.by_secret()) == {key}
    assert outcome.report()["skipped"] == []


# --- refs that point at a blob or a tree, not a commit --------------------------------------


def stored_blob(repo: Path, content: str) -> str:
    """A blob written to the object store and held by no commit."""
    loose = repo.parent / "loose.txt"
    loose.write_text(content)
    return git(repo, "hash-object", "-w", str(loose)).stdout.strip()


def stored_tree(repo: Path, entries: str) -> str:
    """A tree made from `git ls-tree` lines, held by no commit."""
    made = subprocess.run(
        ["git", "mktree"], cwd=repo, input=entries, capture_output=True, text=True, check=True
    )
    return made.stdout.strip()


def test_a_key_only_a_tag_on_a_blob_or_a_tree_reaches_is_reported_with_that_ref(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    light, annotated, in_tree = openai_key(), openai_key(), openai_key()
    commit(repo, {"README.md": "hello\n"}, "start")
    git(repo, "tag", "t", stored_blob(repo, config_line(light)))
    git(repo, "tag", "-a", "-m", "x", "t2", stored_blob(repo, config_line(annotated)))
    inner = stored_tree(repo, f"100644 blob {stored_blob(repo, config_line(in_tree))}\tk.py\n")
    git(repo, "tag", "t3", stored_tree(repo, f"040000 tree {inner}\tdeploy\n"))

    outcome = history(capsys, repo)

    assert outcome.code == 1
    found = outcome.by_secret()
    assert set(found) == {light, annotated, in_tree}
    for key, ref, path in ((light, "t", ""), (annotated, "t2", ""), (in_tree, "t3", "deploy/k.py")):
        finding = found[key]
        assert finding["location"]["kind"] == "ref"
        assert finding["location"]["path"] == path
        assert finding["location"]["line"] == 1
        assert "commit" not in finding["location"]
        trail = finding["history"]
        assert trail["refs"] == [ref]
        assert trail["paths"] == ([path] if path else [])
        # the ref still holds it, and no commit ever did
        assert trail["introduced"] is None and trail["last_present"] is None
        assert trail["removed"] is None
        assert trail["in_head"] is False


def test_a_tag_on_a_tag_on_a_blob_is_followed_to_the_blob(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"README.md": "hello\n"}, "start")
    git(repo, "tag", "-a", "-m", "inner", "inner", stored_blob(repo, config_line(key)))
    git(repo, "tag", "-a", "-m", "outer", "outer", "inner")

    [finding] = history(capsys, repo).findings()

    assert finding["secret"] == key
    assert finding["history"]["refs"] == ["inner", "outer"]


def test_a_tagged_tree_adds_its_ref_and_path_to_a_key_commits_hold_too(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    added = commit(repo, {"k.py": config_line(key)}, "add")
    commit(repo, {"k.py": "pass\n"}, "remove")
    blob = git(repo, "rev-parse", f"{added}:k.py").stdout.strip()
    git(repo, "tag", "snapshot", stored_tree(repo, f"100644 blob {blob}\told.py\n"))

    [finding] = history(capsys, repo).findings()

    assert finding["location"]["commit"] == added
    assert finding["history"]["introduced"]["sha"] == added
    assert finding["history"]["refs"] == ["main", "snapshot"]
    assert finding["history"]["paths"] == ["k.py", "old.py"]
    # removed from the branch, but the tag still holds it: the exposure is not over
    assert finding["history"]["removed"] is None


def test_an_env_file_only_a_tagged_tree_holds_is_found_at_its_path(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, {"README.md": "hello\n"}, "start")
    env = stored_blob(repo, "DEBUG=1\n")
    git(repo, "tag", "snapshot", stored_tree(repo, f"100644 blob {env}\t.env\n"))

    [finding] = history(capsys, repo).findings()

    assert finding["rule_id"] == "dotenv-file"
    assert finding["location"]["kind"] == "ref"
    assert (finding["location"]["path"], finding["location"]["line"]) == (".env", 1)
    assert "commit" not in finding["location"]
    assert finding["history"]["refs"] == ["snapshot"]
    assert finding["history"]["introduced"] is None


@pytest.mark.parametrize("form", ["text", "json", "jsonl", "sarif", "csv", "junit", "html"])
def test_every_report_renders_a_finding_no_commit_holds(
    repo: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    key = openai_key()
    commit(repo, {"README.md": "hello\n"}, "start")
    git(repo, "tag", "t", stored_blob(repo, config_line(key)))

    outcome = keyleak(capsys, repo, "history", str(repo), "--format", form, "-j", "1")

    assert outcome.code == 1
    assert key[-4:] in outcome.out
    if form == "text":
        assert "(a blob a ref holds):1:" in outcome.out
        assert "no commit (held by refs only)" in outcome.out
