"""Generate the accuracy corpus: planted secrets of every rule, generic secrets, hard negatives.

Run (from the project root; the rules are read when it runs, so new rules are covered):

    .venv/bin/python benchmarks/accuracy/gen_corpus.py [OUT] [--seed 1] [--rules PATH ...]

OUT defaults to /tmp/keyleak-accuracy. The corpus goes to OUT/corpus, one planted secret per
file (files whose name matters, such as `.env` or `Dockerfile`, get a directory of their own):

- plain/<rule>/...    a fresh secret of that rule assigned in one of 18 languages and formats;
                      a secret its rule knows only inside a whole document (a service-account
                      JSON, a connection string) is planted as that document instead
- base64/<rule>/...   the same, present only base64-encoded (Kubernetes Secret, JSON...)
- generic/...         a random password or token assigned to a secret-looking name in one of
                      31 syntaxes, or the password of a connection URI
- negative/...        hard negatives only: every finding there is a false positive

OUT/manifest.json lists every planted secret with its file (it holds the secrets, which is why
it is outside the corpus). The same seed and rule files give the same bytes. Secrets are learnt
from each rule's examples (see shapes.py); generic rules (rules/generic.toml) are measured by
the generic family only, and rules about file names (`filters = ["file"]`) are not planted.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import encoded
import formats
import generic
import negatives
import shapes
from filler import Words

from scanner.model import Rule
from scanner.rules import load_rules

DEFAULT_OUT = Path("/tmp/keyleak-accuracy")
FILE_FILTER = "file"
#: the share of generic secrets written as a connection URI's password
URI_SHARE = 0.2
#: what ends a value written bare in a line: a URI holding the secret extends to these
VALUE_STOPS = frozenset(" \t\r\n\"'`<>(){}[],;")
#: names scanners treat by name (lockfiles may be skipped, `.env` is a finding of its own)
SPECIAL_NAMES = frozenset(
    {
        "Dockerfile",
        "config.json",
        "package-lock.json",
        "yarn.lock",
        "poetry.lock",
        "go.sum",
        "SHA256SUMS",
        "CHANGELOG.md",
    }
)
ASSIGNED_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)[\"']?\s*(?:=|:|=>|:=)\s*[\"'`]?$")


@dataclass(frozen=True)
class Plant:
    family: str
    rule_id: str
    case: str
    #: relative to the corpus; before writing, the tag that makes the file name unique
    path: str
    secret: str
    #: generic plants: the name the secret is assigned to
    name: str = ""


def is_generic(rule: Rule) -> bool:
    return rule.provider == "generic" or Path(rule.source).stem == "generic"


def matches_paths(rule: Rule) -> bool:
    """Rules about file names (a committed `.env`), not content: nothing to plant."""
    return FILE_FILTER in rule.filters


def value_affixes(text: str, secret: str) -> tuple[str, str]:
    """What the example writes around the secret as part of one value: a URI holding it."""
    start = text.find(secret)
    end = start + len(secret)
    left = start
    while left > 0 and text[left - 1] not in VALUE_STOPS:
        left -= 1
    right = end
    while right < len(text) and text[right] not in VALUE_STOPS:
        right += 1
    if "://" not in text[left:start]:
        return "", ""
    return text[left:start], text[end:right]


def assigned_name(text: str, secret: str) -> str | None:
    start = text.find(secret) - len(value_affixes(text, secret)[0])
    line_start = text.rfind("\n", 0, start) + 1
    found = ASSIGNED_NAME.search(text[line_start:start])
    return found.group(1) if found else None


def rule_name(rule: Rule) -> str:
    """The variable name the examples assign the secret to, preferring one naming the provider."""
    provider = rule.provider.replace("-", "").lower()
    names: list[str] = [
        n for e in rule.examples if (n := assigned_name(e.text, e.secret)) is not None
    ]

    def score(name: str) -> tuple[bool, bool]:
        return (provider in name.replace("_", "").lower(), "_" in name)

    if names:
        return max(names, key=score)
    return rule.id.replace("-", "_").upper()


def template_name(rule: Rule, template: shapes.Template, fallback: str) -> str:
    """The name the template's own example assigns its secret to: the context its rule knows."""
    return assigned_name(template.text, template.secret) or fallback


def plain_value(template: shapes.Template, secret: str) -> str:
    before, after = value_affixes(template.text, template.secret)
    return before + secret + after


class Corpus:
    def __init__(self, out: Path, seed: int) -> None:
        self.root = out / "corpus"
        self.rng = random.Random(seed)
        self.words = Words(self.rng)
        self.plants: list[Plant] = []
        self.negatives: list[dict[str, str]] = []
        self.made: set[Path] = set()

    def write(self, folder: str, tag: str, file_name: str, text: str) -> str:
        """Write `folder/tag-file_name`, or `folder/tag/file_name` where the name itself matters
        to a scanner (`.env`, `Dockerfile`); few directories keep generation fast."""
        special = file_name.startswith(".") or file_name in SPECIAL_NAMES
        path = f"{folder}/{tag}/{file_name}" if special else f"{folder}/{tag}-{file_name}"
        target = self.root / path
        if target.parent not in self.made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(target.parent)
        target.write_text(text, encoding="utf-8")
        return path

    def plant(self, plant: Plant, folder: str, file: tuple[str, str]) -> None:
        tag = plant.path
        path = self.write(folder, tag, *file)
        self.plants.append(replace(plant, path=path))


