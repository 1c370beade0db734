"""The scanning commands' options: declared once, as plain data, and turned into ScanOptions (each
option over the project config's setting over the default).

The click CLI builds its options from these declarations (`scanner.cli`), and the pre-commit
hook's fast path, which runs without click, takes their defaults (`HOOK_OPTIONS`): one
definition, so the two cannot drift apart.
"""

from __future__ import annotations

import sys
from typing import Any

from scanner.config.project import PYPROJECT, Config, load_config
from scanner.config.settings import ENGINES, ScanOptions
from scanner.config.verification import (
    FAIL_ON_CHOICES,
    VerifySettings,
    checked,
    env_settings,
    host_settings,
    table_settings,
    user_config_path,
    user_settings,
)
from scanner.model import NamedTuple, Severity
from scanner.report import FORMATS

SEVERITIES = tuple(severity.value for severity in Severity)


class Option(NamedTuple):
    """One command-line option; `kind` says what click makes of it (`scanner.cli.click_option`):
    "text", "flag", "on-off" (a --x/--no-x pair), "choice" (of `choices`), "size", "seconds"
    (a number >= 0.01), "count" (an integer >= 1) or "many" (text, given any number of times)."""

    flags: tuple[str, ...]
    #: the name click hands the command's function
    name: str
    kind: str
    default: Any = None
    help: str = ""
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    #: whether the help shows the default (a choice's always does)
    show_default: bool = False


# fmt: off
#: where the report goes and in what form
OUTPUT_OPTIONS = (
    Option(("--format",), "format_name", "choice", default="text", choices=FORMATS,
           help="Report format."),
    Option(("--output", "-o"), "output", "text", metavar="FILE",
           help="Write the report to FILE (- for stdout)."),
    Option(("--no-redact",), "no_redact", "flag", default=False,
           help="Show secrets in full (never in shared logs)."),
)
#: what a scan reads and with which settings
SCAN_OPTIONS = (
    Option(("--quiet", "-q"), "quiet", "flag", default=False,
           help="Text format: print only the summary (and errors)."),
    Option(("--max-file-size",), "max_file_size", "size",
           help="Skip files larger than this [default: the config's max_file_size, else 10M]."),
    Option(("--config",), "config_file", "text", metavar="FILE",
           help="Read settings from FILE, not .keyleak.toml / pyproject.toml at the repo root."),
    Option(("--baseline",), "baseline", "text", metavar="FILE",
           help="Known secrets: reported as known, never failing the run "
           "[default: the config's baseline, else .keyleak-baseline.json if present]."),
    Option(("--engine",), "engine", "choice", default="auto", choices=ENGINES,
           help="Matching engine: Hyperscan prefilter, or pure regex."),
    Option(("--min-severity",), "min_severity", "choice", choices=SEVERITIES,
           help="Report only findings this severe or more [default: all, info included]."),
)
#: live verification and the exit policy; every option left unset stays None for the config
VERIFY_OPTIONS = (
    Option(("--verify/--no-verify",), "verify", "on-off",
           help="Ask each key's provider (read-only) whether it still works. Off by default."),
    Option(("--verify-dry-run",), "verify_dry_run", "flag",
           help="Print the verification requests, keys redacted, and send nothing."),
    Option(("--no-verify-cache",), "no_verify_cache", "flag",
           help="Neither read nor write remembered verdicts."),
    Option(("--verify-timeout",), "verify_timeout", "seconds", metavar="SECONDS",
           help="Timeout of each network step of a verification request, 0.5 to 60 "
           "[default: 10]."),
    Option(("--verify-deadline",), "verify_deadline", "seconds", metavar="SECONDS",
           help="Time for the whole verification, 5 to 3600: keys not answered by then are "
           "unknown [default: 120]."),
    Option(("--verify-concurrency",), "verify_concurrency", "count", metavar="N",
           help="Verification requests in flight, 1 to 64 [default: 8]."),
    Option(("--verify-per-provider",), "verify_per_provider", "count", metavar="N",
           help="Verification requests in flight per provider, 1 to 16 [default: 4]."),
    Option(("--verify-host",), "verify_host", "many", default=(), metavar="NAME=HOST",
           help="Your own host for a per-customer verifier (GitHub Enterprise, Okta...); "
           "repeatable. Keys of NAME go nowhere else."),
    Option(("--fail-on",), "fail_on", "choice", choices=FAIL_ON_CHOICES,
           help="Which findings exit 1: any, live keys, or all but proven-invalid [default: any]."),
)
# fmt: on
#: the options of every scanning command, `keyleak staged` among them (the hook runs it with none)
STAGED_OPTIONS = OUTPUT_OPTIONS + SCAN_OPTIONS + VERIFY_OPTIONS
HOOK_OPTIONS: dict[str, Any] = {option.name: option.default for option in STAGED_OPTIONS}
# fmt: off
#: `keyleak scan`'s own options, after the scanning commands' (`scanner.cli` declares them for
#: click; `scanner.commands.plain_scan` reads the plainest command lines without click)
SCAN_COMMAND_OPTIONS = (
    *STAGED_OPTIONS,
    Option(("--jobs", "-j"), "jobs", "count",
           help="Files read and scanned in parallel [default: CPU count]."),
    Option(("--no-ignore",), "no_ignore", "flag", default=False,
           help="In a git work tree, scan what git ignores too (.gitignore, info/exclude, "
           "core.excludesFile)."),
    Option(("--exclude",), "exclude", "many", default=(), metavar="GLOB",
           help="Leave out paths matching GLOB (gitignore-style, relative to each directory "
           "named); repeatable."),
    Option(("--stdin-name",), "stdin_name", "text", default="<stdin>", metavar="NAME",
           show_default=True, help="The name `keyleak scan -` reports standard input by."),
)
# fmt: on


