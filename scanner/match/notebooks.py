"""Jupyter notebooks: scan each cell's source and text outputs as the text they are.

In the file a cell's lines are JSON strings (`"token = \\"...\\"\\n",`), so quotes arrive escaped
and rules that read an assignment would miss them. A notebook chunk is split into one chunk per
cell source and per text output, decoded, whose lines map to the file lines that hold them and
which name their cell (`Provenance.cell`). The rest of the file (metadata, image outputs) stays
one chunk with the cells' lines blanked out, so nothing is lost and nothing is found twice.

A staged notebook arrives as the diff's added lines only, with no cell structure: each added
line that is a JSON string is replaced by its decoded text, and findings carry the file line but
no cell.
"""

from __future__ import annotations

# `json` is imported where a notebook is read (1.5 ms): every chunk passes through here, and a
# commit without a notebook never needs it
import re
from collections.abc import Iterator
from typing import Any

from scanner.model import Chunk, Finding, NamedTuple
from scanner.model import replaced as replace

SUFFIX = ".ipynb"
#: why a notebook's cells were not read: too deep for the JSON parser's recursion
TOO_DEEP = "notebook nested too deeply to read its cells; scanned as plain text"
JSON_STRING_LINE = re.compile(rb'^\s*(?:"(?:[^"\\]|\\.)*"\s*:\s*)?("(?:[^"\\]|\\.)*")\s*,?\s*$')


def is_notebook(path: str) -> bool:
    return path.endswith(SUFFIX)


class Text(NamedTuple):
    """One cell source or output: its lines, and the file line of each (a named tuple: the hook
    creates the class on every commit)."""

    cell: int
    lines: tuple[str, ...]
    file_lines: tuple[int, ...]


class Locator:
    """Finds JSON-encoded strings in the file, in file order, and says on which line they are."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.blanked = bytearray(raw)
        self.position = 0
        self.line = 1

    def find(self, value: str) -> int:
        """The file line of `value`'s JSON encoding at or after the last one found."""
        import json

        for encoded in {json.dumps(value, ensure_ascii=False), json.dumps(value)}:
            at = self.raw.find(encoded.encode(), self.position)
            if at >= 0:
                self.line += self.raw.count(b"\n", self.position, at)
                self.position = at + len(encoded.encode())
                self.line += self.raw.count(b"\n", at, self.position)
                self.blanked[at : self.position] = b" " * (self.position - at)
                return self.line
        return self.line


def as_lines(value: Any) -> list[str]:
    """nbformat stores multi-line text as a list of lines or as one string."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return []


def locate(locator: Locator, cell: int, value: Any) -> Text | None:
    """The text's lines, each with the file line of the piece it starts in. The pieces are
    joined as nbformat joins them, so only a newline ends a line: a key cut across two pieces
    is one line, as the cell shows it."""
    lines: list[str] = []
    file_lines: list[int] = []
    current: list[str] = []
    start: int | None = None
    for piece in as_lines(value):
        line = locator.find(piece)
        *ended, rest = piece.split("\n")
        for part in ended:
            current.append(part)
            lines.append("".join(current))
            file_lines.append(line if start is None else start)
            current, start = [], None
        if rest:
            start = line if start is None else start
            current.append(rest)
    if start is not None:
        lines.append("".join(current))
        file_lines.append(start)
    return Text(cell, tuple(lines), tuple(file_lines)) if lines else None


def cell_texts(locator: Locator, index: int, cell: dict[str, Any]) -> Iterator[Text]:
    """A cell's source and text outputs, in the order the file holds them."""
    for key, value in cell.items():
        if key == "source":
            text = locate(locator, index, value)
            if text is not None:
                yield text
        elif key == "outputs" and isinstance(value, list):
            for output in value:
                if not isinstance(output, dict):
                    continue
                for part, content in output.items():
                    if part == "text":
                        found = locate(locator, index, content)
                    elif part == "data" and isinstance(content, dict):
                        for mime, data in content.items():
                            if mime.startswith("text/"):
                                found = locate(locator, index, data)
                                if found is not None:
                                    yield found
                        continue
                    else:
                        continue
                    if found is not None:
                        yield found


def split_cells(chunk: Chunk) -> tuple[tuple[Chunk, ...], str | None]:
    """The chunks to scan for `chunk`, and why its cells could not be read (None: they were, or
    it is no notebook). A notebook that is not JSON is scanned as the text it is."""
    if not is_notebook(chunk.origin.path):
        return (chunk,), None
    if chunk.origin.line_numbers is not None:
        return (decoded_lines(chunk),), None
    import json

    try:
        document = json.loads(chunk.content)
    except (ValueError, UnicodeDecodeError):
        return (chunk,), None
    except RecursionError:
        # the parser recurses once per level: 50,000 nested arrays end it, and with it the run
        return (chunk,), TOO_DEEP
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        return (chunk,), None
    locator = Locator(chunk.content)
    parts: list[Chunk] = []
    for index, cell in enumerate(cells, start=1):
        if isinstance(cell, dict):
            parts.extend(text_chunk(chunk, text) for text in cell_texts(locator, index, cell))
    return (Chunk(bytes(locator.blanked), chunk.origin), *parts), None


def text_chunk(chunk: Chunk, text: Text) -> Chunk:
    return Chunk(
        content="\n".join(text.lines).encode("utf-8", "surrogatepass"),
        origin=replace(chunk.origin, line_numbers=text.file_lines, cell=text.cell),
    )


def decoded_lines(chunk: Chunk) -> Chunk:
    """Added lines of a staged notebook: JSON strings decoded, one line for one line.

    A cell's piece that ends no line (no trailing newline) continues with the next file line's
    piece, as nbformat joins them: the joined text goes on the first line, the next is left empty.
    """
    numbers = chunk.origin.line_numbers or ()
    lines: list[bytes] = []
    #: where the last piece went, while it ended no line and the next file line may continue it
    open_line: int | None = None
    for index, line in enumerate(chunk.content.split(b"\n")):
        decoded = json_string(line)
        if decoded is None:
            lines.append(line)
            open_line = None
            continue
        value, keyed = decoded
        text = value.rstrip("\n").replace("\n", " ").encode("utf-8", "surrogatepass")
        follows = 0 < index < len(numbers) and numbers[index] == numbers[index - 1] + 1
        if open_line is not None and follows:
            lines[open_line] += text
            lines.append(b"")
        else:
            lines.append(text)
            open_line = len(lines) - 1
        # a `"key": "value"` line is no cell's piece: nothing continues it
        if keyed or value.endswith("\n"):
            open_line = None
    return Chunk(b"\n".join(lines), chunk.origin)


def json_string(line: bytes) -> tuple[str, bool] | None:
    """The string a line of JSON holds alone (a list item or a `"key": "value"` member), and
    whether it is a member's; None for any other line."""
    found = JSON_STRING_LINE.match(line)
    if found is None:
        return None
    import json

    try:
        value = json.loads(found.group(1))
    except ValueError:
        return None
    return (value, b":" in line[: found.start(1)]) if isinstance(value, str) else None


def file_column(raw: bytes, finding: Finding) -> Finding:
    """A cell finding's column in the file's line, where the secret can be found on it."""
    if finding.location.cell is None:
        return finding
    lines = raw.split(b"\n", finding.location.line)
    if len(lines) < finding.location.line:
        return finding
    line = lines[finding.location.line - 1].decode("utf-8", "replace")
    import json

    for form in (finding.secret, json.dumps(finding.secret)[1:-1]):
        at = line.find(form)
        if at >= 0:
            return replace(finding, location=replace(finding.location, column=at + 1))
    return finding
