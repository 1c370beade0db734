from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scanner.config.globs import compile_globs, escape
from scanner.config.project import Config, load_config
from scanner.errors import ConfigError
from tests.cli_helpers import keyleak, scan_json, staged_json, write
from tests.conftest import git
from tests.keys import openai_key, random_text
from tests.repos import acme_rule


@pytest.mark.parametrize(
    ("patterns", "path", "is_dir", "expected"),
    [
        (["*.snap"], "a/b/x.snap", False, True),
        (["*.snap"], "a/b/x.snapshot", False, False),
        (["/build"], "build/out.js", False, True),
        (["/build"], "src/build/out.js", False, False),
        (["build"], "src/build/out.js", False, True),
        (["docs/"], "docs/a.md", False, True),
        (["docs/"], "docs", False, False),
        (["docs/"], "docs", True, True),
        (["tests/fixtures"], "tests/fixtures/deep/a.py", False, True),
        (["tests/fixtures"], "x/tests/fixtures/a.py", False, False),
        (["**/fixtures/**"], "tests/fixtures/a.py", False, True),
        (["**/fixtures/**"], "fixtures/a.py", False, True),
        (["a/**/b"], "a/b", False, True),
        (["a/**/b"], "a/x/y/b", False, True),
        (["a/**/b"], "a/x/y/bc", False, False),
        (["src/*.py"], "src/a.py", False, True),
        (["src/*.py"], "src/sub/a.py", False, False),
        (["file?.txt"], "file1.txt", False, True),
        (["file?.txt"], "file/.txt", False, False),
        (["[ab].txt"], "b.txt", False, True),
        (["[!ab].txt"], "b.txt", False, False),
        (["**"], "any/where/at/all.py", False, True),
        (["tests/**", "!tests/keep.py"], "tests/keep.py", False, False),
        (["tests/**", "!tests/keep.py"], "tests/drop.py", False, True),
        (["!x", "*.py"], "x", False, False),
    ],
)
def test_globs_follow_gitignore(
    patterns: list[str], path: str, is_dir: bool, expected: bool
) -> None:
    assert compile_globs(patterns).matches(path, is_dir) is expected


def test_escaped_path_matches_only_itself() -> None:
    globs = compile_globs([escape("dir/we[ir]d*.py")])
    assert globs.matches("dir/we[ir]d*.py")
    assert not globs.matches("dir/weid.py")
    assert compile_globs([escape("top.py")]).matches("top.py")
    assert not compile_globs([escape("top.py")]).matches("sub/top.py")


# --------------------------------------------------------------------------- finding the config


def test_keyleak_toml_at_the_root_is_found_from_a_subdirectory(repo: Path) -> None:
    write(repo, ".keyleak.toml", 'fail_on = "live"\n')
    (repo / "src" / "deep").mkdir(parents=True)
    config = load_config(None, str(repo / "src" / "deep"))
    assert config.fail_on == "live"
    assert config.root == repo.resolve()
    assert config.source == str(repo.resolve() / ".keyleak.toml")


def test_pyproject_table_is_used_without_keyleak_toml(repo: Path) -> None:
    write(repo, "pyproject.toml", '[project]\nname = "x"\n\n[tool.keyleak]\ndisable = ["a"]\n')
    assert load_config(None, str(repo)).disable == ("a",)


def test_pyproject_without_the_table_means_no_config(repo: Path) -> None:
    write(repo, "pyproject.toml", '[project]\nname = "x"\n')
    config = load_config(None, str(repo))
    assert config.source is None
    assert config == Config(root=config.root)


def test_keyleak_toml_wins_over_pyproject(repo: Path) -> None:
    write(repo, ".keyleak.toml", 'fail_on = "live"\n')
    write(repo, "pyproject.toml", '[tool.keyleak]\nfail_on = "unknown-or-live"\n')
    assert load_config(None, str(repo)).fail_on == "live"


def test_explicit_config_overrides_both(repo: Path, tmp_path: Path) -> None:
    write(repo, ".keyleak.toml", 'fail_on = "live"\n')
    other = write(tmp_path, "ci.toml", 'fail_on = "unknown-or-live"\n')
    assert load_config(str(other), str(repo)).fail_on == "unknown-or-live"


def test_every_option_is_read(repo: Path) -> None:
    write(
        repo,
        ".keyleak.toml",
        """
rules = ["ci/rules"]
enable = ["openai-project-key"]
disable = ["openai-admin-key"]
baseline = "known.json"
max_file_size = "2M"
fail_on = "unknown-or-live"
inline_ignores = false
gitleaks_config = ".gitleaks.toml"

[allow]
paths = ["vendor/", "**/*.snap"]
fingerprints = ["0123456789abcdef"]
secrets = ["^sk-test-"]

[verify]
enabled = true
concurrency = 3
per_provider = 1
cache_ttl = 60
""",
    )
    config = load_config(None, str(repo))
    root = repo.resolve()
    assert config.rules == (root / "ci/rules",)
    assert (config.enable, config.disable) == (("openai-project-key",), ("openai-admin-key",))
    assert config.baseline == root / "known.json"
    assert config.max_file_size == 2 * 1024 * 1024
    assert config.fail_on == "unknown-or-live"
    assert config.inline_ignores is False
    assert config.gitleaks_config == root / ".gitleaks.toml"
    assert config.allow_paths == ("vendor/", "**/*.snap")
    assert config.allow_fingerprints == ("0123456789abcdef",)
    assert config.allow_secrets == ("^sk-test-",)
    # read as written; applied only from a file the user names (tests/config/test_verify_sources)
    assert config.verify == {"enabled": True, "concurrency": 3, "per_provider": 1, "cache_ttl": 60}


