from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scanner.policy import baseline
from scanner.policy.baseline import Entry
from tests.cli_helpers import keyleak, scan_json, staged_json, write
from tests.conftest import git
from tests.keys import openai_key

BASELINE = ".keyleak-baseline.json"


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def baseline_a_key(capsys: pytest.CaptureFixture[str], repo: Path, *options: str) -> str:
    """A fresh key in `a.py`, recorded by `baseline create OPTIONS...`; returns the key."""
    key = openai_key()
    write(repo, "a.py", f"k = '{key}'\n")
    keyleak(capsys, repo, "baseline", "create", *options)
    return key


def entries(path: Path) -> list[dict[str, str]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [item for item in document["entries"] if item is not None]


def test_create_writes_hashes_only_one_entry_per_line_sorted(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [openai_key() for _ in range(5)]
    write(repo, "a.py", "\n".join(f"k{i} = '{key}'" for i, key in enumerate(keys[:3])) + "\n")
    write(repo, "b/c.py", "\n".join(f"k = '{key}'" for key in keys[3:]) + "\n")
    outcome = keyleak(capsys, repo, "baseline", "create")
    assert outcome.code == 0
    path = repo / BASELINE
    text = path.read_text(encoding="utf-8")
    assert not any(key in text for key in keys)
    assert not any(key[-8:] in text for key in keys)
    items = entries(path)
    assert len(items) == 5
    assert all(set(item) == {"rule_id", "fingerprint"} for item in items)
    assert [item["fingerprint"] for item in items] == sorted(item["fingerprint"] for item in items)
    entry_lines = [line for line in text.splitlines() if line.startswith('{"rule_id"')]
    assert len(entry_lines) == 5
    assert all(line.endswith("},") for line in entry_lines)
    first = path.read_bytes()
    assert keyleak(capsys, repo, "baseline", "create", "--force").code == 0
    assert path.read_bytes() == first


def test_create_refuses_to_replace_a_baseline(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, BASELINE, "not even json")
    outcome = keyleak(capsys, repo, "baseline", "create")
    assert outcome.code == 2
    assert "already exists" in outcome.err
    assert (repo / BASELINE).read_text() == "not even json"


def test_known_findings_are_reported_counted_and_do_not_fail(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline_a_key(capsys, repo)
    outcome = scan_json(capsys, repo, ".")
    assert outcome.code == 0
    assert [f["baselined"] for f in outcome.findings()] == [True]
    text = keyleak(capsys, repo, "scan", ".")
    assert text.code == 0
    assert "1 known, 0 new" in text.out


def test_baseline_survives_fifty_lines_above_and_a_rename_with_scope_everywhere(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [openai_key(), openai_key()]
    write(repo, "config/settings.py", f"a = '{keys[0]}'\nx = 1\nb = '{keys[1]}'\n")
    assert keyleak(capsys, repo, "baseline", "create", "--scope", "file").code == 0
    path = repo / BASELINE
    assert [item["path"] for item in entries(path)] == ["config/settings.py"] * 2
    path.write_text(path.read_text().replace('"config/settings.py"', '"**"'))
    original = (repo / "config/settings.py").read_text().splitlines()
    shifted = []
    for line in original:
        shifted += [f"# filler {n}" for n in range(50)] if "'" in line else []
        shifted.append(line)
    (repo / "config/settings.py").unlink()
    write(repo, "app/renamed_settings.py", "\n".join(shifted) + "\n")
    outcome = scan_json(capsys, repo, ".")
    assert outcome.code == 0
    found = outcome.findings()
    assert {f["location"]["path"] for f in found} == {"app/renamed_settings.py"}
    assert sorted(f["location"]["line"] for f in found) == [51, 103]
    assert all(f["baselined"] for f in found)


def test_default_scope_follows_the_secret_into_another_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = baseline_a_key(capsys, repo)
    assert "path" not in entries(repo / BASELINE)[0]
    (repo / "a.py").unlink()
    write(repo, "deep/b.py", "\n" * 10 + f"other = '{key}'\n")
    assert scan_json(capsys, repo, ".").code == 0


def test_file_scope_does_not_cover_another_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = baseline_a_key(capsys, repo, "--scope", "file")
    write(repo, "b.py", f"k = '{key}'\n")
    outcome = scan_json(capsys, repo, ".")
    assert outcome.code == 1
    marks = {f["location"]["path"]: f["baselined"] for f in outcome.findings()}
    assert marks == {"a.py": True, "b.py": False}


def test_a_different_secret_on_the_same_line_is_new(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline_a_key(capsys, repo)
    new = openai_key()
    write(repo, "a.py", f"k = '{new}'\n")
    outcome = scan_json(capsys, repo, ".")
    assert outcome.code == 1
    assert [(f["secret"], f["baselined"]) for f in outcome.findings()] == [(new, False)]
    assert "0 known, 1 new" not in keyleak(capsys, repo, "scan", ".").out


def test_update_adds_new_and_prunes_gone(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second, third = openai_key(), openai_key(), openai_key()
    write(repo, "a.py", f"a = '{first}'\nb = '{second}'\n")
    keyleak(capsys, repo, "baseline", "create")
    write(repo, "a.py", f"b = '{second}'\nc = '{third}'\n")
    outcome = keyleak(capsys, repo, "baseline", "update")
    assert outcome.code == 0
    assert "1 added, 1 pruned, 2 in all" in outcome.out
    loaded = baseline.load(repo / BASELINE)
    assert {e.fingerprint for e in loaded.entries} == {
        fingerprint_of(second),
        fingerprint_of(third),
    }
    assert scan_json(capsys, repo, ".").code == 0


def fingerprint_of(key: str) -> str:
    from scanner.redaction import fingerprint

    return fingerprint("openai-project-key", key.encode())


def test_check_lists_entries_that_match_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept, removed = openai_key(), openai_key()
    write(repo, "a.py", f"a = '{kept}'\nb = '{removed}'\n")
    keyleak(capsys, repo, "baseline", "create")
    assert keyleak(capsys, repo, "baseline", "check").code == 0
    write(repo, "a.py", f"a = '{kept}'\n")
    outcome = keyleak(capsys, repo, "baseline", "check")
    assert outcome.code == 1
    assert f"stale: openai-project-key {fingerprint_of(removed)[:16]}" in outcome.out
    assert fingerprint_of(kept)[:16] not in outcome.out


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"entries": []}',
        '{"keyleak_baseline": 1, "entries": [{"rule_id": "x", "fingerprint": "abc"}]}',
        '{"keyleak_baseline": 1, "entries": [{"rule_id": "x", "fingerprint": "'
        + "a" * 64
        + '", "line": 3}]}',
    ],
)
def test_a_malformed_baseline_is_an_error_and_is_never_modified(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    write(repo, "a.py", f"k = '{openai_key()}'\n")
    path = write(repo, BASELINE, content)
    for argv in (["scan", "."], ["baseline", "update"], ["baseline", "check"]):
        outcome = keyleak(capsys, repo, *argv)
        assert outcome.code == 2, argv
        assert f"{BASELINE}:" in outcome.err
        assert path.read_text() == content


def test_a_missing_named_baseline_is_an_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = keyleak(capsys, repo, "scan", ".", "--baseline", "nope.json")
    assert outcome.code == 2
    assert "nope.json: no such baseline" in outcome.err


def test_baseline_from_the_config_and_from_the_option(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline_a_key(capsys, repo, "-o", "ci/known.json")
    assert not (repo / BASELINE).exists()
    assert scan_json(capsys, repo, ".").code == 1
    assert scan_json(capsys, repo, ".", "--baseline", "ci/known.json").code == 0
    write(repo, ".keyleak.toml", 'baseline = "ci/known.json"\n')
    assert scan_json(capsys, repo, ".").code == 0


def test_the_hook_reads_the_baseline_and_never_writes_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known, new = baseline_a_key(capsys, repo), openai_key()
    commit_all(repo, "with baseline")
    path = repo / BASELINE
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    listing = sorted(os.listdir(repo))
    write(repo, "b.py", "\n" * 5 + f"moved = '{known}'\n")
    git(repo, "add", "b.py")
    outcome = staged_json(capsys, repo)
    assert outcome.code == 0
    assert [f["baselined"] for f in outcome.findings()] == [True]
    write(repo, "c.py", f"fresh = '{new}'\n")
    git(repo, "add", "c.py")
    outcome = staged_json(capsys, repo)
    assert outcome.code == 1
    assert {(f["secret"], f["baselined"]) for f in outcome.findings()} == {
        (known, True),
        (new, False),
    }
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before
    assert sorted(os.listdir(repo)) == sorted([*listing, "b.py", "c.py"])
    assert git(repo, "status", "--porcelain", BASELINE).stdout == ""


def test_branches_adding_entries_merge_without_conflict(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base_keys = [openai_key() for _ in range(3)]
    write(repo, "base.py", "\n".join(f"k = '{key}'" for key in base_keys) + "\n")
    write(repo, ".gitattributes", f"{BASELINE} merge=union\n")
    keyleak(capsys, repo, "baseline", "create")
    commit_all(repo, "base")
    added: dict[str, list[str]] = {}
    for branch in ("left", "right"):
        git(repo, "checkout", "-q", "-b", branch, "main")
        added[branch] = [openai_key() for _ in range(4)]
        write(repo, f"{branch}.py", "\n".join(f"k = '{key}'" for key in added[branch]) + "\n")
        assert keyleak(capsys, repo, "baseline", "update").code == 0
        commit_all(repo, branch)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "left")
    merged = git(repo, "merge", "--no-edit", "right", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout
    loaded = baseline.load(repo / BASELINE)
    every_key = base_keys + added["left"] + added["right"]
    assert {e.fingerprint for e in loaded.entries} == {fingerprint_of(k) for k in every_key}
    assert scan_json(capsys, repo, ".").code == 0


def test_create_from_history_knows_secrets_no_longer_in_the_tree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, current = openai_key(), openai_key()
    write(repo, "old.py", f"k = '{old}'\n")
    commit_all(repo, "old")
    (repo / "old.py").unlink()
    write(repo, "new.py", f"k = '{current}'\n")
    commit_all(repo, "new")
    outcome = keyleak(capsys, repo, "baseline", "create", "--from-history")
    assert outcome.code == 0, outcome.err
    fingerprints = {item["fingerprint"] for item in entries(repo / BASELINE)}
    assert fingerprints == {fingerprint_of(old), fingerprint_of(current)}


def test_entries_and_rendering_round_trip() -> None:
    items = (
        Entry(fingerprint="b" * 64, rule_id="r"),
        Entry(fingerprint="a" * 64, rule_id="r", path="tests/**"),
    )
    text = baseline.render(baseline.Baseline(items))
    parsed = baseline.parse(text, "x")
    assert parsed.entries == tuple(sorted(items, key=Entry.sort_key))
    assert baseline.render(parsed) == text


# --------------------------------------------------------------------------- update loses nothing


def fingerprints_in(repo: Path) -> set[str]:
    return {item["fingerprint"] for item in entries(repo / BASELINE)}


def test_update_of_some_paths_keeps_the_entries_of_the_others(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside, inside = openai_key(), openai_key()
    write(repo, "a.py", f"k = '{outside}'\n")
    write(repo, "src/b.py", f"k = '{inside}'\n")
    keyleak(capsys, repo, "baseline", "create", "--scope", "file")
    keyleak(capsys, repo, "baseline", "create", "--force", "-o", "any.json")
    for name in (BASELINE, "any.json"):
        outcome = keyleak(capsys, repo, "baseline", "update", "--baseline", name, "src")
        assert outcome.code == 0, outcome.err
        assert "0 added, 0 pruned, 2 in all" in outcome.out
    # what was scanned is still judged: a secret gone from src/ is pruned
    write(repo, "src/b.py", "k = 1\n")
    outcome = keyleak(capsys, repo, "baseline", "update", "src")
    assert "0 added, 1 pruned, 1 in all" in outcome.out
    assert fingerprints_in(repo) == {fingerprint_of(outside)}


def test_update_keeps_the_entries_of_unreadable_files(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sealed, readable = openai_key(), openai_key()
    write(repo, "sealed.py", f"k = '{sealed}'\n")
    write(repo, "open.py", f"k = '{readable}'\n")
    keyleak(capsys, repo, "baseline", "create")
    keyleak(capsys, repo, "baseline", "create", "--scope", "file", "-o", "file.json")
    real_open = os.open

    def refusing_open(path: str, *args: int) -> int:
        # root ignores file modes: refuse the open instead
        if os.path.basename(path) == "sealed.py":
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args)

    monkeypatch.setattr(os, "open", refusing_open)
    for name in (BASELINE, "file.json"):
        outcome = keyleak(capsys, repo, "baseline", "update", "--baseline", name, "-j", "1")
        assert outcome.code == 0, outcome.err
        assert "0 pruned, 2 in all" in outcome.out
        assert "could not judge" in outcome.out
    assert fingerprints_in(repo) == {fingerprint_of(sealed), fingerprint_of(readable)}


def test_update_keeps_the_entries_of_files_over_the_size_limit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big, small = openai_key(), openai_key()
    write(repo, "big.py", f"k = '{big}'\n" + "# padding\n" * 50)
    write(repo, "small.py", f"k = '{small}'\n")
    keyleak(capsys, repo, "baseline", "create", "--scope", "file")
    outcome = keyleak(capsys, repo, "baseline", "update", "--max-file-size", "300")
    assert outcome.code == 0, outcome.err
    assert "0 pruned, 2 in all" in outcome.out
    write(repo, "small.py", "k = 1\n")
    outcome = keyleak(capsys, repo, "baseline", "update", "--max-file-size", "300")
    assert "1 pruned, 1 in all" in outcome.out
    assert fingerprints_in(repo) == {fingerprint_of(big)}


def test_update_from_history_with_every_blob_too_big_prunes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [openai_key(), openai_key()]
    write(repo, "a.py", f"k = '{keys[0]}'\n")
    commit_all(repo, "one")
    write(repo, "b.py", f"k = '{keys[1]}'\n")
    commit_all(repo, "two")
    keyleak(capsys, repo, "baseline", "create", "--from-history")
    outcome = keyleak(capsys, repo, "baseline", "update", "--from-history", "--max-file-size", "10")
    assert outcome.code == 0, outcome.err
    assert "0 pruned, 2 in all" in outcome.out
    assert fingerprints_in(repo) == {fingerprint_of(key) for key in keys}


def test_a_tree_update_keeps_the_history_only_entries_of_a_history_baseline(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, current, new = openai_key(), openai_key(), openai_key()
    write(repo, "old.py", f"k = '{old}'\n")
    commit_all(repo, "old")
    (repo / "old.py").unlink()
    write(repo, "new.py", f"k = '{current}'\n")
    commit_all(repo, "new")
    keyleak(capsys, repo, "baseline", "create", "--from-history")
    write(repo, "newer.py", f"k = '{new}'\n")
    outcome = keyleak(capsys, repo, "baseline", "update")
    assert outcome.code == 0, outcome.err
    assert "1 added, 0 pruned, 3 in all" in outcome.out
    commit_all(repo, "newer")
    assert keyleak(capsys, repo, "history", ".").code == 0
    # a history update judges the whole history again: what no commit holds goes
    kept = (repo / BASELINE).read_bytes()
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    (repo / BASELINE).write_bytes(kept)
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")
    outcome = keyleak(capsys, repo, "baseline", "update", "--from-history")
    assert "0 added, 1 pruned, 2 in all" in outcome.out
    assert fingerprints_in(repo) == {fingerprint_of(old), fingerprint_of(current)}


def test_update_lists_what_it_added_and_pruned_redacted(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone, added = openai_key(), openai_key()
    write(repo, "a.py", f"k = '{gone}'\n")
    keyleak(capsys, repo, "baseline", "create")
    write(repo, "a.py", f"k = '{added}'\n")
    outcome = keyleak(capsys, repo, "baseline", "update")
    assert f"added: openai-project-key a.py:1 sk-proj-{added[8:10]}…{added[-4:]}" in outcome.out
    assert f"pruned: openai-project-key {fingerprint_of(gone)[:16]}" in outcome.out
    assert added not in outcome.out + outcome.err
    assert gone not in outcome.out + outcome.err


def test_check_calls_stale_only_what_its_scan_judged(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, current = openai_key(), openai_key()
    write(repo, "old.py", f"k = '{old}'\n")
    commit_all(repo, "old")
    (repo / "old.py").unlink()
    write(repo, "src/new.py", f"k = '{current}'\n")
    commit_all(repo, "new")
    keyleak(capsys, repo, "baseline", "create", "--from-history")
    outcome = keyleak(capsys, repo, "baseline", "check")
    assert outcome.code == 0, outcome.out
    assert keyleak(capsys, repo, "baseline", "check", "--from-history").code == 0
    write(repo, "a.py", f"k = '{openai_key()}'\n")
    keyleak(capsys, repo, "baseline", "create", "--force")
    assert keyleak(capsys, repo, "baseline", "check", "src").code == 0


def test_create_records_what_scan_reports_not_what_git_ignores(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tracked, ignored = openai_key(), openai_key()
    write(repo, ".gitignore", ".venv/\n")
    write(repo, "app.py", f"k = '{tracked}'\n")
    write(repo, ".venv/lib/site.py", f"k = '{ignored}'\n")

    assert keyleak(capsys, repo, "baseline", "create").code == 0

    assert fingerprints_in(repo) == {fingerprint_of(tracked)}
    assert keyleak(capsys, repo, "scan", ".").code == 0


@pytest.mark.parametrize("scope", ["any", "file"])
def test_an_entry_for_a_file_git_now_ignores_is_neither_stale_nor_pruned(
    repo: Path, capsys: pytest.CaptureFixture[str], scope: str
) -> None:
    # a baseline made before scans honoured .gitignore recorded what is now left unread
    key = openai_key()
    write(repo, ".venv/lib/site.py", f"k = '{key}'\n")
    assert keyleak(capsys, repo, "baseline", "create", "--scope", scope).code == 0
    write(repo, ".gitignore", ".venv/\n")

    check = keyleak(capsys, repo, "baseline", "check")
    update = keyleak(capsys, repo, "baseline", "update")

    assert check.code == 0, check.out
    assert update.code == 0, update.err
    assert fingerprints_in(repo) == {fingerprint_of(key)}
