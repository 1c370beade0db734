from __future__ import annotations

from pathlib import Path

import pytest
import regex

from scanner.config import gitleaks
from scanner.config.gitleaks import Untranslatable, parse_ignore_line, translate_regex
from scanner.rules import parse_files
from tests.cli_helpers import keyleak, scan_json, write
from tests.conftest import git
from tests.keys import HEX, random_text

LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def secrets_of(pattern: str, text: str) -> list[str]:
    compiled = regex.compile(pattern.encode())
    return [m.group("secret").decode() for m in compiled.finditer(text.encode())]


# --------------------------------------------------------------------------- regex translation


def test_flags_in_the_middle_apply_to_the_rest_of_their_group_across_alternatives() -> None:
    pattern = translate_regex("x(?i)ab|cd").pattern
    assert secrets_of(pattern, "xAB") == ["xAB"]
    assert secrets_of(pattern, "CD") == ["CD"]
    assert secrets_of(pattern, "XAB") == []


def test_flags_end_with_their_group() -> None:
    pattern = translate_regex("(?:a(?i)b)c").pattern
    assert secrets_of(pattern, "aBc") == ["aBc"]
    assert secrets_of(pattern, "aBC") == []


def test_flag_groups_and_clearing() -> None:
    pattern = translate_regex("(?i)ab(?-i)cd").pattern
    assert secrets_of(pattern, "ABcd") == ["ABcd"]
    assert secrets_of(pattern, "ABCD") == []


def test_end_of_text_and_named_groups() -> None:
    pattern = translate_regex(r"key=(?<value>[a-z]{4})\z", secret_group=1).pattern
    assert secrets_of(pattern, "key=abcd") == ["abcd"]
    assert secrets_of(pattern, "key=abcd\n") == []


def test_posix_classes_and_quoted_literals() -> None:
    pattern = translate_regex(r"\Q$x.y\E=([[:alpha:][:digit:]_]{5})").pattern
    assert secrets_of(pattern, "$x.y=ab1_Z") == ["ab1_Z"]
    assert secrets_of(pattern, "$xzy=ab1_Z") == []


def test_secret_group_picks_the_numbered_group() -> None:
    pattern = translate_regex(r"(user)=(\w+):(\w+)", secret_group=3).pattern
    assert secrets_of(pattern, "user=alice:s3cret") == ["s3cret"]


def test_without_groups_the_whole_match_is_the_secret() -> None:
    assert secrets_of(translate_regex(r"tok_[0-9]{4}").pattern, "a tok_1234 b") == ["tok_1234"]


@pytest.mark.parametrize(
    ("go", "reason"),
    [
        (r"\C+", r"\C"),
        (r"\pL+", "Unicode class"),
        (r"(?U)a+", "ungreedy"),
        (r"[[:^alpha:]]", "POSIX class"),
        (r"(a", "unbalanced"),
        (r"(?=a)", "group syntax"),
    ],
)
def test_untranslatable_constructs_are_named(go: str, reason: str) -> None:
    with pytest.raises(Untranslatable, match=regex.escape(reason)):
        translate_regex(go)


def test_secret_group_beyond_the_groups_is_untranslatable() -> None:
    with pytest.raises(Untranslatable, match="secretGroup 3"):
        translate_regex("(a)(b)", secret_group=3)


def test_required_literals_become_keywords() -> None:
    assert translate_regex(r"(?i)acme[_-]?key=(\w+)").literals == ["acme", "key="]
    assert translate_regex(r"ab+c").literals == ["ab", "c"]
    assert translate_regex(r"abc|def").literals == []


# --------------------------------------------------------------------------- rules

GITLEAKS_CONFIG = """
title = "team rules"

[extend]
useDefault = true

[allowlist]
paths = ['''(^|/)testdata/''']

[[rules]]
id = "Acme_API_Key"
description = "ACME API key"
regex = '''(?i)acme[_-]?key\\s*=\\s*['"]?([a-z0-9]{32})['"]?'''
secretGroup = 1
entropy = 3.0
keywords = ["acme"]
tags = ["custom"]
[[rules.allowlists]]
regexes = ['''^0+$''']
stopwords = ["example"]

[[rules]]
id = "internal-token"
description = "Internal service token"
regex = '''itok_[0-9a-f]{24}'''
path = '''\\.cfg$'''

[[rules]]
id = "any-byte"
regex = '''\\C{8}'''
keywords = ["x"]

[[rules]]
id = "only-a-path"
path = '''id_rsa$'''
"""


