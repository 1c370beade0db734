"""Verification settings: one frozen value built from the command line or from configuration.

Kept free of heavy imports: the CLI builds it on the pre-commit path even when verification is off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from scanner.errors import ConfigError
from scanner.model import frozen

FailOn = Literal["any", "live", "unknown-or-live"]
FAIL_ON_CHOICES: tuple[str, ...] = get_args(FailOn)


@frozen
class VerifySettings:
    """How --verify asks providers (a docstring spares `dataclass` an `inspect` call)."""

    #: ask providers whether found keys still work (the only network use in keyleak)
    enabled: bool = False
    #: print the requests that would be sent, keys redacted, and send nothing
    dry_run: bool = False
    #: read and write verdicts in the persistent cache
    use_cache: bool = True
    cache_ttl: float = 24 * 3600.0
    #: seconds for each connect / TLS handshake / read / write
    timeout: float = 10.0
    #: seconds for a whole request, so a server trickling bytes cannot hold a worker for ever
    deadline: float = 15.0
    #: seconds for the whole verification: what is in flight then ends, what waits is not sent
    run_deadline: float = 120.0
    #: requests in flight overall, and per provider
    concurrency: int = 8
    per_provider: int = 4
    #: retries after the first attempt (network errors, 5xx, rate limits only)
    max_retries: int = 2
    #: a rate limit asking for a longer wait than this is reported as `rate_limited` at once
    max_wait: float = 60.0
    #: first backoff when the server names no wait; doubles per retry
    backoff: float = 0.5
    #: the user's own hosts for per-customer verifiers (GitHub Enterprise, Okta...), by name
    hosts: tuple[tuple[str, str], ...] = ()
    #: the user's checks for their own rules: rule id -> the `verify` table as JSON
    checks: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        positive = {
            "cache_ttl": self.cache_ttl >= 0,
            "timeout": self.timeout > 0,
            "deadline": self.deadline > 0,
            "run_deadline": self.run_deadline > 0,
            "concurrency": self.concurrency >= 1,
            "per_provider": self.per_provider >= 1,
            "max_retries": self.max_retries >= 0,
            "max_wait": self.max_wait >= 0,
            "backoff": self.backoff >= 0,
        }
        wrong = [name for name, ok in positive.items() if not ok]
        if wrong:
            raise ConfigError(f"verification setting out of range: {', '.join(wrong)}")


# --------------------------------------------------------------------------- sources
#
# The scanned repository is data, never authority: its config never turns the network on, raises
# a cap or shortens a deadline. Verification settings come from the command line, the
# environment (KEYLEAK_VERIFY_<SETTING>), the user's own config file, or a config file the user
# names with --config; each value within BOUNDS, else the run stops with a usage error.

#: (lowest, highest) a user may set, both included; a value outside is an error, never clamped
BOUNDS: dict[str, tuple[float, float]] = {
    "timeout": (0.5, 60.0),
    "deadline": (1.0, 120.0),
    "run_deadline": (5.0, 3600.0),
    "max_retries": (0, 5),
    "max_wait": (0.0, 300.0),
    "backoff": (0.01, 10.0),
    "concurrency": (1, 64),
    "per_provider": (1, 16),
    "cache_ttl": (0.0, 30 * 24 * 3600.0),
}
INTEGERS = frozenset(("max_retries", "concurrency", "per_provider"))
SWITCHES = ("enabled", "dry_run", "use_cache")
USER_KEYS = (*SWITCHES, *BOUNDS)
ENV_PREFIX = "KEYLEAK_VERIFY_"
#: the cap of a project's config (config.project.CONFIG_LIMIT), which imports this module
USER_CONFIG_LIMIT = 1 << 20
ENV_WORDS = {"1": True, "true": True, "yes": True, "on": True}
ENV_WORDS |= {"0": False, "false": False, "no": False, "off": False}


def user_config_path() -> Path:
    """`$XDG_CONFIG_HOME/keyleak/config.toml`, by default `~/.config/keyleak/config.toml`."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "keyleak" / "config.toml"


def redacted_value(value: Any) -> str:
    """A value quoted in an error, anything key-shaped in it redacted (imported only then)."""
    from scanner.redaction import quoted

    return quoted(value)


def redacted_name(name: str) -> str:
    from scanner.redaction import masked

    return masked(name)


