"""The GitHub Action: scanner/ci.py run as action.yml runs it, with the environment GitHub sets,
on repositories built here; and action.yml handing it the inputs it reads."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.ci import INPUTS, ZERO_SHA, Plan, plan_for, workflow_annotations
from scanner.errors import KeyleakError
from tests.conftest import git, run_process
from tests.keys import openai_key
from tests.report_schemas import assert_valid_sarif

ROOT = Path(__file__).resolve().parent.parent


def commit(repo: Path, message: str, files: dict[str, str | None]) -> str:
    for name, text in files.items():
        if text is None:
            git(repo, "rm", "-q", name)
        else:
            (repo / name).write_text(text, encoding="utf-8")
            git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def step(name: str) -> str:
    """The shell script of action.yml's step `name`, as the runner runs it."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    found = next(item for item in action["runs"]["steps"] if item.get("name") == name)
    assert found["shell"] == "bash"
    return str(found["run"])


def installed_keyleak(runner_temp: Path) -> None:
    """What the Install step leaves in $RUNNER_TEMP/keyleak-venv, without the network: a
    python that is this test's interpreter, which has keyleak installed."""
    python = runner_temp / "keyleak-venv" / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)


class Action:
    """One run of the action's Scan step (action.yml's own script, in the workspace, as the
    runner runs it), and what it left behind."""

    def __init__(self, tmp_path: Path, repo: Path, event: str, payload: dict[str, Any]) -> None:
        self.home = tmp_path / "runner"
        self.home.mkdir(exist_ok=True)
        self.repo = repo
        self.event = event
        self.payload = payload

    def run(self, **inputs: str) -> tuple[int, str, str]:
        event_path = self.home / "event.json"
        event_path.write_text(json.dumps(self.payload), encoding="utf-8")
        self.output = self.home / "output"
        self.summary = self.home / "summary.md"
        env = {name: value for name, value in os.environ.items() if not name.startswith("GITHUB")}
        env.update(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_EVENT_NAME": self.event,
                "GITHUB_EVENT_PATH": str(event_path),
                "GITHUB_WORKSPACE": str(self.repo),
                "GITHUB_OUTPUT": str(self.output),
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "RUNNER_TEMP": str(self.home),
                **inputs,
            }
        )
        installed_keyleak(self.home)
        completed = run_process(["bash", "-e", "-c", step("Scan")], self.repo, env)
        return completed.returncode, completed.stdout, completed.stderr

    def outputs(self) -> dict[str, str]:
        lines = self.output.read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines)

    def sarif(self) -> dict[str, Any]:
        return assert_valid_sarif(Path(self.outputs()["sarif-file"]).read_text(encoding="utf-8"))


def secrets_reported(sarif: dict[str, Any]) -> set[str]:
    """The OpenAI keys reported (generic rules may report the same lines again)."""
    results = sarif["runs"][0]["results"]
    return {r["properties"]["secret"] for r in results if r["ruleId"] == "openai-project-key"}


def branch_created(after: str, branch: str) -> dict[str, Any]:
    """The payload of a push that creates `branch` at `after`, in a repository whose default
    branch is main."""
    return {
        "before": ZERO_SHA,
        "after": after,
        "ref": f"refs/heads/{branch}",
        "repository": {"default_branch": "main"},
    }


def shown(key: str) -> str:
    return f"sk-proj-{key[8:10]}…{key[-4:]}"


@pytest.fixture
def base(repo: Path) -> tuple[str, str]:
    """main with one commit that already holds a key: a range after it must not report it."""
    old = openai_key()
    return commit(repo, "base", {"old.py": f'OLD = "{old}"\n'}), old


def test_pull_request_reports_exactly_what_its_commits_add(
    tmp_path: Path, repo: Path, base: tuple[str, str]
) -> None:
    base_sha, old = base
    kept, removed = openai_key(), openai_key()
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, "add a key", {"app.py": f'KEY = "{kept}"\n'})
    commit(repo, "add another", {"tmp.env": f"TOKEN={removed}\n"})
    head = commit(repo, "remove it again", {"tmp.env": None})
    payload = {"pull_request": {"base": {"sha": base_sha}, "head": {"sha": head}}}
    action = Action(tmp_path, repo, "pull_request", payload)

    code, stdout, stderr = action.run()

    assert code == 1, stdout + stderr
    sarif = action.sarif()
    assert secrets_reported(sarif) == {shown(kept), shown(removed)}
    count = str(len(sarif["runs"][0]["results"]))
    assert action.outputs()["findings"] == action.outputs()["new-findings"] == count
    assert stdout.count("title=openai-project-key::") == 2
    assert "::error file=app.py,line=1,col=8,title=openai-project-key::" in stdout
    assert f"{count} new, 0 known" in action.summary.read_text(encoding="utf-8")
    everything = stdout + stderr + json.dumps(sarif) + action.summary.read_text(encoding="utf-8")
    assert not any(key in everything for key in (kept, removed, old))


