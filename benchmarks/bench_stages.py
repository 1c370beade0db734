"""Where a scan's time goes: each matching stage timed on its own over real code.

Run by hand (never from the test suite), from the project root:

    .venv/bin/python benchmarks/bench_stages.py [--tree DIR] [--max-mb 40] [--rules DIR]
        [--synthetic N] [--history GIT_DIR] [--blobs GIT_DIR] [--runs 3] [--cpu] [--groups]
        [--expressions]

The input is real source: by default the files of this venv's site-packages (Python, C,
JavaScript, data), read into memory in a stable order up to --max-mb, one chunk per file as a
tree scan makes them; with --blobs, a sample of a repository's blobs in object-id order (a
random order) up to --max-mb, as a history scan reads them. With --history, a bare
repository's blobs are also read through the pipe `git cat-file --batch-all-objects --batch
--unordered` into Python (the read alone, not scanned).

The rules are the shipped ones, plus the files of --rules, plus --synthetic N made-up family
members (a keyword of 5-12 letters, an assignment, a fixed-shape body), which stand for a full
catalogue until its rules exist.

It prints first the databases' compile and load times (rules' database, keywords' base64
encodings, the two combined; compiled here, never read
from the cache; compile times in CPU seconds, which a busy machine changes less than wall
time), then one row per stage:

- hs rules db / hs combined db / hs encodings db: Hyperscan's scan alone, with a callback that
  only counts, so `calls/MB` is how often Hyperscan calls back into Python;
- survey: the matcher's whole first pass (the combined database, as a tree or history scan runs
  it after its first 256 KB), confirmation included;
- confirm: the rules' regexes on the candidates (the keyword-line finding inside it included),
  with how many were confirmed; keyword lines: that finding alone;
- decode: base64 and URL-encoded runs decoded and their buffers surveyed;
- per-chunk: what `chunk_matches` spends besides the survey and decoding (file rules, choosing
  between overlapping matches, building results);
- total: `chunk_matches` over every chunk, the work one worker does on text already read.

Each stage is run --runs times and the median is printed (wall time; with --cpu, CPU time),
with MB/s (MB = 10**6 bytes) over the whole input and the share of the total. Then the
noisiest expressions of the combined database: callbacks per MB by rule, hint, keywords'
literal or base64 forms (one row for all of those). One run of this script is one machine state:
compare rows of the same run, and runs made one after the other.

With --groups, a table of what each group of the combined database's expressions costs
Hyperscan: the database compiled again without that group (family members, provider rules'
regexes, generic rules, gated rules' keyword literals, base64 forms, hints, the manifest line,
the `%XX` escape) and scanned over the input with no callback, interleaved with the whole
database so a busy machine shifts both alike; the saving is the group's share. Groups' costs
do not add up: Hyperscan matches the literals of all of them in one pass.

With --expressions, which rules' regexes cost Hyperscan most: each compiled alone and scanned
over the input (the costliest 15), then the combined database without the costliest 5, 10, 20
and 40, interleaved with the whole one: on a generated history ten regexes (four generic rules,
the ODBC one, provider rules whose keywords are short or common) were a third of its scan.

With --history, a last table follows: where a history scan's worker time goes, over every
blob of that repository listed and batched as `keyleak history` lists and batches them (each
row run once; wall and CPU seconds, CPU of the gits included):

- git inflate, 1 / 2 streams: `git cat-file --batch` alone, output thrown away, with one
  process, or two at once each given every other batch (as two workers are);
- pipe read, 1 / 2 streams: the same blobs read into Python through `git.BlobReader` (two
  streams: two readers, one thread each); per-blob: `blob_item` (LFS and binary checks, the
  chunk), the Python cost of a blob before the matcher;
- scan_batch, 1 worker: what one worker does, reading and scanning, and the matcher's share.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import string
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import hyperscan  # noqa: E402

from scanner import git  # noqa: E402
from scanner.config.settings import ScanOptions  # noqa: E402
from scanner.match import chunk as chunk_module  # noqa: E402
from scanner.match import confirm as confirm_module  # noqa: E402
from scanner.match import hyperscan_matcher as hm  # noqa: E402
from scanner.model import Chunk, Provenance, Rule  # noqa: E402
from scanner.pipeline import blob_workers  # noqa: E402
from scanner.pipeline import run as run_module  # noqa: E402
from scanner.pipeline.run import configured_scanner  # noqa: E402
from scanner.rules import builtin_rules_dir, load_rules  # noqa: E402
from scanner.sources.blobs import blob_item  # noqa: E402

MB = 10**6
CAT_ALL = ("--batch-all-objects", "--batch", "--unordered")
#: the bodies of synthetic family members: the shapes that have no prefix of their own
BODIES = ("[a-f0-9]{32}", "[A-Za-z0-9]{40}", "[a-z0-9]{24}", "[A-Za-z0-9_-]{36}", "[0-9a-f]{64}")


def synthetic_members(template: Rule, count: int, seed: int = 1) -> list[Rule]:
    """Made-up family members shaped like the `keyword-assignment` family's expansion."""
    rng = random.Random(seed)
    made: list[Rule] = []
    names: set[str] = set()
    while len(made) < count:
        name = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 12)))
        if name in names:
            continue
        names.add(name)
        body = rng.choice(BODIES)
        tail = body[: body.index("]") + 1]
        regex = (
            rf"(?i)(?<![a-z0-9])(?:{name})[\w.-]{{0,32}}?[\"'`]?\]?[ \t]*(?:=>|:=|=|:)"
            rf"[ \t]*[\"'`]?(?P<secret>{body})(?!{tail})"
        )
        made.append(
            replace(
                template,
                id=f"synthetic-{name}-api-key",
                provider=name,
                regex=regex,
                keywords=(name,),
                hints=("line",),
                filters=("placeholder",),
                allow=(),
                checksum=None,
                min_entropy=3.0,
                examples=(),
                negative_examples=(),
            )
        )
    return made


