"""Commit messages and annotated tags' messages: scanned by history, ranges and audits, each once,
a finding reported with its commit (or tag).

Every test builds a real repository under tmp_path; keys are built at run time (tests/keys.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from scanner.report import FORMATS
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.keys import openai_key
from tests.repos import author, commit, config_line

PROJECT = "openai-project-key"


def history(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> Outcome:
    return keyleak(
        capsys, repo, "history", str(repo), *args, "--format", "json", "--no-redact", "-j", "1"
    )


def pasted(key: str) -> str:
    """A message that quotes a key the way people paste one."""
    return f"Rotate the deploy credentials\n\nthe old one was\nAPI_KEY = {key}\n"


def tag(repo: Path, name: str, message: str, target: str = "HEAD") -> None:
    """An annotated tag; its tagger is the committer git is told of."""
    tagger = {"GIT_COMMITTER_NAME": "Tag Ger", "GIT_COMMITTER_EMAIL": "tagger@example.com"}
    subprocess.run(
        ["git", "tag", "-a", name, "-m", message, target],
        cwd=repo,
        env={**os.environ, **tagger},
        check=True,
        capture_output=True,
    )


def test_a_key_in_a_commit_message_is_found_with_its_commit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"README.md": "hello\n"}, "start")
    leaky = commit(
        repo,
        {"README.md": "hello again\n"},
        pasted(key),
        **author("Ada Lovelace", "ada@example.com", "2021-03-04T05:06:07+02:00"),
    )
    commit(repo, {"README.md": "bye\n"}, "later")

    outcome = history(capsys, repo)

    assert outcome.code == 1
    [finding] = outcome.findings()
    assert (finding["rule_id"], finding["secret"]) == (PROJECT, key)
    location = finding["location"]
    assert location["kind"] == "commit-message"
    assert location["commit"] == leaky
    assert location["path"] == f"commit-message/{leaky[:12]}"
    # the line within the message: subject, blank, text, then the key
    assert (location["line"], location["column"]) == (4, 11)
    trail = finding["history"]
    assert trail["introduced"] == {
        "sha": leaky,
        "author_name": "Ada Lovelace",
        "author_email": "ada@example.com",
        "date": "2021-03-04T05:06:07+02:00",
    }
    assert trail["removed"] is None
    assert trail["in_head"] is True
    assert trail["refs"] == ["main"]
    assert trail["paths"] == []


def test_a_message_finding_is_apart_from_the_same_key_in_a_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    sha = commit(repo, {"app.py": config_line(key)}, pasted(key))

    findings = history(capsys, repo).findings()

    assert sorted(f["location"]["kind"] for f in findings) == ["commit", "commit-message"]
    assert {f["location"]["commit"] for f in findings} == {sha}
    # a baseline entry for one is not an entry for the other
    assert len({f["fingerprint"] for f in findings}) == 2


def test_the_same_message_in_two_commits_is_two_findings_and_a_repeat_within_one_is_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    first = commit(repo, {"a": "1\n"}, pasted(key) + f"and again: {key}\n")
    second = commit(repo, {"a": "2\n"}, pasted(key))

    findings = history(capsys, repo).findings()

    assert sorted(f["location"]["commit"] for f in findings) == sorted([first, second])
    # the same key in messages: one fingerprint, so one baseline entry covers every commit
    assert len({f["fingerprint"] for f in findings}) == 1


def test_a_branch_that_is_not_head_names_its_ref_and_is_not_in_head(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"a": "1\n"}, "start")
    git(repo, "checkout", "-q", "-b", "topic")
    leaky = commit(repo, {"b": "1\n"}, pasted(key))
    git(repo, "checkout", "-q", "main")

    [finding] = history(capsys, repo).findings()

    assert finding["location"]["commit"] == leaky
    assert finding["history"]["refs"] == ["topic"]
    assert finding["history"]["in_head"] is False


def test_a_merge_commit_message_is_scanned(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = openai_key()
    commit(repo, {"a": "1\n"}, "start")
    git(repo, "checkout", "-q", "-b", "topic")
    commit(repo, {"b": "1\n"}, "topic work")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"c": "1\n"}, "main work")
    git(repo, "merge", "-q", "--no-ff", "topic", "-m", pasted(key))
    merge = git(repo, "rev-parse", "HEAD").stdout.strip()

    [finding] = history(capsys, repo).findings()

    assert finding["location"]["commit"] == merge
    assert finding["location"]["kind"] == "commit-message"


def test_an_annotated_tag_message_is_found_with_its_tag(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    tagged = commit(repo, {"a": "1\n"}, "release")
    tag(repo, "v1.0", pasted(key))
    # a lightweight tag has no message of its own: nothing more, nothing twice
    git(repo, "tag", "light")

    outcome = history(capsys, repo)

    [finding] = outcome.findings()
    location = finding["location"]
    assert location["kind"] == "tag-message"
    assert location["path"] == "tag-message/v1.0"
    assert location["commit"] == tagged
    assert location["line"] == 4
    assert finding["history"]["refs"] == ["v1.0"]
    assert finding["history"]["introduced"]["author_name"] == "Tag Ger"
    assert outcome.report()["stats"]["commits_scanned"] == 1


def test_an_inline_marker_on_the_message_line_silences_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    commit(repo, {"a": "1\n"}, f"example key\n\nAPI_KEY = {key}  # keyleak:allow\n")

    outcome = history(capsys, repo)

    assert outcome.code == 0
    assert outcome.findings() == []
    assert outcome.report()["stats"]["suppressed"] == 1


def test_the_baseline_knows_a_message_finding_by_its_own_fingerprint(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key = openai_key()
    commit(repo, {"a": "1\n"}, pasted(key))
    [finding] = history(capsys, repo).findings()
    baseline = tmp_path / "baseline.json"

    def known(fingerprint: str) -> Outcome:
        entry = json.dumps({"rule_id": PROJECT, "fingerprint": fingerprint})
        baseline.write_text(f'{{"keyleak_baseline": 1, "entries": [{entry}]}}\n')
        return history(capsys, repo, "--baseline", str(baseline))

    from scanner.redaction import fingerprint

    # the key's fingerprint in a file does not make the message's finding known
    assert known(fingerprint(PROJECT, key.encode())).code == 1
    outcome = known(finding["fingerprint"])
    assert outcome.code == 0
    [again] = outcome.findings()
    assert again["baselined"] is True


def test_a_range_scans_the_messages_of_its_commits_only(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, inside = openai_key(), openai_key()
    commit(repo, {"a": "1\n"}, "start")
    base = commit(repo, {"a": "2\n"}, pasted(before))
    leaky = commit(repo, {"a": "3\n"}, pasted(inside))
    head = commit(repo, {"a": "4\n"}, "after")

    outcome = history(capsys, repo, "--range", f"{base}..{head}")

    assert outcome.code == 1
    [finding] = outcome.findings()
    assert finding["secret"] == inside
    assert finding["location"]["kind"] == "commit-message"
    assert finding["location"]["commit"] == leaky
    assert finding["introduced_by"]["sha"] == leaky


def test_an_audit_of_a_local_repository_scans_its_messages(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key, in_tag = openai_key(), openai_key()
    leaky = commit(repo, {"a": "1\n"}, pasted(key))
    tag(repo, "v2", pasted(in_tag))

    outcome = keyleak(
        capsys,
        tmp_path,
        "audit",
        str(repo),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--format",
        "json",
        "--no-redact",
    )

    assert outcome.code == 1
    found = {f["secret"]: f["location"] for f in outcome.findings()}
    assert found[key]["kind"] == "commit-message"
    assert found[key]["commit"] == leaky
    assert found[in_tag]["kind"] == "tag-message"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_redacts_a_message_finding_and_names_its_commit(
    repo: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    key = openai_key()
    leaky = commit(repo, {"a": "1\n"}, pasted(key))
    tag(repo, "v3", pasted(openai_key()))

    outcome = keyleak(capsys, repo, "history", str(repo), "--format", name, "-j", "1")

    assert outcome.code == 1
    assert key not in outcome.out
    assert f"commit-message/{leaky[:12]}" in outcome.out
    assert "tag-message/v3" in outcome.out


def test_sarif_names_the_message_by_a_logical_location_too(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    leaky = commit(repo, {"a": "1\n"}, pasted(key))
    tag(repo, "v4", pasted(openai_key()))

    outcome = keyleak(capsys, repo, "history", str(repo), "--format", "sarif", "-j", "1")

    # the report was checked against the SARIF 2.1.0 schema as it was written (conftest)
    results = json.loads(outcome.out)["runs"][0]["results"]
    logical = {
        result["properties"]["locationKind"]: result["locations"][0]["logicalLocations"]
        for result in results
    }
    assert logical["commit-message"] == [
        {"name": leaky, "fullyQualifiedName": f"commit {leaky} message", "kind": "object"}
    ]
    [tag_location] = logical["tag-message"]
    assert tag_location["name"] == "v4"
    assert tag_location["fullyQualifiedName"] == "tag v4 message"


def test_the_html_table_shows_the_message_where_a_file_shows_its_paths(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leaky = commit(repo, {"a": "1\n"}, pasted(openai_key()))

    outcome = keyleak(capsys, repo, "history", str(repo), "--format", "html", "-j", "1")

    from scanner.report.html_format import path_html

    assert f"<td>{path_html(f'commit-message/{leaky[:12]}')}</td>" in outcome.out


def test_an_audit_stored_before_messages_were_scanned_is_not_reused(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.org import task
    from scanner.pipeline.messages import CommitMessages

    key = openai_key()
    commit(repo, {"a": "1\n"}, pasted(key))
    argv = ("audit", str(repo), "--cache-dir", str(tmp_path / "cache"), "--format", "json")
    # an audit by a keyleak that read no messages, under the signature format it recorded
    with monkeypatch.context() as old:
        old.setattr(task, "SIGNATURE_FORMAT", 1)
        old.setattr(CommitMessages, "found", lambda self, commit: [])
        assert keyleak(capsys, tmp_path, *argv).code == 0

    outcome = keyleak(capsys, tmp_path, *argv)

    assert [r["status"] for r in outcome.report()["repositories"]] == ["scanned"]
    assert outcome.code == 1


def test_a_message_that_looks_like_log_output_is_only_a_message(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    parent = commit(repo, {"a": "1\n"}, "start")
    tree = git(repo, "rev-parse", "HEAD^{tree}").stdout.strip()
    # a crafted commit object: git shows its message up to the NUL, which must not end a field
    # nor start a change of the log's own
    fake_change = f":100644 100644 {tree} {tree} M\0evil"
    body = (
        f"tree {tree}\nparent {parent}\nauthor A <a@x> 1700000000 +0000\n"
        f"committer A <a@x> 1700000000 +0000\n\nsubject\nAPI_KEY = {key}\n\0{fake_change}\n"
    )
    crafted = (
        subprocess.run(
            ["git", "hash-object", "-t", "commit", "-w", "--stdin", "--literally"],
            cwd=repo,
            input=body.encode(),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    git(repo, "update-ref", "refs/heads/main", crafted)

    outcome = history(capsys, repo)

    assert outcome.code == 1
    [finding] = outcome.findings()
    assert finding["location"]["commit"] == crafted
    assert outcome.report()["stats"]["commits_scanned"] == 2


def test_a_key_in_a_message_is_verified_and_fails_on_live(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fake_provider import fake_provider, make_key

    key = make_key("openai")
    commit(repo, {"a": "1\n"}, pasted(key))

    with fake_provider(environ=monkeypatch) as provider:
        outcome = history(capsys, repo, "--verify", "--no-verify-cache", "--fail-on", "live")

    assert outcome.code == 1
    [finding] = outcome.findings()
    assert finding["verdict"]["status"] == "live"
    assert provider.requests[key] == 1


def test_a_key_in_a_tag_message_is_still_present_while_the_tag_exists(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a tag's message goes wherever the tag is pushed: it is no more "gone" than a commit's
    commit(repo, {"a": "1\n"}, "release")
    tag(repo, "v1.0", pasted(openai_key()))

    [finding] = history(capsys, repo).findings()

    assert finding["history"]["still_present"] is True
    assert finding["history"]["removed"] is None


def test_a_key_after_a_nul_in_a_commit_message_is_found_by_a_range(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # git log's %B ends a message at its first NUL; the object (and every clone) holds the rest
    key = openai_key()
    base = commit(repo, {"a": "1\n"}, "base")
    tree = git(repo, "rev-parse", "HEAD^{tree}").stdout.strip()
    raw = (
        f"tree {tree}\nparent {base}\nauthor A <a@example.com> 1700000000 +0000\n"
        f"committer A <a@example.com> 1700000000 +0000\n\nfix typo\n\0\nAPI_KEY = {key}\n"
    ).encode()
    made = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin", "--literally"],
        cwd=repo,
        input=raw,
        check=True,
        capture_output=True,
    )
    hidden = made.stdout.decode().strip()
    git(repo, "update-ref", "refs/heads/main", hidden)

    [finding] = history(capsys, repo, "--range", f"{base}..main").findings()

    assert finding["secret"] == key
    assert finding["location"]["kind"] == "commit-message"
    assert finding["location"]["commit"] == hidden


def test_a_tag_message_only_a_tag_of_a_tag_reaches_is_found(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pushing `outer` sends the tag object it names too, message and all
    key = openai_key()
    tagged = commit(repo, {"a": "1\n"}, "release")
    tag(repo, "inner", pasted(key))
    git(repo, "-c", "advice.nestedTag=false", "tag", "-a", "outer", "-m", "outer", "inner")
    git(repo, "tag", "-d", "inner")

    [finding] = history(capsys, repo).findings()

    assert finding["secret"] == key
    assert finding["location"]["kind"] == "tag-message"
    assert finding["location"]["commit"] == tagged
    assert finding["history"]["refs"] == ["outer"]
    assert finding["history"]["introduced"]["author_name"] == "Tag Ger"


def test_a_key_after_a_nul_in_a_tag_message_is_found(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # for-each-ref's %(contents) ends a message at its first NUL, as git log's %B does
    key = openai_key()
    tagged = commit(repo, {"a": "1\n"}, "release")
    raw = (
        f"object {tagged}\ntype commit\ntag v1\ntagger T <t@example.com> 1700000000 +0000\n\n"
        f"release\n\0\nAPI_KEY = {key}\n"
    ).encode()
    made = subprocess.run(
        ["git", "hash-object", "-t", "tag", "-w", "--stdin", "--literally"],
        cwd=repo,
        input=raw,
        check=True,
        capture_output=True,
    )
    git(repo, "update-ref", "refs/tags/v1", made.stdout.decode().strip())

    [finding] = history(capsys, repo).findings()

    assert finding["secret"] == key
    assert finding["location"]["path"] == "tag-message/v1"