def standalone(rule: Rule, name: str, value: str, secret: str, valid: shapes.Validator) -> bool:
    """Does the rule know the secret from a one-line assignment, or only in its whole document?"""
    lines = (f"{formats.ident(name).upper()}={value}\n", f'"{name}": "{value}"\n')
    return any(valid(rule.id, line, secret) for line in lines)


def plant_rules(
    corpus: Corpus,
    sources: list[shapes.SecretSource],
    valid: shapes.Validator,
    plain_count: int,
    encoded_count: int,
) -> None:
    plain_formats = list(formats.RENDERERS)
    document_formats = list(formats.DOCUMENT_RENDERERS)
    encoded_formats = list(encoded.RENDERERS)
    for number, source in enumerate(sources):
        rule = source.rule
        name = rule_name(rule)
        count = max(plain_count, len(source.templates))
        for index in range(count + encoded_count):
            template = source.templates[index % len(source.templates)]
            secret = shapes.fresh_secret(source, template, valid, corpus.rng)
            value = plain_value(template, secret)
            assigned = template_name(rule, template, name)
            document = not standalone(rule, assigned, value, secret, valid)
            if document:
                value = template.text.replace(template.secret, secret)
            if index >= count:
                family = "base64"
                fmt = encoded_formats[(number * encoded_count + index) % len(encoded_formats)]
                file = encoded.RENDERERS[fmt](corpus.words, assigned, value)
            elif document:
                family = "plain"
                fmt = document_formats[index % len(document_formats)]
                file = formats.DOCUMENT_RENDERERS[fmt](corpus.words, assigned, value)
            else:
                family = "plain"
                fmt = plain_formats[(number * count + index) % len(plain_formats)]
                file = formats.RENDERERS[fmt](corpus.words, assigned, value)
            plant = Plant(family, rule.id, fmt, f"{index:02d}-{fmt}", secret)
            corpus.plant(plant, f"{family}/{rule.id}", file)


def plant_generic(corpus: Corpus, count: int) -> None:
    w = corpus.words
    for index in range(count):
        if corpus.rng.random() < URI_SHARE:
            secret = generic.password(corpus.rng, generic.URI_SAFE)
            name = "uri"
            case, file_name, text = generic.uri(w, secret)
        else:
            secret = generic.password(corpus.rng)
            name = corpus.rng.choice(generic.NAMES)
            case, file_name, text = generic.render_assignment(w, name, secret)
        plant = Plant("generic", "", case, f"{index:04d}-{case}", secret, name)
        corpus.plant(plant, "generic", (file_name, text))


def write_negatives(corpus: Corpus, count: int) -> None:
    categories = list(negatives.NEGATIVES)
    for index in range(count):
        category = categories[index % len(categories)]
        file = negatives.NEGATIVES[category](corpus.words)
        path = corpus.write("negative", f"{index:04d}-{category}", *file)
        corpus.negatives.append({"category": category, "path": path})


def prepare(out: Path) -> None:
    """Replace a corpus this script wrote before; never delete anything else."""
    corpus = out / "corpus"
    if corpus.exists():
        if not (out / "manifest.json").is_file():
            raise SystemExit(f"{corpus} exists and is not a corpus written by this script")
        shutil.rmtree(corpus)
    out.mkdir(parents=True, exist_ok=True)


def generate(
    out: Path,
    seed: int,
    rule_paths: list[Path] | None,
    plain_count: int,
    encoded_count: int,
    generic_count: int,
    negative_count: int,
) -> dict[str, Any]:
    started = time.perf_counter()
    ruleset = load_rules(rule_paths)
    valid = shapes.rule_validator(ruleset.rules)
    prepare(out)
    corpus = Corpus(out, seed)
    provider_rules = [
        rule for rule in ruleset.rules if not is_generic(rule) and not matches_paths(rule)
    ]
    sources = [shapes.learn_rule(rule, valid, corpus.rng) for rule in provider_rules]
    plant_rules(corpus, sources, valid, plain_count, encoded_count)
    plant_generic(corpus, generic_count)
    write_negatives(corpus, negative_count)
    manifest: dict[str, Any] = {
        "seed": seed,
        "rules": len(ruleset.rules),
        "provider_rules": len(provider_rules),
        "generic_rules": [rule.id for rule in ruleset.rules if is_generic(rule)],
        "path_rules": [rule.id for rule in ruleset.rules if matches_paths(rule)],
        "not_randomised": [source.rule.id for source in sources if not source.randomised],
        "plants": [asdict(plant) for plant in corpus.plants],
        "negatives": corpus.negatives,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rules", type=Path, nargs="*", help="rule files (default: shipped)")
    parser.add_argument("--plain-per-rule", type=int, default=6)
    parser.add_argument("--base64-per-rule", type=int, default=3)
    parser.add_argument("--generic", type=int, default=400, help="generic secrets to plant")
    parser.add_argument("--negatives", type=int, default=400, help="hard-negative files")


def generate_from(args: argparse.Namespace) -> dict[str, Any]:
    return generate(
        args.out,
        args.seed,
        args.rules or None,
        args.plain_per_rule,
        args.base64_per_rule,
        args.generic,
        args.negatives,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    manifest = generate_from(parser.parse_args())
    plants, skipped = manifest["plants"], manifest["not_randomised"]
    print(
        f"{len(plants)} planted secrets, {len(manifest['negatives'])} negative files "
        f"for {manifest['rules']} rules in {manifest['seconds']} s; "
        f"{len(skipped)} rules not randomised (example secrets reused): {', '.join(skipped) or '-'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
