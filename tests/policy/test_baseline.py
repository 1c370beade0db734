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
