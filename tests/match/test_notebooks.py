"""Jupyter notebooks are scanned cell by cell (scanner/match/notebooks.py).

Notebooks are written the way Jupyter writes them (json.dumps with indent=1, ensure_ascii=False);
keys are built at run time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.entry import main
from scanner.match.notebooks import split_cells
from scanner.model import Chunk, Provenance
from tests.conftest import git
from tests.keys import openai_key, secret_value

PROJECT = "openai-project-key"


def notebook(cells: list[dict[str, Any]], metadata: dict[str, Any] | None = None) -> str:
    document = {"cells": cells, "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def code(source: list[str], outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": outputs or [],
        "source": source,
    }


def markdown(source: list[str]) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main([*argv, "--format", "json", "--no-redact"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def file_line_of(text: str, needle: str) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


def located(report: dict[str, Any]) -> set[tuple[str, str, int, int, int | None, int | None]]:
    return {
        (
            f["rule_id"],
            f["secret"],
            f["location"]["line"],
            f["location"]["column"],
            f["location"].get("cell"),
            f["location"].get("cell_line"),
        )
        for f in report["findings"]
    }


def test_cells_sources_and_outputs_name_cell_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, printed, password = openai_key(), openai_key(), secret_value()
    text = notebook(
        [
            markdown(["# Setup\n", "Set the key first.\n"]),
            code(["import openai\n", "\n", f'client = openai.OpenAI(api_key="{key}")']),
            code(
                ['print(os.environ["KEY"])'],
                [{"name": "stdout", "output_type": "stream", "text": ["ok\n", f"{printed}\n"]}],
            ),
            code([f'db_password = "{password}"\n', "connect(db_password)"]),
        ]
    )
    (tmp_path / "analysis.ipynb").write_text(text, encoding="utf-8")
    report = run(["scan", str(tmp_path)], capsys)
    key_line, key_column = file_line_of(text, key)
    printed_line, printed_column = file_line_of(text, printed)
    password_line, password_column = file_line_of(text, password)
    assert located(report) == {
        (PROJECT, key, key_line, key_column, 2, 3),
        (PROJECT, printed, printed_line, printed_column, 3, 2),
        ("generic-secret-assignment", password, password_line, password_column, 4, 1),
    }


def test_escaped_quotes_in_cells_are_read_as_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password = secret_value()
    text = notebook([code([f"token = '{password}'\n", f'secret = "{password}x"'])])
    assert '\\"' in text
    (tmp_path / "n.ipynb").write_text(text, encoding="utf-8")
    secrets = {
        (f["secret"], f["location"].get("cell_line"))
        for f in run(["scan", str(tmp_path)], capsys)["findings"]
    }
    assert secrets == {(password, 1), (password + "x", 2)}


def test_metadata_outside_cells_is_still_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    text = notebook([code(["x = 1"])], metadata={"widget": {"state": key}})
    (tmp_path / "m.ipynb").write_text(text, encoding="utf-8")
    [finding] = run(["scan", str(tmp_path)], capsys)["findings"]
    assert (finding["secret"], finding["location"].get("cell")) == (key, None)
    assert finding["location"]["line"] == file_line_of(text, key)[0]


def test_a_cell_line_found_once_not_twice() -> None:
    key = openai_key()
    chunk = Chunk(notebook([code([f"k = '{key}'"])]).encode(), Provenance("a.ipynb"))
    (rest, cell), _ = split_cells(chunk)
    assert key.encode() not in rest.content
    assert cell.content == f"k = '{key}'".encode()
    assert cell.origin.cell == 1


def test_invalid_notebook_is_scanned_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    (tmp_path / "broken.ipynb").write_text('{"cells": [\n  "' + key + '"\n', encoding="utf-8")
    [finding] = run(["scan", str(tmp_path)], capsys)["findings"]
    assert (finding["secret"], finding["location"]["line"], finding["location"].get("cell")) == (
        key,
        2,
        None,
    )


def test_staged_notebook_decodes_added_json_lines(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    password = secret_value()
    key = openai_key()
    text = notebook([code(["import os\n", f'password = "{password}"\n', f"KEY = '{key}'"])])
    (repo / "n.ipynb").write_text(text, encoding="utf-8")
    git(repo, "add", "n.ipynb")
    monkeypatch.chdir(repo)
    report = run(["staged"], capsys)
    password_line, _ = file_line_of(text, password)
    key_line, _ = file_line_of(text, key)
    assert {
        (f["rule_id"], f["secret"], f["location"]["line"], f["location"].get("cell"))
        for f in report["findings"]
    } == {
        ("generic-secret-assignment", password, password_line, None),
        (PROJECT, key, key_line, None),
    }


def test_a_key_split_across_source_pieces_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """nbformat joins a cell's pieces as they are: only a newline ends a line. A key cut in two
    pieces (no newline between them) was read as two lines, and missed."""
    key = openai_key()
    text = notebook([code(["x = 1\n", f'token = "{key[:20]}', f'{key[20:]}"\n', "y = 2"])])
    (tmp_path / "n.ipynb").write_text(text, encoding="utf-8")

    report = run(["scan", str(tmp_path)], capsys)

    assert {(f["secret"], f["location"].get("cell_line")) for f in report["findings"]} == {(key, 2)}


def test_a_staged_key_split_across_source_pieces_is_found(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook (and a range) see a notebook's added lines, one JSON string each: pieces that
    end no line are read as one line, on the file line of the first."""
    key = openai_key()
    pieces = ["x = 1\n", f'token = "{key[:20]}', f'{key[20:]}"\n', "y = 2"]
    text = notebook([code(pieces)], metadata={"kernelspec": {"name": "python3", "language": "x"}})
    (repo / "n.ipynb").write_text(text, encoding="utf-8")
    git(repo, "add", "n.ipynb")
    monkeypatch.chdir(repo)

    report = run(["staged"], capsys)

    first_line, _ = file_line_of(text, key[:20])
    assert {(f["secret"], f["location"]["line"]) for f in report["findings"]} == {(key, first_line)}
