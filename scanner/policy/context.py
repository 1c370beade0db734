"""Where a finding sits, when that makes a real secret less likely: test, docs and example paths.

Such a finding is still reported (a real key in a test fixture is still a leak) with its
`context` and a severity one level lower, and it fails a run exactly as it would elsewhere:
context lowers, never hides. Decided from the path alone, so every command agrees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import PurePosixPath

from scanner.model import MESSAGE_KINDS, Finding, one_lower

#: directory names, compared lower-cased, by the context they give what is under them
CONTEXT_DIRECTORIES = {
    "test": "test",
    "tests": "test",
    "testing": "test",
    "fixtures": "test",
    "fixture": "test",
    "testdata": "test",
    "test_data": "test",
    "__tests__": "test",
    "__mocks__": "test",
    # Perl's and celery's test tree
    "t": "test",
    "spec": "test",
    "specs": "test",
    "docs": "docs",
    "doc": "docs",
    "documentation": "docs",
    # FastAPI's and others' tutorial sources
    "docs_src": "docs",
    "examples": "example",
    "example": "example",
    "samples": "example",
    "sample": "example",
    "demo": "example",
    "demos": "example",
}
#: documentation files, by suffix (lower-cased): a key in prose is shown to readers on purpose
DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".adoc"})
#: documentation files by name: a Python package's metadata, whose body is its README
DOC_NAMES = frozenset({"pkg-info"})
#: test files by name, as test runners find them
TEST_PREFIXES = ("test_",)
TEST_SUFFIXES = (
    "_test.py",
    "_tests.py",
    "_test.go",
    "_spec.rb",
    "_test.rb",
    ".test.js",
    ".test.ts",
    ".test.jsx",
    ".test.tsx",
    ".spec.js",
    ".spec.ts",
    ".spec.jsx",
    ".spec.tsx",
)
TEST_NAMES = frozenset({"conftest.py"})


def path_context(path: str) -> tuple[str, str] | None:
    """(context, reason) for a path under a test, docs or example directory, or of a test or
    documentation file; None for any other path. The nearest directory decides
    (`docs/examples/x` is an example)."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if not parts:
        return None
    name = parts[-1].lower()
    if name in TEST_NAMES or name.startswith(TEST_PREFIXES) or name.endswith(TEST_SUFFIXES):
        return "test", "test file"
    for directory in reversed(parts[:-1]):
        context = CONTEXT_DIRECTORIES.get(directory.lower())
        if context is not None:
            return context, f"{context} path"
    if PurePosixPath(name).suffix in DOC_SUFFIXES or name in DOC_NAMES:
        return "docs", "documentation file"
    return None


def with_context(finding: Finding) -> Finding:
    """The finding with its path's context and a severity one level lower; unchanged when its
    path has none, or when it is in a message (a commit message's pseudo-path is no path)."""
    if finding.context is not None or finding.location.kind in MESSAGE_KINDS:
        return finding
    found = path_context(finding.location.path)
    if found is None:
        return finding
    context, reason = found
    reasons = f"{finding.severity_reason}; {reason}" if finding.severity_reason else reason
    return replace(
        finding,
        context=context,
        severity=one_lower(finding.severity),
        severity_reason=reasons,
        base_severity=finding.severity,
    )


def apply_context(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(with_context(finding) for finding in findings)