def test_a_second_load_uses_the_parsed_cache(repo: Path) -> None:
    write(repo, ".keyleak.toml", 'disable = ["x"]\n')
    first = load_config(None, str(repo))
    assert load_config(None, str(repo)) == first


def test_only_a_config_that_passed_its_checks_is_cached_so_a_bad_one_fails_every_time(
    repo: Path,
) -> None:
    write(repo, ".keyleak.toml", '[allow]\npaths = ["vendor/", "/"]\n')
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"allow\.paths: '/': an empty pattern"):
            load_config(None, str(repo))


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("content", "key", "expected"),
    [
        ('fail_on = "sometimes"\n', "fail_on", "one of 'any', 'live', 'unknown-or-live'"),
        ('disable = "one-rule"\n', "disable", "a list of rule ids"),
        ('max_file_size = "lots"\n', "max_file_size", "a size like"),
        ("inline_ignores = 1\n", "inline_ignores", "true or false"),
        ("colour = true\n", "colour", "unknown key"),
        ("[allow]\npath = []\n", "allow.path", "unknown key"),
        ('[allow]\nfingerprints = ["xyz"]\n', "allow.fingerprints", "hex digits"),
        ('[allow]\nsecrets = ["("]\n', "allow.secrets", "not a valid regex"),
        ("allow = 3\n", "allow", "expected a table"),
    ],
)
def test_config_errors_name_the_file_the_key_and_what_was_expected(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str, key: str, expected: str
) -> None:
    config = write(repo, ".keyleak.toml", content)
    outcome = keyleak(capsys, repo, "scan", ".")
    assert outcome.code == 2
    assert f"{config.resolve()}: {key}" in outcome.err
    assert expected in outcome.err
    assert outcome.err.count("\n") == 1


