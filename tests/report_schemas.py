"""Schema checks for reports: SARIF against the official 2.1.0 schema, JSON and JSONL against
keyleak's own (shipped in the package).

`validate_every_report` wraps the writers so that every SARIF, JSON and JSONL report a test
writes in-process is checked as it is written (conftest applies it to every test); reports
written by a subprocess are checked with the assert_* helpers by the tests that read them.
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from typing import Any, TextIO

import pytest

import scanner.report
from scanner.model import ScanResult
from scanner.report import ReportOptions, Writer

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
REPORT_SCHEMA = Path(scanner.report.__file__).parent / "keyleak-report.schema.json"


@functools.cache
def validator(schema_path: Path, definition: str | None = None) -> Any:
    from jsonschema.validators import validator_for

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    if definition is not None:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": definition}
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def check(document: Any, schema_path: Path, definition: str | None = None) -> None:
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator(schema_path, definition).iter_errors(document)
    ]
    assert not errors, f"invalid against {schema_path.name}:\n" + "\n".join(errors)


def assert_valid_sarif(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    check(document, SARIF_SCHEMA)
    return document


def assert_valid_json_report(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    check(document, REPORT_SCHEMA)
    return document


def assert_valid_jsonl(text: str) -> list[dict[str, Any]]:
    findings = [json.loads(line) for line in text.splitlines()]
    for finding in findings:
        check(finding, REPORT_SCHEMA, "#/$defs/finding")
    return findings


CHECKS = {
    "sarif": assert_valid_sarif,
    "json": assert_valid_json_report,
    "jsonl": assert_valid_jsonl,
}


def validate_every_report(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    for format_name, assert_valid in CHECKS.items():
        module = importlib.import_module(f"scanner.report.{format_name}_format")
        monkeypatch.setattr(module, "write", validating(module.write, assert_valid))


def validating(write: Writer, assert_valid: Any) -> Writer:
    def checked(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
        buffer = io.StringIO()
        write(result, buffer, options)
        assert_valid(buffer.getvalue())
        stream.write(buffer.getvalue())

    return checked
