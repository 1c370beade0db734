"""What of a file's bytes is scanned: binary content is not, UTF-16 becomes UTF-8, lone CRs end
lines."""

from __future__ import annotations

import codecs
import re

#: The same sniff as git's: a NUL byte early on means binary.
BINARY_SNIFF_BYTES = 8000
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: Share of NULs in the high bytes of a sample above which BOM-less text is taken for UTF-16.
UTF16_NUL_SHARE = 0.9


def utf16_codec(content: bytes) -> str | None:
    """The UTF-16 codec `content` is written in, or None.

    A BOM decides; without one, text that is mostly ASCII (what keys and code are) has a NUL in
    nearly every high byte: odd positions for little-endian, even ones for big-endian.
    """
    if content.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if content.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    sample = content[:BINARY_SNIFF_BYTES]
    half = len(sample) // 2
    # most text has no NUL at all: one fast search instead of two counts over copies
    if half < 2 or b"\0" not in sample:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    if odd_nuls >= UTF16_NUL_SHARE * half and even_nuls == 0:
        return "utf-16-le"
    if even_nuls >= UTF16_NUL_SHARE * half and odd_nuls == 0:
        return "utf-16-be"
    return None


def plausible_text(text: str) -> bool:
    """Decoded text a person wrote, not binary that happened to decode."""
    sample = text[:BINARY_SNIFF_BYTES]
    if "\0" in sample:
        return False
    odd = sum(1 for char in sample if char == "\ufffd" or (char < " " and char not in "\t\r\n\f"))
    return odd <= len(sample) // 50


def as_text(content: bytes) -> bytes | None:
    """Bytes to scan: UTF-8 as it is, UTF-16 re-encoded as UTF-8 (a whole file, or sections of
    it after UTF-8 text); None for binary content.

    Old Mac files end lines with a lone CR; those become LF (same length, so offsets hold) so
    that line numbers count the lines an editor shows. Files with any LF are left alone, as git
    counts only LF.
    """
    # most text has neither a BOM nor a NUL: one search (memchr) tells it from the rest
    first_nul = content.find(b"\0")
    if first_nul >= 0 or content.startswith(UTF16_BOMS):
        decoded = decoded_text(content, first_nul)
        if decoded is None:
            return None
        content = decoded
    # most text has an LF in its first line: looking for a CR first would read all of it
    if b"\n" not in content and b"\r" in content:
        content = content.replace(b"\r", b"\n")
    return content


def decoded_text(content: bytes, first_nul: int) -> bytes | None:
    """Content with a UTF-16 BOM or a NUL as UTF-8; None for binary."""
    # UTF-16 holds a NUL in each ASCII character: with none early, a BOM is a coincidence
    if 0 <= first_nul < BINARY_SNIFF_BYTES:
        # without a BOM, UTF-16 starts interleaved: a NUL later means UTF-8 text came first
        codec = utf16_codec(content) if first_nul < 2 or content.startswith(UTF16_BOMS) else None
        if codec is not None:
            text = content.decode(codec, "replace").removeprefix("\ufeff")
            if plausible_text(text):
                return text.encode("utf-8")
    if first_nul < 0:
        return content
    start = interleaved_start(content, first_nul)
    if start is not None:
        return content[:start] + decode_interleaved(content[start:])[0]
    # git's test: a NUL early on means binary; a later one is a stray NUL in text
    return None if first_nul < BINARY_SNIFF_BYTES else content


#: UTF-16LE characters U+0001 to U+00FF: what keys, code and settings are written in
INTERLEAVED_CHARACTERS = re.compile(rb"(?:[^\0]\0)+")
#: The characters a section must start with to be taken for UTF-16 rather than a stray NUL
MIN_INTERLEAVED = 4


def decode_interleaved(data: bytes) -> tuple[bytes, int]:
    """`data` with each run of interleaved characters decoded to UTF-8, the NULs left outside
    such runs dropped, and how many those were.

    Characters above U+00FF stay as their two bytes: keys are ASCII, and the bytes keep the
    0x0A bytes git counts lines by. A NUL left over is the other half of a newline a diff cut,
    or of such a character.
    """
    text = INTERLEAVED_CHARACTERS.sub(lambda run: run[0].decode("utf-16-le").encode(), data)
    leftover = text.count(b"\0")
    return (text.replace(b"\0", b"") if leftover else text), leftover


def interleaved_start(content: bytes, first_nul: int) -> int | None:
    """Where UTF-16LE text starts after UTF-8 text (PowerShell 5's `>>` appends it so), if the
    first NUL, at `first_nul`, is the high half of its first character; None if not text."""
    start = first_nul - 1
    end = start + BINARY_SNIFF_BYTES
    # bounds rather than a slice: most content with a NUL is binary, told here without a copy
    opening = INTERLEAVED_CHARACTERS.match(content, max(start, 0), end)
    if start < 0 or opening is None or opening.end() - start < 2 * MIN_INTERLEAVED:
        return None
    window = content[start:end]
    text, leftover = decode_interleaved(window)
    if leftover * 100 > len(window) or not plausible_text(text.decode("utf-8", "replace")):
        return None
    head = content[max(0, start - BINARY_SNIFF_BYTES) : start]
    return start if plausible_text(head.decode("utf-8", "replace")) else None


def lines_as_text(lines: list[bytes]) -> list[bytes] | None:
    """The added lines of one file as UTF-8: as they are, decoded from UTF-16, or None (binary).

    A diff cuts a UTF-16 text at its 0x0A bytes, which leaves the newline's NUL half on a
    neighbour: at the start of the next line for little-endian, at the end of the line for
    big-endian. Without the file's first line (and its BOM) the two orders cannot be told apart
    for ASCII, where both give the same text; little-endian, what Windows writes, is assumed.
    A line without a NUL is not UTF-16: lines after UTF-8 ones are decoded one by one.
    """
    joined = b"\n".join(lines)
    first_nul = joined.find(b"\0")
    if first_nul < 0:
        return lines
    if all(b"\0" in line for line in lines):
        decoded = utf16_lines(lines)
        if decoded is not None:
            return decoded
    if interleaved_start(joined, first_nul) is not None:
        return [decode_interleaved(line)[0] if b"\0" in line else line for line in lines]
    return None if first_nul < BINARY_SNIFF_BYTES else lines


def utf16_lines(lines: list[bytes]) -> list[bytes] | None:
    """Lines cut from a UTF-16 text, decoded; None if they are not UTF-16 text."""
    big_endian = bool(lines) and lines[0].startswith(codecs.BOM_UTF16_BE)
    aligned = [(line[:-1] if big_endian else line[1:]) if len(line) % 2 else line for line in lines]
    newline = "\n".encode("utf-16-be" if big_endian else "utf-16-le")
    codec = utf16_codec(newline.join(aligned))
    if codec is None:
        return None
    decoded: list[bytes] = []
    for line in aligned:
        text = line.decode(codec, "replace").removeprefix("\ufeff")
        if not plausible_text(text):
            return None
        decoded.append(text.encode("utf-8"))
    return decoded
