"""The pre-commit hook's process imports only what a clean commit needs.

`keyleak staged` runs on every commit, so its start-up is most of its time: modules that only
some runs need (click, the config parser, the baseline, verification, other report formats,
the process pool) must be imported by the code that uses them, never at module level on its
path. Each test runs the hook as git does, in a fresh interpreter, and reads `sys.modules` as
the process exits.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.commands.options import HOOK_OPTIONS
from tests.conftest import git, run_process
from tests.keys import openai_key

#: prints the names in sys.modules to the file named by its first argument when the process
#: exits, then runs keyleak with the remaining arguments as the hook script does (`-m scanner`)
PROBE = """\
import atexit, runpy, sys
out = sys.argv.pop(1)
def dump():
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("\\n".join(sorted(sys.modules)))
atexit.register(dump)
sys.argv[0] = "keyleak"
runpy.run_module("scanner", run_name="__main__", alter_sys=True)
"""

#: never on the path of a clean commit without a config or a baseline
NEVER = (
    "click",
    "httpx",
    "httpcore",
    "rich",
    "tomllib",
    "git",  # GitPython
    "concurrent.futures",
    "multiprocessing",
    "scanner.cli",
    "scanner.policy.allowlist",
    "scanner.policy.baseline",
    "scanner.config.globs",
    "scanner.config.gitleaks",
    "scanner.verify.runner",
    "scanner.verify.transport",
    "scanner.verify.verdict_cache",
    "scanner.verify.providers",
    "scanner.verify.registry",
    "scanner.report.json_format",
    "scanner.report.jsonl_format",
    "scanner.report.sarif_format",
    "scanner.report.csv_format",
    "scanner.report.junit_format",
    # dataclasses imports it only to describe a class without a docstring (scanner.entry)
    "inspect",
    "ast",
    "dis",
    "tokenize",
    # OpenSSL, for a few short cache keys (scanner.util.sha256)
    "_hashlib",
    # pathlib imports it only to make a `file:` URI (scanner.entry)
    "urllib.parse",
    "ipaddress",
    # a temporary file holds git's stderr only where its output is streamed (scanner.git)
    "tempfile",
    # its constants are a few bytes literals (scanner.match.decoding)
    "string",
    # the values a clean commit makes are `@frozen`: no dataclass is made (scanner.model)
    "dataclasses",
    "copy",
    # the rules no database holds are a line of numbers (scanner.match.database_cache)
    "json",
)


def imported_by(cwd: Path, tmp_path: Path, *args: str) -> tuple[set[str], int, str]:
    """The modules `python -m scanner ARGS` had imported at exit, its exit code and stderr."""
    out = tmp_path / "modules.txt"
    command = [sys.executable, "-P", "-c", PROBE, str(out), *args]
    completed = run_process(command, cwd, dict(os.environ))
    modules = set(out.read_text(encoding="utf-8").splitlines())
    return modules, completed.returncode, completed.stderr


def commit_all(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start")


@pytest.fixture
def clean_commit(repo: Path) -> Path:
    """A repository with a staged change that has no secret and no rule keyword."""
    (repo / "app.py").write_text("print(1)\n", encoding="utf-8")
    commit_all(repo)
    (repo / "app.py").write_text("print(1)\nprint(2 + 3)\n", encoding="utf-8")
    git(repo, "add", "app.py")
    return repo


def hook_modules(repo: Path, tmp_path: Path) -> set[str]:
    # the first run fills the cache (rules, the Hyperscan database): that is not every commit
    for _ in range(2):
        modules, code, err = imported_by(repo, tmp_path, "staged")
        assert code == 0, err
    assert "scanner.commands.staged" in modules  # the probe did see keyleak run
    return modules


def test_a_clean_commit_imports_none_of_the_optional_modules(
    clean_commit: Path, tmp_path: Path
) -> None:
    modules = hook_modules(clean_commit, tmp_path)
    present = sorted(
        name for name in modules if any(name == m or name.startswith(m + ".") for m in NEVER)
    )
    assert present == []
    # the verification settings and the exit policy live in config/ and policy/
    assert not {name for name in modules if name.startswith("scanner.verify")}


def test_a_commit_with_a_secret_loads_no_openssl(repo: Path, tmp_path: Path) -> None:
    """A finding's fingerprint is a short SHA-256: CPython's own, as for the cache keys."""
    (repo / "app.py").write_text("print(1)\n", encoding="utf-8")
    commit_all(repo)
    (repo / "app.py").write_text(f'OPENAI_API_KEY = "{openai_key()}"\n', encoding="utf-8")
    git(repo, "add", "app.py")
    for _ in range(2):  # the first run fills the cache
        modules, code, err = imported_by(repo, tmp_path, "staged")
    assert code == 1, err
    assert "scanner.redaction" in modules  # the finding was fingerprinted
    assert "_hashlib" not in modules


def test_a_commit_without_rule_keywords_compiles_no_rule_regex(
    clean_commit: Path, tmp_path: Path
) -> None:
    """Hyperscan finds no candidate rule: no rule regex is compiled, `regex` is never loaded."""
    pytest.importorskip("hyperscan")
    modules = hook_modules(clean_commit, tmp_path)
    assert {"regex", "scanner.match.confirm", "scanner.policy.placeholders"}.isdisjoint(modules)


def test_a_config_file_and_a_baseline_are_read_only_when_needed(
    clean_commit: Path, tmp_path: Path
) -> None:
    """With a config (its parsed form cached after the first run) and a baseline but no
    finding, neither the TOML parser nor the baseline code is imported."""
    (clean_commit / ".keyleak.toml").write_text('fail_on = "any"\n', encoding="utf-8")
    (clean_commit / ".keyleak-baseline.json").write_text("not even JSON", encoding="utf-8")
    modules = hook_modules(clean_commit, tmp_path)
    assert {"tomllib", "scanner.policy.baseline", "click"}.isdisjoint(modules)


def test_a_commit_through_the_framework_imports_no_more_than_a_bare_hook(
    clean_commit: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pre-commit hands the hook the staged file names after `--`; git sets GIT_INDEX_FILE in a
    commit. The fast path still applies, and neither the work tree reader nor the range scan is
    imported; the staged diff, started first (scanner.git_early), needs neither `scanner.git`
    nor `subprocess`."""
    monkeypatch.setenv("GIT_INDEX_FILE", str(clean_commit / ".git" / "index"))
    for _ in range(2):
        modules, code, err = imported_by(clean_commit, tmp_path, "staged", "--", "app.py")
        assert code == 0, err
    assert "scanner.commands.staged" in modules
    present = sorted(
        name for name in modules if any(name == m or name.startswith(m + ".") for m in NEVER)
    )
    assert present == []
    assert {
        "scanner.sources.worktree",
        "scanner.commands.history",
        "scanner.pipeline.range_scan",
        "scanner.git",
        "subprocess",
        "selectors",
        "locale",
    }.isdisjoint(modules)


