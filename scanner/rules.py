"""Rule packs: load `rules/*.toml`, validate them, and run their examples.

Loading is on the pre-commit hot path: a rule set is parsed and validated once per content and
kept in keyleak's cache as one `marshal`led tuple of rows, which loads several times faster than
TOML or JSON; what only checking, describing and verifying rules read is an entry of its own.
Compiling the regexes is the engine's job (see match.database_cache).
"""

from __future__ import annotations

import marshal
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from scanner.errors import RuleError
from scanner.model import RULE_DETAILS, Example, Finding, FormatPart, Rule, Severity, frozen
from scanner.model import replaced as replace
from scanner.util.disk_cache import read_entry, write_entry
from scanner.util.sha256 import sha256

REQUIRED_KEYS: dict[str, type] = {
    "id": str,
    "name": str,
    "provider": str,
    "description": str,
    "regex": str,
    "keywords": list,
    "severity": str,
    "remediation": str,
    "examples": list,
    "negative_examples": list,
}
OPTIONAL_KEYS: dict[str, type | tuple[type, ...]] = {
    "min_entropy": (int, float),
    "allow": list,
    "verify": (str, dict),
    "checksum": str,
    "filters": list,
    "hints": list,
    "path": str,
    #: "gitleaks" for rules `keyleak rules import-gitleaks` wrote: they may come without examples
    "imported": str,
    "service": str,
    "kind": str,
    "origin": str,
    "reference": str,
    "aliases": list,
    "format": list,
    "plant": list,
}
KINDS = ("service", "shape")
ORIGINS = ("documented", "observed")
#: what a rule file may hold: rules, and the families and members that expand into rules
TOP_LEVEL = frozenset({"rules", "families", "members"})
IMPORTED_FROM = ("gitleaks",)
SECRET_GROUP = "secret"
#: what a rule's `filters` may name, which change what it reports: drop values that stand for a
#: secret; match the file's path instead of its content
FILTER_NAMES = frozenset({"placeholder", "file"})
#: what a rule's `hints` may name, which only make it faster and never change what it finds:
#: confirm it on keyword lines only, only where a keyword starts, only at line starts, only on
#: lines holding a quote (scanner.match.confirm)
HINT_NAMES = frozenset({"line", "keyword-start", "line-start", "quoted"})
#: hints that work on the keyword lines the `line` hint finds
NEEDS_LINES = ("keyword-start", "line-start")
#: bump when the cached form of a rule changes shape (9: marshalled rows, each rule's details
#: marshalled apart; 10: the details in an entry of their own)
RULES_CACHE_FORMAT = 10
#: The largest shipped pack is 30 KiB, all of them 440 KiB: a generated pack of thousands of
#: rules fits in a file, and a repository's `rules = [...]` cannot make a run read gigabytes.
RULE_FILE_LIMIT = 4 << 20
RULE_FILES_TOTAL_LIMIT = 16 << 20
RULE_SCALARS = (
    "id",
    "name",
    "provider",
    "description",
    "regex",
    "remediation",
    "min_entropy",
    "source",
    "verify",
    "checksum",
    "path",
    "shipped",
    "service",
    "kind",
    "origin",
    "reference",
    "family",
    "verification",
)
#: the order of a rule's fields in a cached row (every field of `Rule`: a test holds them equal),
#: its details last, marshalled on their own: a scan never reads them, and loading them with the
#: rest cost the hook a third of the time it spent loading rules
RULE_ROW = (
    *(name for name in RULE_SCALARS if name not in RULE_DETAILS),
    "keywords",
    "severity",
    "allow",
    "filters",
    "hints",
    "aliases",
    *RULE_DETAILS,
)
#: a cached row: the fields a scan reads, then where the rule's details are in the details' entry
CACHED_ROW = (*RULE_ROW[: -len(RULE_DETAILS)], "_details")
SEVERITIES = {severity.value: severity for severity in Severity}


@frozen
class RuleSet:
    """The rules a scan runs, and a digest of where they came from (the caches' key)."""

    rules: tuple[Rule, ...]
    digest: str

    def by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    def used_by(self, findings: Iterable[Finding]) -> tuple[Rule, ...]:
        """The rules behind these findings, in rule-set order (reports describe them)."""
        used = {finding.rule_id for finding in findings}
        return tuple(rule for rule in self.rules if rule.id in used)