def checked(name: str, value: Any, label: str) -> Any:
    """`value` if `name` may be set to it; else a ConfigError naming `label` and the bounds."""
    if name in SWITCHES:
        if not isinstance(value, bool):
            raise ConfigError(f"{label}: expected true or false, got {redacted_value(value)}")
        return value
    low, high = BOUNDS[name]
    whole = name in INTEGERS
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or (whole and value != int(value)) or not low <= value <= high:
        kind = "an integer" if whole else "seconds"
        raise ConfigError(
            f"{label}: expected {kind} from {low:g} to {high:g}, got {redacted_value(value)}"
        )
    return int(value) if whole else float(value)


def host_settings(pairs: Any, label: str = "--verify-host") -> tuple[tuple[str, str], ...]:
    """`NAME=HOST` texts (or a `[verify.hosts]` table) as (name, host) pairs, each host a public
    DNS name: a per-customer verifier sends keys there, and nowhere else."""
    from scanner.rule_verify import NAME, official_host

    if isinstance(pairs, dict):
        items = list(pairs.items())
    else:
        items = [tuple(text.split("=", 1)) if "=" in text else (text, "") for text in pairs]
    hosts: dict[str, str] = {}
    for name, host in items:
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise ConfigError(f"{label}: {redacted_value(name)}: expected NAME=HOST")
        if not isinstance(host, str) or not official_host(host.lower()):
            raise ConfigError(
                f"{label}: {name}: expected a DNS host name like api.example.com "
                f"(no scheme, port or path), got {redacted_value(host)}"
            )
        hosts[name] = host.lower()
    return tuple(sorted(hosts.items()))


def check_settings(table: Any, label: str) -> tuple[tuple[str, str], ...]:
    """`[verify.checks.<rule id>]` tables: the user's checks for their own rules, kept as JSON
    and bound to the run's rules when verifying (scanner.verify.registry)."""
    from scanner.rule_verify import parse_declaration, to_json

    if not isinstance(table, dict):
        raise ConfigError(f"{label}: [verify.checks]: expected tables")
    checks: list[tuple[str, str]] = []
    for rule_id, raw in table.items():
        _, problems = parse_declaration(
            raw, rule_id, rule_id, f"{label}: [verify.checks.{rule_id}]", need_cases=False
        )
        if problems:
            raise ConfigError("\n".join(problems))
        checks.append((rule_id, to_json(raw)))
    return tuple(checks)


def table_settings(table: Any, label: str) -> dict[str, Any]:
    """The settings of a trusted `[verify]` table (`label`: the file, for messages)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{label}: [verify]: expected a table")
    settings: dict[str, Any] = {}
    for name, value in table.items():
        if name == "hosts":
            settings["hosts"] = host_settings(value, f"{label}: [verify.hosts]")
            continue
        if name == "checks":
            settings["checks"] = check_settings(value, label)
            continue
        if name not in USER_KEYS:
            known = ", ".join((*USER_KEYS, "hosts", "checks"))
            raise ConfigError(
                f"{label}: [verify] {redacted_name(name)}: unknown key (expected one of: {known})"
            )
        settings[name] = checked(name, value, f"{label}: [verify] {name}")
    return settings


def user_settings() -> dict[str, Any]:
    """The user's config file's `[verify]` table; nothing (one failed open) when there is none."""
    path = user_config_path()
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    # read as a project's config is: a FIFO or a device there must not hang or fill the run
    from scanner.util.small_file import read_small_file
    from scanner.util.toml_text import TomlError, load_toml

    try:
        document = load_toml(read_small_file(path, USER_CONFIG_LIMIT))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    except TomlError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    for name in document:
        if name != "verify":
            raise ConfigError(f"{path}: {name}: unknown key (expected: [verify])")
    return table_settings(document.get("verify", {}), str(path))


def env_value(name: str, text: str) -> Any:
    """The variable's text as the setting's type, or the text itself when it is not one."""
    if name in SWITCHES:
        return ENV_WORDS.get(text.strip().lower(), text)
    try:
        return float(text)
    except ValueError:
        return text


def env_settings(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """KEYLEAK_VERIFY_<SETTING> variables: true/false (1/0, yes/no, on/off) or a number."""
    settings: dict[str, Any] = {}
    for name in USER_KEYS:
        variable = ENV_PREFIX + name.upper()
        text = environ.get(variable)
        if text is None:
            continue
        settings[name] = checked(name, env_value(name, text), variable)
    return settings