def test_push_of_clean_commits_passes_with_an_empty_report(
    tmp_path: Path, repo: Path, base: tuple[str, str]
) -> None:
    before, _ = base
    after = commit(repo, "docs", {"README.md": "hello\n"})
    payload = {"before": before, "after": after, "ref": "refs/heads/main"}
    action = Action(tmp_path, repo, "push", payload)

    code, stdout, stderr = action.run(KEYLEAK_SARIF_FILE="out/keyleak.sarif")

    assert code == 0, stdout + stderr
    assert action.outputs()["sarif-file"] == str(repo / "out" / "keyleak.sarif")
    assert action.sarif()["runs"][0]["results"] == []
    assert action.outputs()["findings"] == "0"


def test_new_branch_push_scans_the_commits_not_on_the_default_branch(
    tmp_path: Path, repo: Path, base: tuple[str, str]
) -> None:
    base_sha, _ = base
    git(repo, "update-ref", "refs/remotes/origin/main", base_sha)
    git(repo, "checkout", "-q", "-b", "feature")
    added = openai_key()
    after = commit(repo, "feature work", {"feature.py": f'KEY = "{added}"\n'})
    action = Action(tmp_path, repo, "push", branch_created(after, "feature"))

    code, stdout, stderr = action.run()

    assert code == 1, stdout + stderr
    assert secrets_reported(action.sarif()) == {shown(added)}


def test_first_push_of_the_default_branch_audits_its_history(
    tmp_path: Path, repo: Path, base: tuple[str, str]
) -> None:
    base_sha, old = base
    action = Action(tmp_path, repo, "push", branch_created(base_sha, "main"))

    code, stdout, stderr = action.run()

    assert code == 1, stdout + stderr
    assert secrets_reported(action.sarif()) == {shown(old)}


def test_deleted_branch_scans_nothing(tmp_path: Path, repo: Path, base: tuple[str, str]) -> None:
    payload = {"before": base[0], "after": ZERO_SHA, "ref": "refs/heads/gone"}
    action = Action(tmp_path, repo, "push", payload)
    code, stdout, _ = action.run()
    assert code == 0
    assert "nothing to scan" in stdout
    assert action.outputs() == {"findings": "0", "new-findings": "0"}


def test_bad_input_and_bad_payload_are_usage_errors(
    tmp_path: Path, repo: Path, base: tuple[str, str]
) -> None:
    payload = {"before": base[0], "after": base[0], "ref": "refs/heads/main"}
    code, _, stderr = Action(tmp_path, repo, "push", payload).run(KEYLEAK_FAIL_ON="sometimes")
    assert code == 2
    assert stderr.startswith("keyleak: error: fail-on: 'sometimes'")
    code, _, stderr = Action(tmp_path, repo, "pull_request", {}).run()
    assert code == 2
    assert "Traceback" not in stderr and "pull_request event payload lacks" in stderr


@pytest.mark.parametrize(
    ("event", "payload", "expected"),
    [
        (
            "pull_request_target",
            {"pull_request": {"base": {"sha": "a" * 40}, "head": {"sha": "b" * 40}}},
            ("--range", f"{'a' * 40}..{'b' * 40}"),
        ),
        ("push", {"before": "c" * 40, "after": "d" * 40}, ("--range", f"{'c' * 40}..{'d' * 40}")),
        ("schedule", {}, ()),
        ("workflow_dispatch", {"inputs": {}}, ()),
    ],
)
def test_plan_for_each_event(event: str, payload: dict[str, Any], expected: tuple[str]) -> None:
    plan = plan_for(event, payload)
    assert isinstance(plan, Plan) and plan.arguments == expected


def test_plan_for_a_payload_missing_its_fields_names_them() -> None:
    with pytest.raises(KeyleakError, match="'before'"):
        plan_for("push", {"after": "d" * 40})


