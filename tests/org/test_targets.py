"""What `keyleak audit` is given: URLs shown without their credentials, repositories named
and identified so that the same one named twice is audited once."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.errors import KeyleakError
from scanner.org.targets import collect, expand, remote_target
from tests.conftest import git
from tests.keys import random_text


@pytest.mark.parametrize(
    ("url", "shown", "name"),
    [
        (
            "https://github.com/org/app.git",
            "https://github.com/org/app.git",
            "github.com/org/app",
        ),
        (
            "https://ci-bot:{token}@git.example.com:8443/org/app.git/",
            "https://git.example.com:8443/org/app.git/",
            "git.example.com:8443/org/app",
        ),
        ("https://{token}@github.com/org/app", "https://github.com/org/app", "github.com/org/app"),
        (
            "https://github.com/org/app.git?private_token={token}",
            "https://github.com/org/app.git",
            "github.com/org/app",
        ),
        (
            "ssh://git:{token}@host.example/srv/app.git",
            "ssh://git@host.example/srv/app.git",
            "host.example/srv/app",
        ),
        ("git@github.com:org/app.git", "git@github.com:org/app.git", "github.com/org/app"),
        ("file:///srv/git/app.git", "file:///srv/git/app.git", "/srv/git/app"),
    ],
)
def test_urls_are_shown_and_named_without_credentials(url: str, shown: str, name: str) -> None:
    token = random_text(24)
    target = remote_target(url.format(token=token))
    assert (target.url, target.name, target.key) == (shown, name, name)
    assert target.remote
    assert token not in target.slug
    message = f"fatal: unable to access '{target.location}': the server said no"
    if "{token}" in url:
        message += f" to {token}"
    assert token not in target.scrub(message)
    assert target.url in target.scrub(message)


def test_a_percent_encoded_credential_is_scrubbed_in_either_form() -> None:
    first, second = random_text(8), random_text(8)
    encoded = f"{first}%40{second}%2F"
    target = remote_target("https://bot:" + encoded + "@host.example/app.git")
    assert target.url == "https://host.example/app.git"
    decoded = f"{first}@{second}/"
    assert target.scrub(f"bad password {decoded}, {encoded}") == "bad password ***, ***"


def test_the_same_repository_by_https_ssh_or_twice_is_audited_once(tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text(
        "https://github.com/org/app.git\n"
        "# a comment\n"
        "git@github.com:org/app.git\n"
        "https://github.com/org/lib\n",
        encoding="utf-8",
    )
    targets = collect(["https://github.com/org/app"], str(listing))
    assert [target.location for target in targets] == [
        "https://github.com/org/app",
        "https://github.com/org/lib",
    ]


def test_slugs_are_file_names_unique_per_repository() -> None:
    one = remote_target("https://github.com/org/app")
    other = remote_target("https://github.com/org-app")
    assert "/" not in one.slug
    assert one.slug.startswith("github.com-org-app-")
    assert one.slug != other.slug


def test_local_repositories_by_any_path_are_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q", "app")
    monkeypatch.chdir(tmp_path)
    targets = collect(["app", str(tmp_path / "app"), "./app/"], None)
    assert [(t.name, t.remote) for t in targets] == [("app", False)]


def test_an_argument_that_looks_like_an_option_is_refused() -> None:
    with pytest.raises(KeyleakError, match="not a repository URL or path"):
        expand("--upload-pack=touch")


def test_an_endless_list_of_targets_is_a_usage_error_not_a_hang() -> None:
    """`keyleak audit --from /dev/zero` read for ever: the list is capped."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "scanner", "audit", "--from", "/dev/zero"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "/dev/zero: cannot read the list of repositories: larger than the" in done.stderr
