"""Generic secrets (rules/generic.toml): secret-looking values given to secret-looking names.

Every value is built at run time (random bodies); no key-shaped literal appears in this file.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

import pytest

from scanner.match.chunk import chunk_matches
from scanner.match.confirm import compile_rule, confirm
from scanner.match.engine import build_matcher, hyperscan_available
from scanner.match.hyperscan_matcher import KeywordFinder
from scanner.match.keyword_lines import (
    KEYWORD_START,
    LINE_HINT,
    LINE_START,
    KeywordLines,
    LineFinder,
    OnLines,
    keyword_lines,
)
from scanner.match.results import Matcher
from scanner.model import Chunk, Provenance, Severity
from scanner.policy.placeholders import is_placeholder
from scanner.rules import load_rules
from tests.keys import ALNUM, openai_key, random_text, secret_value

SHIPPED = load_rules()
RULES = SHIPPED.by_id()
GENERIC = [rule for rule in SHIPPED.rules if rule.provider == "generic"]
ENGINES = ["regex", "hyperscan"] if hyperscan_available() else ["regex"]


@pytest.fixture(scope="module", params=ENGINES)
def matcher(request: pytest.FixtureRequest) -> Matcher:
    return build_matcher(SHIPPED.rules, SHIPPED.digest, request.param)


def found(matcher: Matcher, text: str, path: str = "app/config") -> list[tuple[str, str]]:
    chunk = Chunk(text.encode(), Provenance(path))
    return [(m.rule_id, m.secret.decode()) for m in chunk_matches(chunk, matcher, RULES).matches]


#: (rule id, template): `{v}` is replaced by a fresh random value
SYNTAXES = [
    ("generic-secret-assignment", 'db_password = "{v}"'),
    ("generic-secret-assignment", "PASSWORD = '{v}'"),
    ("generic-secret-assignment", "const apiKey = `{v}`;"),
    ("generic-secret-assignment", 'settings = {{"client_secret": "{v}"}}'),
    ("generic-secret-assignment", 'token := "{v}"'),
    ("generic-secret-assignment", 'private String accessToken = "{v}";'),
    ("generic-secret-assignment", 'var ConnectionPassword = @"{v}";'),
    ("generic-secret-assignment", "config[:api_key] = '{v}'"),
    ("generic-secret-assignment", "  :auth_token => '{v}',"),
    ("generic-secret-assignment", "$settings['db_pass'] = '{v}';"),
    ("generic-secret-assignment", '  "apiKey": "{v}",'),
    ("generic-secret-assignment", "  password: '{v}'"),
    ("generic-secret-assignment", 'client_secret = "{v}"'),
    ("generic-secret-assignment", 'export SERVICE_TOKEN="{v}"'),
    ("generic-secret-assignment", '<datasource user="app" password="{v}"/>'),
    ("generic-secret-assignment", 'api_key: str = "{v}"'),
    ("generic-secret-assignment", 'private_key = b"{v}"'),
    ("generic-secret-unquoted", "DATABASE_PASSWORD={v}"),
    ("generic-secret-unquoted", "export GITHUB_TOKEN={v}"),
    ("generic-secret-unquoted", "spring.datasource.password={v}"),
    ("generic-secret-unquoted", "  client_secret: {v}"),
    ("generic-secret-unquoted", "secret_key = {v}"),
    ("generic-secret-unquoted", "ENV API_KEY={v}"),
    ("generic-secret-unquoted", "ENV API_KEY {v}"),
    ("generic-secret-unquoted", "ARG NPM_AUTH_TOKEN={v}"),
    ("generic-secret-unquoted", "  - REDIS_PASSWORD={v}"),
    ("generic-secret-cli-flag", "mysql --user=app --password={v} db"),
    ("generic-secret-cli-flag", "deploy --api-key {v} --region eu"),
    ("generic-secret-cli-flag", 'run --auth-token "{v}"'),
    ("generic-secret-xml-element", "<password>{v}</password>"),
    ("generic-secret-xml-setting", '<add key="SmtpPassword" value="{v}" />'),
    ("generic-credentials-url", "postgres://app:{v}@db.internal:5432/app"),
    ("generic-credentials-url", "mysql://root:{v}@127.0.0.1/shop"),
    ("generic-credentials-url", "mongodb+srv://svc:{v}@cluster0.mongodb.net/prod"),
    ("generic-credentials-url", "redis://:{v}@cache:6379/0"),
    ("generic-credentials-url", "amqp://worker:{v}@rabbit:5672/vhost"),
    ("generic-credentials-url", "https://deploy:{v}@git.internal/team/app.git"),
]


@pytest.mark.parametrize(("rule_id", "template"), SYNTAXES)
def test_each_syntax_reports_the_value(matcher: Matcher, rule_id: str, template: str) -> None:
    value = secret_value()
    assert found(matcher, template.format(v=value)) == [(rule_id, value)]


#: stand-ins, references and look-alikes that no rule may report
NEGATIVES = [
    'password = os.environ["DB_PASSWORD"]',
    'password = os.getenv("DB_PASSWORD")',
    "const token = process.env.API_TOKEN;",
    "api_key = ENV['API_KEY']",
    'password = "changeme"',
    'password = "CHANGEME123"',
    'password = "${DB_PASSWORD}"',
    "password: ${{ secrets.DB_PASSWORD }}",
    'token = "{{ .Values.token }}"',
    'password = "%(db_password)s"',
    "DB_PASSWORD=$DB_PASSWORD",
    'secret = "your-secret-here"',
    'api_key = "<your-api-key>"',
    'password = "xxxxxxxxxxxx"',
    'password = "**********"',
    'password = "aaaaaaaaaaaa"',
    'password = "12345678"',
    'password = "abcdefghijkl"',
    'password = "qwerty123"',
    'secret = "example-secret-value"',
    'token = "dummy-token-for-tests"',
    "password: str",
    "password: Optional[str] = None",
    "token: string;",
    "password = null",
    "password: false",
    'password = "/run/secrets/db_password"',
    'private_key = "keys/deploy.pem"',
    'token = "user_access_token"',
    "password = self.password",
    "secret = settings.SECRET_KEY",
    "api_key: vault:secret/data/app#api_key",
    "password = aws secretsmanager get-secret-value --secret-id db",
    "author = 'Jane Q. Public-Smith'",
    "tokenizer = AutoTokenizer.from_pretrained(name)",
    'if password == "hunter2hunter2":',
    "postgres://user:password@localhost:5432/app",
    "amqp://guest:guest@localhost:5672/",
    "mysql://root:${MYSQL_ROOT_PASSWORD}@db/app",
    "see https://example.com:8443/docs for details",
    "deploy --token $DEPLOY_TOKEN",
    "<password>${env.REPO_PASSWORD}</password>",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_placeholders_and_references_are_not_reported(matcher: Matcher, text: str) -> None:
    assert found(matcher, text) == []


def test_provider_rule_takes_precedence_over_generic(matcher: Matcher) -> None:
    key = openai_key()
    assert found(matcher, f'api_key = "{key}"') == [("openai-project-key", key)]
    assert found(matcher, f"OPENAI_API_KEY={key}") == [("openai-project-key", key)]


def test_several_secrets_on_several_lines_are_each_reported(matcher: Matcher) -> None:
    first, second = secret_value(), secret_value()
    text = f'# settings\nuser = "app"\npassword = "{first}"\n\nTOKEN={second}\n'
    assert found(matcher, text) == [
        ("generic-secret-assignment", first),
        ("generic-secret-unquoted", second),
    ]


def test_generic_rules_are_lower_severity_and_filtered() -> None:
    assert {rule.id for rule in GENERIC} >= {
        "generic-secret-assignment",
        "generic-secret-unquoted",
        "generic-secret-cli-flag",
        "generic-secret-xml-element",
        "generic-secret-xml-setting",
        "generic-credentials-url",
    }
    for rule in GENERIC:
        assert rule.severity in (Severity.MEDIUM, Severity.LOW)
        assert "placeholder" in rule.filters
        assert rule.min_entropy is not None
        assert rule.remediation


@pytest.mark.parametrize(
    "value",
    [
        "changeme",
        "${X}",
        "{{ x }}",
        "%(x)s",
        "$VAR",
        "<value>",
        "your-token-here",
        "str",
        "true",
        "null",
        "os.environ['X']",
        "process.env.X",
        "vault:kv/x",
        "aaaaaaaa",
        "abcd1234",
        "98765432",
        "user.password",
        "/etc/app/secret",
        "sample_value_1",
        "fakeToken7Qx2",
        "myMockKey4Zp",
        # seen in real third-party code: a version range, a type annotation, a package name,
        # documentation URLs' percent-encoded passwords
        "3.0-3.12",
        "_t.AuthType",
        "types-auth0-python",
        "a%20secret",
        "p%2Fss",
        # from the noise benchmark: a Django migration's name, a format string's result
        "0001_initial",
        "0012_alter_user_first_name_max_length",
        "0006_require_contenttypes_0002",
        "%s_upgrades",
    ],
)
def test_placeholder_filter_on_its_own(value: str) -> None:
    assert is_placeholder(value.encode())


def test_random_values_are_not_placeholders() -> None:
    rng = random.Random(5)
    for _ in range(500):
        assert not is_placeholder(secret_value(rng).encode())


@pytest.mark.parametrize("marker", ["FAKE", "fAkE", "Mock", "TEST", "here"])
def test_short_marker_words_that_random_text_spells_by_chance_are_not_placeholders(
    marker: str,
) -> None:
    # a one in 30,000 draw once hid a CI test's random password: `...pQFAKE70UAk9`
    rng = random.Random(marker)
    for _ in range(50):
        head, tail = secret_value(rng), secret_value(rng)
        value = head[:6] + rng.choice("23456789") + marker + rng.choice("23456789") + tail[-4:]
        assert not is_placeholder(value.encode()), value


SPEED_UPS = {LINE_HINT, KEYWORD_START, LINE_START}


def assignments_among_text(
    rng: random.Random, count: int, alphabet: str, filler: Callable[[], str], text_share: float
) -> bytes:
    """`count` lines: assignments of secret-like values in every syntax (three in ten, and one
    in ten two to a line, the second's name inside the first's value), random text of
    `alphabet` (`text_share` of them), and `filler()` lines."""
    templates = [template for _, template in SYNTAXES] + NEGATIVES
    lines = []
    for _ in range(count):
        choice = rng.random()
        if choice < 0.3:
            lines.append(rng.choice(templates).replace("{v}", secret_value(rng)))
        elif choice < 0.4:
            first, second = (rng.choice(templates).replace("{v}", secret_value(rng)) for _ in "ab")
            lines.append(f"{first}; {second}")
        elif choice < 0.4 + text_share:
            lines.append(random_text(rng.randrange(0, 80), alphabet, rng))
        else:
            lines.append(filler())
    return "\n".join(lines).encode()


@pytest.mark.parametrize("seed", range(10))
def test_line_windows_and_anchors_find_what_a_whole_chunk_scan_finds(seed: int) -> None:
    """The `line`, `keyword-start` and `line-start` hints are only speed-ups: with either
    engine's keyword finder, confirming at the anchors of the keyword lines gives every match."""
    rng = random.Random(seed)
    content = assignments_among_text(rng, 200, ALNUM + " =:'\"_-", lambda: "", text_share=0.1)
    finders: list[LineFinder] = [keyword_lines, KeywordFinder()]
    for rule in GENERIC:
        assert LINE_HINT in rule.hints
        whole = dataclasses.replace(rule, hints=tuple(h for h in rule.hints if h not in SPEED_UPS))
        reference = confirm(compile_rule(whole), content).matches
        for finder in finders:
            windowed = confirm(compile_rule(rule), content, finder).matches
            assert windowed == reference, (rule.id, finder)
        assert all(content.count(b"\n", m.start, m.end) == 0 for m in reference)


