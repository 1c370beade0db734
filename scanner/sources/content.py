"""What of a file's bytes is scanned: binary content is not, UTF-16 becomes UTF-8, lone CRs end
lines."""

from __future__ import annotations

import codecs

#: The same sniff as git's: a NUL byte early on means binary.
BINARY_SNIFF_BYTES = 8000
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: Share of NULs in the high bytes of a sample above which BOM-less text is taken for UTF-16.
UTF16_NUL_SHARE = 0.9


def looks_binary(content: bytes) -> bool:
    # `find` within bounds: a slice would copy the sample first
    return content.find(b"\0", 0, BINARY_SNIFF_BYTES) >= 0


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
    """Bytes to scan: UTF-8 as it is, UTF-16 re-encoded as UTF-8; None for binary content.

    Old Mac files end lines with a lone CR; those become LF (same length, so offsets hold) so
    that line numbers count the lines an editor shows. Files with any LF are left alone, as git
    counts only LF.
    """
    # most text has neither a BOM nor a NUL early on: one search tells it from the rest
    if content.startswith(UTF16_BOMS) or looks_binary(content):
        codec = utf16_codec(content)
        if codec is not None:
            text = content.decode(codec, "replace").removeprefix("\ufeff")
            if not plausible_text(text):
                return None
            content = text.encode("utf-8")
        elif looks_binary(content):
            return None
    # most text has an LF in its first line: looking for a CR first would read all of it
    if b"\n" not in content and b"\r" in content:
        content = content.replace(b"\r", b"\n")
    return content


def lines_as_text(lines: list[bytes]) -> list[bytes] | None:
    """The added lines of one file as UTF-8: as they are, decoded from UTF-16, or None (binary).

    A diff cuts a UTF-16 text at its 0x0A bytes, which leaves the newline's NUL half on a
    neighbour: at the start of the next line for little-endian, at the end of the line for
    big-endian. Without the file's first line (and its BOM) the two orders cannot be told apart
    for ASCII, where both give the same text; little-endian, what Windows writes, is assumed.
    """
    if not looks_binary(b"\n".join(lines)):
        return lines
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
