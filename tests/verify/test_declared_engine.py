"""What a verify table can say, one feature at a time, with tables written here (the shipped
rules' own tables are run by test_declared.py): `like`, `pair`, `shape` groups, Basic auth, a
POST body, `checksum`, answers by JSON, header and body, details."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from scanner.config.verification import VerifySettings
from scanner.model import Example, FormatPart, Rule, Severity, Verdict, VerdictStatus
from scanner.verify.registry import Registry, declared
from scanner.verify.runner import verify_findings
from tests.declared_server import EchoProvider, Reply, echo_provider
from tests.fake_provider import finding, github_token
from tests.keys import random_text

S = VerdictStatus
SETTINGS = VerifySettings(enabled=True, timeout=5.0, max_retries=0, use_cache=False)
HEX = "0123456789abcdef"


def rule(rule_id: str, table: dict[str, Any] | None, fmt: tuple[FormatPart, ...]) -> Rule:
    import json

    return Rule(
        id=rule_id,
        name=rule_id,
        provider="acme",
        description="",
        regex="(?P<secret>x)",
        keywords=("x",),
        severity=Severity.HIGH,
        remediation="",
        examples=(Example("x", "x"),),
        negative_examples=("y",),
        shipped=True,
        verify="acme" if table else None,
        verification=json.dumps(table) if table else "",
        format=fmt,
    )


KEY_FORMAT = (FormatPart("acme_"), FormatPart("", "[0-9a-f]", 32, 32))
ID_FORMAT = (FormatPart("id-"), FormatPart("", "[0-9a-f]", 8, 8))
LIVE_INVALID = [
    {"status": 200, "verdict": "live"},
    {"status": 401, "verdict": "invalid"},
]
CASES = [{"status": 200, "verdict": "live"}, {"status": 401, "verdict": "invalid"}]


def table(**extra: Any) -> dict[str, Any]:
    return {
        "url": "https://api.acme.example.com/v1/me",
        "headers": {"Authorization": "Bearer {secret}"},
        "reference": "https://docs.acme.example.com/me",
        "answers": LIVE_INVALID,
        "cases": CASES,
        **extra,
    }


def acme_key() -> str:
    return "acme_" + random_text(32, HEX)


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoProvider]:
    with echo_provider() as server:
        yield server


@pytest.fixture(autouse=True)
def point(echo: EchoProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYLEAK_ACME_BASE_URL", echo.url)


def run(rules: list[Rule], found: list[tuple[str, str, int]]) -> list[Verdict | None]:
    providers, problems = declared(rules)
    assert problems == []
    findings = [finding(rule_id, secret, line=line) for rule_id, secret, line in found]
    verifiers = {r.id: r.verify for r in rules}
    results = verify_findings(findings, verifiers, SETTINGS, lambda _: None, Registry(providers))
    return [result.verdict for result in results]


def test_like_reuses_a_table_for_a_sibling_rules_own_keys(echo: EchoProvider) -> None:
    sibling_format = (FormatPart("acme_admin_"), FormatPart("", "[0-9a-f]", 32, 32))
    rules = [
        rule("acme-key", table(), KEY_FORMAT),
        rule("acme-admin-key", {"like": "acme-key"}, sibling_format),
    ]
    admin = "acme_admin_" + random_text(32, HEX)
    echo.reset(Reply(401, "{}"))
    verdicts = run(rules, [("acme-admin-key", admin, 1)])
    assert verdicts[0] is not None and verdicts[0].status is S.INVALID
    assert [r.headers["Authorization"] for r in echo.received] == [f"Bearer {admin}"]


def test_a_table_that_likes_a_missing_rule_is_a_problem() -> None:
    _, problems = declared([rule("acme-key", {"like": "nothing"}, KEY_FORMAT)])
    assert problems == ["acme-key: verify like 'nothing' names no rule with a table of its own"]


def test_tables_of_one_verifier_may_not_send_keys_to_two_hosts() -> None:
    other = table(url="https://api.other.example.com/v1/me")
    sibling_format = (FormatPart("acme_x_"), FormatPart("", "[0-9a-f]", 32, 32))
    _, problems = declared(
        [rule("acme-key", table(), KEY_FORMAT), rule("acme-x", other, sibling_format)]
    )
    assert (len(problems) == 1 and "sends keys to" in problems[0]) or "send keys to" in problems[0]


def test_variants_of_one_verifier_each_send_their_own_request(echo: EchoProvider) -> None:
    admin_format = (FormatPart("acme_admin_"), FormatPart("", "[0-9a-f]", 32, 32))
    admin_table = table(url="https://api.acme.example.com/v1/admin/keys?limit=1")
    rules = [rule("acme-key", table(), KEY_FORMAT), rule("acme-admin", admin_table, admin_format)]
    echo.reset(Reply(200, "{}"))
    admin = "acme_admin_" + random_text(32, HEX)
    run(rules, [("acme-key", acme_key(), 1), ("acme-admin", admin, 2)])
    assert sorted(r.target for r in echo.received) == ["/v1/admin/keys?limit=1", "/v1/me"]


def test_a_pair_is_sent_together_and_a_refused_pair_is_never_invalid(
    echo: EchoProvider,
) -> None:
    paired = table(basic=["{partner}", "{secret}"], headers={}, pair="acme-id")
    rules = [rule("acme-secret", paired, KEY_FORMAT), rule("acme-id", None, ID_FORMAT)]
    key, key_id = acme_key(), "id-" + random_text(8, HEX)
    echo.reset(Reply(401, "{}"))
    verdicts = run(rules, [("acme-secret", key, 1), ("acme-id", key_id, 2)])
    expected = base64.b64encode(f"{key_id}:{key}".encode()).decode()
    assert [r.headers["Authorization"] for r in echo.received] == [f"Basic {expected}"]
    assert verdicts[0] == Verdict(S.UNKNOWN, "not accepted with the acme-id near it")
    echo.reset(Reply(200, "{}"))
    verdicts = run(rules, [("acme-secret", key, 1), ("acme-id", key_id, 2)])
    assert verdicts[0] is not None and verdicts[0].status is S.LIVE
    assert verdicts[1] is not None and verdicts[1].status is S.LIVE
    echo.reset(Reply(200, "{}"))
    alone = run(rules, [("acme-secret", acme_key(), 1)])
    assert alone[0] == Verdict(S.SKIPPED, "no acme-id near it to pair with")
    assert echo.received == []


def test_shape_groups_are_placeholders_and_a_post_body_is_sent(echo: EchoProvider) -> None:
    posted = table(
        shape="acme_(?P<account>[0-9a-f]{8})[0-9a-f]{24}",
        url="https://api.acme.example.com/v1/accounts/{account}/token",
        method="POST",
        body='{{"token": "{secret}"}}',
        content_type="application/json",
        headers={},
    )
    key = acme_key()
    echo.reset(Reply(200, "{}"))
    run([rule("acme-key", posted, KEY_FORMAT)], [("acme-key", key, 1)])
    (sent,) = echo.received
    assert (sent.method, sent.target) == ("POST", f"/v1/accounts/{key[5:13]}/token")
    assert sent.body == f'{{"token": "{key}"}}'.encode()
    assert sent.headers["Content-Type"] == "application/json"


def test_a_key_in_the_url_is_percent_encoded_and_masked_in_a_dry_run(echo: EchoProvider) -> None:
    odd = (FormatPart("acme+"), FormatPart("", "[0-9a-f]", 32, 32))
    in_query = table(url="https://api.acme.example.com/v1/me?key={secret}", headers={})
    key = "acme+" + random_text(32, HEX)
    providers, _ = declared([rule("acme-key", in_query, odd)])
    said: list[str] = []
    dry = VerifySettings(enabled=True, dry_run=True)
    echo.reset(Reply())
    verify_findings(
        [finding("acme-key", key)], {"acme-key": "acme"}, dry, said.append, Registry(providers)
    )
    assert echo.received == []
    assert key not in "\n".join(said) and "acme%2B" + key[5:] not in "\n".join(said)
    assert f"would send: GET {echo.url}/v1/me?key=" in "\n".join(said)
    echo.reset(Reply(200, "{}"))
    run([rule("acme-key", in_query, odd)], [("acme-key", key, 1)])
    assert [r.target for r in echo.received] == [f"/v1/me?key=acme%2B{key[5:]}"]


def test_a_key_failing_its_checksum_is_never_sent(echo: EchoProvider) -> None:
    github = (FormatPart("ghp_"), FormatPart("", "[A-Za-z0-9]", 36, 36))
    checked = table(checksum="github-crc32")
    echo.reset(Reply(200, "{}"))
    verdicts = run(
        [rule("acme-key", checked, github)],
        [("acme-key", github_token(valid=False), 1), ("acme-key", github_token(), 2)],
    )
    assert verdicts[0] == Verdict(S.SKIPPED, "checksum_failed")
    assert verdicts[1] is not None and verdicts[1].status is S.LIVE
    assert len(echo.received) == 1


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            Reply(200, '{"account": {"id": "acct_9", "email": "a@b.c"}}'),
            Verdict(S.LIVE, "", (("account", "acct_9"),)),
        ),
        (
            Reply(200, '{"account": null}'),
            Verdict(S.UNKNOWN, "HTTP 200 without the expected fields"),
        ),
        (Reply(403, '{"error": "Missing Scope: read"}'), Verdict(S.LIVE_RESTRICTED, "scope")),
        (Reply(403, '{"error": "forbidden"}'), Verdict(S.UNKNOWN, "HTTP 403")),
        (Reply(402, '{"code": "QUOTA"}'), Verdict(S.LIVE_QUOTA_EXHAUSTED, "quota")),
        (
            Reply(429, "{}", {"X-Limit-Left": "0", "Retry-After": "3600"}),
            Verdict(S.RATE_LIMITED, "limit header"),
        ),
        (Reply(429, "{}", {"Retry-After": "3600"}), Verdict(S.RATE_LIMITED, "rate limited")),
        (Reply(401, '{"active": false}'), Verdict(S.INVALID, "inactive")),
        (Reply(401, '{"active": 0}'), Verdict(S.UNKNOWN, "HTTP 401")),
    ],
)
def test_answers_match_by_status_json_body_and_header(
    echo: EchoProvider, reply: Reply, expected: Verdict
) -> None:
    answers = [
        {
            "status": 200,
            "has": ["account.id"],
            "verdict": "live",
            "details": {"account": "account.id"},
        },
        {"status": 403, "body": ["missing scope"], "verdict": "live_restricted", "reason": "scope"},
        {
            "status": 402,
            "json": {"code": ["quota", "credit"]},
            "verdict": "live_quota_exhausted",
            "reason": "quota",
        },
        {
            "status": 429,
            "headers": {"x-limit-left": "0"},
            "verdict": "rate_limited",
            "reason": "limit header",
        },
        {
            "status": [401, 403],
            "json": {"active": False},
            "verdict": "invalid",
            "reason": "inactive",
        },
    ]
    echo.reset(reply)
    verdicts = run(
        [rule("acme-key", table(answers=answers), KEY_FORMAT)], [("acme-key", acme_key(), 1)]
    )
    assert verdicts[0] == expected


@pytest.mark.parametrize(
    ("body", "status"),
    [('{"data": []}', S.LIVE), ('{"data": "list"}', S.UNKNOWN), ('{"data": null}', S.UNKNOWN)],
)
def test_types_ask_a_value_to_be_of_a_json_type(
    echo: EchoProvider, body: str, status: VerdictStatus
) -> None:
    answers = [{"status": 200, "types": {"data": "list"}, "verdict": "live"}, *LIVE_INVALID[1:]]
    echo.reset(Reply(200, body))
    verdicts = run(
        [rule("acme-key", table(answers=answers), KEY_FORMAT)], [("acme-key", acme_key(), 1)]
    )
    assert verdicts[0] is not None and verdicts[0].status is status


def test_like_takes_the_targets_shape_unless_it_gives_its_own(echo: EchoProvider) -> None:
    wide = "acme_[0-9a-f]{32}|acme_[0-9a-f]{16}"
    longer = (FormatPart("acme_"), FormatPart("", "[0-9a-f]", 40, 40))
    rules = [
        rule("acme-key", table(shape=wide), KEY_FORMAT),
        rule("acme-copy", {"like": "acme-key"}, KEY_FORMAT),
        rule("acme-own", {"like": "acme-key", "shape": "acme_[0-9a-f]{40}"}, longer),
    ]
    short, long = "acme_" + random_text(16, HEX), "acme_" + random_text(40, HEX)
    echo.reset(Reply(200, "{}"))
    verdicts = run(rules, [("acme-copy", short, 1), ("acme-own", long, 2)])
    assert [v.status if v else None for v in verdicts] == [S.LIVE, S.LIVE]
    assert sorted(r.headers["Authorization"] for r in echo.received) == sorted(
        [f"Bearer {short}", f"Bearer {long}"]
    )
