"""The command line: option parsing only; each command calls into scanner.commands.

`keyleak staged` with no options, the pre-commit hook, never comes here (see scanner.entry).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from scanner import __version__
from scanner.commands.options import (
    OUTPUT_OPTIONS,
    SCAN_COMMAND_OPTIONS,
    STAGED_OPTIONS,
    VERIFY_OPTIONS,
    Option,
)
from scanner.config.settings import ENGINES
from scanner.error_handler import State
from scanner.errors import ExitCode
from scanner.git import NETWORK_TIMEOUT
from scanner.util.streams import pacified


class Size(click.ParamType):  # type: ignore[type-arg]
    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from scanner.config.project import parse_size

        size = parse_size(value)
        if size is None:
            self.fail(f"{value!r} is not a size like 10485760, 500K or 10M", param, ctx)
        return size


def click_option(option: Option) -> Any:
    """The click decorator for one declared option (`scanner.commands.options`)."""
    kind = option.kind
    settings: dict[str, Any] = {"default": option.default, "help": option.help}
    if option.metavar is not None:
        settings["metavar"] = option.metavar
    if kind == "flag":
        settings["is_flag"] = True
    elif kind == "choice":
        settings["type"] = click.Choice(option.choices)
        settings["show_default"] = option.default is not None
    if option.show_default:
        settings["show_default"] = True
    elif kind == "size":
        settings["type"] = Size()
    elif kind == "seconds":
        settings["type"] = click.FloatRange(min=0.01)
    elif kind == "count":
        settings["type"] = click.IntRange(min=1)
    elif kind == "many":
        settings["multiple"] = True
    return click.option(*option.flags, option.name, **settings)


def declared(options: Sequence[Option]) -> Callable[[Any], Any]:
    """A decorator adding `options` to a command, in the order declared."""

    def add(function: Any) -> Any:
        for option in reversed(options):
            function = click_option(option)(function)
        return function

    return add


#: the options of every scanning command
report_options = declared(STAGED_OPTIONS)
verify_options = declared(VERIFY_OPTIONS)


DEBUG_HELP = "Show tracebacks for internal errors."
#: what click's completion scripts set when they ask keyleak for completions (as scanner.entry)
COMPLETION_VARIABLE = "_KEYLEAK_COMPLETE"


def debug_after_command(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        State.debug = True


class Group(click.Group):
    """A group each of whose commands also takes `--debug`: it is typed where the error showed,
    at the end of the command line, more often than before the command."""

    #: the groups declared with `@group.group()` are of this class too
    group_class = type

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(param.name == "debug" for param in cmd.params):
            cmd.params.append(
                click.Option(
                    ["--debug"],
                    is_flag=True,
                    expose_value=False,
                    callback=debug_after_command,
                    help=DEBUG_HELP,
                )
            )
        super().add_command(cmd, name)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="keyleak")
@click.option("--debug", is_flag=True, help=DEBUG_HELP)
def cli(debug: bool) -> None:
    """Find leaked API keys and other secrets in files and staged changes."""
    State.debug = debug


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@declared(SCAN_COMMAND_OPTIONS)
def scan(paths: tuple[str, ...], **options: Any) -> int:
    """Scan files and directories (default: the current directory); - reads standard input.

    In a git work tree, files git ignores are left out (and counted) unless named or
    --no-ignore is given."""
    from scanner.commands.scan import scan_command

    return scan_command(paths, options)


@cli.command()
@click.argument("files", nargs=-1, type=click.Path())
@report_options
def staged(files: tuple[str, ...], **options: Any) -> int:
    """Scan what is staged for commit: the lines the index adds (the pre-commit hook).

    FILES are the names the pre-commit framework hands the hook: during a commit only their
    staged lines are scanned, outside one the files whole, and with pre-commit's
    --from-ref/--to-ref (or on pre-push) the lines that range adds."""
    from scanner.commands.staged import run_staged

    return run_staged(options, files)


@cli.command()
@click.argument("arguments", nargs=-1, metavar="[REPO] [REV...]")
@report_options
@click.option(
    "--range",
    "ranges",
    multiple=True,
    metavar="BASE..HEAD",
    help="Scan only the lines these commits add (repeatable; a lone REV is that one commit).",
)
@click.option(
    "--head-config",
    is_flag=True,
    help="With --range: apply the config the work tree holds, not the base revision's.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar on a terminal.")
@click.option(
    "--max-blob-size",
    type=Size(),
    default=None,
    help="Skip larger blobs [default: --max-file-size].",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Blobs read and scanned in parallel [default: CPU count].",
)
def history(
    arguments: tuple[str, ...],
    ranges: tuple[str, ...],
    head_config: bool,
    no_progress: bool,
    max_blob_size: int | None,
    jobs: int | None,
    **options: Any,
) -> int:
    """Audit a repository's history (all refs by default), or the commits of a range."""
    from scanner.commands.history import history_command, split_arguments

    repo, revisions = split_arguments(arguments)
    return history_command(
        options,
        repo,
        revisions,
        ranges,
        head_config=head_config,
        jobs=jobs,
        max_blob_size=max_blob_size,
        progress=not no_progress,
    )


