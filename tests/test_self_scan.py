"""keyleak's own repository holds no secret: its test keys are built at run time and every
rule example carries an inline allow marker."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from scanner.entry import main

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def tracked_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=False
    )
    if listing.returncode != 0:
        pytest.skip("not a git checkout")
    return [str(PROJECT_ROOT / name) for name in listing.stdout.decode().split("\0") if name]


def test_every_tracked_file_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    files = [path for path in tracked_files() if Path(path).is_file()]
    with pytest.raises(SystemExit) as exited:
        main(["scan", *files, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    leaks = [
        (f["rule_id"], f["location"]["path"], f["location"]["line"]) for f in report["findings"]
    ]
    assert leaks == []
    assert exited.value.code == 0
    assert report["stats"]["files_scanned"] >= len(files) - len(report["skipped"])