def test_anchored_rules_are_the_generic_ones_that_pay_for_it() -> None:
    by_id = {rule.id: rule for rule in GENERIC}
    assert KEYWORD_START in by_id["generic-secret-assignment"].hints
    assert LINE_START in by_id["generic-secret-unquoted"].hints


def test_keyword_lines_merge_neighbours_and_ignore_case() -> None:
    content = b"a\nTOKEN x\nmy token\nb\nPass\n"
    found = keyword_lines(content, (b"token", b"pass"))
    assert found.windows == [(2, 18), (21, 25)]
    assert found.positions == [2, 13, 21]


@pytest.mark.parametrize("seed", range(4))
def test_keywords_are_looked_for_on_the_lines_where_a_match_may_end_alone(seed: int) -> None:
    """The lines a match may end on are few: the keywords were looked for in the whole chunk
    (a Hyperscan scan of it, or a lowercase copy) and then kept on those lines only. Looked
    for on those lines alone, they are the same."""
    rng = random.Random(seed)
    words = ["token", "TOKEN", "pass", "xpass", "my_token", "9pass", "", "=", "auth"]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randrange(0, 6))) for _ in range(80)]
    content = "\n".join(lines).encode()
    ends = rng.sample(range(len(content) + 1), 12)
    keywords = (b"token", b"pass")
    finders: list[LineFinder] = [keyword_lines]
    if hyperscan_available():
        from scanner.match.hyperscan_matcher import KeywordFinder

        finders += [KeywordFinder(), KeywordFinder(word_start=True)]
    for finder in finders:
        handed: list[bytes] = []

        def recorded(
            text: bytes,
            wanted: tuple[bytes, ...],
            finder: LineFinder = finder,
            handed: list[bytes] = handed,
        ) -> KeywordLines:
            handed.append(text)
            return finder(text, wanted)

        ending = {content.rfind(b"\n", 0, end) + 1 for end in ends}
        expected = [
            at
            for at in finder(content, keywords).positions
            if content.rfind(b"\n", 0, at) + 1 in ending
        ]
        found = OnLines(recorded, ends)(content, keywords)
        assert found.positions == expected
        assert found.windows == KeywordLines(content, expected).windows
        assert expected, "no keyword on the lines: the test compares nothing"
        assert handed and all(b"\n" not in text for text in handed), "a whole chunk searched"


