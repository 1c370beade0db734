from __future__ import annotations

import marshal
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.entry import main
from scanner.errors import RuleError
from scanner.match.engine import build_matcher, hyperscan_available
from scanner.model import RULE_DETAILS, Example, FormatPart, Rule, Severity
from scanner.rules import RULE_ROW, load_rules, rules_entry
from scanner.util.disk_cache import cache_dir, read_entry, write_entry

SHIPPED = load_rules()
SHIPPED_CACHE = cache_dir()
ENGINES = ["regex", "hyperscan"] if hyperscan_available() else ["regex"]


def exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return int(exited.value.code or 0)


@pytest.fixture(scope="module", params=ENGINES)
def matcher(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return build_matcher(SHIPPED.rules, SHIPPED.digest, request.param)


@pytest.mark.parametrize("rule", SHIPPED.rules, ids=lambda r: r.id)
def test_every_example_yields_exactly_its_secret(rule: Rule, matcher) -> None:  # type: ignore[no-untyped-def]
    for example in rule.examples:
        found = [m.secret.decode() for m in matcher.scan(example.text.encode()).matches]
        assert example.secret in found, (rule.id, example.text)
        own = [
            m.secret.decode()
            for m in matcher.scan(example.text.encode()).matches
            if m.rule_id == rule.id
        ]
        assert own == [example.secret]


@pytest.mark.parametrize("rule", SHIPPED.rules, ids=lambda r: r.id)
def test_no_negative_example_matches_any_rule(rule: Rule, matcher) -> None:  # type: ignore[no-untyped-def]
    for negative in rule.negative_examples:
        assert matcher.scan(negative.encode()).matches == (), (rule.id, negative)


def test_shipped_rules_check_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["rules", "check"]) == 0
    assert f"{len(SHIPPED.rules)} rules OK" in capsys.readouterr().out


def test_rules_list_prints_every_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["rules", "list"]) == 0
    out = capsys.readouterr().out
    for rule in SHIPPED.rules:
        assert rule.id in out


