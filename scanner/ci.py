"""The GitHub Action's logic (`python -m scanner.ci`, run by action.yml).

It reads what GitHub sets (GITHUB_EVENT_NAME, the event payload at GITHUB_EVENT_PATH,
GITHUB_WORKSPACE, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) and the action's inputs (KEYLEAK_*),
decides which commits the event brings, runs `keyleak history` on them writing SARIF, then
annotates the log from that SARIF and returns keyleak's exit code, so the fail policy is
keyleak's own (--fail-on).

Which commits:
- pull_request / pull_request_target: base.sha..head.sha, the lines the pull request adds;
- push: before..after; for a new branch (`before` is all zeros), the commits not on the
  default branch (origin/<default>..after), or the whole history when the new branch IS the
  default branch (the repository's first push); a deleted branch brings nothing;
- anything else (schedule, workflow_dispatch): an audit of every ref.
Range scans need the history: check out with `fetch-depth: 0`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.errors import ExitCode, KeyleakError

ZERO_SHA = "0" * 40
FAIL_POLICIES = ("any", "live", "unknown-or-live")
#: the action's inputs, as action.yml hands them over
INPUTS = ("KEYLEAK_FAIL_ON", "KEYLEAK_VERIFY", "KEYLEAK_SARIF_FILE", "KEYLEAK_ARGS")


@dataclass(frozen=True)
class Plan:
    """What `keyleak history` is asked to scan: its revision arguments, and why."""

    arguments: tuple[str, ...]
    description: str


def plan_for(event_name: str, payload: Mapping[str, Any]) -> Plan | None:
    """The commits an event brings; None when it brings none (a deleted branch)."""
    try:
        if event_name in ("pull_request", "pull_request_target"):
            pull = payload["pull_request"]
            base, head = pull["base"]["sha"], pull["head"]["sha"]
            return Plan(("--range", f"{base}..{head}"), f"pull request {base[:12]}..{head[:12]}")
        if event_name == "push":
            return push_plan(payload)
    except (KeyError, TypeError) as exc:
        raise KeyleakError(f"{event_name} event payload lacks {exc}") from exc
    return Plan((), f"{event_name or 'manual'} run: every ref")


def push_plan(payload: Mapping[str, Any]) -> Plan | None:
    before, after = payload["before"], payload["after"]
    if after == ZERO_SHA:
        return None
    if before != ZERO_SHA:
        return Plan(("--range", f"{before}..{after}"), f"push {before[:12]}..{after[:12]}")
    default = payload["repository"]["default_branch"]
    if payload["ref"] == f"refs/heads/{default}":
        return Plan((after,), f"first push of {default}: its whole history")
    return Plan(
        ("--range", f"origin/{default}..{after}"),
        f"new branch {payload['ref'].removeprefix('refs/heads/')}: commits not on {default}",
    )


def history_command(plan: Plan, repo: str, sarif: str, env: Mapping[str, str]) -> list[str]:
    fail_on = env.get("KEYLEAK_FAIL_ON", "").strip() or "any"
    if fail_on not in FAIL_POLICIES:
        raise KeyleakError(f"fail-on: {fail_on!r} is not one of {', '.join(FAIL_POLICIES)}")
    # -I: the working directory is the scanned checkout, whose `scanner` package (a pull
    # request can add one) must never be imported in keyleak's place
    command = [sys.executable, "-I", "-m", "scanner", "history", repo, *plan.arguments]
    command += ["--format", "sarif", "--output", sarif, "--no-progress", "--fail-on", fail_on]
    if env.get("KEYLEAK_VERIFY", "").strip().lower() in ("true", "1", "yes"):
        command.append("--verify")
    try:
        command += shlex.split(env.get("KEYLEAK_ARGS", ""))
    except ValueError as exc:
        raise KeyleakError(f"args: {exc} (quote as a shell would)") from exc
    return command


def sarif_target(workspace: str, name: str) -> Path:
    """Where the report goes. A path inside the workspace must stay inside it once the links
    on its way are followed: the pull request's checkout can hold a link to any folder, whose
    file of that name would be deleted and replaced. A path outside is the workflow's choice.
    """
    path = Path(os.path.normpath(Path(workspace) / name))
    root = Path(workspace).resolve()
    if path.is_relative_to(workspace) and not path.parent.resolve().is_relative_to(root):
        raise KeyleakError(
            f"sarif-file: {name}: a link in the checkout leads it out of the workspace"
        )
    if path.is_dir() and not path.is_symlink():
        raise KeyleakError(f"sarif-file: {name}: the checkout holds a folder there")
    return path


def escape(text: str, in_property: bool = False) -> str:
    """Workflow-command escaping: a secret-free message must also not inject commands."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


