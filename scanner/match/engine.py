"""The two engines, and the choice between them: Hyperscan where the library imports, else regex.

Both engines compute exactly the same thing, which is the definition of a match:

    for every rule whose keywords (case-insensitive) occur in the chunk,
    every non-overlapping `regex.finditer` match of the rule, whose `secret` group
    passes the rule's entropy floor and allow patterns.

The Hyperscan engine only decides faster which rules can possibly match a chunk; the
confirmation step is shared, which is what keeps the two engines' results identical.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scanner.model import Rule

if TYPE_CHECKING:
    from scanner.config.settings import EngineName
    from scanner.match.results import Matcher


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def build_matcher(rules: tuple[Rule, ...], digest: str, engine: EngineName = "auto") -> Matcher:
    """The Hyperscan engine where the library imports (its database cached on disk), else regex."""
    if engine == "regex" or (engine == "auto" and not hyperscan_available()):
        from scanner.match.regex_matcher import RegexMatcher

        return RegexMatcher(rules)
    if engine == "hyperscan" and not hyperscan_available():
        from scanner.errors import KeyleakError

        raise KeyleakError("--engine hyperscan: the hyperscan package is not installed")
    from scanner.match.database_cache import load_or_compile
    from scanner.match.hyperscan_matcher import HyperscanMatcher

    return HyperscanMatcher(rules, load_or_compile(rules, digest))
