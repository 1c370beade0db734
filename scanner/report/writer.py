"""Writing a report where the user asked: stdout, a regular file, or a device or FIFO."""

from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path

from scanner.errors import KeyleakError
from scanner.model import Finding, ScanResult, replaced
from scanner.report import ReportOptions, Writer, writer_for
from scanner.util.atomic import replace_file
from scanner.util.streams import discard


def should_color(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


#: Formats read on a terminal or as XML, where a control character in a name does harm; the
#: others (JSON, CSV, SARIF) carry such names exactly through their own escaping.
ESCAPE_CONTROLS = frozenset({"text", "junit"})


def printable_path(path: str, escape_controls: bool) -> str:
    """A path every format can carry: bytes that are not UTF-8 (kept by Python as surrogates)
    become `\\xNN`; with `escape_controls`, a newline, tab or escape sequence in a name too.
    """
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if not escape_controls or text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def printable_result(result: ScanResult, escape_controls: bool) -> ScanResult:
    def printable(path: str) -> str:
        return printable_path(path, escape_controls)

    def located(finding: Finding) -> Finding:
        history = finding.history
        if history is not None:
            history = replaced(history, paths=tuple(printable(p) for p in history.paths))
        location = replaced(finding.location, path=printable(finding.location.path))
        return replaced(finding, location=location, history=history)

    return replaced(
        result,
        findings=tuple(located(finding) for finding in result.findings),
        skipped=tuple(replaced(s, path=printable(s.path)) for s in result.skipped),
    )


def emit(result: ScanResult, format_name: str, output: str | None, options: ReportOptions) -> None:
    write = writer_for(format_name)
    result = printable_result(result, format_name in ESCAPE_CONTROLS)
    if output in (None, "-"):
        to_stdout(result, write, options)
        return
    assert output is not None
    buffer = io.StringIO()
    write(result, buffer, options)
    write_text(Path(output), buffer.getvalue())


def to_stdout(result: ScanResult, write: Writer, options: ReportOptions) -> None:
    """A report that cannot be written is the user's to fix (exit 2): never an internal error,
    nor a clean or dirty verdict nobody saw. A reader that stops early (`| head`) took what it
    wanted: the scan's own exit code stands."""
    stream = sys.stdout
    if stream is None:
        raise KeyleakError("cannot write the report: standard output is closed (use -o FILE)")
    try:
        write(result, stream, options)
        stream.flush()
    except BrokenPipeError:
        discard(stream)
    except OSError as exc:
        discard(stream)
        raise KeyleakError(
            f"cannot write the report to standard output: {exc.strerror or exc}"
        ) from exc


def write_text(path: Path, text: str) -> None:
    """Replace a regular file atomically; write anything else (/dev/null, a FIFO) in place.

    Renaming over /dev/null as root would turn it into a plain file for the whole machine.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise KeyleakError(f"{path}: cannot write report: {exc.strerror}") from exc
    try:
        if info is not None and not stat.S_ISREG(info.st_mode):
            with path.open("w", encoding="utf-8") as handle:
                handle.write(text)
            return
        mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~current_umask()
        replace_file(path, text.encode("utf-8"), mode)
    except OSError as exc:
        raise KeyleakError(f"{path}: cannot write report: {exc.strerror}") from exc


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