def test_files_named_outside_a_commit_are_read_without_the_tree_walk(
    clean_commit: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pre-commit run --files F` (and the framework's hook run by hand) names files outside a
    commit: they are read whole, by name, without the directory walk's module, its dataclasses
    (with `inspect`) or the path globs a config without an allowlist never needs; at the top
    of a work tree, where git runs its hooks, no git is run, nor its module imported."""
    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    for _ in range(2):
        modules, code, err = imported_by(clean_commit, tmp_path, "staged", "--", "app.py")
        assert code == 0, err
    present = sorted(
        name for name in modules if any(name == m or name.startswith(m + ".") for m in NEVER)
    )
    assert present == []
    assert {"scanner.sources.worktree", "scanner.git", "subprocess"}.isdisjoint(modules)
    assert "scanner.sources.named_files" in modules  # the named file was read


#: runs keyleak as the hook script does, with an object that prints when the interpreter is torn
#: down (its module cleared), and an exit handler that prints how many collections of each
#: garbage collector generation ran since the hook's command started, which of the model's
#: classes were made dataclasses, and how many rules had their details read
TEARDOWN_PROBE = """\
import atexit, gc, runpy, sys
import scanner.entry, scanner.rules
details = scanner.rules.rule_details
read = []
def counted_details(cached):
    read.append(1)
    return details(cached)
scanner.rules.rule_details = counted_details
class Teardown:
    def __del__(self):
        sys.stderr.write("torn down\\n")
witness = Teardown()
def counts():
    return [generation["collections"] for generation in gc.get_stats()]
started = []
hook = scanner.entry.run_hook
def counted(names=()):
    # from a clean slate: collections the interpreter's own start-up had counted towards the
    # next older generation would otherwise be charged to the hook
    gc.collect()
    started.extend(counts())
    return hook(names)
scanner.entry.run_hook = counted
def report():
    since = [now - before for now, before in zip(counts(), started)]
    sys.stderr.write(f"collections: {' '.join(map(str, since))}\\n")
    # a `@frozen` class is a dataclass once its fields are (before, they are a stand-in)
    made = sorted(
        f"{module.__name__}.{name}"
        for module in list(sys.modules.values())
        if getattr(module, "__name__", "").startswith("scanner")
        for name, value in vars(module).items()
        if isinstance(value, type) and value.__module__ == module.__name__
        and isinstance(vars(value).get("__dataclass_fields__"), dict)
    )
    frozen = sorted(
        name for name, value in vars(sys.modules["scanner.model"]).items()
        if isinstance(value, type) and "__dataclass_fields__" in vars(value)
    )
    sys.stderr.write(f"dataclasses: {' '.join(made)}\\n")
    sys.stderr.write(f"frozen: {' '.join(frozen)}\\n")
    sys.stderr.write(f"details read: {len(read)}\\n")
    # typing.NamedTuple turns each annotation into a ForwardRef, compiling its string
    checked = sorted(
        f"{module.__name__}.{name}"
        for module in list(sys.modules.values())
        if getattr(module, "__name__", "").startswith("scanner")
        for name, value in vars(module).items()
        if isinstance(value, type) and value.__module__ == module.__name__
        and any(
            type(kind).__name__ == "ForwardRef"
            for kind in vars(value).get("__annotations__", {}).values()
        )
    )
    sys.stderr.write(f"annotations checked: {' '.join(checked)}\\n")
atexit.register(report)
sys.argv = ["keyleak", "staged"]
runpy.run_module("scanner", run_name="__main__", alter_sys=True)
"""


def probed_hook(repo: Path) -> str:
    """Stderr of a hook run (the second: the first fills the cache) under TEARDOWN_PROBE."""
    command = [sys.executable, "-P", "-c", TEARDOWN_PROBE]
    for _ in range(2):
        completed = run_process(command, repo, dict(os.environ))
        assert completed.returncode == 0, completed.stderr
    assert "no secrets found" in completed.stdout  # the report still reaches its stream
    return completed.stderr


def test_the_hook_ends_without_tearing_the_interpreter_down(clean_commit: Path) -> None:
    """Its exit handlers run (they print the counts), but no module is cleared."""
    err = probed_hook(clean_commit)
    assert "collections: " in err
    assert "torn down" not in err


#: runs `keyleak ARGS...` as its script does, with an object that prints when the interpreter
#: is torn down; with --lingering-thread, a thread that runs until the interpreter starts to end
COMMAND_PROBE = """\
import runpy, sys, threading, time
class Teardown:
    def __del__(self):
        sys.stderr.write("torn down\\n")
witness = Teardown()
if sys.argv[1] == "--lingering-thread":
    del sys.argv[1]
    def linger():
        threading.main_thread().join()  # returns as the interpreter starts to end
        time.sleep(0.05)
    threading.Thread(target=linger, name="lingering").start()
sys.argv[0] = "keyleak"
runpy.run_module("scanner", run_name="__main__", alter_sys=True)
"""


def probed_command(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    completed = run_process(
        [sys.executable, "-P", "-c", COMMAND_PROBE, *args], cwd, dict(os.environ)
    )
    assert completed.returncode in (0, 1), completed.stderr
    return completed


def test_every_command_ends_without_tearing_the_interpreter_down(clean_commit: Path) -> None:
    """A scan's report reaches its stream and its exit code is kept, but no module is cleared
    (about a tenth of a tree scan's time)."""
    completed = probed_command(clean_commit, "scan", ".")
    assert "no secrets found" in completed.stdout
    assert completed.returncode == 0
    assert "torn down" not in completed.stderr


def test_a_command_leaves_a_running_thread_to_end_as_python_would(clean_commit: Path) -> None:
    """The interpreter waits for a thread that is not a daemon before it ends: so does keyleak,
    through the usual teardown."""
    completed = probed_command(clean_commit, "--lingering-thread", "scan", ".")
    assert "no secrets found" in completed.stdout
    assert "torn down" in completed.stderr


def test_the_garbage_collector_rests_while_the_hook_starts(clean_commit: Path) -> None:
    """Start-up makes objects and frees next to none: no collection walks them all, and a
    clean commit leaves the older generations untouched."""
    [counts] = [line for line in probed_hook(clean_commit).splitlines() if "collections" in line]
    young, middle, old = (int(n) for n in counts.split(": ")[1].split())
    assert (middle, old) == (0, 0)
    assert young < 10


def test_a_clean_commit_makes_no_dataclass(clean_commit: Path) -> None:
    """Each costs about half a millisecond to create: the values a commit makes (its options,
    rules, chunks, results) are `@frozen`, made with a plain `__init__`."""
    lines = probed_hook(clean_commit).splitlines()
    [made] = [line for line in lines if line.startswith("dataclasses:")]
    [frozen] = [line for line in lines if line.startswith("frozen:")]
    # the probe does see the model's classes
    assert {"Rule", "Chunk", "Finding", "ScanResult"} <= set(frozen.split()[1:])
    assert made.split()[1:] == []


def test_a_clean_commit_reads_no_rules_details(clean_commit: Path) -> None:
    """Examples, descriptions and verification tables are for checking, describing and verifying
    rules: the hook leaves them in the rules cache's bytes."""
    assert "details read: 0" in probed_hook(clean_commit).splitlines()


def test_a_clean_commit_makes_its_named_tuples_without_checking_their_annotations(
    clean_commit: Path,
) -> None:
    """typing.NamedTuple compiles each field's annotation string into a ForwardRef (a quarter of
    a millisecond a class); `scanner.model.NamedTuple` makes the same classes without."""
    [checked] = [
        line for line in probed_hook(clean_commit).splitlines() if line.startswith("annotations")
    ]
    assert checked.split(": ", 1)[1] == ""


def test_dataclasses_imported_alone_still_reach_inspect_when_asked() -> None:
    """A dataclass without a docstring is described by its signature, through the stand-in."""
    script = (
        "import sys\n"
        "from scanner.model import dataclasses_module\n"
        "dataclasses_module()\n"
        "assert 'inspect' not in sys.modules\n"
        "import dataclasses\n"
        "@dataclasses.dataclass\n"
        "class Point:\n"
        "    x: int\n"
        "print(Point.__doc__, 'inspect' in sys.modules)\n"
    )
    completed = run_process([sys.executable, "-P", "-c", script], Path.cwd(), dict(os.environ))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["Point(x:", "int)", "True"]


def test_pathlib_imported_alone_still_makes_file_uris() -> None:
    """`Path.as_uri` reaches `urllib.parse` through the stand-in, which nothing else sees."""
    script = (
        "import sys\n"
        "from scanner.entry import import_pathlib_alone\n"
        "import_pathlib_alone()\n"
        "assert 'urllib.parse' not in sys.modules\n"
        "from pathlib import PurePosixPath\n"
        "print(PurePosixPath('/a b/c%').as_uri(), 'urllib.parse' in sys.modules)\n"
        "import urllib.parse\n"
        "print(urllib.parse.quote_from_bytes is not None, urllib.parse.__spec__ is not None)\n"
    )
    completed = run_process([sys.executable, "-P", "-c", script], Path.cwd(), dict(os.environ))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["file:///a%20b/c%25", "True", "True", "True"]


def test_a_failing_hook_exits_with_its_code_and_message(repo: Path, tmp_path: Path) -> None:
    """Nothing staged in a bare repository is an error: the fast exit keeps the code and the
    message."""
    bare = tmp_path / "bare.git"
    git(repo, "init", "-q", "--bare", str(bare))
    completed = run_process([sys.executable, "-P", "-m", "scanner", "staged"], bare, {**os.environ})
    assert completed.returncode == 2
    assert "a bare repository has no staged changes" in completed.stderr


def test_any_other_command_line_goes_through_click(clean_commit: Path, tmp_path: Path) -> None:
    """The probe sees what is imported: an option takes the click CLI and its JSON writer."""
    modules, code, err = imported_by(clean_commit, tmp_path, "staged", "--format", "json")
    assert code == 0, err
    assert {"click", "scanner.cli", "scanner.report.json_format"} <= modules


def test_the_hook_runs_with_the_options_click_gives_a_bare_staged() -> None:
    from scanner import cli

    context = cli.staged.make_context("staged", [])
    assert context.params == {"files": (), **HOOK_OPTIONS}


def test_every_dataclass_has_a_docstring() -> None:
    """Without one, `dataclass` works out a signature with `inspect` for its `__doc__` when the
    class is created: on the hook's path, every commit would pay for it."""
    import ast

    import scanner

    undocumented = []
    for path in sorted(Path(scanner.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ClassDef)
                and any(
                    ast.unparse(d).startswith("dataclass") or ast.unparse(d) == "frozen"
                    for d in node.decorator_list
                )
                and ast.get_docstring(node) is None
            ):
                undocumented.append(f"{path.name}: {node.name}")
    assert undocumented == []
