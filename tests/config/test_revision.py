"""The project config as a commit holds it (range scans judge a range by its base's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.config.revision import materialize, snapshot
from scanner.errors import ConfigError
from tests.conftest import git
from tests.repos import commit


def test_a_pyproject_table_and_the_files_it_names_are_read_from_the_revision(
    repo: Path, tmp_path: Path
) -> None:
    pyproject = '[tool.keyleak]\nbaseline = "ci/known.json"\n[tool.keyleak.allow]\npaths = ["x"]\n'
    first = commit(repo, {"pyproject.toml": pyproject, "ci/known.json": "{}"}, "config")
    commit(repo, {"pyproject.toml": "[project]\nname = 'x'\n", "ci/known.json": "[]"}, "later")

    found = snapshot(str(repo), first, "main~1")
    config = materialize(found, tmp_path / "root")

    assert found.source == "pyproject.toml"
    assert found.files == {"ci/known.json": b"{}"}
    assert config.source == "main~1:pyproject.toml"
    assert config.allow_paths == ("x",)
    assert config.baseline == tmp_path / "root" / "ci" / "known.json"
    assert config.baseline.read_bytes() == b"{}"
    # the later commit's pyproject has no [tool.keyleak]: no config
    assert snapshot(str(repo), "HEAD").source is None


def test_a_linked_config_is_not_read(repo: Path) -> None:
    """A link in the tree is not a file: reading its target would reach outside the commit."""
    (repo / "elsewhere.toml").write_text('[allow]\npaths = ["*"]\n', encoding="utf-8")
    (repo / ".keyleak.toml").symlink_to("elsewhere.toml")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "linked config")

    assert snapshot(str(repo), "HEAD").source is None


def test_a_rules_entry_leaving_the_repository_is_an_error(repo: Path) -> None:
    commit(repo, {".keyleak.toml": 'rules = ["ci/../../outside"]\n'}, "config")
    with pytest.raises(ConfigError, match="names only files inside it"):
        snapshot(str(repo), "HEAD")