def test_convert_maps_every_supported_field(tmp_path: Path) -> None:
    imported = gitleaks.parse(GITLEAKS_CONFIG.encode(), "gl.toml")
    by_id = {rule.id: rule for rule in imported.rules}
    assert set(by_id) == {"acme-api-key", "internal-token"}
    acme = by_id["acme-api-key"]
    assert acme.min_entropy == 3.0
    assert acme.keywords == ("acme",)
    assert acme.examples == () and acme.negative_examples == ()
    assert "(?i:example)" in acme.allow
    assert acme.path is not None and regex.search(acme.path, "src/testdata/x.py") is None
    assert regex.search(acme.path, "src/app.py") is not None
    token = by_id["internal-token"]
    assert token.keywords == ("itok_",)
    assert token.path is not None
    assert regex.search(token.path, "deploy/a.cfg") and not regex.search(token.path, "a.py")
    assert imported.skipped == 2
    problems = "\n".join(imported.problems)
    assert "gl.toml: any-byte: skipped: cannot translate" in problems
    assert "gl.toml: only-a-path: skipped" in problems
    assert "[extend] ignored" in problems


def test_imported_rules_find_secrets_and_honour_path_and_allowlists(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, ".gitleaks.toml", GITLEAKS_CONFIG)
    write(repo, ".keyleak.toml", 'gitleaks_config = ".gitleaks.toml"\n')
    acme = random_text(32, LOWER_ALNUM)
    token = "itok_" + random_text(24, HEX)
    write(repo, "app.py", f"ACME_KEY = '{acme}'\nother = '{token}'\n")
    write(repo, "deploy/service.cfg", f"TOKEN={token}\n")
    write(repo, "testdata/fixture.py", f"acme_key = '{acme}'\n")
    write(repo, "zeros.py", f"acme_key = '{'0' * 32}'\nacme_key='example{random_text(25)}'\n")
    outcome = scan_json(capsys, repo, ".")
    assert outcome.code == 1
    found = {(f["location"]["path"], f["rule_id"], f["secret"]) for f in outcome.findings()}
    assert found == {
        ("app.py", "acme-api-key", acme),
        ("deploy/service.cfg", "internal-token", token),
    }
    assert "any-byte: skipped" in outcome.err


def test_import_writes_keyleak_toml_that_loads_and_scans(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "gl.toml", GITLEAKS_CONFIG)
    outcome = keyleak(capsys, repo, "rules", "import-gitleaks", "gl.toml", "-o", "team.toml")
    assert outcome.code == 2  # two rules could not be imported; the others are written
    assert "imported 2 of 4 rules" in outcome.err
    assert "any-byte: skipped" in outcome.err
    output = repo / "team.toml"
    rules, problems = parse_files([(output, output.read_bytes())])
    assert problems == []
    assert {rule.id for rule in rules} == {"acme-api-key", "internal-token"}
    checked = keyleak(capsys, repo, "rules", "check", str(output))
    assert checked.code == 0, checked.err
    write(repo, ".keyleak.toml", 'rules = ["team.toml"]\n')
    acme = random_text(32, LOWER_ALNUM)
    write(repo, "src/app.py", f"acme_key = '{acme}'\n")
    assert scan_json(capsys, repo, "src").secrets() == {acme}


def test_import_skips_ids_keyleak_already_has(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        repo,
        "gl.toml",
        "[[rules]]\nid = 'openai-project-key'\nregex = '''sk-proj-[a-z]{10}'''\n"
        "[[rules]]\nid = 'mine'\nregex = '''mine_[a-z]{10}'''\n",
    )
    outcome = keyleak(capsys, repo, "rules", "import-gitleaks", "gl.toml")
    assert outcome.code == 2
    assert "openai-project-key: skipped: keyleak has a built-in rule" in outcome.err
    assert "id = 'mine'" in outcome.out
    assert "openai-project-key" not in outcome.out


def test_a_file_with_no_importable_rule_is_an_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "gl.toml", "[[rules]]\nid = 'bad'\nregex = '''\\C'''\nkeywords = ['x']\n")
    outcome = keyleak(capsys, repo, "rules", "import-gitleaks", "gl.toml")
    assert outcome.code == 2
    assert "no rule could be imported" in outcome.err


# --------------------------------------------------------------------------- .gitleaksignore


def test_ignore_lines_parse() -> None:
    sha = "a" * 40
    plain = parse_ignore_line("src/app.py:generic-api-key:12")
    assert plain is not None
    assert (plain.commit, plain.path, plain.rule_id, plain.line) == (
        None,
        "src/app.py",
        "generic-api-key",
        12,
    )
    with_commit = parse_ignore_line(f"{sha}:dir/a:b.py:Custom_Rule:3")
    assert with_commit is not None
    assert (with_commit.commit, with_commit.path, with_commit.rule_id, with_commit.line) == (
        sha,
        "dir/a:b.py",
        "custom-rule",
        3,
    )
    assert parse_ignore_line("not an entry") is None


def test_gitleaksignore_silences_the_listed_finding(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.keys import openai_key

    listed, other = openai_key(), openai_key()
    write(repo, "sub/a.py", f"x = 1\nk = '{listed}'\nj = '{other}'\n")
    write(repo, ".gitleaksignore", "# from gitleaks\nsub/a.py:openai-project-key:2\n")
    git(repo, "add", ".")
    outcome = scan_json(capsys, repo / "sub", ".")
    assert outcome.secrets() == {other}
    assert outcome.report()["stats"]["suppressed"] == 1
