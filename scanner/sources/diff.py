"""Unified diffs as git writes them (`-U0`): each file's added lines with their line numbers in
the new version, and the lines deleted. Used for the staged diff and for each commit of a range;
git writes the diffs (`scanner.git`), this module only parses them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

HUNK_HEADER = re.compile(rb"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
C_ESCAPES = {
    ord("a"): 7,
    ord("b"): 8,
    ord("t"): 9,
    ord("n"): 10,
    ord("v"): 11,
    ord("f"): 12,
    ord("r"): 13,
    ord('"'): ord('"'),
    ord("\\"): ord("\\"),
}


class AddedLines:
    """One file's added lines in a diff, with each one's line number in the new version (a
    plain class: the hook creates it on every commit, and a dataclass costs far more)."""

    __slots__ = ("line_numbers", "lines", "path")

    def __init__(self, path: bytes) -> None:
        self.path = path
        self.lines: list[bytes] = []
        self.line_numbers: list[int] = []


def unquote_path(raw: bytes) -> bytes:
    """Undo git's C-style quoting of unusual path names (`core.quotePath`)."""
    # git ends a ---/+++ name containing a space with a tab, after the closing quote when the
    # name is quoted too (`"b/na\303\257ve dir/x"<TAB>`); a real tab in a name is always quoted.
    if raw.endswith(b"\t"):
        raw = raw[:-1]
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw
    body = raw[1:-1]
    out = bytearray()
    position = 0
    while position < len(body):
        byte = body[position]
        if byte != ord("\\") or position + 1 >= len(body):
            out.append(byte)
            position += 1
            continue
        escaped = body[position + 1]
        if escaped in C_ESCAPES:
            out.append(C_ESCAPES[escaped])
            position += 2
        elif body[position + 1 : position + 4].isdigit():
            out.append(int(body[position + 1 : position + 4], 8) & 0xFF)
            position += 4
        else:
            out.append(escaped)
            position += 2
    return bytes(out)


def new_path(line: bytes) -> bytes | None:
    """The destination path of a `+++ ` line, or None for `/dev/null`."""
    name = line[4:].rstrip(b"\r")
    if name == b"/dev/null":
        return None
    name = unquote_path(name)
    return name[2:] if name.startswith(b"b/") else name


def parse_added_lines(diff: bytes) -> Iterator[AddedLines]:
    """Each file's added lines, read from a `-U0` patch.

    Hunk bodies are consumed by their line counts, never by their look: a deleted line that
    reads `-- x` is shown as `--- x` and must not be taken for a header.
    """
    current: AddedLines | None = None
    lines = diff.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    position = 0
    while position < len(lines):
        line = lines[position]
        position += 1
        if line.startswith(b"diff --git "):
            if current is not None and current.lines:
                yield current
            current = None
        elif line.startswith(b"+++ "):
            path = new_path(line)
            current = AddedLines(path=path) if path is not None else None
        elif line.startswith(b"@@ "):
            header = HUNK_HEADER.match(line)
            if header is None:
                continue
            old_count = int(header.group(1)) if header.group(1) is not None else 1
            new_start = int(header.group(2))
            new_count = int(header.group(3)) if header.group(3) is not None else 1
            number = new_start
            remaining_old, remaining_new = old_count, new_count
            while (remaining_old > 0 or remaining_new > 0) and position < len(lines):
                body = lines[position]
                position += 1
                marker = body[:1]
                if marker == b"+":
                    remaining_new -= 1
                    if current is not None:
                        current.lines.append(body[1:])
                        current.line_numbers.append(number)
                    number += 1
                elif marker == b"-":
                    remaining_old -= 1
                elif marker in (b" ", b""):
                    # context (GIT_DIFF_OPTS or diff.interHunkContext can add some despite -U0);
                    # diff.suppressBlankEmpty prints a blank context line as an empty line
                    remaining_old -= 1
                    remaining_new -= 1
                    number += 1
                # `\ No newline at end of file` belongs to no count
    if current is not None and current.lines:
        yield current


def changed_paths(diff: bytes, renames: bool = True) -> set[bytes]:
    """The new path of every file a patch shows (`--diff-filter=d`: none deleted), those that
    add no line too (a mode change, an empty new file, only deletions), and unless `renames`
    is false the new paths of renamed and copied files."""
    paths: set[bytes] = set()
    if renames:
        paths.update(unquote_path(name) for name in header_values(diff, b"rename to "))
        paths.update(unquote_path(name) for name in header_values(diff, b"copy to "))
    for both in header_values(diff, b"diff --git "):
        # `a/NAME b/NAME`: the halves are equal unless the file was renamed or copied, which a
        # `rename to`/`copy to` line then names
        half = (len(both) - 1) // 2
        old, new = unquote_path(both[:half]), unquote_path(both[half + 1 :])
        if old[2:] == new[2:] and new.startswith(b"b/"):
            paths.add(new[2:])
    return paths


def header_values(diff: bytes, prefix: bytes) -> Iterator[bytes]:
    """The rest of each line starting with `prefix`: a header, since a content line starts with
    `+`, `-` or a space. Found with `bytes.find` of the prefix alone, which skips through text
    that does not hold it: a Python loop over every line cost the hook 15 ms on a 1 MB diff."""
    start = diff.find(prefix)
    while start >= 0:
        end = diff.find(b"\n", start)
        end = len(diff) if end < 0 else end
        if start == 0 or diff[start - 1] == 0x0A:
            yield diff[start + len(prefix) : end].rstrip(b"\r")
        start = diff.find(prefix, end)


def deleted_lines(patch: bytes) -> bytes:
    return b"\n".join(
        line[1:]
        for line in patch.split(b"\n")
        if line.startswith(b"-") and not line.startswith(b"--- ")
    )
