"""End to end: `keyleak scan|staged --verify`, `keyleak verify`, and the --fail-on policy."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.config.verification import FailOn
from scanner.entry import main
from scanner.model import Verdict, VerdictStatus
from scanner.policy.fail_on import exit_code
from tests.conftest import git
from tests.fake_provider import Answer, FakeProvider, aws_secret, fake_provider, finding, make_key

INVALID_GITHUB = Answer(401, {"message": "Bad credentials"})


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    # the session's cache directory (conftest) keeps the compiled rules between tests; verdicts
    # in it are keyed by fresh random keys, so no test sees another's
    with fake_provider(environ=monkeypatch) as running:
        yield running


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def plant(root: Path, **keys: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, key in keys.items():
        (root / f"{name}.py").write_text(f'TOKEN = "{key}"\n', encoding="utf-8")


def scan_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *options: str
) -> tuple[str, int, str, str]:
    """`keyleak scan OPTIONS...` over one file holding a fresh OpenAI key: (key, code, out, err)."""
    key = make_key("openai")
    plant(tmp_path / "src", a=key)
    return (key, *run(["scan", str(tmp_path / "src"), *options], capsys))


def plant_live_and_dead(server: FakeProvider, root: Path) -> tuple[str, str]:
    """A working OpenAI key in `live.py` and a GitHub token the fake rejects in `dead.py`."""
    live, dead = make_key("openai"), make_key("github")
    server.script(dead, INVALID_GITHUB)
    plant(root, live=live, dead=dead)
    return live, dead


def test_scan_verify_reports_each_verdict_and_the_counts(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live, dead = plant_live_and_dead(server, tmp_path / "src")
    code, out, err = run(["scan", str(tmp_path / "src"), "--verify", "--format", "json"], capsys)
    assert code == 1
    report = json.loads(out)
    verdicts = {Path(f["location"]["path"]).stem: f["verdict"] for f in report["findings"]}
    assert verdicts["live"]["status"] == "live"
    assert verdicts["dead"]["status"] == "invalid"
    assert report["stats"]["by_verdict"] == {"live": 1, "invalid": 1}
    assert "redirected" in err
    assert server.requests[live] == server.requests[dead] == 1
    for key in (live, dead):
        assert key not in out and key not in err


def test_scan_verify_pairs_an_aws_key_id_with_its_secret(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id, secret = make_key("aws"), aws_secret()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "credentials").write_text(
        f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    )
    code, out, _ = run(["scan", str(tmp_path / "src"), "--verify", "--format", "json"], capsys)
    assert code == 1
    verdicts = {f["rule_id"]: f["verdict"] for f in json.loads(out)["findings"]}
    assert verdicts["aws-access-key-id"]["status"] == "live"
    assert verdicts["aws-access-key-id"]["details"]["account"] == "123456789012"
    assert verdicts["aws-secret-access-key"]["status"] == "live"
    assert server.requests[key_id] == 1
    assert not server.malformed


def test_text_report_shows_the_verdict(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, code, out, _ = scan_a_key(tmp_path, capsys, "--verify")
    assert code == 1
    assert "live" in out
    assert key not in out


def test_second_run_is_answered_from_the_cache(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = make_key("openai")
    plant(tmp_path / "src", a=key)
    for _ in range(2):
        run(["scan", str(tmp_path / "src"), "--verify"], capsys)
    assert server.requests[key] == 1
    run(["scan", str(tmp_path / "src"), "--verify", "--no-verify-cache"], capsys)
    assert server.requests[key] == 2


@pytest.mark.parametrize(
    ("policy", "answer", "expected"),
    [
        ("any", INVALID_GITHUB, 1),
        ("live", INVALID_GITHUB, 0),
        ("live", Answer(), 1),
        ("unknown-or-live", INVALID_GITHUB, 0),
        ("unknown-or-live", Answer(500, {}), 1),
        ("live", Answer(500, {}), 0),
    ],
)
def test_fail_on_decides_the_exit_code(
    policy: str,
    answer: Answer,
    expected: int,
    server: FakeProvider,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = make_key("github")
    server.script(key, answer)
    plant(tmp_path / "src", a=key)
    argv = ["scan", str(tmp_path / "src"), "--verify", "--fail-on", policy]
    assert run([*argv, "--verify-timeout", "2"], capsys)[0] == expected


@pytest.mark.parametrize("policy", ["any", "live", "unknown-or-live"])
def test_baselined_findings_never_fail_the_run(policy: FailOn) -> None:
    base = finding("openai", make_key("openai"))
    live = replace(base, verdict=Verdict(VerdictStatus.LIVE))
    assert exit_code([replace(live, baselined=True)], policy) == 0
    assert exit_code([replace(live, baselined=True), live], policy) == 1


def test_policy_on_unverified_and_skipped_findings() -> None:
    unverified = finding("openai", make_key("openai"))
    skipped = replace(unverified, verdict=Verdict(VerdictStatus.SKIPPED, "no verifier"))
    invalid = replace(unverified, verdict=Verdict(VerdictStatus.INVALID))
    assert exit_code([unverified, skipped], "live") == 0
    assert exit_code([skipped], "unknown-or-live") == 1
    assert exit_code([unverified], "unknown-or-live") == 1
    assert exit_code([invalid], "unknown-or-live") == 0
    assert exit_code([invalid], "any") == 1


def test_without_verify_nothing_is_sent(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, code, out, err = scan_a_key(tmp_path, capsys, "--format", "json")
    assert code == 1
    assert server.total == 0
    assert json.loads(out)["findings"][0]["verdict"] is None
    assert "redirected" not in err


def test_dry_run_prints_redacted_requests_and_sends_nothing(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, _, out, err = scan_a_key(tmp_path, capsys, "--verify-dry-run")
    assert server.total == 0
    assert f"would send: GET {server.url}/v1/models" in err
    assert key not in err and key not in out


def test_staged_verify(
    server: FakeProvider,
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = make_key("openai")
    plant(repo, config=key)
    git(repo, "add", "config.py")
    monkeypatch.chdir(repo)
    code, out, _ = run(["staged", "--verify", "--format", "json"], capsys)
    assert code == 1
    assert json.loads(out)["findings"][0]["verdict"]["status"] == "live"
    assert server.requests[key] == 1


def test_verify_command_reads_an_unredacted_json_report(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live, dead = plant_live_and_dead(server, tmp_path / "src")
    report = tmp_path / "report.json"
    run(
        ["scan", str(tmp_path / "src"), "--no-redact", "--format", "json", "-o", str(report)],
        capsys,
    )
    assert server.total == 0
    code, out, _ = run(["verify", str(report), "--format", "json", "--fail-on", "live"], capsys)
    assert code == 1
    statuses = sorted(f["verdict"]["status"] for f in json.loads(out)["findings"])
    assert statuses == ["invalid", "live"]
    assert live not in out and dead not in out


def test_verify_command_refuses_a_redacted_report(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plant(tmp_path / "src", a=make_key("openai"))
    report = tmp_path / "report.json"
    run(["scan", str(tmp_path / "src"), "--format", "json", "-o", str(report)], capsys)
    code, _, err = run(["verify", str(report)], capsys)
    assert code == 2
    assert "--no-redact" in err
    assert server.total == 0


def test_verify_command_reads_keys_on_stdin(
    server: FakeProvider, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    live, dead = make_key("slack"), make_key("openai")
    server.script(dead, Answer(401, {"error": {"code": "invalid_api_key", "message": "x"}}))
    lines = f"{live}\n{dead}\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines)))
    code, out, err = run(["verify", "--format", "json", "--fail-on", "live"], capsys)
    assert code == 1, err
    statuses = {f["provider"]: f["verdict"]["status"] for f in json.loads(out)["findings"]}
    assert statuses == {"slack": "live", "openai": "invalid"}


def test_no_http_client_is_imported_without_verify(tmp_path: Path) -> None:
    plant(tmp_path, a=make_key("openai"))
    program = (
        "import sys\n"
        "from scanner.entry import main\n"
        "try:\n"
        f"    main(['scan', {str(tmp_path)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(str({'httpx', 'httpcore'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert done.stderr.strip().endswith("set()")


def test_fail_on_live_without_verify_warns(
    server: FakeProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, code, _, err = scan_a_key(tmp_path, capsys, "--fail-on", "live")
    assert code == 0
    assert "--fail-on live without --verify" in err
    assert server.total == 0


def test_settings_out_of_range_are_a_usage_error() -> None:
    from scanner.config.verification import VerifySettings
    from scanner.errors import ConfigError

    with pytest.raises(ConfigError, match="concurrency"):
        VerifySettings(concurrency=0)


def test_an_endless_input_is_a_usage_error_not_a_hang(tmp_path: Path) -> None:
    """`keyleak verify /dev/zero` read for ever, holding all it read: input is capped."""
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "verify", "/dev/zero"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "keyleak: error: /dev/zero: cannot read: larger than the" in done.stderr