def test_rules_list_has_a_header_row_and_says_what_is_verifiable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert exit_code(["rules", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "PROVIDER", "VERIFY", "NAME"]
    rows = {line.split()[0]: line.split() for line in lines[1:-1]}
    assert set(rows) == {rule.id for rule in SHIPPED.rules}
    for rule in SHIPPED.rules:
        assert rows[rule.id][3] == (rule.verify or "-")
    services = {rule.provider for rule in SHIPPED.rules if rule.kind == "service"}
    assert lines[-1] == f"{len(SHIPPED.rules)} rules, {len(services)} services"


def test_rules_show_prints_what_the_rule_is(capsys: pytest.CaptureFixture[str]) -> None:
    rule = SHIPPED.by_id()["openai-project-key"]
    assert exit_code(["rules", "show", rule.id]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{rule.id}: {rule.name}"
    assert rule.regex in out
    assert "keywords:" in out and all(keyword in out for keyword in rule.keywords)
    assert all(example.text in out for example in rule.examples)
    assert rule.remediation.split()[0] in out
    assert "verification: openai, https://api.openai.com" in out


def test_rules_show_of_a_rule_nobody_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["rules", "show", "dotenv-file"]) == 0
    out = capsys.readouterr().out
    assert "verification: none" in out
    assert "applies to: the file's path" in out


def test_rules_show_of_an_unknown_id_suggests_the_nearest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert exit_code(["rules", "show", "openai-projet-key"]) == 2
    err = capsys.readouterr().err
    assert "openai-projet-key: no such rule" in err
    assert "did you mean openai-project-key?" in err
    assert "Traceback" not in err


VALID_RULE = """
[[rules]]
id = "demo-token"
name = "Demo token"
provider = "demo"
description = "A token for tests."
regex = '''(?P<secret>demo_[a-z0-9]{12})'''
keywords = ["demo_"]
severity = "high"
remediation = "Rotate it."
examples = [{ text = "token = demo_abcdef123456", secret = "demo_abcdef123456" }]
negative_examples = ["token = demo_short"]
"""


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "custom.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_accepts_a_valid_custom_file(tmp_path: Path) -> None:
    assert exit_code(["rules", "check", str(write_rules(tmp_path, VALID_RULE))]) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('keywords = ["demo_"]', ""), "demo-token: missing required key 'keywords'"),
        (('severity = "high"', 'severity = "urgent"'), "demo-token: 'severity' must be one of"),
        (("(?P<secret>demo_", "(demo_"), "demo-token: 'regex' needs a named group"),
        (('provider = "demo"', 'provider = "demo"\ncolour = "red"'), "unknown key 'colour'"),
        (('secret = "demo_abcdef123456"', 'secret = "nope"'), "'secret' does not occur"),
        (('id = "demo-token"', 'id = "Demo Token"'), "'id' must be lowercase"),
        (
            ('keywords = ["demo_"]', 'keywords = ["demo_"]\nfilters = ["qoted"]'),
            "'filters' must be a list of filter names: file, placeholder "
            "(or of hint names: keyword-start, line, line-start, quoted)",
        ),
        (
            ('keywords = ["demo_"]', 'keywords = ["demo_"]\nhints = ["qoted"]'),
            "'hints' must be a list of hint names: keyword-start, line, line-start, quoted",
        ),
        (
            ('keywords = ["demo_"]', 'keywords = ["demo_"]\nhints = ["keyword-start"]'),
            "hints keyword-start, line-start need the 'line' hint too",
        ),
        (
            ('keywords = ["demo_"]', 'keywords = ["demo_"]\nfilters = ["keyword-start"]'),
            "hints keyword-start, line-start need the 'line' hint too",
        ),
        (('provider = "demo"', 'provider = "demo"\nkind = "kind"'), "'kind' must be one of"),
        (('provider = "demo"', 'provider = "demo"\norigin = "family"'), "'origin' must be one"),
        (('provider = "demo"', 'provider = "demo"\nreference = "demo.invalid"'), "https://"),
        (('provider = "demo"', 'provider = "demo"\naliases = ["demo-token"]'), "other rule ids"),
        (('provider = "demo"', 'provider = "demo"\nplant = ["x = 1"]'), "holding {secret}"),
        (('provider = "demo"', 'provider = "demo"\nformat = ["demo_", 12]'), "'format'[1]"),
    ],
)
def test_schema_errors_name_file_rule_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], message: str
) -> None:
    path = write_rules(tmp_path, VALID_RULE.replace(*change))
    assert exit_code(["rules", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: " in err
    assert message in err
    assert "Traceback" not in err


def test_a_rule_declares_its_shape_and_where_it_comes_from(tmp_path: Path) -> None:
    declared = VALID_RULE.replace(
        'provider = "demo"',
        'provider = "demo"\nservice = "demo-cloud"\nkind = "service"\norigin = "documented"\n'
        'reference = "https://demo.invalid/keys"\naliases = ["demo-key"]\n'
        'format = ["demo_", { alphabet = "alnum-lower", length = 12 }]\n'
        'plant = ["DEMO = {secret}"]',
    )
    rule = load_rules([write_rules(tmp_path, declared)]).by_id()["demo-token"]
    assert (rule.service, rule.kind, rule.origin) == ("demo-cloud", "service", "documented")
    assert rule.aliases == ("demo-key",)
    assert [part.alphabet for part in rule.format] == ["", "[a-z0-9]"]
    assert rule.plant == ("DEMO = {secret}",)
    cached = load_rules([write_rules(tmp_path, declared)]).by_id()["demo-token"]
    assert cached == rule


def test_hints_listed_under_filters_still_load_as_hints(tmp_path: Path) -> None:
    """Rule files from before `hints` existed listed them with the filters."""
    older = VALID_RULE.replace(
        'keywords = ["demo_"]', 'keywords = ["demo_"]\nfilters = ["placeholder", "line", "quoted"]'
    )
    (tmp_path / "older").mkdir()
    [rule] = load_rules([write_rules(tmp_path / "older", older)]).rules
    assert (rule.filters, rule.hints) == (("placeholder",), ("line", "quoted"))
    newer = VALID_RULE.replace(
        'keywords = ["demo_"]', 'keywords = ["demo_"]\nfilters = ["placeholder"]\nhints = ["line"]'
    )
    (tmp_path / "newer").mkdir()
    [rule] = load_rules([write_rules(tmp_path / "newer", newer)]).rules
    assert (rule.filters, rule.hints) == (("placeholder",), ("line",))


def test_failing_example_and_negative_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = VALID_RULE.replace(
        'negative_examples = ["token = demo_short"]', 'negative_examples = ["demo_zzzzzzzzzzzz"]'
    )
    broken = broken.replace(
        'text = "token = demo_abcdef123456"', 'text = "token = demo_abcdef123456 DEMO"'
    )
    broken = broken.replace("{12})'''", "{12})(?! DEMO)'''")
    assert exit_code(["rules", "check", str(write_rules(tmp_path, broken))]) == 2
    err = capsys.readouterr().err
    assert "demo-token: examples[0] should yield its secret, got nothing" in err
    assert "demo-token: negative_examples[0] matched" in err


def test_regex_that_does_not_compile_is_a_rule_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_rules(tmp_path, VALID_RULE.replace("[a-z0-9]{12}", "[a-z0-9{12}"))
    assert exit_code(["rules", "check", str(path)]) == 2
    assert "demo-token: regex does not compile" in capsys.readouterr().err


def test_invalid_toml_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["rules", "check", str(write_rules(tmp_path, "[[rules]\n"))]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    with pytest.raises(RuleError, match="no such rule file"):
        load_rules([tmp_path / "absent.toml"])


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="duplicate rule id"):
        load_rules([write_rules(tmp_path, VALID_RULE + VALID_RULE)])


def test_digest_follows_content(tmp_path: Path) -> None:
    path = write_rules(tmp_path, VALID_RULE)
    first = load_rules([path]).digest
    path.write_text(VALID_RULE.replace("Rotate it.", "Rotate it now."), encoding="utf-8")
    assert load_rules([path]).digest != first


def test_cached_rules_follow_an_edit_of_the_same_size(tmp_path: Path) -> None:
    path = write_rules(tmp_path, VALID_RULE)
    assert load_rules([path]).rules[0].remediation == "Rotate it."
    before = path.stat()
    path.write_text(VALID_RULE.replace("Rotate it.", "Revoke it!"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert path.stat().st_size == before.st_size
    assert load_rules([path]).rules[0].remediation == "Revoke it!"


def test_a_damaged_rules_cache_index_is_ignored(tmp_path: Path) -> None:
    path = write_rules(tmp_path, VALID_RULE)
    first = load_rules([path])
    for entry in cache_dir().glob("rules-index-*"):
        entry.write_bytes(b"damaged")
    assert load_rules([path]) == first


def test_a_cached_row_holds_every_field_of_a_rule() -> None:
    from dataclasses import fields

    assert sorted(RULE_ROW) == sorted(field.name for field in fields(Rule))


def test_every_shipped_rule_comes_back_from_the_cache_as_parsed() -> None:
    """Cached rules are made without `Rule.__init__`: each must equal the rule parsed from its
    file, with the same types inside."""
    assert cache_dir() != SHIPPED_CACHE  # the test's own cache starts empty
    parsed = load_rules()
    cached = load_rules()
    assert cached == parsed
    assert cached.rules == SHIPPED.rules
    for rule in cached.rules:
        assert type(rule.severity) is Severity
        assert all(type(example) is Example for example in rule.examples)
        assert all(type(part) is FormatPart for part in rule.format)
        assert all(type(getattr(rule, name)) is tuple for name in ("keywords", "aliases", "plant"))
    assert hash(cached.rules[0]) == hash(parsed.rules[0])


def test_a_cached_rule_reads_its_details_when_first_asked() -> None:
    parsed = load_rules().by_id()
    wanted = next(rule for rule in parsed.values() if rule.verification and rule.format)
    [rule] = [rule for rule in load_rules().rules if rule.id == wanted.id]
    assert set(RULE_DETAILS).isdisjoint(vars(rule))  # a scan never reads them
    assert rule.examples == wanted.examples
    assert set(RULE_DETAILS) <= set(vars(rule))
    assert "_details" not in vars(rule)
    assert (rule.verification, rule.format) == (wanted.verification, wanted.format)
    assert rule == wanted
    with pytest.raises(AttributeError, match="no attribute 'regexp'"):
        rule.regexp  # type: ignore[attr-defined]  # noqa: B018


def test_loading_cached_rules_reads_no_rules_details(monkeypatch: pytest.MonkeyPatch) -> None:
    """The details (two thirds of the rules cache) are an entry of their own: a scan, which
    never asks for them, does not read them from disk."""
    import scanner.rules

    load_rules()  # the cache holds the rule set
    read: list[bytes] = []

    def recorded(name: str) -> bytes | None:
        payload = read_entry(name)
        read.append(payload or b"")
        return payload

    monkeypatch.setattr(scanner.rules, "read_entry", recorded)
    cached = load_rules()
    assert read  # the rows did come from the cache
    described = [rule for rule in SHIPPED.rules if len(rule.description) > 40]
    assert described
    assert not [r.id for r in described if any(r.description.encode() in p for p in read)]
    assert [rule.description for rule in cached.rules] == [r.description for r in SHIPPED.rules]


@pytest.mark.parametrize("damage", [None, b"damaged", marshal.dumps(("not", "details"))])
def test_rules_details_lost_from_the_cache_are_read_from_the_rule_files(
    damage: bytes | None,
) -> None:
    """An entry of details removed or unreadable since the rows were read is made again from
    the rule files, which have not changed."""
    rules = load_rules()
    entries = list(cache_dir().glob("rules-details-*"))
    assert entries
    for entry in entries:
        if damage is None:
            entry.unlink()
        else:
            write_entry(entry.name, damage)
    cached = load_rules()
    assert [rule.examples for rule in cached.rules] == [rule.examples for rule in rules.rules]
    assert list(cache_dir().glob("rules-details-*"))  # and cached again


def test_a_cached_rule_crosses_to_another_process_whole(tmp_path: Path) -> None:
    """A worker process receives its rules pickled: the details travel with them, unread, and
    need no cache where they arrive."""
    parsed = load_rules().by_id()
    [rule] = [rule for rule in load_rules().rules if rule.id == next(iter(parsed))]
    script = (
        "import pickle, sys\n"
        "rule = pickle.loads(sys.stdin.buffer.read())\n"
        "assert '_details' in vars(rule)\n"
        "sys.stdout.buffer.write(pickle.dumps((rule.examples, rule.description, rule)))\n"
    )
    elsewhere = {**os.environ, "KEYLEAK_CACHE_DIR": str(tmp_path / "empty-cache")}
    completed = subprocess.run(
        [sys.executable, "-c", script],
        input=pickle.dumps(rule),
        capture_output=True,
        check=True,
        env=elsewhere,
    )
    examples, description, whole = pickle.loads(completed.stdout)
    assert (examples, description) == (parsed[rule.id].examples, parsed[rule.id].description)
    assert whole == parsed[rule.id]


@pytest.mark.parametrize(
    "payload",
    [
        b"not marshal at all",
        marshal.dumps(("old", "fields")),
        marshal.dumps((RULE_ROW[:-1], ())),
        marshal.dumps((RULE_ROW, (("too", "short"),))),
        marshal.dumps([1, 2, 3]),
    ],
)
def test_a_cached_rule_set_of_another_shape_is_rebuilt(tmp_path: Path, payload: bytes) -> None:
    """An entry whose checksum holds (a rule set cached by another version, say) but whose
    content is not today's rows is parsed again, never half trusted."""
    path = write_rules(tmp_path, VALID_RULE)
    first = load_rules([path])
    write_entry(rules_entry(first.digest), payload)
    assert load_rules([path]) == first


def test_schema_problems_do_not_stop_the_other_rules_examples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = VALID_RULE.replace('id = "demo-token"', 'id = "broken-token"').replace(
        'severity = "high"', 'severity = "urgent"'
    )
    failing = VALID_RULE.replace(
        'negative_examples = ["token = demo_short"]', 'negative_examples = ["demo_zzzzzzzzzzzz"]'
    )
    assert exit_code(["rules", "check", str(write_rules(tmp_path, broken + failing))]) == 2
    err = capsys.readouterr().err
    assert "broken-token: 'severity' must be one of" in err
    assert "demo-token: negative_examples[0] matched" in err


def test_a_file_with_no_valid_rule_reports_its_problems_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = VALID_RULE.replace('severity = "high"', 'severity = "urgent"')
    assert exit_code(["rules", "check", str(write_rules(tmp_path, broken))]) == 2
    assert capsys.readouterr().err.strip().endswith("critical, high, medium, low, info")


# --------------------------------------------------------------------------- shipped declarations

DRAWS = 300
#: base64 keys that start with `/` (1 in 64) read as file paths to the placeholder filter
MISSED_SHARE = 0.03


def declaration_problems(rule: Rule) -> list[str]:
    problems = []
    if len(rule.examples) < 2:
        problems.append(f"{len(rule.examples)} examples")
    if len(rule.negative_examples) < 2:
        problems.append(f"{len(rule.negative_examples)} negative examples")
    if not rule.origin:
        problems.append("no origin")
    if not rule.format:
        problems.append("no format")
    if rule.origin in ("documented", "observed") and not rule.reference:
        problems.append("no reference")
    return problems


def test_every_shipped_rule_declares_its_shape_and_where_it_comes_from() -> None:
    problems = {rule.id: declaration_problems(rule) for rule in SHIPPED.rules}
    assert {rule_id: found for rule_id, found in problems.items() if found} == {}


@pytest.mark.parametrize(
    "rule",
    # a rule about file names (`filters = ["file"]`) matches a path, not a planted value
    [
        rule
        for rule in SHIPPED.rules
        if rule.format and rule.checksum is None and "file" not in rule.filters and not rule.path
    ],
    ids=lambda r: r.id,
)
def test_keys_drawn_from_a_rules_declared_shape_are_found_by_it(rule: Rule) -> None:
    """The rule finds what its format says a key looks like, entropy floor and allow patterns
    included (keys with a checksum are left to the accuracy benchmark, which makes them pass).
    A few random keys in a hundred may spell a placeholder's word (`dummy`), start like a path
    (`/…`) or repeat enough characters to fall under the floor, and are not reported."""
    import random

    from benchmarks.accuracy.declared import contexts
    from scanner.match.confirm import compile_rule, confirm
    from scanner.rule_format import draw

    compiled = compile_rule(rule)
    rng = random.Random(rule.id)
    missed = []
    for index in range(DRAWS):
        secret = draw(rule.format, rng, longest=index % 2 == 0)
        for plant in contexts(rule.plant):
            found = confirm(compiled, plant.replace("{secret}", secret).encode()).matches
            if [match.secret.decode() for match in found] != [secret]:
                missed.append(plant.replace("{secret}", secret))
    tried = DRAWS * len(contexts(rule.plant))
    assert len(missed) <= tried * MISSED_SHARE, missed[:5]
