"""`keyleak scan` without click: the plain command lines it reads are read as click reads them,
run as click runs them, and every other one is left to click."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.cli import cli, run_cli
from scanner.commands.plain_scan import plain_scan
from scanner.entry import main
from scanner.error_handler import outcome
from tests.keys import openai_key

PLAIN = [
    [],
    ["."],
    ["a", "b", "-"],
    ["--format", "json"],
    ["src", "--format", "sarif", "-o", "out.sarif", "docs"],
    ["-o", "-"],
    ["-q", "--no-redact", "--no-ignore", "x"],
    ["--jobs", "3"],
    ["-j", "007"],
    ["--exclude", "vendor/", "--exclude", "*.json", "."],
    ["--stdin-name", "input.env", "-"],
    ["--config", "k.toml", "--baseline", "b.json", "--engine", "regex"],
    ["--min-severity", "high", "--fail-on", "live"],
    ["--verify-dry-run", "--no-verify-cache", "--verify-host", "github=git.example.com"],
    ["--verify-concurrency", "2", "--verify-per-provider", "1"],
]

LEFT_TO_CLICK = [
    ["--help"],
    ["-h"],
    ["--debug", "."],
    ["--format=json"],
    ["--format", "JSON"],
    ["--format"],
    ["--format", "json", "--format", "text"],
    ["--jobs", "0"],
    ["--jobs", "x"],
    ["--jobs", "+2"],
    ["--jobs", "1_0"],
    ["-qj2"],
    ["--", "-file"],
    ["--output", "--quiet"],
    ["--verify"],
    ["--no-verify"],
    ["--max-file-size", "10M"],
    ["--verify-timeout", "3"],
    ["--unknown"],
    ["-x"],
]


@pytest.mark.parametrize("args", PLAIN, ids=" ".join)
def test_plain_command_lines_are_read_as_click_reads_them(args: list[str]) -> None:
    parsed = plain_scan(args)
    assert parsed is not None
    paths, options = parsed
    context = cli.commands["scan"].make_context("scan", list(args))
    assert {"paths": paths, **options} == context.params


@pytest.mark.parametrize("args", LEFT_TO_CLICK, ids=" ".join)
def test_other_command_lines_are_left_to_click(args: list[str]) -> None:
    assert plain_scan(args) is None


def timeless(text: str) -> str:
    return re.sub(r'\d+\.\d+s\b|"elapsed_seconds": [0-9.]+', "<time>", text)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-q"],
        ["--format", "json", "--no-redact", "--jobs", "1"],
        ["--format", "sarif", "--exclude", "clean.txt"],
        ["--min-severity", "critical"],
        ["missing-file"],
        ["--format", "json", "-o", "-", "."],
        ["--config", "missing.toml"],
    ],
    ids=" ".join,
)
def test_a_plain_scan_ends_as_it_does_through_click(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "leak.env").write_text(f"OPENAI_API_KEY={openai_key()}\n", encoding="utf-8")
    (tmp_path / "clean.txt").write_text("nothing here\n", encoding="utf-8")
    assert plain_scan(args) is not None
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        capsys.readouterr()
        with pytest.raises(SystemExit) as plain:
            main(["scan", *args])
        plain_output = capsys.readouterr()
        clicked = outcome(lambda: run_cli(["scan", *args]))
        click_output = capsys.readouterr()
    finally:
        os.chdir(previous)
    assert plain.value.code == clicked
    assert timeless(plain_output.out) == timeless(click_output.out)
    assert timeless(plain_output.err) == timeless(click_output.err)


def test_a_plain_scan_never_imports_click_or_inspect(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("nothing here\n", encoding="utf-8")
    (tmp_path / "config.toml").write_text("max_file_size = '1M'\n", encoding="utf-8")
    probe = (
        "import sys\n"
        "from scanner.entry import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as exit:\n"
        "    print(exit.code, *(name in sys.modules for name in ('click', 'inspect', 'hashlib')))\n"
        # no path allowlist, no --exclude: the globs' classes are never made dataclasses (asked
        # without `is_dataclass`, which would make them)
        "from scanner.config import globs\n"
        "classes = (globs.GlobSet, globs.Run, globs.Names)\n"
        "print(*(isinstance(vars(c).get('__dataclass_fields__'), dict) for c in classes))\n"
    )
    ran = [sys.executable, "-c", probe, "scan", str(tmp_path)]
    plain = subprocess.run(
        [*ran, "-q", "--config", str(tmp_path / "config.toml")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert plain.stdout.splitlines()[-2].split() == ["0", "False", "False", "False"], plain.stderr
    assert plain.stdout.splitlines()[-1].split() == ["False"] * 3
    other = subprocess.run([*ran, "--format=json"], capture_output=True, text=True, check=True)
    assert other.stdout.splitlines()[-2].split()[:2] == ["0", "True"], other.stderr