@cli.command()
@click.argument("targets", nargs=-1, metavar="[TARGET...]")
@click.option(
    "--from",
    "list_file",
    metavar="FILE",
    help="Also audit the targets listed in FILE, one per line (- for stdin).",
)
@report_options
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Repositories audited in parallel by local processes.",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help="Run one task per repository on this Dask scheduler's cluster instead.",
)
@click.option(
    "--cache-dir",
    metavar="DIR",
    help="Mirrors and the resume state [default: $KEYLEAK_CACHE_DIR/audit, else ~/.cache].",
)
@click.option(
    "--max-blob-size",
    type=Size(),
    default=None,
    help="Skip larger blobs [default: --max-file-size].",
)
@click.option("--no-fetch", is_flag=True, help="Audit existing mirrors as they are.")
@click.option(
    "--network-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=NETWORK_TIMEOUT,
    show_default=True,
    envvar="KEYLEAK_NETWORK_TIMEOUT",
    metavar="SECONDS",
    help="Give up a clone or fetch after this long without a word from the remote.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar on a terminal.")
def audit(
    targets: tuple[str, ...],
    list_file: str | None,
    jobs: int,
    scheduler: str | None,
    cache_dir: str | None,
    max_blob_size: int | None,
    no_fetch: bool,
    network_timeout: float,
    no_progress: bool,
    **options: Any,
) -> int:
    """Audit the history of many repositories: clone URLs, repository paths, directories of
    clones. Mirrors and results are cached: a repository whose refs did not move since the
    last audit is not scanned again. Exit 1 on findings, else 2 if a repository failed."""
    from scanner.commands.audit import audit_config, run_audit
    from scanner.commands.options import scan_options
    from scanner.org.coordinator import AuditOptions

    with audit_config(options["config_file"]) as config:
        settings = scan_options(options, jobs=1, config=config)
        return run_audit(
            settings,
            AuditOptions(
                targets=targets,
                list_file=list_file,
                jobs=jobs,
                scheduler=scheduler,
                cache_dir=cache_dir,
                max_blob_size=max_blob_size or settings.max_file_size,
                fetch=not no_fetch,
                progress=not no_progress,
                network_timeout=network_timeout,
            ),
        )


@cli.command("verify")
@click.argument("source", required=False, metavar="[REPORT]")
@declared(OUTPUT_OPTIONS)
@verify_options
def verify(source: str | None, **options: Any) -> int:
    """Verify the keys of a JSON report written with --no-redact, or of any text (default: stdin).

    Each key is sent only to its own provider, in one read-only request; the verdicts are
    printed as a report.
    """
    from scanner.commands.options import verify_settings
    from scanner.commands.verify import verify_input
    from scanner.config.settings import ScanOptions

    return verify_input(
        source,
        ScanOptions(
            format=options["format_name"],
            output=options["output"],
            redact=not options["no_redact"],
            verify=verify_settings(options),
            fail_on=options["fail_on"] or "any",
        ),
    )


@cli.group()
def rules() -> None:
    """List and check rule packs."""


@rules.command("list")
@click.option(
    "--services",
    is_flag=True,
    help="Print the services the rules detect, one per line, instead of the rules.",
)
@click.option(
    "--verifiable",
    is_flag=True,
    help="Print only the rules --verify can check: id, verifier, method and URL.",
)
def rules_list(services: bool, verifiable: bool) -> int:
    """List the rules: id, severity, provider, verifier, name."""
    from scanner.commands.rules import list_rules, list_services, list_verifiable

    if services and verifiable:
        raise click.UsageError("give --services or --verifiable, not both")
    if verifiable:
        return list_verifiable()
    return list_services() if services else list_rules()


@rules.command("show")
@click.argument("rule_id", metavar="ID")
def rules_show(rule_id: str) -> int:
    """Show one rule: its pattern, keywords, examples, remediation and verification."""
    from scanner.commands.rules import show_rule

    return show_rule(rule_id)


@rules.command("check")
@click.argument("files", nargs=-1, type=click.Path())
def rules_check(files: tuple[str, ...]) -> int:
    """Validate rule files (default: the shipped ones) and run all their examples."""
    from scanner.commands.rules import check_rules

    return check_rules(files)


