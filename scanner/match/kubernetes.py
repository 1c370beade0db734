"""Kubernetes Secret manifests: the values their rules find, made into the secrets they hold.

The rules (rules/kubernetes.toml) find the values under `data:` and `stringData:`; their regexes
cannot see whether the document is a Secret, so values are kept only in a chunk that is one (a
ConfigMap's `data:` is plain configuration). A `data:` value is base64: it is reported decoded,
as the decoder reports what it finds inside encoded text (`encoding = ("base64",)`, the match's
span still on the encoded text), unless that text is a placeholder or too short to be a secret.
A value that decodes to bytes that are not text (a keystore, a random key) is reported as
written: its base64 is the only printable form it has.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import replace

from scanner.match.keyword_encodings import is_secret_manifest
from scanner.model import Match

DATA_RULE = "kubernetes-secret-data"
STRING_DATA_RULE = "kubernetes-secret-string-data"
MANIFEST_RULES = frozenset((DATA_RULE, STRING_DATA_RULE))
#: a decoded value shorter than this is no secret worth reporting (as the decoder's own floor)
MIN_DECODED = 8


def secret_values(matches: Iterable[Match], content: bytes) -> list[Match]:
    """The matches, with the manifest rules' kept only in a Secret and `data:` values decoded."""
    found = list(matches)
    if not any(match.rule_id in MANIFEST_RULES for match in found):
        return found
    manifest = is_secret_manifest(content)
    kept: list[Match] = []
    for match in found:
        if match.rule_id not in MANIFEST_RULES:
            kept.append(match)
        elif not manifest or section(content, match.start) != SECTIONS[match.rule_id]:
            continue
        elif match.rule_id == STRING_DATA_RULE:
            kept.append(match)
        else:
            decoded = decoded_value(match.secret)
            if decoded is BINARY:
                kept.append(match)
            elif decoded is not None:
                kept.append(replace(match, secret=decoded, encoding=("base64", *match.encoding)))
    return kept


#: the top-level key each rule's values must sit under
SECTIONS = {DATA_RULE: b"data:", STRING_DATA_RULE: b"stringData:"}
#: how far back a value's section is looked for: a Secret holds a few dozen values, and a
#: hostile file of indented lines must not make every match walk back through all of them
SECTION_LINES = 200


def section(content: bytes, at: int) -> bytes:
    """The top-level key (an unindented line) whose block holds offset `at`; b"" if none is
    found within SECTION_LINES lines."""
    end = content.rfind(b"\n", 0, at)
    for _ in range(SECTION_LINES):
        if end < 0:
            return b""
        start = content.rfind(b"\n", 0, end) + 1
        line = content[start:end].rstrip(b"\r")
        if line[:1] not in (b" ", b"\t", b"", b"#"):
            return line.rstrip(b" \t")
        end = start - 1
    return b""


#: what `decoded_value` returns for a value that holds bytes, not text
BINARY = b""


def decoded_value(encoded: bytes) -> bytes | None:
    """The text a base64 value holds; `BINARY` when it holds bytes that are not text; None when
    it is not base64, or holds no secret worth reporting."""
    # imported here: a clean commit never loads the placeholder filter (tests/test_hook_imports)
    from scanner.policy.placeholders import is_placeholder

    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return BINARY
    if not all(char.isprintable() or char in "\r\n\t" for char in text):
        return BINARY
    if len(raw) < MIN_DECODED or not text.strip() or is_placeholder(raw):
        return None
    return raw