#: the command line's numeric verification options, by the setting each sets
BOUNDED_OPTIONS = {
    "timeout": ("verify_timeout", "--verify-timeout"),
    "run_deadline": ("verify_deadline", "--verify-deadline"),
    "concurrency": ("verify_concurrency", "--verify-concurrency"),
    "per_provider": ("verify_per_provider", "--verify-per-provider"),
}


def verify_settings(options: dict[str, Any], config: Config | None = None) -> VerifySettings:
    """The verification settings, each from the first source that sets it: the command line,
    the environment, a config file the user named (--config), the user's config file, the
    defaults. A repository's own config is never one: its `[verify]` table is ignored."""
    given: dict[str, Any] = {
        # a dry run is a verification that sends nothing; --no-verify overrides the rest
        "enabled": True if options["verify_dry_run"] else options["verify"],
        "dry_run": options["verify_dry_run"],
        "use_cache": None if options["no_verify_cache"] is None else not options["no_verify_cache"],
    }
    for name, (key, flag) in BOUNDED_OPTIONS.items():
        if options[key] is not None:
            given[name] = checked(name, options[key], flag)
    named: dict[str, Any] = {}
    if config is not None and config.verify is not None:
        if options["config_file"] is not None:
            named = table_settings(config.verify, str(config.source))
        else:
            ignore_repository_table(config)
    if options.get("verify_host"):
        given["hosts"] = host_settings(options["verify_host"])
    chosen = {name: value for name, value in given.items() if value is not None}
    sources = (user_settings(), named, env_settings(), chosen)
    merged = {name: value for source in sources for name, value in source.items()}
    # hosts add up across sources (a later source wins for a name it gives)
    hosts = {name: host for source in sources for name, host in source.get("hosts", ())}
    if hosts:
        merged["hosts"] = tuple(sorted(hosts.items()))
    return VerifySettings(**merged)


def ignore_repository_table(config: Config) -> None:
    """One line on stderr: a repository's `[verify]` table, from before it was ignored, must
    neither break the run nor be silently dropped."""
    table = (
        "[tool.keyleak.verify]"
        if config.source and config.source.endswith(PYPROJECT)
        else "[verify]"
    )
    from scanner.redaction import masked

    # the names come from the scanned repository: a key pasted as one is never echoed
    keys = masked(", ".join(map(str, config.verify))) if isinstance(config.verify, dict) else "all"
    sys.stderr.write(
        f"keyleak: warning: {config.source}: {table} ignored ({keys}): verification settings come "
        f"only from the command line, the environment or {user_config_path()}\n"
    )


def scan_options(
    options: dict[str, Any], jobs: int, anchor: str | None = None, config: Config | None = None
) -> ScanOptions:
    """The command's settings: its options (named as the CLI's), else the config's (`config`,
    else the one found from `anchor`), else the defaults."""
    config = config or load_config(options["config_file"], anchor)
    return ScanOptions(
        format=options["format_name"],
        output=options["output"],
        redact=not options["no_redact"],
        quiet=options["quiet"],
        max_file_size=config.file_size_limit(options["max_file_size"]),
        jobs=jobs,
        engine=options["engine"],
        verify=verify_settings(options, config),
        fail_on=options["fail_on"] or config.fail_on,
        config=config,
        baseline=options["baseline"],
        min_severity=options.get("min_severity"),
    )
