"""What a `verify` table may not say: every problem is named, and nothing reaches a verifier."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.rule_verify import parse_declaration

GOOD: dict[str, Any] = {
    "url": "https://api.acme.example.com/v1/me",
    "headers": {"Authorization": "Bearer {secret}"},
    "reference": "https://docs.acme.example.com/me",
    "answers": [{"status": 200, "verdict": "live"}, {"status": 401, "verdict": "invalid"}],
    "cases": [{"status": 200, "verdict": "live"}, {"status": 401, "verdict": "invalid"}],
}


def problems_of(**changes: Any) -> list[str]:
    table = {**GOOD, **changes}
    for key in [key for key, value in changes.items() if value is None]:
        del table[key]
    declaration, problems = parse_declaration(table, "acme-key", "acme", "r")
    assert (declaration is None) == bool(problems)
    return problems


def test_a_good_table_has_no_problem() -> None:
    assert problems_of() == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"url": "http://api.acme.example.com/v1/me"}, "'url' must be https://"),
        ({"url": "https://127.0.0.1/v1/me"}, "public DNS host name"),
        ({"url": "https://localhost/v1/me"}, "public DNS host name"),
        ({"url": "https://api.acme.example.com:8443/v1/me"}, "public DNS host name"),
        ({"url": "https://user@api.acme.example.com/v1/me"}, "public DNS host name"),
        ({"url": "https://{secret}.acme.example.com/v1/me"}, "public DNS host name"),
        ({"url": "https://api.acme.example.com/v1/{token}"}, "unknown placeholder(s) ['token']"),
        ({"url": "https://api.acme.example.com/v1/{"}, "a lone brace"),
        ({"headers": {"Host": "evil.example.com"}}, "'Host' may not be set"),
        ({"headers": {"X-Key": "{partner}"}}, "unknown placeholder(s) ['partner']"),
        ({"basic": ["{secret}", ""]}, "'basic' and an Authorization header exclude each other"),
        ({"body": "x"}, "'body' and 'content_type' go with method POST only"),
        ({"method": "DELETE"}, "'method' must be one of GET, HEAD, POST"),
        ({"reference": "http://docs.acme.example.com"}, "'reference' must be an https:// page"),
        ({"reference": None}, "'reference' is required"),
        ({"shape": "acme_(?P<secret>x)"}, "groups may not be named ['secret']"),
        ({"host_suffix": ".acme.example.com"}, "'host_suffix' goes with a url whose host is"),
        ({"answers": [{"status": 200}]}, "'verdict' is required"),
        ({"answers": [{"status": 999, "verdict": "live"}]}, "'status' must be an HTTP status"),
        ({"answers": [{"status": 200, "verdict": "valid"}]}, "'verdict' must be one of"),
        (
            {"answers": [{"status": 401, "verdict": "invalid", "details": {"a": "b"}}]},
            "'details' go with a live verdict only",
        ),
        ({"answers": [{"status": 200, "verdict": "live", "types": {"a": "x"}}]}, "'types' values"),
        ({"cases": [{"status": 200, "verdict": "live"}]}, "at least one live and one invalid"),
        ({"like": "other"}, "'like' reuses another rule's table: drop"),
        ({"extra": 1}, "unknown key 'extra'"),
    ],
)
def test_each_problem_is_named(changes: dict[str, Any], problem: str) -> None:
    found = problems_of(**changes)
    assert any(problem in line for line in found), found
