"""Recall and false positives of keyleak on the accuracy corpus, per rule family.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/accuracy/measure.py [OUT] [--seed 1] [--keyleak PATH]

It generates the corpus into OUT (default /tmp/keyleak-accuracy; see gen_corpus.py) from the
rule files as they are now, runs `keyleak scan OUT/corpus --format json --no-redact`, and
matches the report against OUT/manifest.json:

- a planted secret is found when a finding in its file reports it (the same characters once
  whitespace and `\\n` escapes are ignored, or a longer secret containing it, such as a whole
  connection URI); "by its rule" counts only findings of the rule it was made for;
- every finding in a negative file is a false positive, given per 100 negative files.

It prints the table, the targets (recall 100% plain, >= 95% base64, >= 90% generic, <= 1 false
positive per 100 negative files), then what was missed per rule and case, the false positives
per rule and category, and the other findings in planted files. Exit status 0 when every target
is met, 1 when not, 2 when keyleak failed.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import gen_corpus

ROOT = Path(__file__).resolve().parents[2]
#: family -> (title, minimum recall in percent)
TARGETS = {
    "plain": ("provider keys, plain text", 100.0),
    "base64": ("provider keys, base64-embedded", 95.0),
    "generic": ("generic assignments and URIs", 90.0),
}
MAX_FP_PER_100 = 1.0
LAYOUT = re.compile(r"\\[rn]|\s")


def default_keyleak() -> str:
    local = ROOT / ".venv" / "bin" / "keyleak"
    return str(local) if local.exists() else shutil.which("keyleak") or "keyleak"


def normal(secret: str) -> str:
    """The secret without what each format's writing adds: line layout (indentation, CRLF,
    `\\n` escapes), XML entities, JSON's escaped quotes."""
    return LAYOUT.sub("", html.unescape(secret).replace('\\"', '"'))


def reports(planted: str, finding: str) -> bool:
    wanted, got = normal(planted), normal(finding)
    return bool(wanted) and wanted in got


def run_keyleak(keyleak: str, corpus: Path, report: Path, extra: list[str]) -> float:
    command = [keyleak, "scan", ".", "--format", "json", "--no-redact", "-o", str(report), *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=corpus, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr)
        raise SystemExit(2)
    return elapsed


def percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 100.0


