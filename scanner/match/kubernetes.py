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
import bisect
import re
from collections.abc import Iterable

from scanner.match.keyword_encodings import is_secret_manifest
from scanner.model import Match
from scanner.model import replaced as replace

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
    sections = Sections(content) if manifest else None
    kept: list[Match] = []
    for match in found:
        if match.rule_id not in MANIFEST_RULES:
            kept.append(match)
        elif sections is None or sections.of(match.start) != SECTIONS[match.rule_id]:
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
#: an unindented line that is not a comment: a top-level key, whose block the lines below it are
TOP_LEVEL = re.compile(rb"^[^ \t\r\n#][^\r\n]*", re.MULTILINE)


class Sections:
    """The top-level keys of a document, found in one pass, to tell which block holds an
    offset (a Secret's matches each asking again would walk back over the same lines)."""

    def __init__(self, content: bytes) -> None:
        found = list(TOP_LEVEL.finditer(content))
        self.starts = [line.start() for line in found]
        self.keys = [line.group().rstrip(b" \t") for line in found]

    def of(self, at: int) -> bytes:
        """The key whose block holds offset `at`; b"" above the first one."""
        index = bisect.bisect_right(self.starts, at) - 1
        return self.keys[index] if index >= 0 else b""


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