def github_shaped(valid: bool) -> str:
    """A `ghp_` token whose CRC32 tail is right, or one character off."""
    import zlib

    from scanner.match.checksums import BASE62, encode

    body = random_text(30, ALNUM)
    tail = encode(zlib.crc32(body.encode()), BASE62, 6).decode()
    if not valid:
        tail = tail[:-1] + ("A" if tail[-1] != "A" else "B")
    return "ghp_" + body + tail


@pytest.mark.parametrize(
    "template", ['password = "{v}"', "token: {v}", 'os.environ.setdefault("TOKEN", "{v}")']
)
def test_a_generic_rule_defers_to_a_provider_rule_that_rejected_the_value(
    matcher: Matcher, template: str
) -> None:
    # a ghp_ value failing GitHub's checksum is a made-up token, not a generic secret
    assert found(matcher, template.format(v=github_shaped(valid=False))) == []
    token = github_shaped(valid=True)
    assert found(matcher, template.format(v=token)) == [("github-pat-classic", token)]


def test_a_deferred_value_is_counted_as_a_placeholder(matcher: Matcher) -> None:
    chunk = Chunk(f'password = "{github_shaped(valid=False)}"\n'.encode(), Provenance("a"))
    assert chunk_matches(chunk, matcher, RULES).placeholders == 1