def test_annotations_cannot_inject_workflow_commands() -> None:
    sarif = {
        "runs": [
            {
                "results": [
                    {
                        "ruleId": "r",
                        "level": "warning",
                        "message": {"text": "found\n::add-mask::x 100%"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": "a,b:c.py"},
                                    "region": {"startLine": 2, "startColumn": 3},
                                }
                            }
                        ],
                    },
                    {"suppressions": [{"kind": "external"}]},
                ]
            }
        ]
    }
    assert workflow_annotations(sarif) == [
        "::warning file=a%2Cb%3Ac.py,line=2,col=3,title=r::found%0A::add-mask::x 100%25"
    ]


def test_action_yml_runs_the_script_with_every_input() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    install = next(step for step in steps if "pip install" in step.get("run", ""))
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    scan = next(step for step in steps if step.get("id") == "scan")
    assert "-m scanner.ci" in scan["run"]
    assert set(scan["env"]) == set(INPUTS)
    for name in action["inputs"]:
        if name != "python-version":
            assert any(f"inputs.{name} }}" in value for value in scan["env"].values()), name
    assert action["inputs"]["fail-on"]["default"] == "any"
    for name, output in action["outputs"].items():
        assert output["value"] == f"${{{{ steps.scan.outputs.{name} }}}}"


HOSTILE = """import pathlib, sys
pathlib.Path({marker!r}).write_text("ran")
sys.exit(0)
"""


def plant(repo: Path, package: str, marker: Path) -> dict[str, str]:
    """A package of the pull request's that, imported, leaves `marker` and exits 0."""
    code = HOSTILE.format(marker=str(marker))
    return {f"{package}/__init__.py": code, f"{package}/__main__.py": code}


def commit_files(repo: Path, message: str, files: dict[str, str]) -> str:
    for name in files:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
    return commit(repo, message, dict(files))


def test_a_hostile_pull_request_cannot_run_its_code_in_the_scan(
    tmp_path: Path, repo: Path, base: tuple[str, str]
) -> None:
    """The pull request plants a `scanner` package: the Scan step must neither import it nor
    pass, and report the key the pull request adds."""
    base_sha, _ = base
    marker = tmp_path / "planted-code-ran"
    key = openai_key()
    git(repo, "checkout", "-q", "-b", "feature")
    files = {**plant(repo, "scanner", marker), "scanner/ci.py": HOSTILE.format(marker=str(marker))}
    head = commit_files(repo, "add a key, and a scanner", {**files, "app.py": f'K = "{key}"\n'})
    payload = {"pull_request": {"base": {"sha": base_sha}, "head": {"sha": head}}}
    action = Action(tmp_path, repo, "pull_request", payload)

    code, stdout, stderr = action.run()

    assert not marker.exists(), "the pull request's code ran"
    assert code == 1, stdout + stderr
    assert secrets_reported(action.sarif()) == {shown(key)}


def test_a_hostile_pull_request_cannot_run_its_code_in_the_install(
    tmp_path: Path, repo: Path, base: tuple[str, str]
) -> None:
    """The Install step runs in the same workspace: a planted `venv` or `pip` package must not
    stand in for the real ones. It runs for real, offline: keyleak's place is taken by a small
    wheel, so nothing is fetched."""
    marker = tmp_path / "planted-code-ran"
    commit_files(repo, "plant", {**plant(repo, "venv", marker), **plant(repo, "pip", marker)})
    wheel = tmp_path / "action" / "standin-1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    build_wheel(wheel)
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys._base_executable)
    env = {name: value for name, value in os.environ.items() if not name.startswith("GITHUB")}
    env.update(
        {
            "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}",
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_ACTION_PATH": str(wheel),
            "GITHUB_WORKSPACE": str(repo),
            "PIP_NO_INDEX": "1",
        }
    )

    completed = run_process(["bash", "-e", "-c", step("Install keyleak")], repo, env, timeout=180)

    assert not marker.exists(), "the pull request's code ran"
    assert completed.returncode == 0, completed.stdout + completed.stderr
    venv_python = runner_temp / "keyleak-venv" / "bin" / "python"
    shown_version = run_process(
        [str(venv_python), "-c", "import standin; print(standin.VERSION)"], tmp_path, env
    )
    assert shown_version.stdout.strip() == "1.0"