@rules.command("import-gitleaks")
@click.argument("file", type=click.Path())
@click.option("--output", "-o", metavar="OUT", help="Write keyleak TOML to OUT (default stdout).")
def rules_import_gitleaks(file: str, output: str | None) -> int:
    """Convert a gitleaks config's [[rules]] to a keyleak rule file."""
    from scanner.commands.rules import import_gitleaks

    return import_gitleaks(file, output)


@cli.group("baseline")
def baseline_group() -> None:
    """Accept the secrets a repository already has, so that only new ones fail."""


def baseline_options(function: Any) -> Any:
    options = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option(
            "--from-history", is_flag=True, help="Scan every commit (keyleak history), not files."
        ),
        click.option("--config", "config_file", metavar="FILE", help="Read settings from FILE."),
        click.option(
            "--baseline",
            metavar="FILE",
            help="The baseline [default: the config's, else .keyleak-baseline.json at the root].",
        ),
        click.option("--max-file-size", type=Size(), default=None, help="Skip larger files."),
        click.option(
            "--engine", type=click.Choice(ENGINES), default="auto", help="Matching engine."
        ),
        click.option(
            "--jobs", "-j", type=click.IntRange(min=1), default=None, help="Files in parallel."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def baseline_settings(options: dict[str, Any]) -> tuple[Any, Any]:
    from scanner.commands.baseline import BaselineOptions
    from scanner.config.project import load_config
    from scanner.config.settings import ScanOptions
    from scanner.pipeline.run import default_jobs

    paths = options["paths"]
    config = load_config(options["config_file"], paths[0] if paths else None)
    scan = ScanOptions(
        max_file_size=config.file_size_limit(options["max_file_size"]),
        jobs=options["jobs"] or default_jobs(),
        engine=options["engine"],
        config=config,
        baseline=options["baseline"],
    )
    command = BaselineOptions(
        paths=paths,
        from_history=options["from_history"],
        output=options.get("output"),
        scope=options.get("scope") or "any",
        force=options.get("force", False),
    )
    return scan, command


SCOPE_HELP = "Entries match the secret anywhere (any) or only in the file it is in now (file)."


@baseline_group.command("create")
@baseline_options
@click.option("--output", "-o", metavar="FILE", help="Write here [default: --baseline's file].")
@click.option("--scope", type=click.Choice(["any", "file"]), default="any", help=SCOPE_HELP)
@click.option("--force", is_flag=True, help="Replace an existing baseline.")
def baseline_create(**options: Any) -> int:
    """Record every secret found now as known."""
    from scanner.commands.baseline import create

    return create(*baseline_settings(options))


@baseline_group.command("update")
@baseline_options
@click.option("--output", "-o", metavar="FILE", help="Write here [default: the baseline read].")
@click.option("--scope", type=click.Choice(["any", "file"]), default="any", help=SCOPE_HELP)
def baseline_update(**options: Any) -> int:
    """Add the secrets found now and not known yet; drop entries that match nothing."""
    from scanner.commands.baseline import update

    return update(*baseline_settings(options))


@baseline_group.command("check")
@baseline_options
def baseline_check(**options: Any) -> int:
    """List baseline entries that match nothing any more (exit 1 if there are any)."""
    from scanner.commands.baseline import check

    return check(*baseline_settings(options))


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> int:
    """Print a shell completion script (bash, zsh or fish).

    Load it from ~/.bashrc or ~/.zshrc with `source <(keyleak completion bash)` (or zsh), from
    fish's config with `keyleak completion fish | source`.
    """
    from click.shell_completion import get_completion_class

    complete = get_completion_class(shell)
    assert complete is not None  # click ships all three
    click.echo(complete(cli, {}, "keyleak", COMPLETION_VARIABLE).source())
    return ExitCode.CLEAN


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


def run_cli(args: list[str]) -> int:
    """Parse `args` and run the command; scanner.entry maps the errors it raises."""
    # click exits 1 when its reader stops early, which reads as "secrets found": with the
    # streams pacified the command runs to its end and returns its own code
    with pacified():
        try:
            code = cli.main(args=args, prog_name="keyleak", standalone_mode=False)
        except click.ClickException as exc:
            import io

            from scanner.redaction import masked_message

            # click quotes the value it rejected, which may be a key typed in the wrong place
            shown = io.StringIO()
            exc.show(file=shown)
            click.echo(masked_message(shown.getvalue()), err=True, nl=False)
            return exc.exit_code
        except click.exceptions.Abort:
            click.echo("keyleak: interrupted", err=True)
            return ExitCode.INTERRUPTED
    return int(code) if isinstance(code, int) else ExitCode.CLEAN
