"""Test keys built at run time: the right shape, a random body, never a committed literal.

The marker is assembled from two halves so this file itself holds nothing key-shaped.
"""

from __future__ import annotations

import functools
import random
import string

import regex

OPENAI_MARKER = "T3Blbk" + "FJ"
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"
HEX = "0123456789abcdef"

#: (rule id, prefix after `sk-`, body lengths either side of the marker, alphabet)
OPENAI_SHAPES: tuple[tuple[str, str, int, str], ...] = (
    ("openai-api-key", "", 20, ALNUM),
    *(
        (rule_id, prefix, length, URLSAFE)
        for rule_id, prefix in (
            ("openai-project-key", "proj-"),
            ("openai-service-account-key", "svcacct-"),
            ("openai-service-account-key", "service-"),
            ("openai-admin-key", "admin-"),
            ("openai-user-key", "None-"),
        )
        for length in (20, 58, 74)
    ),
)


def random_text(length: int, alphabet: str = ALNUM, rng: random.Random | None = None) -> str:
    chooser = rng or random.SystemRandom()
    return "".join(chooser.choice(alphabet) for _ in range(length))


@functools.cache
def provider_patterns() -> tuple[regex.Pattern[bytes], ...]:
    from scanner.match.confirm import compile_rule
    from scanner.match.file_rules import is_file_rule
    from scanner.rules import load_rules

    return tuple(
        compile_rule(rule).pattern
        for rule in load_rules().rules
        if rule.provider != "generic" and not is_file_rule(rule)
    )


def secret_value(rng: random.Random | None = None) -> str:
    """A random value with letters of both cases and digits, as a generated password has; never
    one that a provider's rule claims (one draw in millions starts `LTAI`, as Alibaba's keys do,
    and the provider rule rightly takes precedence)."""
    chooser = rng or random.SystemRandom()
    while True:
        body = random_text(14, ALNUM, chooser)
        value = (
            body
            + chooser.choice("ABCDEFGHJK")
            + chooser.choice("abcdefghjk")
            + chooser.choice("23456789")
        )
        if not any(pattern.search(value.encode()) for pattern in provider_patterns()):
            return value


def openai_key(prefix: str = "proj-", length: int = 74, alphabet: str = URLSAFE) -> str:
    # random halves, but never starting or ending with a separator so contexts stay unambiguous
    first = random_text(1) + random_text(length - 1, alphabet)
    second = random_text(length - 1, alphabet) + random_text(1)
    return f"sk-{prefix}{first}{OPENAI_MARKER}{second}"


def every_openai_shape() -> list[tuple[str, str]]:
    """One fresh key per OpenAI shape, with the rule id that must report it."""
    return [
        (rule_id, openai_key(prefix, length, alphabet))
        for rule_id, prefix, length, alphabet in OPENAI_SHAPES
    ]


def base64url_json(value: object) -> str:
    import base64
    import json

    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_token(header: dict[str, object], payload: dict[str, object], signed: bool = True) -> str:
    """A JSON Web Token with these claims and a random signature (none when not `signed`)."""
    signature = random_text(43, URLSAFE) if signed else ""
    return f"{base64url_json(header)}.{base64url_json(payload)}.{signature}"
