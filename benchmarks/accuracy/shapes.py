"""Fresh, format-valid secrets for every rule, learnt from the rule's own examples.

Each distinct example secret is a template. Its characters are kept when they are not letters or
digits, when they belong to one of the rule's keywords (vendor prefixes, fixed markers such as
the base64 of "openai"), or when the rule's regex accepts no other character of the same class
in that position (literals such as the `T` of a Slack team id). Every other position is drawn
afresh from the characters of its class (lower case, upper case, digit) that the regex accepts
there, so hex stays hex and base32 stays base32 without knowing either.

A candidate is kept only when keyleak's own matcher (entropy floor, allow patterns, checksum)
reports it for its rule in the example's context; after a few failures the example's own secret
is used instead and the rule is counted as not randomised (checksummed formats, mostly).
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import regex

from scanner.match.regex_matcher import RegexMatcher
from scanner.model import Example, Rule
from scanner.rules import SECRET_GROUP

PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
#: whole-run trials that must all pass before a run's positions are taken as free
RUN_TRIALS = 3
#: fresh candidates tried against the full matcher before falling back to the example
CANDIDATE_TRIALS = 25
#: templates kept per rule: enough for every shape (lengths, optional parts) the examples show
MAX_TEMPLATES = 4


def char_class(char: str) -> str:
    return next((members for members in CLASSES if char in members), "")


@dataclass(frozen=True)
class Template:
    """One example secret and, per character, the alphabet to draw from ('' keeps it)."""

    text: str
    secret: str
    slots: tuple[str, ...]

    @property
    def free(self) -> int:
        return sum(1 for alphabet in self.slots if alphabet)

    def draw(self, rng: random.Random) -> str:
        return "".join(
            rng.choice(alphabet) if alphabet else char
            for char, alphabet in zip(self.secret, self.slots, strict=True)
        )


class StructureCheck:
    """Does the rule's regex alone extract exactly `candidate` from the example's context?"""

    def __init__(self, rule: Rule, example: Example) -> None:
        self._pattern: Any = regex.compile(rule.regex.encode())
        self._before, _, self._after = example.text.partition(example.secret)

    def __call__(self, candidate: str) -> bool:
        text = (self._before + candidate + self._after).encode()
        wanted = candidate.encode()
        return any(m.group(SECRET_GROUP) == wanted for m in self._pattern.finditer(text))


def fixed_positions(secret: str, keywords: tuple[str, ...]) -> set[int]:
    lowered = secret.lower()
    fixed = {i for i, char in enumerate(secret) if not char_class(char)}
    # a percent-escape (`%2B` in a SAS signature) stays one, whatever the regex would accept
    for escape in PERCENT_ESCAPE.finditer(secret):
        fixed.update(range(*escape.span()))
    for keyword in keywords:
        needle = keyword.lower()
        start = lowered.find(needle)
        while needle and start >= 0:
            fixed.update(range(start, start + len(needle)))
            start = lowered.find(needle, start + 1)
    return fixed


def runs(secret: str, fixed: set[int]) -> list[range]:
    """Maximal stretches of positions that may change."""
    found: list[range] = []
    start: int | None = None
    for index in range(len(secret) + 1):
        free = index < len(secret) and index not in fixed
        if free and start is None:
            start = index
        elif not free and start is not None:
            found.append(range(start, index))
            start = None
    return found


def learn_template(rule: Rule, example: Example, rng: random.Random) -> Template:
    secret = example.secret
    check = StructureCheck(rule, example)
    slots = [""] * len(secret)
    for run in runs(secret, fixed_positions(secret, rule.keywords)):
        wide = [char_class(secret[i]) for i in run]

        def redrawn(run: range = run, wide: list[str] = wide) -> str:
            chars = list(secret)
            for offset, index in enumerate(run):
                chars[index] = rng.choice(wide[offset])
            return "".join(chars)

        if all(check(redrawn()) for _ in range(RUN_TRIALS)):
            for offset, index in enumerate(run):
                slots[index] = wide[offset]
            continue
        for index in run:
            accepted = "".join(
                char
                for char in char_class(secret[index])
                if check(secret[:index] + char + secret[index + 1 :])
            )
            slots[index] = accepted if len(accepted) > 1 else ""
    return Template(text=example.text, secret=secret, slots=tuple(slots))


def example_templates(rule: Rule) -> list[Example]:
    """Distinct example secrets, plain forms first (escaped or indented copies of a multi-line
    key are the same shape written differently, so they are used only if nothing else exists)."""
    seen: set[str] = set()
    plain: list[Example] = []
    written: list[Example] = []
    for example in rule.examples:
        if example.secret in seen:
            continue
        seen.add(example.secret)
        unusual = "\\n" in example.secret or "\n " in example.secret or "\n\t" in example.secret
        (written if unusual else plain).append(example)
    shapes: dict[tuple[int, str], Example] = {}
    for example in plain or written:
        shape = (len(example.secret), "".join(c for c in example.secret if not char_class(c)))
        shapes.setdefault(shape, example)
    return list(shapes.values())[:MAX_TEMPLATES]


@dataclass(frozen=True)
class SecretSource:
    """Where a rule's secrets come from, and whether they could be randomised."""

    rule: Rule
    templates: tuple[Template, ...]
    randomised: bool


Validator = Callable[[str, str, str], bool]


def rule_validator(rules: tuple[Rule, ...]) -> Validator:
    """(rule id, context text, secret) -> does keyleak's matcher, loaded with that one rule,
    report that secret? One rule at a time: the same confirm step (entropy, allow patterns,
    checksum, filters) as a full scan, without paying for every other rule on each probe."""
    by_id = {rule.id: rule for rule in rules}
    matchers: dict[str, RegexMatcher] = {}

    def valid(rule_id: str, text: str, secret: str) -> bool:
        matcher = matchers.get(rule_id)
        if matcher is None:
            matcher = matchers[rule_id] = RegexMatcher((by_id[rule_id],))
        wanted = secret.encode()
        result = matcher.scan(text.encode())
        return any(m.rule_id == rule_id and m.secret == wanted for m in result.matches)

    return valid


def learn_rule(rule: Rule, valid: Validator, rng: random.Random) -> SecretSource:
    templates = tuple(learn_template(rule, example, rng) for example in example_templates(rule))
    probe = random.Random(rng.random())
    randomised = any(
        any(
            valid(rule.id, t.text.replace(t.secret, c), c)
            for c in (t.draw(probe) for _ in range(CANDIDATE_TRIALS))
        )
        for t in templates
        if t.free
    )
    return SecretSource(rule=rule, templates=templates, randomised=randomised)


def fresh_secret(
    source: SecretSource, template: Template, valid: Validator, rng: random.Random
) -> str:
    """A new secret of the template's shape that the matcher reports, else the example's."""
    if source.randomised and template.free:
        for _ in range(CANDIDATE_TRIALS):
            candidate = template.draw(rng)
            if valid(source.rule.id, template.text.replace(template.secret, candidate), candidate):
                return candidate
    return template.secret
