"""`keyleak audit`: many repositories, mirrored from file:// URLs or read in place, audited with
the history scan, merged into one report, and skipped on the next run when nothing moved.

Every repository is built here with real git: a work tree commits, and pushes to a bare
repository that plays the server. Keys are built at run time (tests/keys.py).
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from scanner.config.settings import ScanOptions
from scanner.org import mirror
from scanner.org.targets import remote_target
from scanner.org.task import AuditJob, audit_repository
from tests.cli_helpers import Outcome, keyleak
from tests.conftest import git
from tests.fake_provider import fake_provider, make_key
from tests.keys import openai_key
from tests.report_schemas import assert_valid_json_report, assert_valid_sarif

PROJECT = "openai-project-key"


class Server:
    """Bare repositories under one directory, each with a work tree that pushes to it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def create(self, name: str, files: Mapping[str, str] | None = None) -> str:
        """A served repository with one commit of `files` (none: an empty repository);
        returns its file:// URL."""
        bare = self.root / "server" / f"{name}.git"
        bare.parent.mkdir(parents=True, exist_ok=True)
        git(self.root, "init", "-q", "--bare", "-b", "main", str(bare))
        work = self.work(name)
        git(self.root, "init", "-q", "-b", "main", str(work))
        git(work, "config", "commit.gpgsign", "false")
        git(work, "remote", "add", "origin", str(bare))
        if files is not None:
            self.push(name, files, "start")
        return bare.as_uri()

    def work(self, name: str) -> Path:
        return self.root / "work" / name

    def push(self, name: str, files: Mapping[str, str], message: str) -> None:
        work = self.work(name)
        for path, content in files.items():
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_text(content, encoding="utf-8")
        git(work, "add", "-A")
        git(work, "commit", "-q", "--allow-empty", "-m", message)
        git(work, "push", "-q", "origin", "main")


@pytest.fixture
def server(tmp_path: Path) -> Server:
    return Server(tmp_path)


def line(key: str) -> str:
    return f'API_KEY = "{key}"\n'


def audit(capsys: pytest.CaptureFixture[str], cwd: Path, *args: str) -> Outcome:
    """`keyleak audit ARGS` with a JSON report holding the secrets, and the cache under cwd."""
    cache = str(cwd / "cache")
    argv = ("audit", *args, "--cache-dir", cache, "--format", "json", "--no-redact")
    return keyleak(capsys, cwd, *argv)


def statuses(outcome: Outcome) -> dict[str, str]:
    return {r["name"]: r["status"] for r in outcome.report()["repositories"]}


def secrets_by_repository(outcome: Outcome) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in outcome.findings():
        found.setdefault(finding["location"]["repository"], set()).add(finding["secret"])
    return found


def name_of(url: str) -> str:
    return remote_target(url).name


# --- many repositories, one report -----------------------------------------------------------


