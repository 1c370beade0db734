"""What keyleak hands git as a name (a revision, a ref, a URL) is never read as an option."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner import git
from scanner.errors import GitError


def test_a_remote_s_head_that_looks_like_an_option_is_refused(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror.git"
    git.init_bare(mirror)
    before = (mirror / "HEAD").read_text()

    with pytest.raises(GitError):
        git.set_head(mirror, "--quiet")

    assert (mirror / "HEAD").read_text() == before
