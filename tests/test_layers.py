"""The package's layers point one way, and no two modules import each other.

Every import in `scanner/` counts, those inside functions and under TYPE_CHECKING too: a lazy
import is still a dependency. A module may import from its own layer or any layer below it;
sibling packages of one layer only along the edges listed here. docs/ARCHITECTURE.md explains
the layers; change the two together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import scanner

PACKAGE = Path(scanner.__file__).parent

#: top to bottom; a name stands for the module and everything below it
LAYERS: tuple[tuple[str, ...], ...] = (
    ("scanner.__main__", "scanner.entry", "scanner.cli", "scanner.ci", "scanner.error_handler"),
    ("scanner.commands", "scanner.org"),
    ("scanner.pipeline",),
    ("scanner.sources", "scanner.match", "scanner.policy", "scanner.verify", "scanner.report"),
    ("scanner.config",),
    ("scanner.git", "scanner.rules", "scanner.redaction"),
    # the commit hook's diff, started before anything else is imported
    ("scanner.git_early",),
    # what rule files may declare beyond a rule: families of services, a secret's shape
    ("scanner.rule_families",),
    ("scanner.rule_format",),
    ("scanner.util",),
    ("scanner.model", "scanner.errors", "scanner"),
)
#: imports between sibling units of one layer, importer first
SIBLING_EDGES = frozenset(
    {
        # `keyleak audit` is the organisation audit's command
        ("scanner.commands", "scanner.org"),
        # the placeholder filter of generic rules is applied as they are confirmed
        ("scanner.match", "scanner.policy"),
        # the hook's fast path and the click CLI share one error handler
        ("scanner.entry", "scanner.error_handler"),
        ("scanner.cli", "scanner.error_handler"),
        ("scanner.__main__", "scanner.entry"),
        # everything else uses the hook's fast path only through `main`
        ("scanner.entry", "scanner.cli"),
        # a declared check skips a key that fails its offline checksum, as GitHub's module did
        ("scanner.verify", "scanner.match"),
    }
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The package's modules that `name` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from scanner.match import confirm` imports the module scanner.match.confirm
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        yield from (target for target in targets if target in known and target != name)


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: set(imported(name, path, known)) for name, path in found.items()}


def unit_of(name: str) -> tuple[int, str]:
    """The layer of a module, and the unit (package or module) of that layer holding it."""
    best: tuple[int, str] | None = None
    for index, layer in enumerate(LAYERS):
        for unit in layer:
            if (name == unit or name.startswith(unit + ".")) and (
                best is None or len(unit) > len(best[1])
            ):
                best = (index, unit)
    assert best is not None, f"{name} belongs to no layer: add it to LAYERS"
    return best


def test_every_module_has_a_layer() -> None:
    for name in modules():
        unit_of(name)


def test_no_module_imports_from_a_higher_layer_or_across_a_layer_unasked() -> None:
    wrong = []
    for importer, targets in graph().items():
        layer, unit = unit_of(importer)
        for target in sorted(targets):
            target_layer, target_unit = unit_of(target)
            if target_layer < layer:
                wrong.append(f"{importer} -> {target} (a higher layer)")
            elif (
                target_layer == layer
                and target_unit != unit
                and (unit, target_unit) not in SIBLING_EDGES
            ):
                wrong.append(f"{importer} -> {target} (a sibling, not in SIBLING_EDGES)")
    assert wrong == []


def test_no_import_cycle() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(edges[name]):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name)
    assert [" -> ".join(cycle) for cycle in cycles] == []


def test_module_names_are_unique_outside_commands() -> None:
    """`commands/X.py` is `keyleak X`; elsewhere a name says what one module does."""
    seen: dict[str, list[str]] = {}
    for name in modules():
        if name.startswith("scanner.commands.") or name.rpartition(".")[2] in ("scanner",):
            continue
        if (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists():
            continue  # a package
        seen.setdefault(name.rpartition(".")[2], []).append(name)
    assert {base: names for base, names in seen.items() if len(names) > 1} == {}


@pytest.mark.parametrize("unit", [unit for layer in LAYERS for unit in layer])
def test_every_layer_unit_exists(unit: str) -> None:
    assert unit in modules(), f"{unit} is in LAYERS but not in the package"
