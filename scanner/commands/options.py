"""The scanning commands' options, as the command line names them, turned into ScanOptions: each
option over the project config's setting over the default."""

from __future__ import annotations

import dataclasses
from typing import Any

from scanner.config.project import load_config
from scanner.config.settings import ScanOptions
from scanner.config.verification import VerifySettings


def verify_settings(options: dict[str, Any], base: VerifySettings | None = None) -> VerifySettings:
    """The --verify options over `base` (the config's), else the defaults."""
    given = {
        # a dry run is a verification that sends nothing; --no-verify overrides the config
        "enabled": True if options["verify_dry_run"] else options["verify"],
        "dry_run": options["verify_dry_run"],
        "use_cache": None if options["no_verify_cache"] is None else not options["no_verify_cache"],
        "timeout": options["verify_timeout"],
        "concurrency": options["verify_concurrency"],
        "per_provider": options["verify_per_provider"],
    }
    chosen = {name: value for name, value in given.items() if value is not None}
    return dataclasses.replace(base, **chosen) if base else VerifySettings(**chosen)


def scan_options(options: dict[str, Any], jobs: int, anchor: str | None = None) -> ScanOptions:
    """The command's settings: its options (named as the CLI's), else the config's (found from
    `anchor`), else the defaults."""
    config = load_config(options["config_file"], anchor)
    return ScanOptions(
        format=options["format_name"],
        output=options["output"],
        redact=not options["no_redact"],
        quiet=options["quiet"],
        max_file_size=config.file_size_limit(options["max_file_size"]),
        jobs=jobs,
        engine=options["engine"],
        verify=verify_settings(options, config.verify),
        fail_on=options["fail_on"] or config.fail_on,
        config=config,
        baseline=options["baseline"],
    )
