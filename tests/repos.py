"""Real git repositories built in tests: commits with chosen files, authors and dates."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import git
from tests.keys import random_text


def commit(repo: Path, files: Mapping[str, str | bytes | None], message: str, **env: str) -> str:
    """Write (or, for None, delete) files, commit them all, return the new commit's id."""
    for name, content in files.items():
        path = repo / name
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    git(repo, "add", "-A")
    completed = subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", message],
        cwd=repo,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    assert completed.returncode == 0
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def author(name: str, email: str, date: str) -> dict[str, str]:
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date}


def config_line(key: str) -> str:
    return f'API_KEY = "{key}"\n'


def merged_and_dropped(repo: Path, key: str) -> str:
    """`key` added on a side branch that a merge into main dropped; returns the merge."""
    commit(repo, {"README.md": "base\n"}, "base")
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, {"key.py": config_line(key)}, "add a key on the side")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"main.txt": "main moves on\n"}, "main work")
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "side")
    git(repo, "rm", "-q", "-f", "key.py")
    git(repo, "commit", "-q", "-m", "merge without the key")
    git(repo, "branch", "-q", "-D", "side")
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def pull_request(repo: Path, files: Mapping[str, str]) -> str:
    """A base commit on main, then a branch whose one commit writes `files`; the range."""
    base = commit(repo, {"README.md": "hello\n"}, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, files, "the pull request")
    return f"{base}..feature"


def acme_rule(rule_id: str = "acme-token", prefix: str = "acme_", extra: str = "") -> str:
    """A custom rule file for `<prefix>` tokens (32 letters or digits), with a random example of
    its own; `extra` is appended to the table."""
    example = prefix + random_text(32)
    return f"""
[[rules]]
id = "{rule_id}"
name = "ACME token"
provider = "acme"
description = "An ACME API token."
regex = '''(?P<secret>{prefix}[A-Za-z0-9]{{32}})'''
keywords = ["{prefix}"]
severity = "high"
remediation = "Revoke it in the ACME console."
examples = ["{example}"]  # keyleak:allow
negative_examples = ["{prefix}short"]
{extra}
"""