def builtin_rules_dir() -> Path:
    """The shipped rule packs: inside the installed package, or the source tree's `rules/`."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "rules"
    if installed.is_dir():
        return installed
    return package_dir.parent / "rules"


def rule_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            with os.scandir(path) as entries:
                names = sorted(e.name for e in entries if e.name.endswith(".toml") and e.is_file())
            files.extend(path / name for name in names)
        elif path.is_file():
            files.append(path)
        else:
            raise RuleError(f"{path}: no such rule file or directory")
    return files


def read_rule_files(paths: Sequence[Path] | None) -> tuple[list[tuple[Path, bytes]], str]:
    """Each rule file's bytes, and a digest of them all (names included)."""
    return read_contents(existing_rule_files(paths))


def existing_rule_files(paths: Sequence[Path] | None) -> list[Path]:
    files = rule_files(paths if paths else [builtin_rules_dir()])
    if not files:
        raise RuleError("no rule files found")
    return files


def read_contents(files: list[Path]) -> tuple[list[tuple[Path, bytes]], str]:
    from scanner.util.small_file import describe, read_small_file

    contents: list[tuple[Path, bytes]] = []
    digest = sha256()
    total = 0
    for file in files:
        try:
            raw = read_small_file(file, RULE_FILE_LIMIT)
        except OSError as exc:
            raise RuleError(f"{file}: cannot read: {exc.strerror}") from exc
        total += len(raw)
        if total > RULE_FILES_TOTAL_LIMIT:  # a directory of a thousand files under the cap
            raise RuleError(f"rule files: more than {describe(RULE_FILES_TOTAL_LIMIT)} in all")
        contents.append((file, raw))
        digest.update(str(file).encode() + b"\0" + raw + b"\0")
    return contents, digest.hexdigest()


