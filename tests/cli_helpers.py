"""Running keyleak in-process from a directory, for the config, baseline and ignore tests."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scanner.entry import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def report(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        return document

    def findings(self) -> list[dict[str, Any]]:
        return list(self.report()["findings"])

    def secrets(self) -> set[str]:
        return {finding["secret"] for finding in self.findings()}

    def by_secret(self) -> dict[str, dict[str, Any]]:
        return {finding["secret"]: finding for finding in self.findings()}

    def found(self) -> list[tuple[str, int, str]]:
        """(path, line, rule id) of every finding, in report order."""
        return [
            (f["location"]["path"], f["location"]["line"], f["rule_id"]) for f in self.findings()
        ]


def keyleak(capsys: pytest.CaptureFixture[str], cwd: Path, *argv: str) -> Outcome:
    """`keyleak ARGV...` run in `cwd`; never raises on its exit code."""
    capsys.readouterr()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with pytest.raises(SystemExit) as exited:
            main(list(argv))
    finally:
        os.chdir(previous)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return Outcome(int(exited.value.code or 0), captured.out, captured.err)


def scan_json(capsys: pytest.CaptureFixture[str], cwd: Path, *argv: str) -> Outcome:
    return keyleak(capsys, cwd, "scan", *argv, "--format", "json", "--no-redact")


def staged_json(capsys: pytest.CaptureFixture[str], cwd: Path, *argv: str) -> Outcome:
    return keyleak(capsys, cwd, "staged", *argv, "--format", "json", "--no-redact")


def write(root: Path, name: str, content: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path