def source_files(tree: Path, max_bytes: int) -> list[tuple[str, bytes]]:
    """The tree's regular files in sorted order, up to `max_bytes` in all (no file over 2 MB)."""
    files: list[tuple[str, bytes]] = []
    total = 0
    for directory, dirs, names in os.walk(tree):
        dirs.sort()
        for name in sorted(names):
            path = Path(directory, name)
            try:
                if not path.is_file() or path.is_symlink() or path.stat().st_size > 2 * MB:
                    continue
                content = path.read_bytes()
            except OSError:
                continue
            if b"\0" in content[:8000]:  # a binary file: the scan skips it too
                continue
            files.append((str(path.relative_to(tree)), content))
            total += len(content)
            if total >= max_bytes:
                return files
    return files


def history_blobs(git_dir: Path, max_bytes: int) -> list[tuple[str, bytes]]:
    """A sample of a repository's blobs, up to `max_bytes`: in object-id order, which is a
    random order, so the sample holds every kind of file and every age of the history in
    proportion (no blob over 2 MB, no binary one: the history scan skips those too)."""
    check = "--batch-check=%(objectname) %(objecttype) %(objectsize)"
    listed = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch-all-objects", check],
        capture_output=True,
        check=True,
    ).stdout.split(b"\n")
    chosen: list[bytes] = []
    total = 0
    for line in sorted(listed):
        fields = line.split()
        if len(fields) != 3 or fields[1] != b"blob" or int(fields[2]) > 2 * MB:
            continue
        chosen.append(fields[0])
        total += int(fields[2])
        if total >= max_bytes:
            break
    process = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
        input=b"".join(oid + b"\n" for oid in chosen),
        capture_output=True,
        check=True,
    )
    out = process.stdout
    blobs: list[tuple[str, bytes]] = []
    at = 0
    for oid in chosen:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        content = out[header_end + 1 : header_end + 1 + size]
        at = header_end + 2 + size
        if b"\0" not in content[:8000]:
            blobs.append((oid.decode(), content))
    return blobs


#: the clock of the stage rows: wall time, or with --cpu this process's CPU time, which the
#: other processes of a busy machine change far less
CLOCK: list[Callable[[], float]] = [time.perf_counter]


