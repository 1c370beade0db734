"""The command line: option parsing only; each command calls into scanner.commands."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, get_args

import click

from scanner import __version__
from scanner.engine import EngineName
from scanner.errors import ExitCode, KeyleakError
from scanner.report import FORMATS

SIZE_UNITS = {
    "": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
}
ENGINES = get_args(EngineName)


class Size(click.ParamType):  # type: ignore[type-arg]
    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        digits = text.rstrip("kmgib")
        unit = text[len(digits) :]
        if not digits.isdigit() or unit not in SIZE_UNITS:
            self.fail(f"{value!r} is not a size like 10485760, 500K or 10M", param, ctx)
        return int(digits) * SIZE_UNITS[unit]


class State:
    debug = False


def report_options(function: Any) -> Any:
    options = [
        click.option(
            "--format",
            "format_name",
            type=click.Choice(FORMATS),
            default="text",
            show_default=True,
            help="Report format.",
        ),
        click.option(
            "--output", "-o", metavar="FILE", help="Write the report to FILE (- for stdout)."
        ),
        click.option(
            "--no-redact", is_flag=True, help="Show secrets in full (never in shared logs)."
        ),
        click.option(
            "--max-file-size",
            type=Size(),
            default="10M",
            show_default=True,
            help="Skip files larger than this.",
        ),
        click.option(
            "--engine",
            type=click.Choice(ENGINES),
            default="auto",
            show_default=True,
            help="Matching engine: Hyperscan prefilter, or pure regex.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keyleak")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def cli(debug: bool) -> None:
    """Find leaked API keys and other secrets in files and staged changes."""
    State.debug = debug


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@report_options
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Files read and scanned in parallel [default: CPU count].",
)
def scan(paths: tuple[str, ...], jobs: int | None, **options: Any) -> int:
    """Scan files and directories (default: the current directory)."""
    from scanner.commands.scan import scan_paths
    from scanner.scan import default_jobs

    return scan_paths(paths, scan_options(options, jobs or default_jobs()))


@cli.command()
@report_options
def staged(**options: Any) -> int:
    """Scan what is staged for commit: the lines the index adds (the pre-commit hook)."""
    from scanner.commands.scan import scan_staged

    return scan_staged(scan_options(options, jobs=1))


def scan_options(options: dict[str, Any], jobs: int) -> Any:
    from scanner.commands.scan import ScanOptions

    return ScanOptions(
        format=options["format_name"],
        output=options["output"],
        redact=not options["no_redact"],
        max_file_size=options["max_file_size"],
        jobs=jobs,
        engine=options["engine"],
    )


@cli.group()
def rules() -> None:
    """List and check rule packs."""


@rules.command("list")
def rules_list() -> int:
    """List the rules: id, severity, provider, name."""
    from scanner.commands.rules_cmd import list_rules

    return list_rules()


@rules.command("check")
@click.argument("files", nargs=-1, type=click.Path())
def rules_check(files: tuple[str, ...]) -> int:
    """Validate rule files (default: the shipped ones) and run all their examples."""
    from scanner.commands.rules_cmd import check_rules

    return check_rules(files)


@cli.group()
def hook() -> None:
    """Install a plain git pre-commit hook (for repositories without the pre-commit framework)."""


@hook.command("install")
@click.option("--force", is_flag=True, help="Replace an existing hook (kept as a backup).")
def hook_install(force: bool) -> int:
    """Write .git/hooks/pre-commit to run `keyleak staged`."""
    from scanner.commands.hook import install

    return install(force)


@hook.command("uninstall")
def hook_uninstall() -> int:
    """Remove keyleak's pre-commit hook (and only keyleak's)."""
    from scanner.commands.hook import uninstall

    return uninstall()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; map every outcome to the documented exit codes."""
    try:
        code = cli.main(args=argv, prog_name="keyleak", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("keyleak: interrupted", err=True)
        code = ExitCode.INTERRUPTED
    except KeyleakError as exc:
        click.echo(f"keyleak: error: {exc}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("keyleak: interrupted", err=True)
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        code = ExitCode.CLEAN
    except Exception as exc:
        if State.debug:
            import traceback

            traceback.print_exc()
        click.echo(
            f"keyleak: internal error: {type(exc).__name__}: {exc} "
            "(rerun with --debug for details)",
            err=True,
        )
        code = ExitCode.INTERNAL
    sys.exit(int(code) if isinstance(code, int) else ExitCode.CLEAN)