def test_repositories_with_and_without_secrets_make_one_report_in_input_order(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = openai_key(), openai_key()
    leaky = server.create("leaky", {"app/settings.py": line(first)})
    clean = server.create("clean", {"README.md": "nothing to see\n"})
    empty = server.create("empty")
    other = server.create("other", {"config.env": "X=1\n" + line(second)})

    outcome = audit(capsys, tmp_path, leaky, clean, empty, other)

    assert outcome.code == 1
    document = assert_valid_json_report(outcome.out)
    names = [name_of(url) for url in (leaky, clean, empty, other)]
    assert [r["name"] for r in document["repositories"]] == names
    assert {r["status"] for r in document["repositories"]} == {"scanned"}
    assert secrets_by_repository(outcome) == {names[0]: {first}, names[3]: {second}}
    counts = {r["name"]: (r["findings"], r["commits"]) for r in document["repositories"]}
    assert counts == {names[0]: (1, 1), names[1]: (0, 1), names[2]: (0, 0), names[3]: (1, 1)}
    [leak] = [f for f in outcome.findings() if f["secret"] == first]
    assert leak["location"]["path"] == "app/settings.py"
    assert leak["history"]["in_head"] is True
    assert leak["history"]["refs"] == ["main"]
    assert document["stats"]["commits_scanned"] == 3
    assert document["repositories"][0]["url"] == leaky


def test_a_failing_url_is_reported_and_the_audit_goes_on(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    leaky = server.create("leaky", {"a.py": line(key)})
    missing = (tmp_path / "server" / "missing.git").as_uri()

    outcome = audit(capsys, tmp_path, missing, leaky)

    assert outcome.code == 1  # findings fail the run before a failed repository does
    [gone, found] = outcome.report()["repositories"]
    assert (gone["status"], found["status"]) == ("failed", "scanned")
    assert gone["error"].startswith(f"cloning {missing}: ")
    assert "does not appear to be a git repository" in gone["error"]
    assert outcome.secrets() == {key}
    assert f"{gone['name']}: failed: cloning {missing}" in outcome.err
    assert not (tmp_path / "cache" / "mirrors" / f"{remote_target(missing).slug}.git").exists()


def test_a_failed_repository_without_findings_exits_2(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = server.create("clean", {"README.md": "hello\n"})
    missing = tmp_path / "no-such-clone"

    outcome = audit(capsys, tmp_path, clean, str(missing))

    assert outcome.code == 2
    assert statuses(outcome) == {name_of(clean): "scanned", str(missing): "failed"}
    [failed] = [r for r in outcome.report()["repositories"] if r["status"] == "failed"]
    assert failed["error"] == f"{missing}: no such directory"


def test_a_directory_of_clones_audits_every_repository_directly_inside_it(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = openai_key(), openai_key()
    clones = tmp_path / "clones"
    clones.mkdir()
    git(clones, "clone", "-q", server.create("alpha", {"a.py": line(first)}), "alpha")
    git(clones, "clone", "-q", "--bare", server.create("beta", {"b.py": line(second)}), "beta.git")
    (clones / "notes").mkdir()  # not a repository: left out
    (clones / "notes" / "todo.txt").write_text(line(openai_key()), encoding="utf-8")

    outcome = audit(capsys, tmp_path, "clones")

    assert outcome.code == 1
    alpha, beta = os.path.join("clones", "alpha"), os.path.join("clones", "beta.git")
    assert statuses(outcome) == {alpha: "scanned", beta: "scanned"}
    assert secrets_by_repository(outcome) == {alpha: {first}, beta: {second}}
    # local repositories are read in place: nothing is mirrored
    assert not (tmp_path / "cache" / "mirrors").exists()


def test_targets_from_a_list_file_and_arguments_each_once(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = server.create("one", {"a.py": line(openai_key())})
    two = server.create("two", {"b.py": "x = 1\n"})
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# the organisation\n\n{two}\n  {one}  \n{two}\n", encoding="utf-8")

    outcome = audit(capsys, tmp_path, one, "--from", str(listing))

    assert [r["name"] for r in outcome.report()["repositories"]] == [name_of(one), name_of(two)]


def test_targets_from_stdin(
    server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = openai_key()
    url = server.create("one", {"a.py": line(key)})
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{url}\n"))

    outcome = audit(capsys, tmp_path, "--from", "-")

    assert outcome.code == 1
    assert statuses(outcome) == {name_of(url): "scanned"}
    assert outcome.secrets() == {key}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "no repositories to audit"),
        (("--from", "missing.txt"), "missing.txt: cannot read the list of repositories"),
        (("empty-dir",), "empty-dir: neither a git repository nor a directory of repositories"),
    ],
)
def test_no_targets_or_an_unreadable_list_is_a_usage_error(
    arguments: tuple[str, ...],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "empty-dir").mkdir()
    outcome = keyleak(capsys, tmp_path, "audit", *arguments, "--cache-dir", str(tmp_path / "c"))
    assert outcome.code == 2
    assert message in outcome.err


def test_an_empty_list_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "urls.txt").write_text("# nothing yet\n", encoding="utf-8")
    outcome = audit(capsys, tmp_path, "--from", "urls.txt")
    assert outcome.code == 2
    assert "no repositories to audit" in outcome.err


# --- resuming ----------------------------------------------------------------------------------


def state_of(cache: Path, url: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (cache / "state" / f"{remote_target(url).slug}.json").read_text(encoding="utf-8")
    )
    return document


def test_a_second_audit_reuses_unchanged_repositories_and_rescans_one_that_moved(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = openai_key(), openai_key()
    moving = server.create("moving", {"a.py": line(old)})
    still = server.create("still", {"b.py": "x = 1\n"})
    cache = tmp_path / "cache"

    first = audit(capsys, tmp_path, moving, still)
    assert set(statuses(first).values()) == {"scanned"}
    state = cache / "state" / f"{remote_target(moving).slug}.json"
    assert state.stat().st_mode & 0o777 == 0o600
    recorded = state_of(cache, moving)
    assert (
        recorded["tips"]["refs/heads/main"]
        == git(server.work("moving"), "rev-parse", "HEAD").stdout.strip()
    )
    assert [f["secret"] for f in recorded["result"]["findings"]] == [old]
    # mark the stored finding: a report that shows the mark was not scanned again
    recorded["result"]["findings"][0]["line_text"] = "as stored by the last audit"
    state.write_text(json.dumps(recorded), encoding="utf-8")

    second = audit(capsys, tmp_path, moving, still)

    assert second.code == 1
    assert set(statuses(second).values()) == {"unchanged"}
    assert second.report()["stats"]["files_scanned"] == 0
    [reused] = second.findings()
    assert (reused["secret"], reused["line"]) == (old, "as stored by the last audit")
    assert reused["location"]["repository"] == name_of(moving)

    server.push("moving", {"c.py": line(new)}, "another key")
    third = audit(capsys, tmp_path, moving, still)

    assert statuses(third) == {name_of(moving): "scanned", name_of(still): "unchanged"}
    assert third.secrets() == {old, new}
    assert {f["line"] for f in third.findings()} == {line(old).strip(), line(new).strip()}
    assert len(state_of(cache, moving)["result"]["findings"]) == 2


def test_changed_scan_options_scan_again(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.create("one", {"a.py": line(openai_key())})
    audit(capsys, tmp_path, url)
    assert statuses(audit(capsys, tmp_path, url)) == {name_of(url): "unchanged"}
    smaller = audit(capsys, tmp_path, url, "--max-blob-size", "10")
    assert statuses(smaller) == {name_of(url): "scanned"}
    assert smaller.findings() == []


def test_no_fetch_audits_the_mirror_as_it_is(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.create("one", {"a.py": "x = 1\n"})
    audit(capsys, tmp_path, url)
    key = openai_key()
    server.push("one", {"b.py": line(key)}, "a key")

    stale = audit(capsys, tmp_path, url, "--no-fetch")
    fresh = audit(capsys, tmp_path, url)

    assert (statuses(stale), stale.findings()) == ({name_of(url): "unchanged"}, [])
    assert (statuses(fresh), fresh.secrets()) == ({name_of(url): "scanned"}, {key})


def test_a_deleted_branch_is_pruned_from_the_mirror(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    url = server.create("one", {"a.py": "x = 1\n"})
    work = server.work("one")
    git(work, "checkout", "-q", "-b", "topic")
    server.work("one").joinpath("b.py").write_text(line(key), encoding="utf-8")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "key on a branch")
    git(work, "push", "-q", "origin", "topic")
    assert audit(capsys, tmp_path, url).secrets() == {key}

    git(work, "push", "-q", "origin", "--delete", "topic")
    outcome = audit(capsys, tmp_path, url)

    assert statuses(outcome) == {name_of(url): "scanned"}
    assert outcome.findings() == []
    mirrored = tmp_path / "cache" / "mirrors" / f"{remote_target(url).slug}.git"
    assert git(mirrored, "for-each-ref", "--format=%(refname)").stdout.split() == [
        "refs/heads/main"
    ]


def test_the_mirror_holds_branches_and_tags_but_not_pull_request_refs(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.create("one", {"a.py": "x = 1\n"})
    work = server.work("one")
    git(work, "tag", "-a", "v1", "-m", "release")
    git(work, "push", "-q", "origin", "v1", "HEAD:refs/pull/1/head")

    audit(capsys, tmp_path, url)

    mirrored = tmp_path / "cache" / "mirrors" / f"{remote_target(url).slug}.git"
    refs = git(mirrored, "for-each-ref", "--format=%(refname)").stdout.split()
    assert refs == ["refs/heads/main", "refs/tags/v1"]
    assert git(mirrored, "symbolic-ref", "HEAD").stdout.strip() == "refs/heads/main"
    assert "url" not in (mirrored / "config").read_text(encoding="utf-8")


def test_the_default_cache_is_under_keyleak_cache_dir(
    server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KEYLEAK_CACHE_DIR", str(tmp_path / "keyleak-cache"))
    url = server.create("one", {"a.py": "x = 1\n"})

    outcome = keyleak(capsys, tmp_path, "audit", url, "--format", "json")

    assert outcome.code == 0
    audit_cache = tmp_path / "keyleak-cache" / "audit"
    assert (audit_cache / "state" / f"{remote_target(url).slug}.json").is_file()
    assert (audit_cache / "mirrors" / f"{remote_target(url).slug}.git" / "HEAD").is_file()


# --- credentials -----------------------------------------------------------------------------


def test_credentials_in_a_url_never_reach_the_report_the_state_or_the_log(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "tok" + "en" + openai_key()[-12:]
    key = openai_key()
    url = server.create("private", {"a.py": line(key)})
    # git ignores a file:// URL's user part, which lets this test fetch through one
    with_token = url.replace("file://", f"file://ci-bot:{token}@", 1)
    unreachable = f"https://ci-bot:{token}@127.0.0.1:1/org/app.git"

    outcomes = [
        audit(capsys, tmp_path, with_token, unreachable),
        keyleak(capsys, tmp_path, "audit", with_token, unreachable, "--cache-dir", "cache"),
        keyleak(capsys, tmp_path, "audit", with_token, "--cache-dir", "cache", "--format", "sarif"),
    ]

    assert outcomes[0].secrets() == {key}
    [fetched, failed] = outcomes[0].report()["repositories"]
    assert (fetched["url"], fetched["status"]) == (
        url.replace("file://", "file://ci-bot@"),
        "scanned",
    )
    assert failed["url"] == "https://127.0.0.1:1/org/app.git"
    assert failed["name"] == "127.0.0.1:1/org/app"
    assert failed["status"] == "failed"
    for outcome in outcomes:
        assert token not in outcome.out + outcome.err
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_two_tasks_never_use_one_mirror_at_once(server: Server, tmp_path: Path) -> None:
    url = server.create("one", {"a.py": "x = 1\n"})
    target = remote_target(url)
    cache = tmp_path / "cache"
    job = AuditJob(target, str(cache), ScanOptions(), max_blob_size=1 << 20)
    outcomes: list[Any] = []
    task = threading.Thread(target=lambda: outcomes.append(audit_repository(job)))

    with mirror.locked(mirror.mirror_path(cache, target)):
        task.start()
        task.join(timeout=2)
        assert task.is_alive()  # waiting for the lock: it cannot have cloned yet
        assert not (mirror.mirror_path(cache, target) / "HEAD").exists()
    task.join()

    assert [outcome.status for outcome in outcomes] == ["scanned"]


# --- parallel audits ---------------------------------------------------------------------------


def test_two_jobs_give_the_same_report_in_input_order(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [openai_key() for _ in range(4)]
    urls = [server.create(f"repo{i}", {f"f{i}.py": line(key)}) for i, key in enumerate(keys)]
    missing = (tmp_path / "server" / "gone.git").as_uri()

    outcome = audit(capsys, tmp_path, *urls, missing, "--jobs", "2")

    assert outcome.code == 1
    assert [r["name"] for r in outcome.report()["repositories"]] == [
        *(name_of(url) for url in urls),
        name_of(missing),
    ]
    assert list(statuses(outcome).values()) == ["scanned"] * 4 + ["failed"]
    assert secrets_by_repository(outcome) == {
        name_of(url): {key} for url, key in zip(urls, keys, strict=True)
    }


def test_scheduler_without_dask_installed_says_what_to_install(
    server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    url = server.create("one", {"a.py": "x = 1\n"})

    outcome = audit(capsys, tmp_path, url, "--scheduler", "tcp://127.0.0.1:8786")

    assert outcome.code == 2
    assert "install keyleak[distributed]" in outcome.err


# --- reports -----------------------------------------------------------------------------------


def test_text_report_has_a_section_per_repository(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    server.create("leaky", {"app/settings.py": line(key)})
    server.create("clean", {"README.md": "hello\n"})
    leaky, clean = os.path.join("work", "leaky"), os.path.join("work", "clean")
    cache = str(tmp_path / "cache")
    keyleak(capsys, tmp_path, "audit", clean, "--cache-dir", cache)

    outcome = keyleak(capsys, tmp_path, "audit", leaky, clean, "gone", "--cache-dir", cache)

    assert outcome.code == 1
    text = outcome.out
    sections = [row for row in text.splitlines() if row.startswith("=== ")]
    assert sections == [
        f"=== {leaky}: 1 secret (1 commit, 1 blob, {len(line(key))} B)",
        f"=== {clean}: no secrets, unchanged since the last audit",
        "=== gone: failed",
    ]
    leaky_part = text[text.index(sections[0]) : text.index(sections[1])]
    assert "app/settings.py (1 secret)" in leaky_part
    assert "app/settings.py:1:12: OpenAI project API key" in leaky_part
    failed_part = text[text.index(sections[2]) :]
    assert "    error:       gone: no such directory" in failed_part
    assert "keyleak: 3 repositories: 1 scanned, 1 unchanged, 1 failed" in text
    assert text.rstrip().splitlines()[-1].startswith("keyleak: 1 secret found in 1 file")
    assert all(len(row) <= 80 for row in text.splitlines())


def test_sarif_csv_and_junit_name_each_finding_s_repository(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.create("leaky", {"a.py": line(openai_key())})
    missing = (tmp_path / "server" / "gone.git").as_uri()
    base = ("audit", url, missing, "--cache-dir", str(tmp_path / "cache"), "--format")

    sarif = assert_valid_sarif(keyleak(capsys, tmp_path, *base, "sarif").out)
    csv_text = keyleak(capsys, tmp_path, *base, "csv").out
    junit = keyleak(capsys, tmp_path, *base, "junit").out

    run = sarif["runs"][0]
    [result] = run["results"]
    assert result["properties"]["repository"] == name_of(url)
    assert [r["status"] for r in run["properties"]["repositories"]] == ["scanned", "failed"]
    [notification] = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"].startswith(f"{name_of(missing)}: cloning")
    header, row = csv_text.splitlines()
    assert header.endswith(',"repository"')
    assert row.endswith(f',"{name_of(url)}"')
    assert f'file="{name_of(url)}/a.py"' in junit
    assert 'errors="1"' in junit
    assert f'name="{name_of(missing)}"' in junit


def test_verify_asks_about_a_key_found_in_several_repositories_once(
    server: Server,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shared, own = make_key("openai"), make_key("openai")
    first = server.create("first", {"a.py": line(shared)})
    second = server.create("second", {"b.py": line(shared), "c.py": line(own)})

    with fake_provider(environ=monkeypatch) as provider:
        outcome = audit(capsys, tmp_path, first, second, "--verify", "--no-verify-cache")

    assert outcome.code == 1
    assert sorted(f["secret"] for f in outcome.findings()) == sorted([shared, shared, own])
    assert {f["verdict"]["status"] for f in outcome.findings()} == {"live"}
    assert provider.requests[shared] == provider.requests[own] == 1


# --- whose configuration -----------------------------------------------------------------------


def test_an_audited_repository_cannot_allowlist_its_own_keys(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Audited from inside itself, a repository's own config, `.gitleaksignore` and baseline
    are data like the rest of it: its key is reported."""
    from scanner.redaction import fingerprint

    key = openai_key()
    entry = {"rule_id": PROJECT, "fingerprint": fingerprint(PROJECT, key.encode())}
    server.create(
        "sly",
        {
            "app.py": line(key),
            ".keyleak.toml": f'[allow]\nsecrets = ["{key}"]\n',
            ".gitleaksignore": f"app.py:{PROJECT}:1\n",
            ".keyleak-baseline.json": json.dumps({"keyleak_baseline": 1, "entries": [entry]}),
        },
    )

    outcome = audit(capsys, server.work("sly"), ".")

    assert outcome.code == 1, outcome.err
    assert [finding["baselined"] for finding in outcome.findings()] == [False]
    assert outcome.secrets() == {key}


def test_the_users_config_file_applies_to_every_repository(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    leaky = server.create("leaky", {"app.py": line(key)})
    mine = tmp_path / "mine" / "keyleak.toml"
    mine.parent.mkdir()
    mine.write_text(f'[allow]\nsecrets = ["{key}"]\n', encoding="utf-8")

    assert audit(capsys, tmp_path, leaky).code == 1
    assert audit(capsys, tmp_path, leaky, "--config", str(mine)).code == 0


def test_a_key_only_a_tag_on_a_blob_holds_is_audited_and_read_back_from_the_state(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    url = server.create("tagged", {"a.py": "x = 1\n"})
    work = server.work("tagged")
    (tmp_path / "loose.txt").write_text(line(key), encoding="utf-8")
    blob = git(work, "hash-object", "-w", str(tmp_path / "loose.txt")).stdout.strip()
    git(work, "tag", "-a", "-m", "x", "t", blob)
    git(work, "push", "-q", "origin", "t")

    first = audit(capsys, tmp_path, url)
    second = audit(capsys, tmp_path, url)

    assert statuses(first) == {name_of(url): "scanned"}
    assert statuses(second) == {name_of(url): "unchanged"}
    for outcome in (first, second):
        [finding] = outcome.findings()
        assert finding["secret"] == key
        assert finding["location"]["kind"] == "ref"
        assert finding["history"]["refs"] == ["t"]
        assert finding["history"]["introduced"] is None
