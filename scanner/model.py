"""The values that flow between stages: source -> chunk -> match -> finding -> report.

Everything here is a frozen dataclass so that a stage can never change what an earlier stage
produced; stages communicate only through these values. Each class has a docstring: without one,
`dataclass` computes a signature for it with `inspect`, which every hook run would pay for.

Creating a dataclass costs about half a millisecond (it compiles the source of its methods), a
dozen of them most of a clean commit's time past its imports: the classes on the hook's path
are `@frozen`, dataclasses made only once something needs more than their `__init__`.
"""

from __future__ import annotations

import sys
import threading
from collections import namedtuple
from collections.abc import Callable
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar, cast, dataclass_transform

T = TypeVar("T")
#: held while a class is made a dataclass (re-entered if making it makes another)
MAKING = threading.RLock()
#: instances a `@frozen` class makes with its plain `__init__` before it becomes a dataclass: a
#: commit's worth; past that the dataclass's own `__init__`, half the cost, pays for it
PLAIN_INSTANCES = 256
#: what a `@frozen` class has only once it is a dataclass: a stand-in makes it, then answers
DATACLASS_ATTRIBUTES = ("__dataclass_fields__", "__dataclass_params__", "__match_args__")
DATACLASS_METHODS = ("__eq__", "__hash__", "__repr__", "__setattr__", "__delattr__")
STAND_INS = DATACLASS_ATTRIBUTES + DATACLASS_METHODS
#: annotations that are not plain fields, which a dataclass treats apart
SPECIAL = ("ClassVar", "InitVar", "KW_ONLY")
#: the fields of each `@frozen` class that is not a dataclass yet
PLAIN_FIELDS: dict[type, tuple[str, ...]] = {}