def timed(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median wall time of `runs` calls, and the last call's value."""
    times: list[float] = []
    value: Any = None
    for _ in range(runs):
        start = CLOCK[0]()
        value = action()
        times.append(CLOCK[0]() - start)
    return statistics.median(times), value


class Stopwatch:
    """Time spent inside the functions it wraps, and how often they were called."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            start = CLOCK[0]()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += CLOCK[0]() - start
                self.calls += 1

        return timed_call


@contextmanager
def patched(owner: Any, name: str, watch: Stopwatch) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, watch.wrap(original))
    try:
        yield
    finally:
        setattr(owner, name, original)


def hs_scan(database: Any, contents: list[bytes]) -> int:
    """Scan every content with a callback that counts; returns the callbacks."""
    scratch = hyperscan.Scratch(database)
    count = [0]

    def on_match(_id: int, _start: int, _end: int, _flags: int, _context: Any) -> None:
        count[0] += 1

    for content in contents:
        database.scan(content, match_event_handler=on_match, scratch=scratch)
    return count[0]


def compile_rows(rules: list[Rule]) -> tuple[list[tuple[str, float, float, int]], dict[str, Any]]:
    """Compile each database once, load it, and keep the loaded ones."""
    rows = []
    loaded: dict[str, Any] = {}
    start = time.process_time()
    serialized, unsupported = hm.compile_database(rules)
    compiled = time.process_time() - start
    parts = {
        "rules db": (serialized, compiled),
        "encodings db": _compiled(lambda: hm.compile_encoded(rules)),
        "combined db": _compiled(lambda: hm.compile_combined(rules, unsupported)),
    }
    for name, (blob, seconds) in parts.items():
        if not blob:  # a database with nothing to hold
            loaded[name] = None
            continue
        load_time, database = timed(lambda blob=blob: hm.load_database(blob), 5)
        rows.append((name, seconds, load_time, len(blob)))
        loaded[name] = database
    loaded["unsupported"] = unsupported
    return rows, loaded


def _compiled(compile_it: Callable[[], bytes]) -> tuple[bytes, float]:
    start = time.process_time()
    blob = compile_it()
    return blob, time.process_time() - start


def pipe_read(git_dir: Path) -> tuple[float, int]:
    """Seconds to read every blob of a repository through one `git cat-file` pipe, and bytes."""
    start = time.perf_counter()
    process = subprocess.Popen(
        ["git", "--git-dir", str(git_dir), "cat-file", *CAT_ALL],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    total = 0
    buffer = bytearray(1 << 20)
    while read := process.stdout.readinto(buffer):
        total += read
    process.wait()
    return time.perf_counter() - start, total


def git_read_cpu(git_dir: Path, streams: list[list[list[str]]]) -> tuple[float, float]:
    """Wall and CPU seconds (git's, from wait4) of one `git cat-file --batch` per stream, all
    at once, each asked for its batches' blobs and its output thrown away: git's inflating."""
    start = time.perf_counter()
    processes = []
    for batches in streams:
        ids = "".join(f"{oid}\n" for batch in batches for oid in batch).encode()
        process = subprocess.Popen(
            ["git", "--git-dir", str(git_dir), *git.PACK_MEMORY, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
        processes.append((process, ids))
    # fed from threads: a pipe holds 64 KB of ids, and git stops while nobody writes
    feeders = [threading.Thread(target=feed, args=pair) for pair in processes]
    for feeder in feeders:
        feeder.start()
    cpu = 0.0
    for (process, _), feeder in zip(processes, feeders, strict=True):
        feeder.join()
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0
        cpu += usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, cpu


def feed(process: subprocess.Popen[bytes], data: bytes) -> None:
    assert process.stdin is not None
    process.stdin.write(data)
    process.stdin.close()


def python_read(git_dir: Path, streams: list[list[list[str]]]) -> tuple[float, float, float]:
    """Wall and CPU seconds (this process's and its gits') of reading the blobs into Python
    through `git.BlobReader`, one reader and thread per stream; and the seconds `blob_item`
    (LFS and binary checks, the chunk) took for all of them: the per-blob overhead."""
    before = os.times()
    start = time.perf_counter()
    per_blob = [0.0] * len(streams)

    def read(index: int, batches: list[list[str]]) -> None:
        reader = git.BlobReader(str(git_dir))
        try:
            for batch in batches:
                for oid, content in reader.read(batch):
                    started = time.perf_counter()
                    blob_item(oid, content)
                    per_blob[index] += time.perf_counter() - started
        finally:
            reader.close()

    threads = [
        threading.Thread(target=read, args=(index, batches))
        for index, batches in enumerate(streams)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    after = os.times()
    cpu = sum(after[:4]) - sum(before[:4])
    return wall, cpu, sum(per_blob)


def serial_scan(git_dir: Path, batches: list[list[str]]) -> tuple[float, float, float]:
    """Wall and CPU seconds of `blob_workers.scan_batch` over every batch, as one worker runs
    it (its git included), and the seconds spent in the matcher (`chunk_matches`)."""
    scanner = configured_scanner(ScanOptions())
    matcher, rules = scanner.volume_matcher(), scanner.ruleset.by_id()
    watch = Stopwatch()
    reader = git.BlobReader(str(git_dir))
    before = os.times()
    start = time.perf_counter()
    try:
        with patched(run_module, "chunk_matches", watch):
            for batch in batches:
                blob_workers.scan_batch(batch, reader, matcher, rules, scanner.markers)
    finally:
        reader.close()
    wall = time.perf_counter() - start
    after = os.times()
    return wall, sum(after[:4]) - sum(before[:4]), watch.seconds


def history_rows(git_dir: Path) -> tuple[list[tuple[str, float, float | None, str]], int]:
    """Rows of where a history scan's worker time goes, over every blob of `git_dir` listed and
    batched as `keyleak history` does: (stage, wall s, CPU s, note); and the bytes read."""
    listed = list(git.stored_blobs(str(git_dir)))
    size = sum(blob_size for _, blob_size in listed)
    batches = list(blob_workers.batches(listed))
    one, two = [batches], [batches[0::2], batches[1::2]]
    rows: list[tuple[str, float, float | None, str]] = []
    wall, cpu = git_read_cpu(git_dir, one)
    rows.append(("git inflate, 1 stream", wall, cpu, f"{len(listed)} blobs"))
    wall, cpu = git_read_cpu(git_dir, two)
    rows.append(("git inflate, 2 streams", wall, cpu, "alternate batches"))
    wall, cpu, per_blob = python_read(git_dir, one)
    rows.append(("pipe read, 1 stream", wall, cpu, "git + BlobReader"))
    rows.append(
        (
            "  per-blob (blob_item)",
            per_blob,
            None,
            f"{per_blob / len(listed) * 1e6:.1f} us/blob",
        )
    )
    wall, cpu, _ = python_read(git_dir, two)
    rows.append(("pipe read, 2 streams", wall, cpu, "one thread each"))
    wall, cpu, matching = serial_scan(git_dir, batches)
    rows.append(("scan_batch, 1 worker", wall, cpu, "read + scan, git included"))
    rows.append(("  matcher", matching, None, f"{100 * matching / wall:.0f}% of the worker's wall"))
    return rows, size


def print_history(rows: list[tuple[str, float, float | None, str]], size: int) -> None:
    print()
    print(f"history: {size / MB:.1f} MB of blobs")
    print(f"{'stage':<24}{'wall s':>9}{'CPU s':>9}{'MB/s':>9}{'CPU s/GB':>10}  note")
    for name, wall, cpu, note in rows:
        rate = size / MB / wall if wall > 0 else float("inf")
        cpu_text = "-" if cpu is None else f"{cpu:.2f}"
        per_gb = "-" if cpu is None or not size else f"{cpu / (size / 10**9):.2f}"
        print(f"{name:<24}{wall:>9.2f}{cpu_text:>9}{rate:>9.0f}{per_gb:>10}  {note}")


def stage_rows(
    rules: list[Rule], loaded: dict[str, Any], chunks: list[Chunk], runs: int
) -> list[tuple[str, float, str]]:
    contents = [chunk.content for chunk in chunks]
    rows: list[tuple[str, float, str]] = []
    for name in ("rules db", "combined db", "encodings db"):
        seconds, calls = timed(lambda name=name: hs_scan(loaded[name], contents), runs)
        rows.append((f"hs {name}", seconds, f"{calls / (sum(map(len, contents)) / MB):.0f}"))

    by_id = {rule.id: rule for rule in rules}
    compiled = hm.CompiledDatabase(
        lambda: loaded["rules db"],
        loaded["unsupported"],
        encoded=lambda: loaded["encodings db"],
        combined=lambda: loaded["combined db"],
    )

    def fresh_matcher() -> hm.HyperscanMatcher:
        matcher = hm.HyperscanMatcher(rules, compiled)
        matcher.expect_volume()
        # the rules' regexes compiled before timing: a scan compiles each once
        for chunk in chunks:
            matcher.scan(chunk.content)
        return matcher

    matcher = fresh_matcher()
    survey_time, _ = timed(lambda: [matcher.survey(c) for c in contents], runs)
    rows.append(("survey (combined db)", survey_time, ""))

    watches = {name: Stopwatch() for name in ("confirm", "keyword lines", "decode")}
    matcher = fresh_matcher()

    def total_pass() -> int:
        found = 0
        for chunk in chunks:
            found += len(chunk_module.chunk_matches(chunk, matcher, by_id).matches)
        return found

    total_time, found = timed(total_pass, runs)
    with (
        patched(confirm_module, "confirm", watches["confirm"]),
        patched(hm.KeywordFinder, "__call__", watches["keyword lines"]),
        patched(chunk_module, "encoded_matches", watches["decode"]),
    ):
        for watch in watches.values():
            watch.seconds, watch.calls = 0.0, 0
        matcher = fresh_matcher()
        for watch in watches.values():
            watch.seconds, watch.calls = 0.0, 0
        timed(total_pass, 1)
    confirm_calls = watches["confirm"].calls
    rows.append(("confirm (all rules)", watches["confirm"].seconds, f"{confirm_calls} calls"))
    rows.append(("  keyword lines", watches["keyword lines"].seconds, ""))
    rows.append(("decode", watches["decode"].seconds, ""))
    per_chunk = total_time - survey_time - watches["decode"].seconds
    rows.append(("per-chunk rest", max(per_chunk, 0.0), f"{len(chunks)} chunks"))
    rows.append(("total chunk_matches", total_time, f"{found} matches"))
    return rows


def expression_name(rules: list[Rule], expression_id: int) -> str:
    """What an id of the combined database stands for (`hyperscan_matcher.compile_parts`)."""
    count = len(rules)
    if expression_id >= hm.KEYWORDS_ID:
        return f"keywords of {rules[expression_id - hm.KEYWORDS_ID].id}"
    if expression_id < count:
        return rules[expression_id].id
    offset = expression_id - count
    if offset < hm.MANIFEST_ID:
        return f"hint {hm.HINTS[offset].decode()}"
    if offset == hm.MANIFEST_ID:
        return "kind: Secret line"
    if offset == hm.ESCAPE_ID:
        return "%XX escape"
    return "keyword base64 forms"


def noisiest_rows(
    rules: list[Rule], loaded: dict[str, Any], contents: list[bytes], top: int = 10
) -> list[tuple[str, float]]:
    """Callbacks per MB of the combined database by what it reports, the noisiest first: the
    patterns whose prefilter fires on ordinary code, and what each class costs in calls."""
    counts: dict[str, int] = {}
    scratch = hyperscan.Scratch(loaded["combined db"])

    def on_match(expression_id: int, _start: int, _end: int, _flags: int, _context: Any) -> None:
        name = expression_name(rules, expression_id)
        counts[name] = counts.get(name, 0) + 1

    for content in contents:
        loaded["combined db"].scan(content, match_event_handler=on_match, scratch=scratch)
    megabytes = sum(map(len, contents)) / MB
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return [(name, calls / megabytes) for name, calls in ranked[:top]]


def expression_group(rules: list[Rule], expression_id: int) -> str:
    """The group of the combined database an id belongs to (`group_rows`)."""
    name = expression_name(rules, expression_id)
    if expression_id < len(rules):
        rule = rules[expression_id]
        if rule.family:
            return "family members"
        return "generic rules" if rule.provider == "generic" else "provider regexes"
    if name.startswith("keywords of"):
        return "keyword literals"
    return "hints" if name.startswith("hint") else name


def group_rows(
    rules: list[Rule], unsupported: frozenset[int], contents: list[bytes], runs: int
) -> list[tuple[str, float, float, int]]:
    """Each group's cost in Hyperscan's scan: the combined database's scan time without it, as
    (group, seconds without it, seconds with everything, expressions in the group)."""
    expressions, flags, ids = combined_parts(rules, unsupported)
    groups = [expression_group(rules, expression_id) for expression_id in ids]

    def database_without(left_out: str) -> Any:
        kept = [at for at, group in enumerate(groups) if group != left_out]
        return database_of(expressions, flags, ids, kept)

    def scan_time(database: Any) -> float:
        return silent_scan_time(database, contents)

    whole = database_without("")
    rows = []
    for group in sorted(set(groups)):
        without = database_without(group)
        times: dict[str, list[float]] = {"whole": [], "without": []}
        for _ in range(runs):
            times["whole"].append(scan_time(whole))
            times["without"].append(scan_time(without))
        rows.append(
            (
                group,
                statistics.median(times["without"]),
                statistics.median(times["whole"]),
                groups.count(group),
            )
        )
    return rows


def combined_parts(
    rules: list[Rule], unsupported: frozenset[int]
) -> tuple[list[bytes], list[int], list[int]]:
    """The combined database's expressions, flags and ids, as `compile_combined` builds them."""
    captured: list[tuple[list[bytes], list[int], list[int]]] = []

    def capture(expressions: list[bytes], flags: list[int], ids: list[int] | None = None) -> bytes:
        captured.append((expressions, flags, ids or list(range(len(expressions)))))
        return b""

    original = hm.compile_expressions
    hm.compile_expressions = capture
    try:
        hm.compile_combined(rules, unsupported)
    finally:
        hm.compile_expressions = original
    return captured[0]


def database_of(expressions: list[bytes], flags: list[int], ids: list[int], kept: Any) -> Any:
    """A database of the expressions at the positions `kept`, loaded."""
    kept = list(kept)
    return hm.load_database(
        hm.compile_expressions(
            [expressions[at] for at in kept], [flags[at] for at in kept], [ids[at] for at in kept]
        )
    )


def silent_scan_time(database: Any, contents: list[bytes]) -> float:
    """Hyperscan's scan of every content with no callback, by `CLOCK`."""
    scratch = hyperscan.Scratch(database)
    start = CLOCK[0]()
    for content in contents:
        database.scan(content, match_event_handler=None, scratch=scratch)
    return CLOCK[0]() - start


#: how many of the costliest expressions `expression_rows` leaves out of the combined database
LEFT_OUT = (5, 10, 20, 40)


def expression_rows(
    rules: list[Rule],
    unsupported: frozenset[int],
    scan_time: Callable[[Any], float],
    runs: int,
    top: int = 15,
) -> tuple[list[tuple[str, float]], list[tuple[int, float, float]]]:
    """Which rules' regexes cost Hyperscan most: each alone in a database, scanned over the
    input (`scan_time`: a loaded database's scan time), the costliest first; then the combined
    database without the costliest 5, 10, 20, 40 of them, against the whole one (interleaved,
    medians of `runs`), as (left out, seconds without, seconds whole). A regex alone costs
    more than its share of the combined database, where the literals of all are matched in
    one pass: the second table says what leaving the costliest out would save."""
    expressions, flags, ids = combined_parts(rules, unsupported)
    alone = sorted(
        (
            (scan_time(database_of(expressions, flags, ids, [at])), at)
            for at, expression_id in enumerate(ids)
            if expression_id < len(rules) and not rules[expression_id].family
        ),
        reverse=True,
    )
    costliest = [(rules[ids[at]].id, seconds) for seconds, at in alone[:top]]
    whole = database_of(expressions, flags, ids, range(len(ids)))
    rows = []
    for count in LEFT_OUT:
        dropped = {at for _, at in alone[:count]}
        without = database_of(
            expressions, flags, ids, (at for at in range(len(ids)) if at not in dropped)
        )
        times: dict[str, list[float]] = {"whole": [], "without": []}
        for _ in range(runs):
            times["whole"].append(scan_time(whole))
            times["without"].append(scan_time(without))
        rows.append((count, statistics.median(times["without"]), statistics.median(times["whole"])))
    return costliest, rows


def print_expressions(rows: tuple[list[tuple[str, float]], list[tuple[int, float, float]]]) -> None:
    costliest, left_out = rows
    print()
    print(f"{'costliest regexes (each alone)':<48}{'ms':>9}")
    for name, seconds in costliest:
        print(f"{name:<48}{seconds * 1000:>9.1f}")
    print()
    print(f"{'combined db without the costliest':<36}{'ms':>8}{'whole ms':>10}{'saves':>8}")
    for count, without, whole in left_out:
        saving = f"{100 * (whole - without) / whole:.0f}%" if whole > 0 else ""
        print(f"{count:<36}{without * 1000:>8.1f}{whole * 1000:>10.1f}{saving:>8}")


def print_groups(rows: list[tuple[str, float, float, int]]) -> None:
    print()
    print(f"{'combined db without':<24}{'ms':>8}{'whole ms':>10}{'saves':>8}{'exprs':>7}")
    for group, without, whole, count in sorted(rows, key=lambda row: row[1] - row[2]):
        saving = f"{100 * (whole - without) / whole:.0f}%" if whole > 0 else ""
        print(f"{group:<24}{without * 1000:>8.1f}{whole * 1000:>10.1f}{saving:>8}{count:>7}")


def print_noisiest(rows: list[tuple[str, float]]) -> None:
    print()
    print(f"{'noisiest expressions (combined db)':<48}{'calls/MB':>9}")
    for name, per_mb in rows:
        print(f"{name:<48}{per_mb:>9.2f}")


def print_report(
    rules: list[Rule],
    compile_table: list[tuple[str, float, float, int]],
    rows: list[tuple[str, float, str]],
    size: int,
    pipe: tuple[float, int] | None,
) -> None:
    print(f"rules: {len(rules)}   input: {size / MB:.1f} MB   hyperscan {hyperscan.__version__}")
    print()
    print(f"{'database':<16}{'compile s':>11}{'load ms':>10}{'size KB':>10}")
    for name, seconds, load, blob in compile_table:
        print(f"{name:<16}{seconds:>14.2f}{load * 1000:>10.2f}{blob / 1024:>10.0f}")
    print()
    total = rows[-1][1]
    print(f"{'stage':<24}{'seconds':>9}{'MB/s':>9}{'share':>7}  {'calls/MB or count':<}")
    for name, seconds, note in rows:
        rate = size / MB / seconds if seconds > 0 else float("inf")
        share = f"{100 * seconds / total:.0f}%" if total > 0 else ""
        print(f"{name:<24}{seconds:>9.3f}{rate:>9.0f}{share:>7}  {note}")
    if pipe is not None:
        seconds, read = pipe
        print(f"{'pipe read (cat-file)':<24}{seconds:>9.3f}{read / MB / seconds:>9.0f}{'':>7}  ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_tree = Path(sysconfig.get_paths()["purelib"])
    parser.add_argument("--tree", type=Path, default=default_tree, help="source files to scan")
    parser.add_argument("--max-mb", type=float, default=40, help="input cap (default 40 MB)")
    parser.add_argument("--rules", type=Path, action="append", default=[], help="more rules")
    parser.add_argument("--synthetic", type=int, default=0, help="made-up family members")
    parser.add_argument("--history", type=Path, help="a git dir whose blobs to read via a pipe")
    parser.add_argument(
        "--blobs", type=Path, help="scan a sample of this git dir's blobs instead of --tree"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each stage (median)")
    parser.add_argument("--cpu", action="store_true", help="time stages in CPU seconds")
    parser.add_argument(
        "--groups", action="store_true", help="what each expression group costs Hyperscan"
    )
    parser.add_argument(
        "--expressions", action="store_true", help="which rules' regexes cost Hyperscan most"
    )
    args = parser.parse_args(argv)
    if args.cpu:
        CLOCK[0] = time.process_time

    ruleset = load_rules([builtin_rules_dir(), *args.rules])
    rules = list(ruleset.rules)
    if args.synthetic:
        rules += synthetic_members(rules[0], args.synthetic)
    if args.blobs:
        files = history_blobs(args.blobs, int(args.max_mb * MB))
    else:
        files = source_files(args.tree, int(args.max_mb * MB))
    chunks = [Chunk(content, Provenance(path=path)) for path, content in files]
    size = sum(len(chunk.content) for chunk in chunks)
    compile_table, loaded = compile_rows(rules)
    rows = stage_rows(rules, loaded, chunks, args.runs)
    pipe = pipe_read(args.history) if args.history else None
    print_report(rules, compile_table, rows, size, pipe)
    print_noisiest(noisiest_rows(rules, loaded, [chunk.content for chunk in chunks]))
    if args.groups:
        contents = [chunk.content for chunk in chunks]
        print_groups(group_rows(rules, loaded["unsupported"], contents, args.runs))
    if args.expressions:
        contents = [chunk.content for chunk in chunks]
        print_expressions(
            expression_rows(
                rules,
                loaded["unsupported"],
                lambda database: silent_scan_time(database, contents),
                args.runs,
            )
        )
    if args.history:
        print_history(*history_rows(args.history))
    return 0


if __name__ == "__main__":
    sys.exit(main())