@pytest.mark.parametrize(
    "template", ["password: {a}#{b}", "db.password={a}#{b}", "  secret_token: {a}#{b}  # rotate"]
)
def test_an_unquoted_value_holding_a_hash_without_a_space_before_it_is_one_value(
    matcher: Matcher, template: str
) -> None:
    first, second = secret_value(), secret_value()
    secrets = [secret for _, secret in found(matcher, template.format(a=first, b=second))]
    assert secrets == [f"{first}#{second}"]


def test_a_hash_after_a_space_starts_a_comment(matcher: Matcher) -> None:
    value = secret_value()
    assert [s for _, s in found(matcher, f"password: {value} #{secret_value()}")] == [value]


class CountedRules(dict):  # type: ignore[type-arg]
    """The catalogue by id, counting the walks over all of it."""

    walks = 0

    def values(self):  # type: ignore[no-untyped-def]
        CountedRules.walks += 1
        return super().values()


def test_checking_generic_values_against_provider_shapes_walks_the_catalogue_once(
    matcher: Matcher,
) -> None:
    """Each generic match was checked against every rule of the catalogue for a checksum:
    the rules that have one are picked once per catalogue instead."""
    rules = CountedRules(RULES)
    CountedRules.walks = 0
    text = "".join(f'password{i} = "{github_shaped(valid=i % 2 == 0)}"\n' for i in range(6))
    found = chunk_matches(Chunk(text.encode(), Provenance("a")), matcher, rules)
    assert [m.rule_id for m in found.matches] == ["github-pat-classic"] * 3
    assert found.placeholders == 3
    assert CountedRules.walks <= 2  # the file rules' pick, and the checksums'
    chunk_matches(Chunk(text.encode(), Provenance("b")), matcher, rules)
    assert CountedRules.walks <= 2


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_line_local_rules_are_tried_only_on_lines_the_database_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A generic rule was tried at every line holding one of its keywords (`token`, `pass`
    all over code) once anything in the chunk made it a candidate; its prefilter reports where
    a match may end, and only those lines can hold one."""
    from scanner.match import confirm as confirm_module

    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, "hyperscan")
    matcher.expect_volume()  # the combined database says where matches may end
    tried: list[int] = []
    original = confirm_module.line_starts

    def counted(content: bytes, windows: list[tuple[int, int]]):  # type: ignore[no-untyped-def]
        for at in original(content, windows):
            tried.append(at)
            yield at

    monkeypatch.setattr(confirm_module, "line_starts", counted)
    value = secret_value()
    text = "tokens.append(token)  # pass it on\n" * 200 + f"password: {value}\n"
    chunk = Chunk(text.encode(), Provenance("app/config"))
    assert [m.secret.decode() for m in chunk_matches(chunk, matcher, RULES).matches] == [value]
    assert 0 < len(tried) < 10


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_the_lines_a_volume_scan_narrows_to_come_from_its_one_scan_of_the_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The combined database reports where the line-local rules' matches may end: a chunk they
    may match was scanned a second time, by a database of their own, to learn it."""
    from scanner.match.hyperscan_matcher import HyperscanMatcher

    matcher = build_matcher(SHIPPED.rules, SHIPPED.digest, "hyperscan")
    matcher.expect_volume()
    matcher.scan(b"warm up: the combined database loaded, this thread's scratch made")
    loaded: list[str] = []
    original = HyperscanMatcher._lazy

    def recorded(self: HyperscanMatcher, name: str, load: Callable[[], object]) -> object:
        loaded.append(name)
        return original(self, name, load)

    monkeypatch.setattr(HyperscanMatcher, "_lazy", recorded)
    value = secret_value()
    text = "tokens.append(token)  # pass it on\n" * 20 + f'password = "{value}"\n'
    assert [m.secret.decode() for m in matcher.scan(text.encode()).matches] == [value]
    assert loaded == [], "a database besides the combined one was asked for"


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_without_every_end_the_combined_database_still_selects_and_finds_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where Hyperscan rejects a line-local rule's form without the single-match flag, the
    combined database holds them all with it: nothing is narrowed, nothing is missed."""
    import hyperscan

    from scanner.match import hyperscan_matcher as hm

    rules = [*GENERIC, RULES["github-pat-classic"]]
    original = hm.compile_expressions
    refused: list[int] = []

    def refusing(expressions: list[bytes], flags: list[int], ids: list[int] | None = None) -> bytes:
        if ids is not None and any(expression_id >= hm.ENDS_ID for expression_id in ids):
            refused.append(1)
            raise hyperscan.error("refused")
        return original(expressions, flags, ids)

    monkeypatch.setattr(hm, "compile_expressions", refusing)
    serialized, unsupported = hm.compile_database(rules)
    combined = hm.load_database(hm.compile_combined(rules, unsupported))
    assert refused, "the form reporting every end was never tried: the test checks nothing"
    compiled = hm.CompiledDatabase(
        lambda: hm.load_database(serialized),
        unsupported,
        encoded=lambda: None,
        combined=lambda: combined,
    )
    matcher = hm.HyperscanMatcher(rules, compiled)
    matcher.expect_volume()
    reference = build_matcher(tuple(rules), "", "regex")
    rng = random.Random(7)
    content = assignments_among_text(
        rng, 200, ALNUM + " =:'\"_-#;,", lambda: "token += 1", text_share=0.2
    )
    assert matcher.scan(content) == reference.scan(content)
    assert matcher.scan(content).matches, "nothing matched: the test compares nothing"


@pytest.mark.parametrize("seed", range(10))
def test_lines_the_database_reports_find_what_every_keyword_line_finds(seed: int) -> None:
    """Every match of a line-local rule ends on a line its prefilter reports: confirming on
    those lines alone gives what confirming on every keyword line gives."""
    if not hyperscan_available():
        pytest.skip("hyperscan not installed")
    hyperscan = build_matcher(SHIPPED.rules, SHIPPED.digest, "hyperscan")
    hyperscan.expect_volume()
    reference = build_matcher(SHIPPED.rules, SHIPPED.digest, "regex")
    rng = random.Random(seed)
    filler = ["token += 1", "# pass", "", "  auth: x", "secret()"]
    content = assignments_among_text(
        rng, 300, ALNUM + " =:'\"_-#;,", lambda: rng.choice(filler), text_share=0.2
    )
    assert hyperscan.scan(content) == reference.scan(content)
    assert hyperscan.scan(content).matches, "nothing matched: the test compares nothing"
