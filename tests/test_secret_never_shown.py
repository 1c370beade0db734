"""Without --no-redact no secret is shown in full: not in any report format, not in an error.

The keys are built at run time; each test greps keyleak's whole output (stdout and stderr) for
the raw key.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.report import FORMATS
from tests.keys import ALNUM, openai_key


def keyleak(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=120,
    )


def short_key() -> str:
    # short enough that an unmatched copy fits in the line's context
    return openai_key("", 20, ALNUM)


@pytest.mark.parametrize("format_name", FORMATS)
def test_an_unmatched_copy_of_the_secret_on_its_line_is_masked(
    format_name: str, tmp_path: Path
) -> None:
    key = short_key()
    # the second copy is glued to other text, so no rule matches it
    (tmp_path / "a.py").write_text(f'k="{key}";o=x{key}ZZ\n', encoding="utf-8")
    completed = keyleak(["scan", "a.py", "--format", format_name], tmp_path)
    assert completed.returncode == 1
    assert key[-4:] in completed.stdout
    assert key not in completed.stdout + completed.stderr


def test_no_redact_still_shows_every_copy(tmp_path: Path) -> None:
    key = short_key()
    (tmp_path / "a.py").write_text(f'k="{key}";o=x{key}ZZ\n', encoding="utf-8")
    completed = keyleak(["scan", "a.py", "--format", "jsonl", "--no-redact"], tmp_path)
    assert json.loads(completed.stdout)["line"] == f'k="{key}";o=x{key}ZZ'


CONFIGS = {
    "allow.fingerprints": '[allow]\nfingerprints = ["{key}"]\n',
    "allow.secrets": '[allow]\nsecrets = ["({key}"]\n',
    "allow.paths": '[allow]\npaths = ["{key}/[z-a]"]\n',
    "disable (not a list)": 'disable = "{key}"\n',
    "disable (unknown id)": 'disable = ["{key}"]\n',
    "enable": 'enable = ["{key}"]\n',
    "baseline": 'baseline = 1\n[allow]\nfingerprints = ["{key}"]\n',
    "max_file_size": 'max_file_size = "{key}"\n',
    "fail_on": 'fail_on = "{key}"\n',
    "unknown key": '"{key}" = 1\n',
    # a key pasted where a file name goes: the file is missing, and named in the error
    "baseline file": 'baseline = "{key}"\n',
    "baseline in a folder": 'baseline = "{key}/b.json"\n',
    "rules file": 'rules = ["{key}"]\n',
    "gitleaks_config file": 'gitleaks_config = "{key}"\n',
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=list(CONFIGS))
def test_config_errors_never_echo_a_secret(config: str, tmp_path: Path) -> None:
    key = short_key()
    (tmp_path / ".keyleak.toml").write_text(config.format(key=key), encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    completed = keyleak(["scan", "a.py"], tmp_path)
    assert completed.returncode == 2, completed.stderr
    assert "keyleak: error:" in completed.stderr
    assert key not in completed.stdout + completed.stderr
    # the message still points at the value: its redacted form
    assert key[-4:] in completed.stderr or "…" in completed.stderr


def test_a_user_config_error_never_echoes_a_secret(tmp_path: Path) -> None:
    key = short_key()
    (tmp_path / "mine.toml").write_text(f'[verify]\ntimeout = "{key}"\n', encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    completed = keyleak(["scan", "a.py", "--config", "mine.toml"], tmp_path)
    assert completed.returncode == 2, completed.stderr
    assert key not in completed.stdout + completed.stderr


def test_an_ignored_repository_verify_table_never_echoes_a_secret(tmp_path: Path) -> None:
    key = short_key()
    (tmp_path / ".keyleak.toml").write_text(f'[verify]\n"{key}" = 1\n', encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    completed = keyleak(["scan", "a.py"], tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "[verify] ignored" in completed.stderr
    assert key not in completed.stdout + completed.stderr


BASELINES = {
    "unknown key": '{{"keyleak_baseline": 1, "entries": [{{"{key}": "x"}}, null]}}',
    "bad path": (
        '{{"keyleak_baseline": 1, "entries": [{{"rule_id": "openai-api-key", '
        '"fingerprint": "{fingerprint}", "path": "{key}/[z-a]"}}, null]}}'
    ),
}


@pytest.mark.parametrize("document", BASELINES.values(), ids=list(BASELINES))
def test_baseline_errors_never_echo_a_secret(document: str, tmp_path: Path) -> None:
    from scanner.redaction import fingerprint

    key = short_key()
    (tmp_path / "a.py").write_text(f'k = "{key}"\n', encoding="utf-8")
    text = document.format(key=key, fingerprint=fingerprint("openai-api-key", key.encode()))
    (tmp_path / "known.json").write_text(text, encoding="utf-8")
    completed = keyleak(["scan", "a.py", "--baseline", "known.json"], tmp_path)
    assert completed.returncode == 2, completed.stderr
    assert key not in completed.stdout + completed.stderr


def test_gitleaks_config_warnings_never_echo_a_secret(tmp_path: Path) -> None:
    key = short_key()
    (tmp_path / "gitleaks.toml").write_text(
        f'"{key}" = 1\n[allowlist]\n"{key}" = 2\nregexes = ["({key}"]\n', encoding="utf-8"
    )
    (tmp_path / ".keyleak.toml").write_text('gitleaks_config = "gitleaks.toml"\n')
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    completed = keyleak(["scan", "a.py"], tmp_path)
    assert key[:8] in completed.stderr or "…" in completed.stderr, completed.stderr
    assert key not in completed.stdout + completed.stderr


def test_a_key_named_baseline_file_is_never_echoed(tmp_path: Path) -> None:
    """A file whose name is a key, which exists but is no baseline: named in the error."""
    key = short_key()
    (tmp_path / key).write_text("[]", encoding="utf-8")
    # a finding, so that the baseline is read
    (tmp_path / "a.py").write_text(f'k = "{openai_key()}"\n', encoding="utf-8")
    for args in (["scan", "a.py", "--baseline", key], ["baseline", "check", "--baseline", key]):
        completed = keyleak(args, tmp_path)
        assert completed.returncode == 2, completed.stderr
        assert "not a keyleak baseline" in completed.stderr
        assert key not in completed.stdout + completed.stderr