def test_pyproject_errors_name_the_full_key(repo: Path) -> None:
    write(repo, "pyproject.toml", '[tool.keyleak]\nfail_on = "never"\n')
    with pytest.raises(ConfigError, match=r"pyproject\.toml: tool\.keyleak\.fail_on: expected"):
        load_config(None, str(repo))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("fail_on = \n", ".keyleak.toml: not valid TOML"),
        ('disable = ["no-such-rule"]\n', "disable: unknown rule id(s): no-such-rule"),
    ],
    ids=["invalid-toml", "unknown-rule-in-disable"],
)
def test_a_bad_config_file_is_a_config_error_that_names_the_problem(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    write(repo, ".keyleak.toml", content)
    outcome = keyleak(capsys, repo, "scan", ".")
    assert outcome.code == 2
    assert expected in outcome.err


# --------------------------------------------------------------------------- effects on scans


def test_path_allowlist_skips_files_and_directories(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [openai_key() for _ in range(4)]
    write(repo, "app.py", f"key = '{keys[0]}'\n")
    write(repo, "vendor/lib/x.py", f"key = '{keys[1]}'\n")
    write(repo, "ui/a.snap", f"key = '{keys[2]}'\n")
    write(repo, "tests/fixtures/a.py", f"key = '{keys[2]}'\n")
    write(repo, "tests/keep.py", f"key = '{keys[3]}'\n")
    write(repo, ".keyleak.toml", '[allow]\npaths = ["vendor/", "*.snap", "tests/**", "!keep.py"]\n')
    outcome = scan_json(capsys, repo, ".")
    assert outcome.code == 1
    assert outcome.secrets() == {keys[0], keys[3]}
    skipped = {s["path"] for s in outcome.report()["skipped"] if s["reason"] == "path allowlist"}
    assert skipped == {"vendor", "ui/a.snap", "tests/fixtures"}


def test_path_allowlist_is_relative_to_the_root_when_scanning_a_subdirectory(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    write(repo, "src/fixtures/x.py", f"key = '{key}'\n")
    write(repo, "src/app.py", "print(1)\n")
    write(repo, ".keyleak.toml", '[allow]\npaths = ["/src/fixtures/"]\n')
    assert scan_json(capsys, repo / "src", ".").code == 0
    assert scan_json(capsys, repo, "src").code == 0
    assert scan_json(capsys, repo / "src", "fixtures/x.py").code == 0


def test_path_allowlist_applies_to_staged_files(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [openai_key(), openai_key()]
    write(repo, "fixtures/x.py", f"key = '{keys[0]}'\n")
    write(repo, "app.py", f"key = '{keys[1]}'\n")
    write(repo, ".keyleak.toml", '[allow]\npaths = ["fixtures/"]\n')
    git(repo, "add", ".")
    outcome = staged_json(capsys, repo)
    assert outcome.code == 1
    assert outcome.secrets() == {keys[1]}


def test_secret_allowlist_by_fingerprint_and_regex(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [openai_key() for _ in range(4)]
    write(repo, "a.py", "\n".join(f"k{i} = '{key}'" for i, key in enumerate(keys)) + "\n")
    full = hashlib.sha256(b"openai-project-key\0" + keys[0].encode()).hexdigest()
    short = hashlib.sha256(b"openai-project-key\0" + keys[1].encode()).hexdigest()[:16]
    body = keys[2][len("sk-proj-") : len("sk-proj-") + 12]
    write(
        repo,
        ".keyleak.toml",
        f'[allow]\nfingerprints = ["{full}", "{short}"]\nsecrets = ["^sk-proj-{body}"]\n',
    )
    outcome = scan_json(capsys, repo, ".")
    assert outcome.secrets() == {keys[3]}
    assert outcome.report()["stats"]["suppressed"] == 3


def test_disable_and_enable_choose_the_rules(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, admin = openai_key(), openai_key("admin-")
    write(repo, "a.py", f"a = '{project}'\nb = '{admin}'\n")
    write(repo, ".keyleak.toml", 'disable = ["openai-project-key"]\n')
    assert scan_json(capsys, repo, ".").secrets() == {admin}
    write(repo, ".keyleak.toml", 'enable = ["openai-project-key"]\n')
    assert scan_json(capsys, repo, ".").secrets() == {project}


def test_extra_rule_files_are_loaded(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = "acme_" + random_text(32)
    write(repo, "ci/rules/acme.toml", acme_rule())
    write(repo, "app.py", f"token = '{token}'\n")
    write(repo, ".keyleak.toml", 'rules = ["ci/rules"]\n')
    outcome = scan_json(capsys, repo, "app.py")
    assert outcome.secrets() == {token}


def test_max_file_size_from_config_and_the_option_wins(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    write(repo, "big.py", f"key = '{key}'\n" + "#" * 3000 + "\n")
    write(repo, ".keyleak.toml", 'max_file_size = "1K"\n')
    outcome = scan_json(capsys, repo, "big.py")
    assert outcome.code == 0
    assert outcome.report()["skipped"][0]["reason"].startswith("larger than")
    assert scan_json(capsys, repo, "big.py", "--max-file-size", "1M").code == 1


def test_fail_on_from_config(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "a.py", f"key = '{openai_key()}'\n")
    write(repo, ".keyleak.toml", 'fail_on = "live"\n')
    outcome = scan_json(capsys, repo, ".")
    assert outcome.code == 0
    assert len(outcome.findings()) == 1
    assert scan_json(capsys, repo, ".", "--fail-on", "any").code == 1


def test_config_option_on_the_command_line(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = openai_key()
    write(repo, "a.py", f"key = '{key}'\n")
    other = write(tmp_path, "elsewhere.toml", '[allow]\npaths = ["a.py"]\n')
    assert scan_json(capsys, repo, ".").code == 1
    assert scan_json(capsys, repo, ".", "--config", str(other)).code == 0


OUTSIDE_PATHS = {
    "rules, up and out": 'rules = ["../elsewhere/rules.toml"]\n',
    "rules, absolute": 'rules = ["{outside}/rules.toml"]\n',
    "baseline, absolute": 'baseline = "{outside}/baseline.json"\n',
    "gitleaks config, up and out": 'gitleaks_config = "../elsewhere/gitleaks.toml"\n',
    "rules, through a link": 'rules = ["link/rules.toml"]\n',
}


@pytest.mark.parametrize("config", OUTSIDE_PATHS.values(), ids=list(OUTSIDE_PATHS))
def test_a_repository_config_cannot_name_a_file_outside_the_repository(
    config: str, tmp_path: Path
) -> None:
    # the scanned repository is data: its config reads nothing of the machine it runs on
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "link").symlink_to(outside)
    write(repo, ".keyleak.toml", config.format(outside=outside))
    with pytest.raises(ConfigError, match="outside the repository"):
        load_config(None, str(repo))


def test_a_config_the_user_names_may_name_files_anywhere(repo: Path, tmp_path: Path) -> None:
    mine = write(tmp_path, "mine.toml", f'baseline = "{tmp_path}/baseline.json"\n')
    assert load_config(str(mine), str(repo)).baseline == tmp_path / "baseline.json"


def test_a_repository_config_may_name_its_own_files(repo: Path) -> None:
    (repo / "sub").mkdir()
    write(repo, ".keyleak.toml", 'rules = ["sub/../sub/rules.toml"]\nbaseline = "b.json"\n')
    config = load_config(None, str(repo))
    assert config.baseline == repo / "b.json"
    assert config.rules == (repo / "sub/../sub/rules.toml",)
