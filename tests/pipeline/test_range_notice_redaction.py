"""No notice of a range scan shows a key someone pasted into the config, the baseline or
`.gitleaksignore`, where no secret belongs: every value a notice quotes is masked.

Every repository is real, under tmp_path; keys are built at run time (tests/keys.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.redaction import fingerprint
from tests.cli_helpers import Outcome, keyleak
from tests.keys import openai_key
from tests.repos import config_line, pull_request

RULE = "openai-project-key"


def in_range(capsys: pytest.CaptureFixture[str], repo: Path, span: str, *extra: str) -> Outcome:
    return keyleak(capsys, repo, "history", str(repo), "--range", span, "-j", "1", *extra)


def pasted(key: str) -> dict[str, str]:
    """One file per kind of notice, each with `key` pasted where no secret belongs."""
    return {
        "setting": f'fail_on = "{key}"\n',
        "allow.paths": f'[allow]\npaths = ["{key}"]\n',
        "a config key": f'"{key}" = true\n',
        "a file the config reads": f'rules = ["ci/{key}.toml"]\n',
        "a broken config": f'allow = {{ paths = ["{key}" }}\n',
    }


NOTICE_KINDS = [
    "setting",
    "allow.paths",
    "a config key",
    "a file the config reads",
    "a broken config",
    "baseline path",
    "broken baseline",
    "gitleaksignore",
]


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_no_notice_shows_a_pasted_key(
    repo: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    key = openai_key()
    other = openai_key()
    files = {"app.py": config_line(other)}
    if kind in pasted(key):
        files[".keyleak.toml"] = pasted(key)[kind]
        if kind == "a file the config reads":
            files[f"ci/{key}.toml"] = "\n"
    elif kind == "baseline path":
        entry = {"rule_id": RULE, "fingerprint": fingerprint(RULE, b"x"), "path": key}
        files[".keyleak-baseline.json"] = json.dumps({"keyleak_baseline": 1, "entries": [entry]})
    elif kind == "broken baseline":
        files[".keyleak-baseline.json"] = json.dumps({"keyleak_baseline": 1, "entries": [key]})
    else:
        files[".gitleaksignore"] = f"{key}:{RULE}:1\n"
    span = pull_request(repo, files)

    shown = ""
    for report in ("text", "json", "sarif"):
        outcome = in_range(capsys, repo, span, "--format", report)
        assert outcome.code == 1, outcome.err
        shown += outcome.out + outcome.err
    assert "the range changes keyleak's config" in shown
    assert key[-4:] in shown
    assert key not in shown