def build_wheel(path: Path) -> None:
    """The smallest wheel pip installs: one module and its metadata."""
    import base64
    import hashlib
    import zipfile

    files = {
        "standin.py": "VERSION = '1.0'\n",
        "standin-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: standin\nVersion: 1.0\n",
        "standin-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    record.append("standin-1.0.dist-info/RECORD,,")
    files["standin-1.0.dist-info/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


def test_a_pull_request_that_allowlists_its_own_keys_fails_and_the_summary_says_how(
    tmp_path: Path, repo: Path, base: tuple[str, str]
) -> None:
    base_sha, _ = base
    allowed, marked = openai_key(), openai_key()
    git(repo, "checkout", "-q", "-b", "feature")
    files = {
        ".keyleak.toml": f'[allow]\nsecrets = ["{allowed}"]\n',
        "app.py": f'A = "{allowed}"\n',
        "marked.py": f'M = "{marked}"  # gitleaks:allow\n',
    }
    head = commit(repo, "keys, allowed by the pull request itself", files)
    payload = {"pull_request": {"base": {"sha": base_sha}, "head": {"sha": head}}}
    action = Action(tmp_path, repo, "pull_request", payload)

    code, stdout, stderr = action.run()

    assert code == 1, stdout + stderr
    sarif = action.sarif()
    assert secrets_reported(sarif) == {shown(allowed), shown(marked)}
    # the marked key stays a new finding, annotated on the diff like any other
    assert "::error file=marked.py,line=1" in stdout
    assert action.outputs()["new-findings"] == action.outputs()["findings"]
    summary = action.summary.read_text(encoding="utf-8")
    assert f".keyleak.toml: allow.secrets adds '{shown(allowed)}'" in summary
    assert "marked.py:1: the range adds an inline marker (gitleaks:allow)" in summary
    everything = stdout + stderr + json.dumps(sarif) + summary
    assert allowed not in everything and marked not in everything


def test_a_link_the_pull_request_plants_cannot_lead_the_report_out_of_the_workspace(
    tmp_path: Path, repo: Path, base: tuple[str, str]
) -> None:
    """`sarif-file: reports/keyleak.sarif` with `reports` a link the pull request adds to a
    folder outside: the step must neither delete nor write anything there."""
    base_sha, _ = base
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keyleak.sarif").write_text("precious", encoding="utf-8")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "reports").symlink_to(outside)
    git(repo, "add", "reports")
    head = commit(repo, "a key, and a link out", {"app.py": f'K = "{openai_key()}"\n'})
    payload = {"pull_request": {"base": {"sha": base_sha}, "head": {"sha": head}}}

    code, _, stderr = Action(tmp_path, repo, "pull_request", payload).run(
        KEYLEAK_SARIF_FILE="reports/keyleak.sarif"
    )

    assert code == 2
    assert "Traceback" not in stderr and "sarif-file: reports/keyleak.sarif" in stderr
    assert [p.name for p in outside.iterdir()] == ["keyleak.sarif"]
    assert (outside / "keyleak.sarif").read_text(encoding="utf-8") == "precious"


@pytest.mark.parametrize(
    ("inputs", "said"),
    [
        ({"KEYLEAK_ARGS": '--max-blob-size "5M'}, "args: "),
        ({"KEYLEAK_SARIF_FILE": "taken"}, "sarif-file: taken"),
    ],
)
def test_unusable_inputs_are_usage_errors_not_tracebacks(
    tmp_path: Path, repo: Path, base: tuple[str, str], inputs: dict[str, str], said: str
) -> None:
    """An args input shlex cannot split; a sarif-file the checkout holds as a folder."""
    (repo / "taken").mkdir()
    (repo / "taken" / "kept.txt").write_text("kept", encoding="utf-8")
    payload = {"before": base[0], "after": base[0], "ref": "refs/heads/main"}

    code, _, stderr = Action(tmp_path, repo, "push", payload).run(**inputs)

    assert code == 2, stderr
    assert "Traceback" not in stderr and f"keyleak: error: {said}" in stderr
    assert (repo / "taken" / "kept.txt").read_text(encoding="utf-8") == "kept"


def test_files_the_range_leaves_unscanned_are_shown_to_the_reviewer(
    tmp_path: Path, repo: Path, base: tuple[str, str]
) -> None:
    """A key behind a NUL byte (binary) passes the gate: the reviewer must at least be told, on
    the diff and in the summary, which files the scan did not read."""
    base_sha, _ = base
    git(repo, "checkout", "-q", "-b", "feature")
    head = commit(repo, "a binary-looking file", {"hidden.py": f'\0\nK = "{openai_key()}"\n'})
    payload = {"pull_request": {"base": {"sha": base_sha}, "head": {"sha": head}}}
    action = Action(tmp_path, repo, "pull_request", payload)

    code, stdout, stderr = action.run()

    assert code == 0, stdout + stderr
    assert "::warning file=hidden.py::keyleak did not scan this file (binary)" in stdout
    summary = action.summary.read_text(encoding="utf-8")
    assert "not scanned: `hidden.py` (binary)" in summary
