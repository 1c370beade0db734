"""JSON Lines: one finding object per line (the JSON format's `findings` items), nothing else."""

from __future__ import annotations

import json
from typing import TextIO

from scanner.model import ScanResult
from scanner.report import ReportOptions
from scanner.report.json_format import finding_object


def write(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
    for finding in result.findings:
        stream.write(json.dumps(finding_object(finding, options), ensure_ascii=False) + "\n")
