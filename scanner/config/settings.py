"""What a scanning command runs with: its options over the project config's over the defaults.

Built once per run (by `scanner.commands.options`) and handed down the pipeline unchanged.
"""

from __future__ import annotations

from typing import Literal, get_args

from scanner.config.project import Config
from scanner.config.verification import FailOn, VerifySettings
from scanner.model import frozen, made_by

EngineName = Literal["auto", "hyperscan", "regex"]
ENGINES: tuple[str, ...] = get_args(EngineName)


@frozen
class ScanOptions:
    """A scanning command's settings: its options over the config's over the defaults."""

    format: str = "text"
    output: str | None = None
    redact: bool = True
    quiet: bool = False
    max_file_size: int = 10 * 1024 * 1024
    jobs: int = 1
    engine: EngineName = "auto"
    verify: VerifySettings = made_by(VerifySettings)
    fail_on: FailOn = "any"
    config: Config = made_by(Config)
    #: --baseline FILE (else the config's, else .keyleak-baseline.json at the root if present)
    baseline: str | None = None
    #: --min-severity: findings less severe are left out of the report and the exit code
    min_severity: str | None = None
