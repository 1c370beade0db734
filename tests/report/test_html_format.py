"""The HTML report: its golden page, escaping and redaction; then, in headless Chromium, that it
loads from file:// with no request, sorts, filters and renders; and `keyleak history --format
html` end to end.

UPDATE_GOLDEN=1 rewrites tests/golden/audit.html, as for tests/report/test_formats.py. The browser
tests drive Debian's chromium through Playwright (no browser download is possible here) and skip,
saying why, when either is missing.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from scanner.model import (
    Commit,
    History,
    Location,
    RepositoryStatus,
    ScanResult,
    Skipped,
    SourceKind,
    Suppressed,
    Verdict,
    VerdictStatus,
)
from scanner.report import ReportOptions
from tests.cli_helpers import keyleak
from tests.keys import ALNUM, OPENAI_MARKER, URLSAFE, openai_key, random_text
from tests.report.test_formats import GITHUB_RULE, OPENAI_RULE, assert_golden, make, render
from tests.repos import author, commit, config_line

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SEEDED = random.Random(20250917)
OPENAI = (
    "sk-proj-" + random_text(20, URLSAFE, SEEDED) + OPENAI_MARKER + random_text(20, ALNUM, SEEDED)
)
GITHUB = "ghp_" + random_text(36, ALNUM, SEEDED)
EVIL_PATH = "<img src=x onerror=alert(1)>.env"
EVIL_AUTHOR = '"><script>alert(1)</script>'
EVIL_REPO = "<b>team/evil</b>"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def person(name: str, email: str, date: str, sha: str) -> Commit:
    return Commit(sha * 40, name, email, date)


ALICE = person("Alice", "alice@example.com", "2023-01-10T09:00:00+01:00", "a")
ALICE_FIX = person("Alice", "alice@example.com", "2023-03-01T12:00:00+01:00", "b")
BOB = person("Bob", "bob@example.com", "2023-06-05T16:20:00-04:00", "c")
CAROL = person("Carol", "carol@example.com", "2022-11-20T08:00:00+00:00", "d")
EVIL = person(EVIL_AUTHOR, "evil@example.com", "2024-02-14T10:00:00+00:00", "e")
EVIL_FIX = person("Dan", "dan@example.com", "2024-02-20T10:00:00+00:00", "f")
LATEST = person("Dan", "dan@example.com", "2024-03-01T10:00:00+00:00", "0")


def in_repo(repository: str, path: str, line: int, start: Commit) -> Location:
    return Location(
        path, line, 5, line, kind=SourceKind.COMMIT, commit=start.sha, repository=repository
    )


def audit_result() -> ScanResult:
    """Four secrets in three repositories (one named to inject markup), a failed fourth one."""
    findings = (
        make(
            OPENAI_RULE,
            OPENAI,
            in_repo("team/api", "app/settings.py", 12, ALICE),
            verdict=Verdict(VerdictStatus.LIVE, "authenticated"),
            history=History(ALICE, ALICE, ALICE_FIX, ("app/settings.py",), False, ("main",)),
        ),
        make(
            GITHUB_RULE,
            GITHUB,
            in_repo("team/api", "ci/deploy.yml", 100, BOB),
            verdict=Verdict(VerdictStatus.INVALID, "revoked"),
            history=History(BOB, LATEST, None, ("ci/deploy.yml",), True, ("main",), True),
        ),
        make(
            OPENAI_RULE,
            OPENAI,
            in_repo("team/web", "deploy/.env", 3, CAROL),
            history=History(
                CAROL, LATEST, None, ("deploy/.env", "config/.env"), True, ("main",), True
            ),
        ),
        make(
            GITHUB_RULE,
            GITHUB,
            in_repo(EVIL_REPO, EVIL_PATH, 7, EVIL),
            verdict=Verdict(VerdictStatus.RATE_LIMITED, "retry later"),
            history=History(EVIL, EVIL, EVIL_FIX, (EVIL_PATH,), False, ("main",)),
        ),
    )
    repositories = (
        RepositoryStatus("team/api", "https://git.example.com/team/api.git", "scanned", "", 120),
        RepositoryStatus("team/web", "https://git.example.com/team/web.git", "unchanged", "", 40),
        RepositoryStatus(EVIL_REPO, "file:///srv/git/evil.git", "scanned", "", 3),
        RepositoryStatus(
            "team/broken",
            "https://git.example.com/team/broken.git",
            "failed",
            "git clone: repository '<svg onload=alert(1)>' not found",
        ),
    )
    return ScanResult(
        findings=findings,
        skipped=(Skipped("team/web:assets/logo.png", "binary"),),
        files_scanned=880,
        bytes_scanned=5_400_000,
        suppressed=Suppressed(inline=2),
        elapsed=3.5,
        commits_scanned=163,
        notes=("team/web: shallow clone: history is truncated",),
        rules=(OPENAI_RULE, GITHUB_RULE),
        repositories=repositories,
    )


def audit_html(**options: Any) -> str:
    return render("html", ReportOptions(**options), audit_result())


# --- the page as written ---------------------------------------------------------------------


def test_audit_page_matches_golden_file() -> None:
    assert_golden("audit.html", audit_html())


def test_golden_page_holds_no_key() -> None:
    text = (Path(__file__).parents[1] / "golden" / "audit.html").read_text(encoding="utf-8")
    for secret in (OPENAI, GITHUB):
        assert not any(secret[i : i + 12] in text for i in range(len(secret) - 11))
    assert f"…{OPENAI[-4:]}" in text and f"…{GITHUB[-4:]}" in text


def test_secrets_are_redacted_even_with_no_redact() -> None:
    shown = audit_html(redact=False)
    assert shown == audit_html(redact=True)
    assert OPENAI not in shown and GITHUB not in shown
    assert "always redacted" in shown


def test_attacker_controlled_text_is_escaped() -> None:
    text = audit_html()
    for hostile in (EVIL_PATH, EVIL_AUTHOR, EVIL_REPO, "<svg onload"):
        assert hostile not in text
    assert "&lt;img src=x onerror=alert(1)&gt;.env" in text
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("<script") == 1 and "<img" not in text


def test_control_characters_in_a_path_are_shown_escaped() -> None:
    hostile = Location("a\x1b[2J\x00.py", 1, 1, 1)
    finding = replace(audit_result().findings[0], location=hostile, history=None)
    text = render("html", ReportOptions(), replace(audit_result(), findings=(finding,)))
    assert "a\\x1b[2J\\x00.py" in text and "\x1b" not in text and "\x00" not in text


def test_page_allows_only_its_own_inline_style_and_script() -> None:
    text = audit_html()
    policy = text.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'" and directives["img-src"] == "data:"
    assert directives["script-src"].startswith("'sha256-")
    assert directives["style-src"].startswith("'sha256-")
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text.replace("https://git.example.com/team/", "")


def test_plain_scan_names_its_target_and_has_no_timeline() -> None:
    result = replace(
        audit_result(),
        repositories=(),
        findings=tuple(
            replace(f, history=None, location=replace(f.location, repository=None))
            for f in audit_result().findings
        ),
    )
    text = render("html", ReportOptions(target="/src/app", subject="file"), result)
    heading = '<h1>keyleak report: <span class="path"><span>/</span><wbr><span>src/</span><wbr>'
    assert heading + "<span>app</span></span></h1>" in text
    assert "<title>keyleak report: /src/app</title>" in text
    assert "<svg" not in text and "4 secrets without a history" in text
    assert 'data-filter="repository"' not in text and "Failed repositories" not in text


# --- in the browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("playwright (Python) is not installed: pip install -e '.[dev]'")
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("no chromium on PATH (.ci/run installs Debian's chromium package)")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.skip(f"chromium at {executable} does not start: {exc.message.splitlines()[0]}")
        yield launched
        launched.close()


@dataclass
class Opened:
    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def visible_paths(self) -> list[str]:
        """The first path of every row shown, top to bottom."""
        paths: list[str] = self.page.eval_on_selector_all(
            "#secrets tbody tr",
            """rows => {
                const heads = [...document.querySelectorAll('#secrets thead th')];
                const index = heads.findIndex(th => th.dataset.key === 'path');
                return rows.filter(row => row.checkVisibility())
                    .map(row => row.cells[index].querySelector('code').textContent);
            }""",
        )
        return paths

    def sort_by(self, heading: str) -> None:
        self.page.get_by_role("button", name=heading, exact=True).click()


@pytest.fixture
def opened(browser: Browser, tmp_path: Path) -> Iterator[Opened]:
    report = tmp_path / "report.html"
    report.write_text(audit_html(), encoding="utf-8")
    with open_page(browser, report) as seen:
        yield seen


@contextmanager
def open_page(browser: Browser, report: Path, javascript: bool = True) -> Iterator[Opened]:
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    seen = Opened(page)
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.set_default_timeout(10_000)
    page.goto(report.as_uri(), wait_until="load")
    try:
        yield seen
    finally:
        context.close()


def test_page_loads_with_no_request_and_no_error(opened: Opened, tmp_path: Path) -> None:
    assert opened.requests == [(tmp_path / "report.html").as_uri()]
    assert opened.errors == []
    assert opened.page.locator("#controls").is_visible()
    assert opened.page.locator("#secrets script, #secrets img").count() == 0
    assert opened.page.locator("svg.timeline g.span").count() == 4


def test_clicking_a_header_sorts_then_reverses(opened: Opened) -> None:
    by_date = ["deploy/.env", "app/settings.py", "ci/deploy.yml", EVIL_PATH]
    opened.sort_by("Introduced by")
    assert opened.visible_paths() == by_date
    opened.sort_by("Introduced by")
    assert opened.visible_paths() == by_date[::-1]
    opened.sort_by("Line")  # 3, 7, 12, 100: numbers, not text
    assert opened.visible_paths() == ["deploy/.env", EVIL_PATH, "app/settings.py", "ci/deploy.yml"]
    opened.sort_by("Exposure window")  # 6 days, 7 weeks, then the two still open, longest last
    assert opened.visible_paths() == [EVIL_PATH, "app/settings.py", "ci/deploy.yml", "deploy/.env"]
    assert opened.errors == []


def test_filter_text_and_selects_hide_the_other_rows(opened: Opened) -> None:
    page = opened.page
    page.get_by_label("Filter the secrets").fill("bob@")
    assert opened.visible_paths() == ["ci/deploy.yml"]
    page.get_by_label("Filter the secrets").fill("")
    page.get_by_label("provider").select_option("github")
    assert opened.visible_paths() == ["ci/deploy.yml", EVIL_PATH]
    page.get_by_label("present").select_option("yes")
    assert opened.visible_paths() == ["ci/deploy.yml"]
    assert page.locator("#shown").text_content() == "1 of 4"
    page.get_by_label("provider").select_option("")
    page.get_by_label("repository").select_option("team/web")
    assert opened.visible_paths() == ["deploy/.env"]
    page.get_by_label("repository").select_option(EVIL_REPO)
    page.get_by_label("present").select_option("")
    assert opened.visible_paths() == [EVIL_PATH]


def test_screenshot_is_a_png(opened: Opened, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    opened.page.set_viewport_size({"width": 1366, "height": 768})
    opened.page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000


def test_rows_are_there_without_javascript(browser: Browser, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(audit_html(), encoding="utf-8")
    with open_page(browser, report, javascript=False) as seen:
        assert len(seen.visible_paths()) == 4
        assert not seen.page.locator("#controls").is_visible()


def test_history_report_end_to_end(
    browser: Browser, repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    removed_key, kept_key = openai_key(), openai_key()
    commit(
        repo,
        {"app/settings.py": config_line(removed_key)},
        "settings",
        **author("Ada Lovelace", "ada@example.com", "2021-03-04T05:06:07+02:00"),
    )
    commit(
        repo,
        {"app/settings.py": "import os\n", "deploy/secrets.cfg": config_line(kept_key)},
        "move the key",
        **author("Grace &lt;i&gt;Hopper", "grace@example.com", "2022-07-08T09:10:11+00:00"),
    )
    out = tmp_path / "out.html"
    argv = ["history", str(repo), "--format", "html", "-o", str(out), "--no-redact", "-j", "1"]
    outcome = keyleak(capsys, tmp_path, *argv, "--no-progress")
    assert outcome.code == 1, outcome.err
    text = out.read_text(encoding="utf-8")
    assert removed_key not in text and kept_key not in text
    with open_page(browser, out) as seen:
        assert seen.requests == [out.as_uri()] and seen.errors == []
        seen.sort_by("Introduced by")
        assert seen.visible_paths() == ["app/settings.py", "deploy/secrets.cfg"]
        rows = seen.page.locator("#secrets tbody tr")
        assert "Ada Lovelace" in rows.nth(0).inner_text()
        assert "2021-03-04 → 2022-07-08" in rows.nth(0).inner_text()
        assert "Grace &lt;i&gt;Hopper" in rows.nth(1).inner_text()
        assert "still present" in rows.nth(1).inner_text()
        assert seen.page.locator("svg.timeline g.present").count() == 1
        assert str(repo) in seen.page.locator("h1").inner_text()


# --- paths, timeline labels, the same page for the same input ----------------------------------

LONG_REPO = "sqlalchemy/sqlalchemy"
LONG_DIRS = "lib/sqlalchemy/dialects/postgresql/asyncpg_support/internals/compatibility_layers"
LONG_NAMES = (
    "a_module_whose_name_alone_is_wider_than_the_whole_path_column_allows.py",
    "settings-for-the-production-deployment-of-the-service.env",
)


def long_path_result() -> ScanResult:
    """The audit result, its secrets moved to long paths in a repository with a long name."""
    base = audit_result()
    findings = tuple(
        replace(
            finding,
            location=replace(finding.location, repository=LONG_REPO, path=path),
            history=replace(finding.history, paths=(path,)) if finding.history else None,
        )
        for finding, path in zip(
            base.findings,
            [f"{LONG_DIRS}/{name}" for name in LONG_NAMES] + ["x/y.py", "a b/c-d.txt"],
            strict=True,
        )
    )
    return replace(base, findings=findings)


def test_a_path_is_rendered_with_break_points_after_slashes_only() -> None:
    text = render("html", ReportOptions(), long_path_result())
    assert '<code class="path"><span>x/</span><wbr><span>y.py</span></code>' in text
    assert '<code class="path"><span>a b/</span><wbr><span>c-d.txt</span></code>' in text


def test_timeline_label_keeps_the_repository_and_the_file_name() -> None:
    from scanner.report.html_timeline import LABEL_CHARS, bar_label

    short = bar_label("openai", "team/api", "app/settings.py")
    assert short == "openai · team/api: app/settings.py"
    long = bar_label("openai", LONG_REPO, f"{LONG_DIRS}/base.py")
    assert len(long) == LABEL_CHARS
    assert long.startswith(f"{LONG_REPO}: lib/") and long.endswith("…/base.py")
    # a repository named by a long path or URL keeps its own name, its start and its end
    far = bar_label("github", "/srv/ci/clones/of/every/team/web-frontend.git", "a.py")
    assert len(far) <= LABEL_CHARS and "/web-frontend.git: a.py" in far and far.startswith("/srv")
    assert bar_label("github", None, "short.py") == "github · short.py"


def test_a_bar_tooltip_keeps_the_whole_label() -> None:
    text = render("html", ReportOptions(), long_path_result())
    assert f"<title>openai · {LONG_REPO}: {LONG_DIRS}/{LONG_NAMES[0]} (" in text


def history_page(repo: Path, out: Path, seed: str) -> bytes:
    environment = dict(os.environ, PYTHONHASHSEED=seed)
    argv = ["history", str(repo), "--format", "html", "-o", str(out), "-j", "2", "--no-progress"]
    done = subprocess.run(
        [sys.executable, "-m", "scanner", *argv],
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr.decode()
    return out.read_bytes()


def test_the_same_history_gives_the_same_bytes_in_two_processes(repo: Path, tmp_path: Path) -> None:
    for n in range(3):
        commit(
            repo,
            {f"svc{n}/config.py": config_line(openai_key()), f"svc{n}/b/.env": config_line(GITHUB)},
            f"commit {n}",
            **author(f"Dev {n}", f"dev{n}@example.com", f"2022-0{n + 1}-02T03:04:05+00:00"),
        )
    commit(repo, {"svc0/config.py": None}, "remove one")
    first = history_page(repo, tmp_path / "first.html", "1")
    second = history_page(repo, tmp_path / "second.html", "2")
    assert b"<svg" in first and first == second


PATH_BREAKS = """() => {
    // every place a path's text goes on to a new line: the character before each break
    const found = [];
    for (const code of document.querySelectorAll('.path')) {
        let previous = null;
        const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < node.length; i++) {
                const range = document.createRange();
                range.setStart(node, i);
                range.setEnd(node, i + 1);
                const box = range.getClientRects()[0];
                if (previous && box.top > previous.box.top + 2) {
                    found.push(previous.char);
                }
                previous = {box, char: node.data[i]};
            }
        }
    }
    return found;
}"""


def test_paths_wrap_only_after_a_slash_in_a_narrow_window(browser: Browser, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render("html", ReportOptions(), long_path_result()), encoding="utf-8")
    with open_page(browser, report) as seen:
        seen.page.set_viewport_size({"width": 480, "height": 800})
        breaks: list[str] = seen.page.evaluate(PATH_BREAKS)
        # the long directories cannot fit on one line: the test sees real breaks
        assert len(breaks) >= 4
        assert set(breaks) == {"/"}
        labels = seen.page.locator("svg.timeline text.label").all_text_contents()
        assert len(labels) == 4 and all(LONG_REPO in label for label in labels)
        assert seen.errors == []