def known(result: dict[str, Any]) -> bool:
    """A result the baseline accepts; an inline marker the range added itself is only under
    review, and its result as new as any other."""
    suppressions = result.get("suppressions") or []
    return any(item.get("status", "accepted") == "accepted" for item in suppressions)


def notices(sarif: dict[str, Any]) -> list[str]:
    """keyleak's notes on the run: the config it applied, what the range changes of it."""
    invocations = sarif["runs"][0].get("invocations") or [{}]
    items = invocations[0].get("toolExecutionNotifications", [])
    return [str(item["message"]["text"]) for item in items]


def unscanned(sarif: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, why) of each file the scan left unread: a key in one (behind a NUL byte, in a
    file over the size limit) passes the gate, so the reviewer must be shown them."""
    items = (sarif["runs"][0].get("properties") or {}).get("skipped") or []
    return [(str(item["path"]), str(item["reason"])) for item in items]


def workflow_annotations(sarif: dict[str, Any]) -> list[str]:
    """One workflow annotation per new result: shown on the pull request's diff even where
    code scanning is not enabled. Messages are redacted: SARIF never holds a full key."""
    lines = []
    for result in sarif["runs"][0]["results"]:
        if known(result):
            continue
        location = result["locations"][0]["physicalLocation"]
        path = location["artifactLocation"]["uri"]
        region = location["region"]
        level = "error" if result["level"] == "error" else "warning"
        lines.append(
            f"::{level} file={escape(path, True)},line={region['startLine']},"
            f"col={region['startColumn']},title={escape(result['ruleId'], True)}::"
            f"{escape(result['message']['text'])}"
        )
    for path, reason in unscanned(sarif):
        lines.append(
            f"::warning file={escape(path, True)}::"
            f"{escape(f'keyleak did not scan this file ({reason})')}"
        )
    return lines


def step_summary(sarif: dict[str, Any], plan: Plan) -> str:
    results = sarif["runs"][0]["results"]
    new = [r for r in results if not known(r)]
    lines = [f"### keyleak: {len(new)} new, {len(results) - len(new)} known", "", plan.description]
    if told := notices(sarif):
        lines += ["", *(f"- {text.replace('|', '/')}" for text in told)]
    if skipped := unscanned(sarif):
        lines += ["", *(f"- not scanned: `{path}` ({reason})" for path, reason in skipped)]
    if new:
        lines += ["", "| location | rule | finding |", "| --- | --- | --- |"]
        for result in new:
            location = result["locations"][0]["physicalLocation"]
            where = f"{location['artifactLocation']['uri']}:{location['region']['startLine']}"
            message = result["message"]["text"].split(". ", 1)[0].replace("|", "\\|")
            lines.append(f"| `{where}` | {result['ruleId']} | {message} |")
    return "\n".join(lines) + "\n"


def append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def run(env: Mapping[str, str]) -> int:
    event_name = env.get("GITHUB_EVENT_NAME", "")
    event_path = env.get("GITHUB_EVENT_PATH")
    payload: dict[str, Any] = {}
    if event_path:
        try:
            payload = json.loads(Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyleakError(f"{event_path}: cannot read the event payload: {exc}") from exc
    repo = os.path.abspath(env.get("GITHUB_WORKSPACE") or ".")
    # relative to the workspace: action.yml runs this script from outside it
    sarif_path = sarif_target(repo, env.get("KEYLEAK_SARIF_FILE") or "keyleak.sarif")
    plan = plan_for(event_name, payload)
    if plan is None:
        print("keyleak: the push deleted a branch; nothing to scan")
        append(env.get("GITHUB_OUTPUT"), "findings=0\nnew-findings=0\n")
        return ExitCode.CLEAN
    print(f"keyleak: scanning {plan.description}", flush=True)
    # a report left by an earlier run must never pass for this one's
    sarif_path.unlink(missing_ok=True)
    sarif_path.parent.mkdir(parents=True, exist_ok=True)
    # in the workspace, so that paths in the `args` input mean what they always meant
    command = history_command(plan, repo, str(sarif_path), env)
    code = subprocess.run(command, cwd=repo, check=False)
    if code.returncode not in (ExitCode.CLEAN, ExitCode.FINDINGS):
        return code.returncode
    sarif = json.loads(sarif_path.read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    new = sum(1 for result in results if not known(result))
    for line in workflow_annotations(sarif):
        print(line)
    # sarif-file only once there is one, so an upload step can test for it
    outputs = f"sarif-file={sarif_path}\nfindings={len(results)}\nnew-findings={new}\n"
    append(env.get("GITHUB_OUTPUT"), outputs)
    append(env.get("GITHUB_STEP_SUMMARY"), step_summary(sarif, plan))
    return code.returncode


def main() -> int:
    try:
        return run(os.environ)
    except KeyleakError as exc:
        print(f"keyleak: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE


if __name__ == "__main__":
    sys.exit(main())