def stat_signature(files: list[Path]) -> str | None:
    """Names, sizes and modification times of the rule files: what `make` would look at.

    Reading and hashing a hundred rule files on every hook run costs more than the rest of
    loading them from the cache; this signature finds the content digest without reading.
    """
    signature = sha256()
    try:
        for file in files:
            info = file.stat()
            signature.update(f"{file}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    except OSError:
        return None
    return signature.hexdigest()


def load_rules(paths: Sequence[Path] | None = None) -> RuleSet:
    """Load and validate rule files; raise RuleError listing every problem found."""
    files = existing_rule_files(paths)
    signature = stat_signature(files)
    index_name = f"rules-index-v{RULES_CACHE_FORMAT}-{signature[:32]}" if signature else None
    known_digest = read_entry(index_name) if index_name else None
    if known_digest is not None:
        cached = cached_rules(known_digest.decode(), files)
        if cached is not None:
            return cached
    contents, hexdigest = read_contents(files)
    ruleset = cached_rules(hexdigest, files)
    if ruleset is None:
        rules = parsed_rules(contents)
        cache_rules(hexdigest, rules)
        ruleset = RuleSet(rules=rules, digest=hexdigest)
    if index_name:
        write_entry(index_name, hexdigest.encode())
    return ruleset


def parsed_rules(contents: list[tuple[Path, bytes]]) -> tuple[Rule, ...]:
    rules, problems = parse_files(contents)
    if problems:
        raise RuleError("invalid rules:\n" + "\n".join(problems))
    return rules


def rules_entry(hexdigest: str) -> str:
    # marshal's format is Python's own: an interpreter that writes another reads its own entry
    return f"rules-v{RULES_CACHE_FORMAT}-m{marshal.version}-{hexdigest[:32]}"


def details_entry(hexdigest: str) -> str:
    return f"rules-details-v{RULES_CACHE_FORMAT}-m{marshal.version}-{hexdigest[:32]}"


def cache_rules(hexdigest: str, rules: Sequence[Rule]) -> tuple[bytes, ...]:
    """Cache `rules`: their details first, so that rows are never cached without them; returns
    the details as cached (`details_rows`)."""
    details = details_rows(rules)
    write_entry(details_entry(hexdigest), marshal.dumps(details))
    write_entry(rules_entry(hexdigest), rules_payload(rules))
    return details


def cached_rules(hexdigest: str, files: Sequence[Path] = ()) -> RuleSet | None:
    """The rule set cached under `hexdigest`, or None when there is none or it does not hold rows
    of today's fields (a damaged entry is caught by the cache's checksum). `files`: the rule
    files, read again if the details' entry is gone when they are asked for."""
    cached = read_entry(rules_entry(hexdigest))
    if cached is None:
        return None
    try:
        fields, rows = marshal.loads(cached)
        if fields != RULE_ROW:
            return None
        source = StoredDetails(hexdigest, tuple(files))
        return RuleSet(tuple(rule_from_row(row, source) for row in rows), hexdigest)
    except (ValueError, EOFError, KeyError, TypeError):
        return None


def rules_payload(rules: Sequence[Rule]) -> bytes:
    """The cache's form of `rules`: plain tuples, strings and numbers only, which `marshal` loads
    in a fifth of the time JSON takes, and in which no code can hide. Each row ends with its
    rule's place in `details_rows`: the details are two thirds of the bytes, which a scan
    never reads (a third of the time the hook spent loading rules)."""
    scanned = CACHED_ROW[:-1]
    rows: tuple[Any, ...] = tuple(
        (*(cached_value(rule, name) for name in scanned), index) for index, rule in enumerate(rules)
    )
    return marshal.dumps((RULE_ROW, rows))


def details_rows(rules: Sequence[Rule]) -> tuple[bytes, ...]:
    """Each rule's details (`RULE_DETAILS`), `marshal`led on their own, in the rules' order."""
    return tuple(
        marshal.dumps(tuple(cached_value(rule, name) for name in RULE_DETAILS)) for rule in rules
    )


class StoredDetails:
    """The details of a cached rule set, read from their entry when a rule first asks for its
    own, once for all (or, should the entry be gone, from the rule files again)."""

    def __init__(self, hexdigest: str, files: tuple[Path, ...]) -> None:
        self.hexdigest = hexdigest
        self.files = files
        self.read: tuple[bytes, ...] | None = None

    def __call__(self, index: int) -> bytes:
        if self.read is None:
            self.read = self.cached() or self.rebuilt()
        return self.read[index]

    def cached(self) -> tuple[bytes, ...] | None:
        payload = read_entry(details_entry(self.hexdigest))
        try:
            details = marshal.loads(payload) if payload is not None else None
        except (ValueError, EOFError, TypeError):
            return None
        if not isinstance(details, tuple) or not all(isinstance(d, bytes) for d in details):
            return None
        return details

    def rebuilt(self) -> tuple[bytes, ...]:
        contents, hexdigest = read_contents(list(self.files))
        if hexdigest != self.hexdigest:
            raise RuleError("the rule files changed while keyleak ran; run it again")
        return cache_rules(hexdigest, parsed_rules(contents))


def cached_value(rule: Rule, name: str) -> Any:
    value = getattr(rule, name)
    if name == "severity":
        return value.value
    if name in ("examples", "format"):
        return tuple(map(tuple, value))
    return value


def rule_from_row(row: tuple[Any, ...], source: StoredDetails) -> Rule:
    """A cached row as a rule. The fields were validated before they were cached, so the rule is
    made without `Rule.__init__`, whose frozen assignments cost the hook more than the rest of
    loading the rules (tests/test_rules.py holds it equal to the parsed rule); its details are
    read when first asked for (`Rule.__getattr__`)."""
    values = dict(zip(CACHED_ROW, row, strict=True))
    values["severity"] = SEVERITIES[values["severity"]]
    values["_details"] = StoredRule(source, values["_details"])
    rule: Rule = Rule.__new__(Rule)
    object.__setattr__(rule, "__dict__", values)
    return rule


class StoredRule:
    """A cached rule's details, as its `Rule.__getattr__` asks for them: a rule pickled to
    another process takes the bytes of its own along, as that process may have no cache."""

    def __init__(self, source: StoredDetails, index: int) -> None:
        self.source = source
        self.index = index

    def __call__(self) -> dict[str, Any]:
        return rule_details(self.source(self.index))

    def __reduce__(self) -> tuple[Any, ...]:
        return partial, (rule_details, self.source(self.index))


def rule_details(cached: bytes) -> dict[str, Any]:
    """A cached rule's details, from the bytes its row holds."""
    try:
        values = dict(zip(RULE_DETAILS, marshal.loads(cached), strict=True))
        values["examples"] = tuple(map(Example._make, values["examples"]))
        values["format"] = tuple(map(FormatPart._make, values["format"]))
    except (ValueError, EOFError, KeyError, TypeError) as exc:
        # the entry passed its checksum when it was read: only a bug can get here
        raise RuleError(f"the rules cache holds a damaged rule ({exc}); remove it") from exc
    return values


def parse_files(contents: list[tuple[Path, bytes]]) -> tuple[tuple[Rule, ...], list[str]]:
    """The valid rules, and one line per problem with the others."""
    from scanner.util.toml_text import TomlError, load_toml  # only when the set is not cached yet

    rules: list[Rule] = []
    problems: list[str] = []
    families: dict[str, dict[str, Any]] = {}
    members: list[tuple[Any, str, int, bool]] = []
    shipped_dir = builtin_rules_dir()
    for file, raw in contents:
        try:
            document = load_toml(raw)
        except TomlError as exc:
            problems.append(f"{file}: {exc}")
            continue
        shipped = file.parent == shipped_dir
        file_rules, file_problems = parse_document(document, str(file), shipped)
        if shipped:
            file_rules = [replace(rule, shipped=True) for rule in file_rules]
        rules.extend(file_rules)
        problems.extend(file_problems)
        problems.extend(collect_families(document, str(file), families))
        raw_members = document.get("members", [])
        if not isinstance(raw_members, list):
            problems.append(f"{file}: 'members' must be [[members]] tables")
            continue
        members += [(member, str(file), i, shipped) for i, member in enumerate(raw_members)]
    rules += expand_members(members, families, problems)
    problems += id_problems(rules)
    return tuple(liked_verifiers(rules)), problems


def liked_verifiers(rules: list[Rule]) -> list[Rule]:
    """A rule whose verify table reuses another's (`like`) without a name of its own is
    verified by that rule's verifier, whatever its own service is called."""
    import json  # only when the rules are read from their files, never from the cache

    by_id = {rule.id: rule for rule in rules}
    resolved: list[Rule] = []
    for rule in rules:
        table = json.loads(rule.verification) if rule.verification else {}
        target = by_id.get(table.get("like", "")) if "name" not in table else None
        if target is not None and target.verify and target.verify != rule.verify:
            rule = replace(rule, verify=target.verify)
        resolved.append(rule)
    return resolved


def collect_families(
    document: dict[str, Any], source: str, families: dict[str, dict[str, Any]]
) -> list[str]:
    from scanner.rule_families import family_problems

    tables = document.get("families", [])
    if not isinstance(tables, list):
        return [f"{source}: 'families' must be [[families]] tables"]
    problems: list[str] = []
    for index, table in enumerate(tables):
        found = family_problems(table, source, index)
        if not found and table["id"] in families:
            found = [f"{source}: family {table['id']} is declared twice"]
        if found:
            problems += found
        else:
            families[table["id"]] = table
    return problems


def expand_members(
    members: list[tuple[Any, str, int, bool]],
    families: dict[str, dict[str, Any]],
    problems: list[str],
) -> list[Rule]:
    """Each member's rule; a member's problems, or its rule's, go to `problems`."""
    from scanner.rule_families import expand_member

    rules: list[Rule] = []
    owners: dict[str, str] = {}
    for member, source, index, shipped in members:
        table, found = expand_member(member, families, source, index)
        if table is None:
            problems += found
            continue
        for keyword in table["keywords"]:
            owner = owners.setdefault(keyword, table["provider"])
            if owner != table["provider"]:
                problems.append(
                    f"{source}: keyword {keyword!r} names both {owner} and {table['provider']}"
                )
        rule, found = parse_rule(table, source, index, family=member["family"], shipped=shipped)
        problems += found
        if rule is not None:
            rules.append(replace(rule, shipped=shipped))
    return rules


def id_problems(rules: list[Rule]) -> list[str]:
    """Duplicate ids, and aliases that another rule still uses or two rules claim."""
    problems = [
        f"{rule_id}: duplicate rule id ({count} rules)"
        for rule_id, count in Counter(rule.id for rule in rules).items()
        if count > 1
    ]
    ids = {rule.id for rule in rules}
    claimed: dict[str, str] = {}
    for rule in rules:
        for alias in rule.aliases:
            if alias in ids:
                problems.append(f"{rule.id}: alias {alias!r} is another rule's id")
            elif claimed.setdefault(alias, rule.id) != rule.id:
                problems.append(f"{rule.id}: alias {alias!r} is also {claimed[alias]}'s")
    return problems


def rule_to_json(rule: Rule) -> dict[str, Any]:
    return {
        **{name: getattr(rule, name) for name in RULE_SCALARS},
        "keywords": list(rule.keywords),
        "severity": rule.severity.value,
        "examples": [[example.text, example.secret] for example in rule.examples],
        "negative_examples": list(rule.negative_examples),
        "allow": list(rule.allow),
        "filters": list(rule.filters),
        "hints": list(rule.hints),
        "aliases": list(rule.aliases),
        "format": [list(part) for part in rule.format],
        "plant": list(rule.plant),
    }


def rule_from_json(item: dict[str, Any]) -> Rule:
    return Rule(
        **{name: item[name] for name in RULE_SCALARS},
        keywords=tuple(item["keywords"]),
        severity=Severity(item["severity"]),
        examples=tuple(Example(text, secret) for text, secret in item["examples"]),
        negative_examples=tuple(item["negative_examples"]),
        allow=tuple(item["allow"]),
        filters=tuple(item["filters"]),
        hints=tuple(item["hints"]),
        aliases=tuple(item["aliases"]),
        format=tuple(FormatPart(*part) for part in item["format"]),
        plant=tuple(item["plant"]),
    )


def parse_document(
    document: dict[str, Any], source: str, shipped: bool = False
) -> tuple[list[Rule], list[str]]:
    unknown_top = set(document) - TOP_LEVEL
    problems = [f"{source}: unknown top-level key {key!r}" for key in sorted(unknown_top)]
    tables = document.get("rules", [])
    if not isinstance(tables, list) or not (tables or set(document) & TOP_LEVEL):
        problems.append(f"{source}: expected one or more [[rules]] tables")
        return [], problems
    rules: list[Rule] = []
    for index, table in enumerate(tables):
        rule, rule_problems = parse_rule(table, source, index, shipped=shipped)
        problems.extend(rule_problems)
        if rule is not None:
            rules.append(rule)
    return rules, problems


def parse_rule(
    table: dict[str, Any], source: str, index: int, family: str = "", shipped: bool = False
) -> tuple[Rule | None, list[str]]:
    from scanner.rule_families import table_problems

    label = f"{source}: {table.get('id') or f'rules[{index}]'}"
    problems = table_problems(table, label, REQUIRED_KEYS, OPTIONAL_KEYS)
    if problems:
        return None, problems

    if not table["id"] or not all(c.islower() or c.isdigit() or c == "-" for c in table["id"]):
        problems.append(f"{label}: 'id' must be lowercase letters, digits and '-'")
    if f"(?P<{SECRET_GROUP}>" not in table["regex"]:
        problems.append(f"{label}: 'regex' needs a named group (?P<{SECRET_GROUP}>...)")
    keywords = table["keywords"]
    if not keywords or not all(isinstance(k, str) and k for k in keywords):
        problems.append(f"{label}: 'keywords' must be a non-empty list of non-empty strings")
    if table["severity"] not in {s.value for s in Severity}:
        choices = ", ".join(s.value for s in Severity)
        problems.append(f"{label}: 'severity' must be one of {choices}")
    allow = table.get("allow", [])
    if not all(isinstance(a, str) for a in allow):
        problems.append(f"{label}: 'allow' must be a list of regex strings")
    # hints were once listed with the filters: rule files written then still load
    listed, given = table.get("filters", []), table.get("hints", [])
    moved = [f for f in listed if isinstance(f, str) and f in HINT_NAMES]
    filters = [f for f in listed if f not in moved]
    hints = [*given, *(h for h in moved if h not in given)]
    if not all(isinstance(f, str) and f in FILTER_NAMES for f in filters):
        names, speed = ", ".join(sorted(FILTER_NAMES)), ", ".join(sorted(HINT_NAMES))
        problems.append(
            f"{label}: 'filters' must be a list of filter names: {names} "
            f"(or of hint names: {speed})"
        )
    if not all(isinstance(h, str) and h in HINT_NAMES for h in hints):
        names = ", ".join(sorted(HINT_NAMES))
        problems.append(f"{label}: 'hints' must be a list of hint names: {names}")
    if any(h in hints for h in NEEDS_LINES) and "line" not in hints:
        problems.append(f"{label}: hints {', '.join(NEEDS_LINES)} need the 'line' hint too")
    imported = table.get("imported")
    if imported is not None and imported not in IMPORTED_FROM:
        problems.append(f"{label}: 'imported' must be one of {', '.join(IMPORTED_FROM)}")
    examples, example_problems = parse_examples(table["examples"], label, imported is None)
    problems.extend(example_problems)
    negatives = table["negative_examples"]
    if (imported is None and not negatives) or not all(isinstance(n, str) for n in negatives):
        problems.append(f"{label}: 'negative_examples' must be a non-empty list of strings")
    described, description_problems = parse_description(table, label)
    problems.extend(description_problems)
    verification = ""
    if isinstance(table.get("verify"), dict) and not shipped:
        # where a key may be sent is keyleak's to say, never a rule file's that could come with
        # the repository under scan: users declare checks for their rules in their own config
        problems.append(
            f"{label}: a verify table is for keyleak's own rules only; declare a check for your "
            f"rule in your own config: [verify.checks.{table['id']}]"
        )
    elif isinstance(table.get("verify"), dict):
        from scanner.rule_verify import parse_declaration, to_json, verifier_name

        _, found = parse_declaration(table["verify"], table["id"], verifier_name(table), label)
        problems.extend(found)
        verification = to_json(table["verify"])
    if problems:
        return None, problems
    min_entropy = table.get("min_entropy")
    return (
        Rule(
            id=table["id"],
            name=table["name"],
            provider=table["provider"],
            description=table["description"],
            regex=table["regex"],
            keywords=tuple(keywords),
            severity=Severity(table["severity"]),
            remediation=table["remediation"],
            examples=examples,
            negative_examples=tuple(negatives),
            min_entropy=float(min_entropy) if min_entropy is not None else None,
            allow=tuple(allow),
            source=source,
            verify=verifier_name_of(table),
            verification=verification,
            checksum=table.get("checksum"),
            filters=tuple(filters),
            hints=tuple(hints),
            path=table.get("path"),
            family=family,
            **described,
        ),
        [],
    )


def verifier_name_of(table: dict[str, Any]) -> str | None:
    if "verify" not in table:
        return None
    from scanner.rule_verify import verifier_name

    return verifier_name(table)


def parse_description(table: dict[str, Any], label: str) -> tuple[dict[str, Any], list[str]]:
    """The fields that say what a rule detects and where its format comes from."""
    from scanner.rule_format import parse_format

    problems: list[str] = []
    kind = table.get("kind", "service")
    if kind not in KINDS:
        problems.append(f"{label}: 'kind' must be one of {', '.join(KINDS)}")
    origin = table.get("origin", "")
    if "origin" in table and origin not in ORIGINS:
        problems.append(f"{label}: 'origin' must be one of {', '.join(ORIGINS)}")
    reference = table.get("reference", "")
    if "reference" in table and not reference.startswith("https://"):
        problems.append(f"{label}: 'reference' must be an https:// address")
    aliases = table.get("aliases", [])
    if not all(isinstance(a, str) and a and a != table["id"] for a in aliases):
        problems.append(f"{label}: 'aliases' must be other rule ids")
    parts: tuple[Any, ...] = ()
    if "format" in table:
        parts, format_problems = parse_format(table["format"])
        problems += [f"{label}: {problem}" for problem in format_problems]
    plant = table.get("plant", [])
    if not all(isinstance(p, str) and "{secret}" in p for p in plant):
        problems.append(f"{label}: 'plant' must be a list of strings holding {{secret}}")
    service = table.get("service", table["provider"])
    return {
        "service": service,
        "kind": kind,
        "origin": origin,
        "reference": reference,
        "aliases": tuple(aliases),
        "format": parts,
        "plant": tuple(plant),
    }, problems


def parse_examples(
    raw: list[Any], label: str, required: bool = True
) -> tuple[tuple[Example, ...], list[str]]:
    """Examples are `{ text = ..., secret = ... }`; a bare string is its own secret."""
    if not raw and required:
        return (), [f"{label}: 'examples' must not be empty"]
    examples: list[Example] = []
    problems: list[str] = []
    for position, item in enumerate(raw):
        if isinstance(item, str):
            examples.append(Example(text=item, secret=item))
        elif isinstance(item, dict) and set(item) == {"text", "secret"}:
            text, secret = item["text"], item["secret"]
            if not (isinstance(text, str) and isinstance(secret, str)):
                problems.append(f"{label}: examples[{position}]: 'text' and 'secret' are strings")
            elif secret not in text:
                problems.append(f"{label}: examples[{position}]: 'secret' does not occur in 'text'")
            else:
                examples.append(Example(text=text, secret=secret))
        else:
            problems.append(
                f"{label}: examples[{position}]: a string or a table with 'text' and 'secret'"
            )
    return tuple(examples), problems


def shannon_entropy(data: bytes) -> float:
    if not data:
        return 0.0
    total = len(data)
    return -sum(n / total * math.log2(n / total) for n in Counter(data).values())


def check_examples(
    ruleset: RuleSet, find_secrets: Callable[[Rule, bytes], list[bytes]]
) -> list[str]:
    """Run every rule's examples; return one line per failure.

    `find_secrets(rule, text)` returns the secrets that rule reports in `text` after all of its
    filters, so the check exercises exactly what a scan would report.
    """
    failures: list[str] = []
    for rule in ruleset.rules:
        label = f"{rule.source}: {rule.id}"
        for position, example in enumerate(rule.examples):
            found = find_secrets(rule, example.text.encode())
            if example.secret.encode() not in found:
                shown = [s.decode(errors="replace") for s in found]
                got = shown or "nothing"
                failures.append(f"{label}: examples[{position}] should yield its secret, got {got}")
        for position, negative in enumerate(rule.negative_examples):
            if find_secrets(rule, negative.encode()):
                failures.append(f"{label}: negative_examples[{position}] matched")
    return failures


def select_rules(ruleset: RuleSet, enable: Sequence[str], disable: Sequence[str]) -> RuleSet:
    """Only the `enable`d rules (all when empty), minus the `disable`d ones.

    Naming a rule that does not exist is an error: a typo must not silently turn nothing off.
    """
    known = {rule.id for rule in ruleset.rules}
    for key, ids in (("enable", enable), ("disable", disable)):
        unknown = sorted(set(ids) - known)
        if unknown:
            raise RuleError(f"{key}: unknown rule id(s): {', '.join(unknown)}")
    if not enable and not disable:
        return ruleset
    wanted = set(enable) or known
    rules = tuple(r for r in ruleset.rules if r.id in wanted and r.id not in set(disable))
    if not rules:
        raise RuleError("enable/disable leave no rules to run")
    digest = sha256(f"{ruleset.digest}\0{','.join(r.id for r in rules)}".encode())
    return RuleSet(rules, digest.hexdigest())


def with_rules(ruleset: RuleSet, extra: Sequence[Rule], extra_digest: str) -> RuleSet:
    """`ruleset` plus `extra` (rules built elsewhere, e.g. from a gitleaks config)."""
    if not extra:
        return ruleset
    digest = sha256(f"{ruleset.digest}\0{extra_digest}".encode()).hexdigest()
    return RuleSet(ruleset.rules + tuple(extra), digest)
