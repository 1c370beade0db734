"""TOML text from a file keyleak reads (a config, a rule pack, a gitleaks config), with every way
it can fail as one error.

`tomllib` recurses once per nested array or inline table: a few thousand brackets, in a file of a
few KiB that a repository may hold, would end the run with a RecursionError.
"""

from __future__ import annotations

from typing import Any


class TomlError(ValueError):
    """Not TOML keyleak can read; the message says why, for the caller to prefix with the file."""


def load_toml(raw: bytes) -> dict[str, Any]:
    import tomllib  # only when a file is parsed: cached configs and rules never need it

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TomlError(f"not valid TOML: {exc}") from exc
    except RecursionError:
        raise TomlError("not valid TOML: nested too deeply") from None
