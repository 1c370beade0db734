"""Output formats: one module each, all writing a ScanResult to a text stream."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol, TextIO

from scanner.model import ScanResult

FORMATS = ("text", "json", "jsonl")


@dataclass(frozen=True)
class ReportOptions:
    redact: bool = True
    color: bool = False
    #: what was scanned, for the summary line: "file", "staged file"...
    subject: str = "file"


class Writer(Protocol):
    def __call__(self, result: ScanResult, stream: TextIO, options: ReportOptions) -> None: ...


def writer_for(format_name: str) -> Writer:
    module = importlib.import_module(f"scanner.report.{format_name}_format")
    write: Writer = module.write
    return write
