"""Coverage-guided fuzzing of keyleak's parsers and writers with atheris (run by hand, not in CI).

    pip install atheris
    mkdir -p /tmp/fuzz-rules && cp rules/*.toml /tmp/fuzz-rules/   # a seed corpus of real rules
    python benchmarks/fuzz/fuzz_keyleak.py rules   -max_total_time=300 /tmp/fuzz-rules
    python benchmarks/fuzz/fuzz_keyleak.py matcher -max_total_time=300
    python benchmarks/fuzz/fuzz_keyleak.py diff    -max_total_time=300
    python benchmarks/fuzz/fuzz_keyleak.py reports -max_total_time=300

Any uncaught exception other than the documented error types is a crash that atheris saves as
`crash-<hash>` in the current directory; rerun the target with that file to reproduce it.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import atheris

from scanner.match.engine import build_matcher
from scanner.model import Chunk, Provenance, ScanResult, Skipped, Suppressed
from scanner.pipeline.findings import make_findings
from scanner.report import FORMATS, ReportOptions, writer_for
from scanner.rules import load_rules, parse_files
from scanner.sources.content import as_text
from scanner.sources.staged_diff import staged_chunks


def fuzz_rules(data: bytes) -> None:
    """A rule file is user input: any bytes give rules or problems, never an exception."""
    parse_files([(Path("fuzz.toml"), data)])


RULESET = load_rules()
MATCHER = build_matcher(RULESET.rules, RULESET.digest)
RULES = RULESET.by_id()


def fuzz_matcher(data: bytes) -> None:
    text = as_text(data)
    if text is None:
        return
    chunk = Chunk(content=text, origin=Provenance(path="fuzz.txt"))
    result = MATCHER.scan(text)
    for match in result.matches:
        assert text[match.start : match.end] == match.secret
    make_findings(chunk, result.matches, RULES)


def fuzz_diff(data: bytes) -> None:
    for item in staged_chunks(data, max_size=1 << 20):
        if isinstance(item, Chunk):
            MATCHER.scan(item.content)


def fuzz_reports(data: bytes) -> None:
    """Findings from fuzzed content and a fuzzed path, through every writer."""
    provider = atheris.FuzzedDataProvider(data)
    path = provider.ConsumeUnicodeNoSurrogates(40) or "x"
    content = provider.ConsumeBytes(provider.remaining_bytes())
    chunk = Chunk(content=content, origin=Provenance(path=path))
    findings, suppressed = make_findings(chunk, MATCHER.scan(content).matches, RULES)
    result = ScanResult(
        findings=tuple(findings),
        skipped=(Skipped(path=path, reason="fuzz"),),
        files_scanned=1,
        bytes_scanned=len(content),
        suppressed=Suppressed(inline=suppressed),
        elapsed=0.0,
    )
    for format_name in FORMATS:
        writer_for(format_name)(result, io.StringIO(), ReportOptions())


TARGETS: dict[str, Callable[[bytes], None]] = {
    "rules": fuzz_rules,
    "matcher": fuzz_matcher,
    "diff": fuzz_diff,
    "reports": fuzz_reports,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.instrument_all()
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
