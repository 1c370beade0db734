"""Generate the accuracy corpus: planted secrets of every rule, generic secrets, hard negatives.

Run (from the project root; the rules are read when it runs, so new rules are covered):

    .venv/bin/python benchmarks/accuracy/gen_corpus.py [OUT] [--seed 1] [--rules PATH ...]

OUT defaults to /tmp/keyleak-accuracy. The corpus goes to OUT/corpus, one planted secret per
file (files whose name matters, such as `.env` or `Dockerfile`, get a directory of their own):

- plain/<rule>/...    a fresh secret of that rule in each of the rule's `plant` contexts (by
                      default `token = "{secret}"` and the secret alone on a line): a plain
                      `NAME = "{secret}"` context is written in one of 18 languages and formats,
                      any other context (a document, a keyword elsewhere on the line) as written,
                      inside a file of prose, a shell heredoc or a Python string
- base64/<rule>/...   the same, present only base64-encoded (Kubernetes Secret, JSON...)
- generic/...         a random password or token assigned to a secret-looking name in one of
                      31 syntaxes, or the password of a connection URI
- negative/...        hard negatives only: every finding there is a false positive

OUT/manifest.json lists every planted secret with its file (it holds the secrets, which is why
it is outside the corpus). The same seed and rule files give the same bytes. Secrets are drawn
from each rule's declared `format` (see declared.py; a `checksum` is computed, never checked
against keyleak): neither copied from its examples nor kept only when keyleak finds them. Rules
without a format are listed, not planted; a rule for some paths only (`path`) is planted as files
named as the first of declared.PATH_NAMES its `path` accepts (listed, not planted, when none);
generic rules (rules/generic.toml) are measured by the generic family only, and rules about file
names (`filters = ["file"]`) are not planted.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import declared
import encoded
import formats
import generic
import negatives
from filler import Words

from scanner.model import Rule
from scanner.rules import load_rules

DEFAULT_OUT = Path("/tmp/keyleak-accuracy")
FILE_FILTER = "file"
#: the share of generic secrets written as a connection URI's password
URI_SHARE = 0.2
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
    #: rule plants: "service", "shape" (JWTs, URIs, hashes: no one provider's) or "family member"
    kind: str = ""


def is_generic(rule: Rule) -> bool:
    return rule.provider == "generic" or Path(rule.source).stem == "generic"


def matches_paths(rule: Rule) -> bool:
    """Rules about file names (a committed `.env`), not content: nothing to plant."""
    return FILE_FILTER in rule.filters


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


def declarations(rules: list[Rule]) -> tuple[list[Rule], list[str], list[str]]:
    """The rules to plant; the ids of those that declare no format; and of those that apply only
    to paths (`path`) that none of declared.PATH_NAMES matches."""
    declared_rules = [r for r in rules if r.format]
    unplaced = [
        r.id for r in declared_rules if r.path is not None and declared.path_name(r) is None
    ]
    planted = [r for r in declared_rules if r.id not in unplaced]
    return planted, [r.id for r in rules if not r.format], unplaced


def plant_kind(rule: Rule) -> str:
    return "family member" if rule.family else rule.kind


def plant_rules(corpus: Corpus, rules: list[Rule], plain_count: int, encoded_count: int) -> None:
    plain_formats = list(formats.RENDERERS)
    document_formats = list(formats.DOCUMENT_RENDERERS)
    for number, rule in enumerate(rules):
        # a key recognised only next to its name cannot be told in a document that drops the
        # name (a registry login's `user:secret`): such rules are planted in the others
        encoded_formats = [
            fmt
            for fmt in encoded.RENDERERS
            if not (fmt in encoded.NAMELESS and (rule.family or rule.plant))
        ]
        contexts = declared.contexts(rule.plant)
        count = max(plain_count, len(contexts))
        # a file that must have a given name holds the context as written, and is not encoded
        own_name = declared.path_name(rule) if rule.path is not None else None
        for index in range(count if own_name else count + encoded_count):
            secret = declared.generate(rule.format, corpus.rng, rule.checksum)
            context = contexts[index % len(contexts)]
            name = declared.plain_assignment(context)
            document = context.replace(declared.SLOT, secret)
            if own_name:
                family, fmt = "plain", "named-file"
                file = (own_name, document + "\n")
            elif index >= count:
                family = "base64"
                fmt = encoded_formats[(number * encoded_count + index) % len(encoded_formats)]
                assigned = name or declared.assigned_name(context) or formats.ident(rule.id).upper()
                value = secret if name else document
                file = encoded.RENDERERS[fmt](corpus.words, assigned, value)
            elif name is None:
                family = "plain"
                fmt = document_formats[(number + index) % len(document_formats)]
                assigned = declared.assigned_name(context) or formats.ident(rule.id).upper()
                file = formats.DOCUMENT_RENDERERS[fmt](corpus.words, assigned, document)
            else:
                family = "plain"
                fmt = plain_formats[(number * count + index) % len(plain_formats)]
                file = formats.RENDERERS[fmt](corpus.words, name, secret)
            plant = Plant(family, rule.id, fmt, f"{index:02d}-{fmt}", secret, kind=plant_kind(rule))
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
    prepare(out)
    corpus = Corpus(out, seed)
    provider_rules = [
        rule for rule in ruleset.rules if not is_generic(rule) and not matches_paths(rule)
    ]
    planted, undeclared, unplaced = declarations(provider_rules)
    plant_rules(corpus, planted, plain_count, encoded_count)
    plant_generic(corpus, generic_count)
    write_negatives(corpus, negative_count)
    manifest: dict[str, Any] = {
        "seed": seed,
        "rules": len(ruleset.rules),
        "provider_rules": len(provider_rules),
        "generic_rules": [rule.id for rule in ruleset.rules if is_generic(rule)],
        "path_rules": [rule.id for rule in ruleset.rules if matches_paths(rule)],
        "no_format": undeclared,
        "no_path_name": unplaced,
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
    plants, skipped = manifest["plants"], manifest["no_format"]
    print(
        f"{len(plants)} planted secrets, {len(manifest['negatives'])} negative files "
        f"for {manifest['rules']} rules in {manifest['seconds']} s; "
        f"{len(skipped)} rules declare no format (not planted): {', '.join(skipped) or '-'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
