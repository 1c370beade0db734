"""The rule set a config asks for: the shipped rules, its extra rule files and gitleaks rules,
enabled and disabled as it says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scanner.config.project import Config
from scanner.errors import ConfigError, RuleError
from scanner.model import Rule
from scanner.rules import RuleSet


def load_ruleset(config: Config, warn: Callable[[str], None]) -> RuleSet:
    """The built-in rules, the config's extra rule files and gitleaks rules, enabled/disabled."""
    from scanner.rules import builtin_rules_dir, load_rules, select_rules, with_rules

    for path in config.rules:
        if not Path(path).exists():
            from scanner.redaction import masked_path

            # a key pasted where the config names a rule file must not come back in the message
            raise RuleError(f"{masked_path(str(path))}: no such rule file or directory")
    ruleset = load_rules([builtin_rules_dir(), *config.rules]) if config.rules else load_rules()
    if config.gitleaks_config is not None:
        from scanner.config import gitleaks

        imported, digest = gitleaks.load(config.gitleaks_config)
        for problem in imported.problems:
            warn(problem)
        known = {rule.id for rule in ruleset.rules}
        extra: list[Rule] = []
        for rule in imported.rules:
            if rule.id in known:
                warn(f"{rule.source}: {rule.id}: skipped: keyleak has a rule with this id")
            else:
                extra.append(rule)
        ruleset = with_rules(ruleset, extra, digest)
    try:
        return select_rules(ruleset, config.enable, config.disable)
    except RuleError as exc:
        from scanner.redaction import masked

        # a key pasted into enable or disable must not come back in the message
        raise ConfigError(f"{config.source}: {masked(str(exc))}") from exc