def evaluate(manifest: dict[str, Any], findings: list[dict[str, Any]]) -> bool:
    by_path: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        by_path[finding["location"]["path"]].append(finding)

    found: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    planted: Counter[str] = Counter()
    #: (family, rule kind): service rules and shapes are each held to their family's target
    kind_planted: Counter[tuple[str, str]] = Counter()
    kind_found: Counter[tuple[str, str]] = Counter()
    rule_total: Counter[tuple[str, str]] = Counter()
    case_total: dict[str, Counter[str]] = defaultdict(Counter)
    case_missed: dict[str, Counter[str]] = defaultdict(Counter)
    missed: dict[tuple[str, str], list[str]] = defaultdict(list)
    wrong_rule: Counter[tuple[str, str]] = Counter()
    others: Counter[tuple[str, str]] = Counter()
    for plant in manifest["plants"]:
        family = plant["family"]
        planted[family] += 1
        kind = (family, plant.get("kind", ""))
        kind_planted[kind] += 1
        rule_total[(family, plant["rule_id"] or plant["name"])] += 1
        case_total[family][plant["case"]] += 1
        in_file = by_path.get(plant["path"], [])
        hits = [f for f in in_file if reports(plant["secret"], f["secret"])]
        others.update((family, f["rule_id"]) for f in in_file if f not in hits)
        if not hits:
            case_missed[family][plant["case"]] += 1
            missed[(family, plant["rule_id"] or plant["name"])].append(plant["case"])
            continue
        found[family] += 1
        kind_found[kind] += 1
        if family == "generic" or any(f["rule_id"] == plant["rule_id"] for f in hits):
            by_rule[family] += 1
        else:
            wrong_rule[(plant["rule_id"], hits[0]["rule_id"])] += 1

    negative_paths = {n["path"]: n["category"] for n in manifest["negatives"]}
    false_positives = [f for f in findings if f["location"]["path"] in negative_paths]
    fp_per_100 = percent(len(false_positives), len(negative_paths))

    print(f"\n{'family':<34} {'planted':>7} {'found':>6} {'recall':>7} {'by rule':>8}  target")
    ok = True
    for family, (title, target) in TARGETS.items():
        recall = percent(found[family], planted[family])
        met = recall >= target
        ok &= met
        print(
            f"{title:<34} {planted[family]:>7} {found[family]:>6} {recall:>6.1f}% "
            f"{percent(by_rule[family], planted[family]):>7.1f}%  >= {target:g}% "
            f"{'ok' if met else 'MISSED'}"
        )
        for (of, kind), count in sorted(kind_planted.items()):
            if of == family and kind:
                share = percent(kind_found[(of, kind)], count)
                print(
                    f"  {kind + ' rules':<32} {count:>7} {kind_found[(of, kind)]:>6} {share:>6.1f}%"
                )
    fp_ok = fp_per_100 <= MAX_FP_PER_100
    ok &= fp_ok
    print(
        f"{'hard negatives (files)':<34} {len(negative_paths):>7} {len(false_positives):>6} FP "
        f"= {fp_per_100:.2f} per 100 files  <= {MAX_FP_PER_100:g} {'ok' if fp_ok else 'MISSED'}"
    )

    for family in TARGETS:
        worst = [
            f"{case} {case_total[family][case] - case_missed[family][case]}/"
            f"{case_total[family][case]}"
            for case in sorted(case_missed[family], key=lambda c: -case_missed[family][c])
        ]
        if worst:
            print(f"\n{family}: cases with misses (found/planted): {', '.join(worst)}")
    if missed:
        print("\nmissed, per rule, or per name for generic (family rule found/planted: cases):")
        for (family, rule_id), cases in sorted(missed.items()):
            counted = ", ".join(f"{c} x{n}" if n > 1 else c for c, n in Counter(cases).items())
            total = rule_total[(family, rule_id)]
            print(f"  {family:<8} {rule_id} {total - len(cases)}/{total}: {counted}")
    if wrong_rule:
        print("\nfound only by another rule (planted rule -> reporting rule):")
        for (planted_rule, other), count in sorted(wrong_rule.items()):
            print(f"  {planted_rule} -> {other}: {count}")
    if false_positives:
        print("\nfalse positives (rule, negative category, file: redacted secret):")
        for finding in false_positives:
            category = negative_paths[finding["location"]["path"]]
            shown = finding["secret"][:12] + "…" if len(finding["secret"]) > 12 else "…"
            print(
                f"  {finding['rule_id']:<28} {category:<16} "
                f"{finding['location']['path']}:{finding['location']['line']}: {shown}"
            )
    if others:
        print("\nother findings in planted files (family, rule: count):")
        for (family, rule_id), count in sorted(others.items()):
            print(f"  {family:<8} {rule_id}: {count}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gen_corpus.add_arguments(parser)
    parser.add_argument("--keyleak", default=default_keyleak(), help="keyleak executable")
    parser.add_argument(
        "--scan-args", default="", help="extra `keyleak scan` options, e.g. '--engine regex'"
    )
    args = parser.parse_args()
    manifest = gen_corpus.generate_from(args)
    corpus = args.out / "corpus"
    report = args.out / "report.json"
    elapsed = run_keyleak(args.keyleak, corpus, report, args.scan_args.split())
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    skipped_rules = manifest["no_format"]
    print(
        f"corpus: {len(manifest['plants'])} planted secrets and {len(manifest['negatives'])} "
        f"negative files for {manifest['rules']} rules ({manifest['provider_rules']} provider, "
        f"{len(manifest['generic_rules'])} generic), generated in {manifest['seconds']} s, "
        f"scanned in {elapsed:.2f} s"
    )
    print(
        f"rules that declare no format (not planted): "
        f"{len(skipped_rules)}{': ' + ', '.join(skipped_rules) if skipped_rules else ''}"
    )
    unplaced = manifest["no_path_name"]
    if unplaced:
        print(f"rules for paths none of declared.PATH_NAMES matches (not planted): {unplaced}")
    return 0 if evaluate(manifest, findings) else 1


if __name__ == "__main__":
    sys.exit(main())