@dataclass_transform(frozen_default=True)
def frozen(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True)`, applied when first needed, so that a process that only makes
    a few instances never pays for it. Until then a plain `__init__` makes instances just as
    the dataclass's would (the same fields, defaults, factories and `__post_init__`), and
    stand-ins of the rest (comparing, hashing, `repr`, the frozen guard, and the fields that
    `dataclasses.fields`, `replace` and `is_dataclass` read) make the dataclass first; so does
    the `PLAIN_INSTANCES`-th instance. A field the plain `__init__` cannot make (keyword-only,
    not in `__init__`, a class or init-only variable) makes the dataclass at once."""
    annotations: dict[str, str] = vars(cls).get("__annotations__", {})
    names = tuple(annotations)
    known = frozenset(names)
    given = {name: cls.__dict__[name] for name in names if name in cls.__dict__}
    plain = plain_defaults(given)
    if (
        plain is None
        or cls.__bases__ != (object,)
        or any(name in cls.__dict__ for name in ("__init__", *STAND_INS))
        or any(str(kind).split(".")[-1].startswith(SPECIAL) for kind in annotations.values())
    ):
        return made_dataclass(cls)
    defaults, factories = plain
    made = False
    count = 0

    def make() -> None:
        nonlocal made
        with MAKING:
            if made:
                return
            for name in ("__init__", *STAND_INS):
                delattr(cls, name)
            del PLAIN_FIELDS[cls]
            # defaults the class dropped since (`Rule`'s details) are the dataclass's all the same
            dropped = {name: value for name, value in given.items() if name not in vars(cls)}
            for name, value in dropped.items():
                setattr(cls, name, value)
            made_dataclass(cls)
            for name in dropped:
                if name in vars(cls):
                    delattr(cls, name)
            made = True

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal count
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} arguments, {len(args)} given")
        values = dict(zip(names, args, strict=False))
        for name, value in kwargs.items():
            if name not in known:
                raise TypeError(f"{cls.__name__}() got an unexpected argument {name!r}")
            if name in values:
                raise TypeError(f"{cls.__name__}() got multiple values for {name!r}")
            values[name] = value
        state = self.__dict__
        for name in names:
            if name in values:
                state[name] = values[name]
            elif name in defaults:
                state[name] = defaults[name]
            elif name in factories:
                state[name] = factories[name]()
            else:
                raise TypeError(f"{cls.__name__}() is missing the argument {name!r}")
        if post_init is not None:
            post_init(self)
        count += 1
        if count >= PLAIN_INSTANCES:
            make()

    post_init = cls.__dict__.get("__post_init__")
    PLAIN_FIELDS[cls] = names
    setattr(cls, "__init__", __init__)  # noqa: B010 -- mypy refuses a direct assignment
    for name in DATACLASS_ATTRIBUTES:
        setattr(cls, name, MadeWhenRead(name, make))
    for name in DATACLASS_METHODS:
        setattr(cls, name, made_when_called(cls, name, make))
    return cls


if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:

    class NamedTupleType(type):
        """What makes a `NamedTuple` class: `typing.NamedTuple`'s, without its check of each
        field's annotation, which compiles every annotation string (they are all strings under
        `from __future__ import annotations`): a quarter of a millisecond a class, some ten of
        them on the hook's path. The class is the same `collections.namedtuple`, its
        annotations left as written."""

        def __new__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
            fields: dict[str, Any] = namespace.get("__annotations__", {})
            defaults = [namespace[field] for field in fields if field in namespace]
            made = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
            made.__annotations__ = made.__new__.__annotations__ = dict(fields)
            for key, value in namespace.items():
                if key not in fields and key not in ("__module__", "__annotations__"):
                    setattr(made, key, value)
            return made

    def NamedTuple(*args: Any, **kwargs: Any) -> Any:
        """`typing.NamedTuple`'s class syntax, `class Point(NamedTuple):` with annotated fields,
        as `NamedTupleType` makes it (to mypy, this is `typing.NamedTuple`). Its functional form is
        not used here."""
        raise TypeError("declare a NamedTuple as a class")

    NamedTuple.__mro_entries__ = lambda bases: (NAMED_TUPLE_BASE,)
    NAMED_TUPLE_BASE = type.__new__(NamedTupleType, "NamedTupleBase", (), {})


def replaced(value: T, **changes: Any) -> T:
    """`dataclasses.replace(value, **changes)`, without making the dataclass of a `@frozen`
    class that is not one yet."""
    names = PLAIN_FIELDS.get(type(value))
    if names is None:
        return dataclasses_module().replace(value, **changes)  # type: ignore[no-any-return]
    unknown = changes.keys() - set(names)
    if unknown:
        raise TypeError(f"{type(value).__name__} has no field {min(unknown)!r}")
    return type(value)(**{name: changes.get(name, getattr(value, name)) for name in names})


def plain_defaults(
    given: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Callable[[], Any]]] | None:
    """The defaults and the default factories of the fields given a value in the class body,
    or None if one of them is more than a default for the plain `__init__`."""
    defaults: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    # a `dataclasses.field` can only be there if dataclasses was imported
    dataclasses = sys.modules.get("dataclasses")
    for name, value in given.items():
        if isinstance(value, Factory):
            factories[name] = value.make
        elif dataclasses is None or not isinstance(value, dataclasses.Field):
            defaults[name] = value
        elif not value.init or value.kw_only is True:
            return None
        elif value.default_factory is not dataclasses.MISSING:
            factories[name] = value.default_factory
        elif value.default is not dataclasses.MISSING:
            defaults[name] = value.default
    return defaults, factories


class Factory:
    """The default of a `@frozen` class's field that `made_by` makes."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def made_by(make: Callable[[], T]) -> T:
    """A field's default made by calling `make` for each instance: for a `@frozen` class,
    `dataclasses.field(default_factory=make)`, without importing `dataclasses`."""
    return cast(T, Factory(make))


def made_dataclass(cls: type[T]) -> type[T]:
    """`cls` made a frozen dataclass, its `made_by` defaults made the dataclass's factories."""
    dataclasses = dataclasses_module()
    for name, value in list(vars(cls).items()):
        if isinstance(value, Factory):
            setattr(cls, name, dataclasses.field(default_factory=value.make))
    return cast("type[T]", dataclasses.dataclass(frozen=True)(cls))


def dataclasses_module() -> ModuleType:
    """`dataclasses`, imported without `inspect`, which it imports (with `ast`, `dis`,
    `tokenize`: about 4 ms) only to describe a class that has no docstring, which no keyleak
    dataclass is (tests/test_hook_imports.py holds them to one). It gets a stand-in that
    imports `inspect` the first time it is asked for anything; nothing else ever sees it."""
    if "dataclasses" not in sys.modules and "inspect" not in sys.modules:
        sys.modules["inspect"] = Deferred("inspect")
        try:
            import dataclasses
        finally:
            del sys.modules["inspect"]
    import dataclasses

    return dataclasses


class Deferred(ModuleType):
    """A module imported when one of its attributes is first read."""

    def __getattr__(self, name: str) -> Any:
        from importlib import import_module

        return getattr(import_module(self.__name__), name)


class MadeWhenRead:
    """A `@frozen` class's attribute that only its dataclass has: read on the class or an
    instance, it makes the dataclass, which replaces it."""

    def __init__(self, name: str, make: Callable[[], None]) -> None:
        self.name = name
        self.make = make

    def __get__(self, instance: object, owner: type) -> Any:
        self.make()
        return getattr(owner, self.name)


def made_when_called(cls: type, name: str, make: Callable[[], None]) -> Callable[..., Any]:
    """A stand-in of the dataclass's method `name`: it makes the dataclass, then calls it."""

    def method(self: Any, *args: Any) -> Any:
        make()
        return getattr(cls, name)(self, *args)

    method.__name__ = name
    return method


class Severity(StrEnum):
    """Most severe first: reports and `--min-severity` rely on this order."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    #: a value known not to be a real secret (demo credentials, a local host): reported, and
    #: failing no run by default
    INFO = "info"


def severity_rank(severity: Severity) -> int:
    """0 for the most severe: a lower rank is more severe."""
    return list(Severity).index(severity)


def one_lower(severity: Severity) -> Severity:
    """The next severity down; `info` stays `info`."""
    order = list(Severity)
    return order[min(order.index(severity) + 1, len(order) - 1)]


class FormatPart(NamedTuple):
    """One part of a secret's declared shape: a literal, or `length` characters drawn from
    `alphabet` (a regex character class, or "uuid")."""

    literal: str
    alphabet: str = ""
    min_length: int = 0
    max_length: int = 0


class Example(NamedTuple):
    """A text a rule must match, and the exact secret it must extract from it.

    A NamedTuple, not a frozen dataclass: the hook loads every rule's examples from the cache,
    three thousand of them, and a named tuple is made from its cached pair five times faster."""

    text: str
    secret: str


@frozen
class Rule:
    """One detector from a rule pack: where to look (keywords), what to extract (regex)."""

    id: str
    name: str
    provider: str
    description: str
    regex: str
    keywords: tuple[str, ...]
    severity: Severity
    remediation: str
    examples: tuple[Example, ...]
    negative_examples: tuple[str, ...]
    min_entropy: float | None = None
    allow: tuple[str, ...] = ()
    source: str = ""
    #: the name of the verifier that can test the key live (a declared one, or AWS's module)
    verify: str | None = None
    #: the rule's `verify` table as JSON (keyleak's own rules only), read when verifying
    verification: str = ""
    #: name of an offline checksum the secret must pass (scanner.match.checksums)
    checksum: str | None = None
    #: what changes what the rule reports: "placeholder" (drop values that stand for a secret),
    #: "file" (match the file's path, not its content)
    filters: tuple[str, ...] = ()
    #: what only makes the rule faster and never changes what it finds: "line" (confirm it on
    #: keyword lines only), "keyword-start", "line-start", "quoted" (scanner.match.confirm)
    hints: tuple[str, ...] = ()
    #: a regex the chunk's path must match for the rule to apply (gitleaks' `path`)
    path: str | None = None
    #: from keyleak's own packs, whose regexes tests/match/test_redos.py holds to never needing
    #: the confirm step's time limit
    shipped: bool = False
    #: the service a finding names; "" means the provider
    service: str = ""
    #: "service", or "shape" for secrets that are not one provider's (JWTs, private keys, URLs)
    kind: str = "service"
    #: where the format comes from: "documented", "observed", or "family" (a family member)
    origin: str = ""
    #: the page the format comes from
    reference: str = ""
    #: ids the rule had before: baselines recorded under them still match its findings
    aliases: tuple[str, ...] = ()
    #: the secret's declared shape, from which the accuracy benchmark generates keys
    format: tuple[FormatPart, ...] = ()
    #: contexts, each holding `{secret}`, that the benchmark plants a generated secret in
    plant: tuple[str, ...] = ()
    #: the family a member rule was expanded from
    family: str = ""

    if not TYPE_CHECKING:  # to mypy, a rule has its fields and nothing else

        def __getattr__(self, name: str) -> Any:
            """A rule the rules cache made holds its details (`RULE_DETAILS`) apart, as a
            function that returns them, until one of them is read (`scanner.rules`)."""
            details = self.__dict__.get("_details") if name in RULE_DETAILS else None
            if details is None:
                raise AttributeError(f"'Rule' object has no attribute {name!r}")
            values = details()
            # the values the rule always had, read late: nothing a caller sees changes
            self.__dict__.update(values)
            self.__dict__.pop("_details", None)
            return values[name]


#: what only checking, listing, describing and verifying rules read, never a scan (a finding's
#: redacted form reads its rule's examples): a rule the rules cache made reads them on first use
RULE_DETAILS = (
    "description",
    "examples",
    "negative_examples",
    "verification",
    "format",
    "plant",
    "reference",
    "origin",
)
for _name in RULE_DETAILS:
    # a default left on the class would answer for an absent detail without asking for it
    if _name in vars(Rule):
        delattr(Rule, _name)


class SourceKind(StrEnum):
    """What kind of place a chunk, and so a finding, comes from."""

    #: a file on disk (`keyleak scan`)
    FILE = "file"
    #: the lines the index adds (`keyleak staged`)
    STAGED = "staged"
    #: a commit's version of a file (history and range scans)
    COMMIT = "commit"
    #: a history blob, before attribution tells its paths and commits
    BLOB = "blob"
    #: a history blob that refs hold but no commit does (a tag on a blob or a tree)
    REF = "ref"
    #: a commit's message (history, range and audit scans); the path is a pseudo-path
    COMMIT_MESSAGE = "commit-message"
    #: an annotated tag's message (history and audit scans of every ref)
    TAG_MESSAGE = "tag-message"


#: where a finding is in a message, not a file: its path is a pseudo-path naming the message
MESSAGE_KINDS = frozenset({SourceKind.COMMIT_MESSAGE, SourceKind.TAG_MESSAGE})


@frozen
class Provenance:
    """Where a chunk came from.

    `line_numbers`, when set, maps the chunk's own lines (0-based index) to line numbers in the
    original file: a staged chunk holds only the lines a diff adds, so its line 3 may be the file's
    line 120.
    """

    path: str
    kind: SourceKind = SourceKind.FILE
    line_numbers: tuple[int, ...] | None = None
    #: notebooks: the 1-based cell this chunk was taken from (its lines are the cell's lines)
    cell: int | None = None
    #: a history blob's object id (its path is not known yet, and left empty)
    blob: str | None = None


@frozen
class Chunk:
    """Bytes to scan and where they came from."""

    content: bytes
    origin: Provenance


@frozen
class Match:
    """A confirmed rule match: `start`/`end` delimit the secret inside the chunk's bytes."""

    rule_id: str
    start: int
    end: int
    secret: bytes
    #: decoding layers the secret was found under, outermost first; `start`/`end` then delimit
    #: the encoded text in the chunk, not the (decoded) secret
    encoding: tuple[str, ...] = ()


@frozen
class Location:
    """Where a finding is: 1-based line and column of the secret's start."""

    path: str
    line: int
    column: int
    end_line: int
    kind: SourceKind = SourceKind.FILE
    #: the commit whose version of the file holds the secret (history and range scans)
    commit: str | None = None
    #: for notebooks: the 1-based cell index and the line inside that cell
    cell: int | None = None
    cell_line: int | None = None
    #: organisation audits: the repository (its name as the audit shows it) holding the secret
    repository: str | None = None
    #: history scans: the object id of the blob the secret was found in
    blob: str | None = None


class VerdictStatus(StrEnum):
    LIVE = "live"
    LIVE_RESTRICTED = "live_restricted"
    LIVE_QUOTA_EXHAUSTED = "live_quota_exhausted"
    INVALID = "invalid"
    RATE_LIMITED = "rate_limited"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


#: the verdicts of a key the provider accepted, however limited its use
LIVE_VERDICTS = frozenset(
    (VerdictStatus.LIVE, VerdictStatus.LIVE_RESTRICTED, VerdictStatus.LIVE_QUOTA_EXHAUSTED)
)


@frozen
class Verdict:
    """What the provider said about a key; `details` holds only safe facts (org, scopes, expiry)."""

    status: VerdictStatus
    reason: str = ""
    details: tuple[tuple[str, str], ...] = ()


@frozen
class Commit:
    """A commit as reports show it."""

    sha: str
    author_name: str
    author_email: str
    #: author date, ISO 8601 with its offset
    date: str


class Removal(NamedTuple):
    """The commit of a ref's first-parent line after which the ref no longer holds a secret.

    A NamedTuple, not a frozen dataclass: the hook imports this module, and a dataclass costs
    its start-up about five times as much to create."""

    ref: str
    commit: Commit


@frozen
class History:
    """Where a secret has been in a repository's history.

    It is `still_present` while the tip of some ref holds it (at any path). Each ref that
    reached it and no longer holds it has a removal; `removed` is the earliest of them, None
    while it is still present (or when no ref reached it: a history of revisions no ref points
    at). The exposure window runs from `introduced.date` to `removed.date`. A secret that only
    refs hold outside any commit (a tag on a blob or a tree) has no `introduced` or
    `last_present` commit: it is in the repository all the same.
    """

    introduced: Commit | None
    last_present: Commit | None
    removed: Commit | None
    paths: tuple[str, ...]
    in_head: bool
    refs: tuple[str, ...]
    still_present: bool = False
    #: per ref that reached it and dropped it, by ref name
    removals: tuple[Removal, ...] = ()


@frozen
class Finding:
    """A secret found, as every report shows it (`secret` is shown only with --no-redact)."""

    rule_id: str
    rule_name: str
    provider: str
    severity: Severity
    remediation: str
    location: Location
    secret: str
    redacted: str
    fingerprint: str
    #: decoding layers the secret was found under, outermost first, e.g. ("base64",)
    encoding: tuple[str, ...] = ()
    #: history scans: the secret's life in the repository
    history: History | None = None
    #: range scans: the commit whose added lines hold the secret
    introduced_by: Commit | None = None
    verdict: Verdict | None = None
    #: known from a baseline: reported and counted, but does not fail the run
    baselined: bool = False
    #: the source line holding the secret, with every secret on it already redacted (reports
    #: show context without ever holding the unredacted line)
    line_text: str = ""
    #: range scans under the base's config: the inline marker the range itself put on the
    #: secret's line, which a pull request cannot use to silence its own key
    inline_marker: str = ""
    #: the inline marker on the secret's line, honoured or not (`inline_marker` is set from it)
    line_marker: str = ""
    #: a file rule's finding (a committed `.env`): the names its lines assign, never their
    #: values; None for every other finding
    variables: tuple[str, ...] | None = None
    #: where the finding sits when that makes a real secret less likely: "test", "docs" or
    #: "example" (scanner.policy.context), which lowered its severity one level
    context: str | None = None
    #: why the severity is not the rule's: "demo credentials", "local host", "test path"...
    severity_reason: str = ""
    #: the severity before its context lowered it, which still decides whether it fails a run
    #: (context lowers, never hides); None when no context lowered it
    base_severity: Severity | None = None

    #: facts about the secret a report shows beside it, as (label, text) pairs, never the secret
    #: itself: a JWT's alg, issuer and expiry
    details: tuple[tuple[str, str], ...] = ()


def informational(finding: Finding) -> bool:
    """`info` of itself (demo credentials, a local host), not only lowered to it by its context:
    such a finding fails no run by default, and the terminal counts it instead of listing it."""
    return (finding.base_severity or finding.severity) is Severity.INFO


def severity_text(finding: Finding) -> str:
    """Why a finding's severity is not its rule's, for every format: "" when it is."""
    if finding.base_severity is not None and finding.base_severity is not finding.severity:
        return f"{finding.severity_reason}, lowered from {finding.base_severity.value}"
    return finding.severity_reason


@frozen
class Skipped:
    """A path that was not scanned, and why (size limit, unreadable, binary...)."""

    path: str
    reason: str
    #: a history blob, not yet known by its paths (`path` is empty)
    blob: str | None = None


@frozen
class RepositoryStatus:
    """One repository of an organisation audit: how its audit went. Its findings are in the
    merged result, each naming the repository in its location."""

    name: str
    #: where it was mirrored from, credentials removed
    url: str
    #: "scanned", "unchanged" (ref tips as at the last audit: its stored result was reused) or
    #: "failed"
    status: str
    error: str = ""
    commits: int = 0
    blobs: int = 0
    bytes: int = 0
    findings: int = 0
    elapsed: float = 0.0


class Suppression(StrEnum):
    """Why a match is not reported as a new finding."""

    #: a `keyleak:allow` (or another tool's) marker on its line
    INLINE = "inline"
    #: the config's allowed fingerprints or secrets, or a `.gitleaksignore`
    ALLOWLIST = "allowlist"
    #: a generic rule's value that stands for a secret (`changeme`, `${TOKEN}`)
    PLACEHOLDER = "placeholder"
    #: known from the baseline: still reported, as known, and never failing a run
    BASELINE = "baseline"


class Suppressed(NamedTuple):
    """How many matches were dropped, by reason; baselined findings are reported, and counted
    from the findings themselves.

    A named tuple rather than a frozen dataclass: the hook creates the class on every commit,
    and a dataclass costs five times as much to create. `+` adds counts, and it is true when
    any count is not zero, unlike a plain tuple.
    """

    inline: int = 0
    allowlist: int = 0
    placeholder: int = 0

    def __add__(self, other: object) -> Suppressed:
        if not isinstance(other, Suppressed):
            return NotImplemented
        return Suppressed(
            self.inline + other.inline,
            self.allowlist + other.allowlist,
            self.placeholder + other.placeholder,
        )

    def __bool__(self) -> bool:
        return bool(self.inline or self.allowlist or self.placeholder)

    @property
    def silenced(self) -> int:
        """Findings silenced by a marker or dropped by an allowlist (reports' `suppressed`)."""
        return self.inline + self.allowlist


#: what most chunks suppress
NOTHING_SUPPRESSED = Suppressed()


@frozen
class ScanResult:
    """Everything a report needs about one scan."""

    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    files_scanned: int
    bytes_scanned: int
    suppressed: Suppressed
    elapsed: float
    #: history and range scans: commits walked
    commits_scanned: int = 0
    #: things the reader must know about the result, e.g. "shallow clone: history is truncated"
    notes: tuple[str, ...] = ()
    #: the rules behind the findings, for reports that describe them (SARIF's rule metadata)
    rules: tuple[Rule, ...] = ()
    #: organisation audits: every repository audited, in input order, failures included
    repositories: tuple[RepositoryStatus, ...] = ()
    #: tree scans: what git ignores and what `--exclude` matched, left unread (a directory is
    #: one entry, ending in `/`)
    ignored: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
