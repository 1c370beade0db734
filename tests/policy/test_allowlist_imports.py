"""The allowlist is applied on every scan with a finding: it costs no gitleaks import unless a
`.gitleaksignore` is there to read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from pathlib import Path
from scanner.config.project import Config
from scanner.policy.allowlist import allowlist_of
allowlist = allowlist_of(Config(root=Path(sys.argv[1])))
print("scanner.config.gitleaks" in sys.modules)
"""


def gitleaks_imported(root: Path) -> bool:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, str(root)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip() == "True"


def test_no_gitleaks_import_without_a_gitleaksignore(tmp_path: Path) -> None:
    assert not gitleaks_imported(tmp_path)


def test_a_gitleaksignore_is_read(tmp_path: Path) -> None:
    (tmp_path / ".gitleaksignore").write_text("# nothing ignored yet\n")
    assert gitleaks_imported(tmp_path)
