"""The built wheel ships the rule packs inside the package, and an installed copy finds them.

Built and installed without network: no build isolation (hatchling is in this environment),
no index, no dependencies (click, regex and the rest come from this environment's
site-packages, which stays on sys.path of the subprocesses).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_process

ROOT = Path(__file__).resolve().parent.parent


def source_rules() -> list[Path]:
    return sorted((ROOT / "rules").glob("*.toml"))


def offline_pip_env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PIP_")}
    env.update(
        {
            "PIP_NO_INDEX": "1",
            "PIP_NO_CACHE_DIR": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_CONFIG_FILE": os.devnull,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    completed = run_process(args, cwd, env, timeout=180)
    assert completed.returncode == 0, f"{args}\n{completed.stdout}\n{completed.stderr}"
    return completed


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    pip = [sys.executable, "-m", "pip"]
    run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        cwd=out,
        env=offline_pip_env(),
    )
    wheels = list(out.glob("keyleak-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip"]
    run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        target,
        offline_pip_env(),
    )
    return target


def installed_env(site: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    env["PYTHONPATH"] = str(site)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_source_tree_has_rules() -> None:
    assert ROOT / "rules" / "openai.toml" in source_rules()


def test_wheel_ships_every_rule_pack_inside_the_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "scanner/rules/openai.toml" in names
        for source in source_rules():
            member = f"scanner/rules/{source.name}"
            assert member in names
            assert archive.read(member) == source.read_bytes()
        shipped = {name for name in names if name.startswith("scanner/rules/")}
    assert shipped == {f"scanner/rules/{source.name}" for source in source_rules()}
    assert "scanner/__main__.py" in names
    # the HTML report inlines these into its page
    assert {"scanner/report/html/report.css", "scanner/report/html/report.js"} <= names
    assert not any(name.startswith(("rules/", "tests/")) for name in names)


CHECK_INSTALLED = textwrap.dedent(
    """
    import runpy
    import sys
    from pathlib import Path

    site = Path(sys.argv[1]).resolve()
    expected = int(sys.argv[2])

    import scanner
    import scanner.rules

    package = Path(scanner.__file__).resolve().parent
    assert package == site / "scanner", package
    rules_dir = scanner.rules.builtin_rules_dir()
    assert rules_dir == site / "scanner" / "rules", rules_dir
    ruleset = scanner.rules.load_rules()
    assert len(ruleset.rules) == expected, len(ruleset.rules)
    assert all(Path(rule.source).resolve().parent == rules_dir for rule in ruleset.rules)
    assert any(rule.id == "openai-project-key" for rule in ruleset.rules)

    # exactly what `python -m scanner rules check` runs, from this installed copy
    sys.argv = ["keyleak", "rules", "check"]
    runpy.run_module("scanner", run_name="__main__", alter_sys=True)
    """
)


def test_installed_copy_loads_its_own_rules(installed: Path, tmp_path: Path) -> None:
    documents = [tomllib.loads(f.read_text("utf-8")) for f in source_rules()]
    # each family member is a rule of its own
    expected = sum(len(d.get("rules", [])) + len(d.get("members", [])) for d in documents)
    # -P keeps the working directory off sys.path; it is outside the source tree anyway
    completed = run_process(
        [sys.executable, "-P", "-c", CHECK_INSTALLED, str(installed), str(expected)],
        tmp_path,
        installed_env(installed),
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_python_m_scanner_rules_check_from_the_installed_copy(
    installed: Path, tmp_path: Path
) -> None:
    env = installed_env(installed)
    check = run([sys.executable, "-P", "-m", "scanner", "rules", "check"], tmp_path, env)
    assert check.returncode == 0
    listed = run([sys.executable, "-P", "-m", "scanner", "rules", "list"], tmp_path, env)
    assert "openai-project-key" in listed.stdout
    where = run(
        [sys.executable, "-P", "-c", "import scanner; print(scanner.__file__)"], tmp_path, env
    )
    assert Path(where.stdout.strip()).resolve().is_relative_to(installed.resolve())
