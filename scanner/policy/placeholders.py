"""The placeholder filter of generic rules: values that stand for a secret without being one.

A generic rule knows only that a secret-looking name was given a value; whether the value is a
real credential or `changeme`, `${DB_PASSWORD}`, `os.environ["TOKEN"]`, `str` or `user.password`
is decided here, from the value alone, so the matcher stays pure and both engines agree.
"""

from __future__ import annotations

import itertools
import re

#: whole values (compared lower-cased, with trailing digits and punctuation removed)
PLACEHOLDER_WORDS = frozenset(
    [
        "changeme",
        "change_me",
        "changethis",
        "change-me",
        "changeit",
        "password",
        "passwd",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "pass",
        "secret",
        "secrets",
        "mysecret",
        "supersecret",
        "topsecret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "secretkey",
        "secret_key",
        "accesskey",
        "access_key",
        "privatekey",
        "private_key",
        "credentials",
        "credential",
        "example",
        "sample",
        "dummy",
        "test",
        "testing",
        "tests",
        "placeholder",
        "redacted",
        "hidden",
        "masked",
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "empty",
        "todo",
        "fixme",
        "tbd",
        "foo",
        "bar",
        "baz",
        "foobar",
        "qwerty",
        "letmein",
        "admin",
        "administrator",
        "root",
        "guest",
        "user",
        "username",
        "default",
        "postgres",
        "mysql",
        "mongo",
        "mongodb",
        "redis",
        "rabbitmq",
        "localhost",
        "value",
        "string",
        "str",
        "bytes",
        "int",
        "bool",
        "boolean",
        "any",
        "unknown",
        "object",
        "optional",
        "secretstr",
        "secret_str",
        "notasecret",
        "not_a_secret",
        "insecure",
        "unsafe",
        "abc",
        "abcdef",
    ]
)
#: words that mark a value as made up when they appear as one of its segments
MARKER_SEGMENTS = frozenset(
    [
        "example",
        "examples",
        "sample",
        "samples",
        "dummy",
        "fake",
        "mock",
        "mocked",
        "test",
        "testing",
        "placeholder",
        "redacted",
        "changeme",
        "replace",
        "replaceme",
        "your",
        "yours",
        "my",
        "insert",
        "enter",
        "here",
        "todo",
        "fixme",
        "xxx",
        "xxxx",
        "notreal",
    ]
)
#: long enough never to turn up by chance inside a random value; four letters are not (`fake`
#: is in one random 17-character password in tens of thousands), so shorter markers must be words
MARKER_WORDS = re.compile(
    r"example|sample|dummy|placeholder|changeme|redacted|not.?a.?real|notreal"
)
#: camelCase words (`fakeToken`, `myMockKey`) need a case change on both sides, which random
#: text rarely gives; shorter markers (`my`, `xxx`) would still turn up in it
CAMEL_MARKER_LENGTH = 4
#: random text steps to a neighbouring character about once in 30 pairs
SEQUENTIAL_SHARE = 0.6
TYPE_NAMES = frozenset(
    [
        "str",
        "string",
        "bytes",
        "int",
        "integer",
        "bool",
        "boolean",
        "any",
        "unknown",
        "object",
        "secretstr",
        "securestring",
        "optional[str]",
        "str|none",
        "string|null",
        "string|undefined",
        "char*",
        "[]byte",
        "nsstring",
    ]
)
TEMPLATE = re.compile(
    rb"""(?x) \$\{ | \$\( | \{\{ | \}\} | \{% | <% | %\( | %[sdr](?![A-Za-z0-9]) | \#\{ | @\w+@
    | ^__\w+__$ | ^<.*>$ | ^\[.*\]$ | ^\{.*\}$ | \{[A-Za-z_][\w.]*\}"""
)
SHELL_VARIABLE = re.compile(rb"^\$[A-Za-z_]\w*$|^%\w+%$")
LOOKUP = re.compile(
    rb"""(?ix)
    os\.environ | getenv | process\.env | \benv\[ | env\. | env\( | ENV\.fetch | \$ENV\{
    | GetEnvironmentVariable | vault: | secretsmanager | secretmanager | keyvault | ssm:
    | \bsecrets\. | \bparameters\. | \bsettings\. | \bconfig\. | !vault | !ref | !sub | !getatt
    | import\.meta\.env
    """
)
#: case-sensitive: `xXx` turns up in random base64 far more often than `xxx` or `XXX`
MASKED = re.compile(rb"x{4,}|X{4,}|^[xX]+$|\*{3,}|\.{3}|\xe2\x80[\xa2\xa6]|#{3,}|-{4,}|_{4,}|0{6,}")
FILE_PATH = re.compile(
    rb"""(?ix)
    ^(?:/|\./|\.\./|~/|[a-z]:\\|\\\\|file:)[\w.@~/\\-]*$
    | \.(?:pem|key|crt|cer|der|p12|pfx|jks|keystore|pub|asc|gpg|json|ya?ml|txt|env|ini|cfg
         |conf|properties|toml|xml|sh|py|js|ts)$
    """
)
PASSWORD_HASH = re.compile(rb"^\$(?:2[abxy]?|argon2(?:id|i|d)|[156]|pbkdf2[\w-]*|scrypt)\$")
HEX_OR_DIGITS = re.compile(rb"^\d+$")
#: a numbered name (`0001_initial`, a Django migration's): a number, then words
NUMBERED_NAME = re.compile(r"^\d{1,6}_(?=[a-z])")
#: versions and version ranges (`3.0-3.12`, `1.2.3+4`): digits and dots, never a credential
VERSION = re.compile(rb"^v?\d+(?:[.+-]\d+)+$")
#: a qualified name (`_t.AuthType`, `settings.Secret`): a reference or a type, not a value
QUALIFIED_NAME = re.compile(r"^_*[A-Za-z]\w*(?:\.[A-Za-z_]\w*)+$")
PERCENT_ESCAPE = re.compile(rb"%[0-9A-Fa-f]{2}")
#: credentials in documentation URLs are this short or shorter (`p%2Fss`, `pass`)
SHORTEST_SECRET = 6
#: words have vowels; random letters have long runs without one (`Jcwgvh`)
CONSONANT_RUN = re.compile(r"[b-df-hj-np-tv-xz]{5}", re.IGNORECASE)
SEPARATORS = re.compile(r"[^a-z0-9]+")
SEGMENT_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
URL = re.compile(rb"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def is_placeholder(value: bytes) -> bool:
    """True when `value` is a stand-in, a reference or a made-up value rather than a secret."""
    stripped = value.strip()
    if b"%" in stripped:  # URL userinfo is percent-encoded: judge what it stands for
        stripped = PERCENT_ESCAPE.sub(lambda m: bytes([int(m.group()[1:], 16)]), stripped)
    if len(stripped) < SHORTEST_SECRET:
        return True
    text = stripped.decode("utf-8", "replace")
    lowered = text.lower()
    if lowered.rstrip("0123456789!.,;") in PLACEHOLDER_WORDS or lowered in TYPE_NAMES:
        return True
    if (
        TEMPLATE.search(stripped)
        or SHELL_VARIABLE.match(stripped)
        or LOOKUP.search(stripped)
        or MASKED.search(stripped)
        or FILE_PATH.search(stripped)
        or PASSWORD_HASH.match(stripped)
        or HEX_OR_DIGITS.match(stripped)
        or VERSION.match(stripped)
        or URL.match(stripped)
    ):
        return True
    if (numbered := NUMBERED_NAME.match(text)) and is_wordy(
        [s for s in SEGMENT_SPLIT.split(text[numbered.end() :]) if s and not s.isdigit()]
    ):
        return True
    if QUALIFIED_NAME.match(text):
        segments = [s for s in SEGMENT_SPLIT.split(text) if len(s) > 1]
    else:
        segments = [s for s in SEGMENT_SPLIT.split(text) if s]
    # separators delimit marker words; camelCase only long ones, as random text splits into `My`
    words = [word for word in SEPARATORS.split(lowered) if word]
    if (
        MARKER_WORDS.search(lowered)
        or any(word in MARKER_SEGMENTS for word in words)
        or any(len(s) >= CAMEL_MARKER_LENGTH and s.lower() in MARKER_SEGMENTS for s in segments)
    ):
        return True
    # `a secret`, `my-token`: placeholder words with nothing but particles around them
    if all(word in PLACEHOLDER_WORDS or len(word) <= 2 for word in words):
        return True
    return is_wordy(segments) or is_monotonous(stripped)


def is_wordy(segments: list[str]) -> bool:
    """Made of words, like an identifier or a reference (`user_password`, `self.secret`).

    Random strings break into segments with digits, single letters, many two-letter pieces
    (`KdNnFRIBXuDL`) or long runs of consonants; names do not.
    """
    # a version or counter at the end of a word is still a name (`auth0`, `python3`)
    segments = [s.rstrip("0123456789") if len(s.rstrip("0123456789")) >= 3 else s for s in segments]
    if not segments or not all(s.isalpha() and len(s) >= 2 for s in segments):
        return False
    if any(CONSONANT_RUN.search(s) for s in segments):
        return False
    return sum(1 for s in segments if len(s) == 2) <= 1


def is_monotonous(value: bytes) -> bool:
    """All one or two characters, or mostly runs of consecutive ones (`abab`, `abcd1234`)."""
    if len(set(value)) <= 2:
        return True
    lowered = value.lower()
    steps = sum(1 for a, b in itertools.pairwise(lowered) if abs(b - a) == 1)
    return steps >= SEQUENTIAL_SHARE * (len(value) - 1)
