"""The documents tell the truth they can be checked for: every `keyleak …` command line parses
with the real CLI, every rule id they name exists, every relative link resolves (its anchor
too), and whatever the code cites lives in docs/.

What a command does when it runs is the other tests' business; here only that the command line
is one the CLI accepts. Placeholders (`FILE`, `[PATH...]`, `BASE..HEAD`) count as values. A
command in a code block must be whole; one quoted in the prose may name a command and some of
its options only (`keyleak history --range`), but those must exist.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml

from scanner.cli import cli
from scanner.match.checksums import CHECKS
from scanner.rule_format import ALPHABETS
from scanner.rules import FILTER_NAMES, HINT_NAMES, load_rules

ROOT = Path(__file__).resolve().parents[1]
BENCH_OUT = ROOT / "benchmarks" / "out"
DOCUMENTS = sorted(
    [
        ROOT / "README.md",
        ROOT / "CHANGELOG.md",
        ROOT / "CONTRIBUTING.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
#: where code may cite a document (test files hold paths like docs/a.md as data)
CITING = sorted(
    [
        *(ROOT / "scanner").rglob("*.py"),
        # not benchmarks/out/: the benchmarks' generated trees and downloaded packages
        *(p for p in (ROOT / "benchmarks").rglob("*.py") if not p.is_relative_to(BENCH_OUT)),
        *(path for path in (ROOT / "tests").glob("*.py") if not path.name.startswith("test_")),
        ROOT / "action.yml",
        ROOT / ".pre-commit-hooks.yaml",
        ROOT / "pyproject.toml",
        ROOT / ".ci" / "run",
    ]
)
FENCE = re.compile(r"^( *)```")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
#: kebab-case words the documents use that are neither rule ids nor the CLI's own words
WORDS = frozenset(
    {
        # HTTP headers and values the verification documents name
        "x-api-key",
        "x-goog-api-key",
        "api-key",
        "retry-after-ms",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-should-retry",
        "anthropic-version",
        "github-authentication-token-expiration",
        "us-east-1",
        # SARIF and JUnit vocabulary
        "security-severity",
        "system-out",
        # location kinds of the reports
        "commit-message",
        "tag-message",
        # a hard negative of the accuracy benchmark: a word that starts like an OpenAI key
        "sk-spinner",
    }
)


def document_id(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def blocks_and_prose(text: str) -> tuple[list[str], list[str]]:
    """The lines inside fenced code blocks, and the others."""
    code: list[str] = []
    prose: list[str] = []
    inside = False
    for line in text.splitlines():
        if FENCE.match(line):
            inside = not inside
            continue
        (code if inside else prose).append(line)
    return code, prose


# --------------------------------------------------------------------------- commands


def command_lines(text: str) -> Iterator[tuple[str, bool]]:
    """Every `keyleak …` command, and whether it must be whole: lines of code blocks (a shell's
    `$ `, a YAML list's `- ` and anything after `&&`, `;` or `|` taken off), and inline code in
    the prose."""
    code, prose = blocks_and_prose(text)
    for line in code:
        for segment in re.split(r"&&|\|\||;|\s\|\s", line):
            command = segment.strip().removeprefix("$ ").removeprefix("- ")
            words = command.split(maxsplit=1)
            if words and words[0].rsplit("/", 1)[-1] == "keyleak":
                yield command, True
    for line in prose:
        for span in INLINE_CODE.findall(line):
            if span.startswith("keyleak "):
                yield span, False


def arguments(line: str) -> list[str]:
    """The words after `keyleak`: a comment (`# …`, or text after two spaces) and redirections
    taken off."""
    line = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
    words = shlex.split(line, comments=True)[1:]
    return [word for word in words if not re.match(r"^\d?[<>]", word)]


def parse(args: list[str], whole: bool = True) -> None:
    """Parse `args` as click would, down the command groups, without running anything; not
    `whole`, missing arguments and option values are no error, unknown options still are."""
    command: click.Command = cli
    context: click.Context | None = None
    name = "keyleak"
    while isinstance(command, click.Group):
        context = command.make_context(
            name, list(args), parent=context, resilient_parsing=not whole
        )
        rest = [*context._protected_args, *context.args]
        if not rest or rest[0].isupper():  # `keyleak COMMAND --help`: any command
            return
        name, found, args = command.resolve_command(context, rest)
        assert found is not None, f"no command {rest[0]!r}"
        command = found
    if whole:
        command.make_context(name, list(args), parent=context)
        return
    options = {"--help", "-h"}
    for parameter in command.params:
        options.update(parameter.opts, parameter.secondary_opts)
    # a bare `-` is a path (standard input), not an option
    unknown = [
        word
        for word in args
        if word.startswith("-") and word != "-" and word.split("=")[0] not in options
    ]
    if unknown:
        raise click.NoSuchOption(unknown[0])


def every_command() -> list[tuple[str, str, bool]]:
    return [
        (document_id(path), line, whole)
        for path in DOCUMENTS
        for line, whole in command_lines(path.read_text(encoding="utf-8"))
    ]


def test_the_documents_show_commands() -> None:
    documents = {document for document, _, whole in every_command() if whole}
    assert {"README.md", "docs/commands.md", "docs/history.md", "docs/ci.md"} <= documents


@pytest.mark.parametrize(("document", "line", "whole"), every_command())
def test_every_command_line_parses(document: str, line: str, whole: bool) -> None:
    try:
        parse(arguments(line), whole)
    except (click.UsageError, AssertionError) as exc:
        pytest.fail(f"{document}: {line!r} does not parse: {exc}")


@pytest.mark.parametrize(
    "line",
    [
        "keyleak scan --no-such-option",
        "keyleak histroy .",
        "keyleak rules lsit",
        "keyleak baseline create|update|check",
    ],
)
def test_a_wrong_command_line_does_not_parse(line: str) -> None:
    for whole in (True, False):
        with pytest.raises((click.UsageError, AssertionError)):
            parse(arguments(line), whole)


def test_a_command_in_the_prose_may_leave_values_out() -> None:
    parse(arguments("keyleak history --range"), whole=False)
    parse(arguments("keyleak scan --format xml"), whole=False)
    for line in ("keyleak history --range", "keyleak scan --format xml"):
        with pytest.raises(click.UsageError):
            parse(arguments(line))


# --------------------------------------------------------------------------- rule ids


def known_words() -> frozenset[str]:
    """The CLI's own kebab-case words (commands, options, choices), the rules' vocabulary
    (checksums, filters, hints, format alphabets) and the GitHub Action's inputs and outputs."""
    words: set[str] = set(WORDS) | set(CHECKS) | FILTER_NAMES | HINT_NAMES | set(ALPHABETS)

    def visit(command: click.Command) -> None:
        for parameter in command.params:
            for option in (*parameter.opts, *parameter.secondary_opts):
                words.add(option.lstrip("-"))
            if isinstance(parameter.type, click.Choice):
                words.update(str(choice) for choice in parameter.type.choices)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                words.add(name)
                visit(sub)

    visit(cli)
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    words.update(action["inputs"], action["outputs"])
    return frozenset(words)


def rule_ids_named(text: str) -> Iterator[str]:
    """Rule ids as the documents write them: in JSON and TOML examples, in the text report's
    `[id, provider, severity]`, and as kebab-case code in the prose."""
    code, prose = blocks_and_prose(text)
    for line in code:
        yield from re.findall(r'"rule_id": "([^"]+)"', line)
        listed = re.match(r"\s*(?:enable|disable)\s*=\s*\[(.*)\]", line)
        if listed:
            yield from re.findall(r'"([^"]+)"', listed.group(1))
        yield from re.findall(r"\[([a-z0-9-]+), [a-z0-9-]+, (?:critical|high|medium|low)\]", line)
    for line in prose:
        yield from (span for span in INLINE_CODE.findall(line) if KEBAB.fullmatch(span))


def test_every_rule_id_the_documents_name_exists() -> None:
    from scanner.verify.registry import shipped_registry

    # verifier names (`--verify-host azure-openai=HOST`) are the documents' words too
    ids = {rule.id for rule in load_rules().rules} | set(shipped_registry().providers)
    words = known_words()
    unknown = [
        f"{document_id(path)}: {name}"
        for path in DOCUMENTS
        for name in rule_ids_named(path.read_text(encoding="utf-8"))
        if name not in ids and name not in words
    ]
    assert unknown == [], "neither a rule id nor a known word (fix the id, or add the word)"


def test_the_documents_name_rule_ids() -> None:
    ids = {rule.id for rule in load_rules().rules}
    named = {name for path in DOCUMENTS for name in rule_ids_named(path.read_text("utf-8"))}
    assert len(named & ids) >= 3


# --------------------------------------------------------------------------- links


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    _, prose = blocks_and_prose(path.read_text(encoding="utf-8"))
    for line in prose:
        heading = re.match(r"#{1,6} (.*)", line)
        if heading:
            base = slug(heading.group(1))
            name, count = base, 1
            while name in found:
                name, count = f"{base}-{count}", count + 1
            found.add(name)
    return found


def links(path: Path) -> Iterator[str]:
    _, prose = blocks_and_prose(path.read_text(encoding="utf-8"))
    for line in prose:
        for target in LINK.findall(line):
            if not re.match(r"[a-z]+:", target):
                yield target


def broken(source: Path, target: str) -> str | None:
    """Why a relative link from `source` does not resolve; None when it does."""
    file_part, _, anchor = target.partition("#")
    resolved = (source.parent / file_part).resolve() if file_part else source
    if not resolved.exists():
        return f"{target}: no such file"
    if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
        return f"{target}: no heading #{anchor} in {document_id(resolved)}"
    return None


def test_every_relative_link_resolves() -> None:
    problems = [
        f"{document_id(path)}: {problem}"
        for path in DOCUMENTS
        for target in links(path)
        if (problem := broken(path, target)) is not None
    ]
    assert problems == []


def test_a_broken_link_is_seen(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## Part one\n", encoding="utf-8")
    assert broken(page, "#part-one") is None
    assert broken(page, "#part-two") is not None
    assert broken(page, "missing.md") is not None


def test_the_readme_stays_short() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 300


# --------------------------------------------------------------------------- citations


def test_every_document_the_code_cites_exists() -> None:
    problems = []
    for path in CITING:
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"\bdocs/[\w./-]+\.md(?:#[\w-]+)?", text):
            if (problem := broken(ROOT / "any-file", target)) is not None:
                problems.append(f"{document_id(path)}: {problem}")
    assert problems == []


def test_the_code_cites_docs_not_the_readme_or_outside_files() -> None:
    stale = re.compile(r"README[,'\" ]+[A-Z\"']|providers\.md §|the README's")
    citing = [
        f"{document_id(path)}: {match.group(0)}"
        for path in CITING
        for match in stale.finditer(path.read_text(encoding="utf-8"))
    ]
    assert citing == []
