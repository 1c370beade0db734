"""Time live verification of many distinct keys of every verifiable rule, on loopback.

Run by hand (never from the test suite's timings), from the project root:

    .venv/bin/python benchmarks/bench_verify.py [--keys 1000] [--latency 0.05]

It draws --keys distinct keys, round-robin over the rules `keyleak rules list --verifiable`
lists (each key from the rule's declared `format`, passing its checksum; a key that pairs, as an
AWS key id does, with a second secret of its partner rule's format on the next line), and
repeats every tenth key in a second file: a repeat must never cost a request. Every verifier is
pointed (KEYLEAK_<NAME>_BASE_URL) at its own path on one loopback server, in a process of its
own, that answers any request after --latency seconds with that verifier's `live` answer (a
declaration's first live case; for a Python verifier, the tests' fake provider's). Settings are
the defaults (8 requests in flight, 4 per verifier) but for the cache, which is off so that
every key is asked.

It prints the keys, the verifiers, the requests the server received, the keys asked more than
once (must be 0), the wall time of the verification next to its floor (keys x latency / 8), and
the verdicts. It exits 1 when a key was asked twice or a key is not `live`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import multiprocessing
import os
import random
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import unquote, unquote_plus, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.accuracy.declared import generate
from scanner.config.verification import VerifySettings
from scanner.model import Finding, Rule, VerdictStatus
from scanner.rules import load_rules
from scanner.verify.registry import MODULES
from scanner.verify.runner import verify_findings
from tests.fake_provider import finding, success_body

#: one key in this many is found a second time, in another file
REPEAT_EVERY = 10


@dataclass(frozen=True)
class Target:
    """A rule whose keys are verified, the verifier that asks, and the rule of the second secret
    its keys are paired with (AWS's secret key, a declaration's `pair`)."""

    rule: Rule
    verifier: str
    partner: str = ""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


#: verifier name -> (regex of a request path, the live answer there), for the server's process
Answers = dict[str, list[tuple[str, Answer]]]


def targets(rules: Sequence[Rule]) -> tuple[list[Target], Answers]:
    """Every rule that verifies (`keyleak rules list --verifiable`), and each verifier's live
    answer: its declaration's first `live` case, or the tests' fake provider's for a module."""
    from scanner.verify.catalogue import entries

    chosen: list[Target] = []
    answers: Answers = {}
    for entry in entries(rules):
        table = entry.declaration
        if table is None:
            module = MODULES[entry.verifier]
            partner = module.pairing.partner_rule if module.pairing else ""
            chosen.append(Target(entry.rule, entry.verifier, partner))
            continue
        chosen.append(Target(entry.rule, entry.verifier, table.pair))
        case = next(case for case in table.cases if case.verdict == "live")
        headers = (("Content-Type", case.content_type), *case.headers)
        answer = Answer(case.status, headers, case.body.encode())
        answers.setdefault(entry.verifier, []).append((path_regex(table.target), answer))
    return chosen, answers


def path_regex(target: str) -> str:
    """A declared path and query as a regex of the paths it is sent to (each placeholder
    any run of characters but `/`)."""
    path = target.partition("?")[0]
    return "".join(
        "[^/]*" if piece.startswith("{") else re.escape(piece)
        for piece in re.split(r"(\{[a-z_]+\})", path)
    )


def live_answer(answers: Answers, verifier: str, path: str) -> Answer:
    """What the verifier's provider answers a working key at `path`."""
    for pattern, answer in answers.get(verifier, []):
        if re.fullmatch(pattern, path):
            return answer
    body = success_body(verifier, path)
    if isinstance(body, str):
        return Answer(200, (("Content-Type", "text/xml"),), body.encode())
    return Answer(200, (("Content-Type", "application/json"),), json.dumps(body).encode())


class AnyPathServer:
    """A loopback HTTP server: `/<verifier>/<anything>` gets that verifier's live answer after
    `latency` seconds. It keeps each request's text (target, headers, body, Basic credentials
    decoded) for counting which keys were asked."""

    def __init__(self, latency: float, answers: Answers) -> None:
        self.latency = latency
        self.answers = answers
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def serve(self) -> None:
        self._server.serve_forever(poll_interval=0.02)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # the head and the body go out in two writes: with Nagle's algorithm on, the body
            # waits for the client's delayed ACK of the head (40 ms on Linux)
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                pass

            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                text = [unquote(self.path), str(self.headers), unquote_plus(body)]
                scheme, _, credentials = self.headers.get("Authorization", "").partition(" ")
                if scheme.lower() == "basic":
                    try:
                        decoded = base64.b64decode(credentials + "==")
                    except binascii.Error:
                        # a key that is itself the credential (Imagga's) need not be base64
                        decoded = b""
                    text.append(decoded.decode("utf-8", "replace"))
                with server.lock:
                    server.requests.append("\n".join(text))
                time.sleep(server.latency)
                verifier, _, rest = self.path.lstrip("/").partition("/")
                reply = live_answer(server.answers, verifier, "/" + rest.partition("?")[0])
                self.send_response(reply.status)
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_HEAD = answer

        return Handler


def serve(latency: float, answers: Answers, control: Connection) -> None:
    """The server's process: sends its port, serves until told to stop, sends the requests."""
    server = AnyPathServer(latency, answers)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    control.send(server.port)
    control.recv()
    server.stop()
    control.send(server.requests)


@contextmanager
def server_process(latency: float, answers: Answers) -> Iterator[tuple[str, list[str]]]:
    """The server in a process of its own, as a provider is: in this one it would take the GIL
    from the client it measures. Yields its URL and the list its requests land in on exit."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve, args=(latency, answers, theirs), daemon=True)
    process.start()
    requests: list[str] = []
    try:
        yield f"http://127.0.0.1:{ours.recv()}", requests
    finally:
        ours.send("stop")
        requests.extend(ours.recv())
        process.join(5.0)


@dataclass(frozen=True)
class Planted:
    findings: list[Finding]
    #: the indexes of the findings of keys (not of the secrets they pair with)
    keyed: list[int]
    #: every distinct key asked about (an AWS key id, not its secret)
    keys: list[str]
    #: rule id -> verifier name, as the scan's rules give it
    verifiers: dict[str, str | None]


def plant(chosen: Sequence[Target], count: int, rules: dict[str, Rule], seed: int) -> Planted:
    """`count` distinct keys over the targets in turn, each in its own file (with the secret it
    pairs with on the next line, if it needs one); every tenth also in a second file."""
    rng = random.Random(seed)
    findings: list[Finding] = []
    keyed: list[int] = []
    keys: list[str] = []
    seen: set[str] = set()
    verifiers: dict[str, str | None] = {t.rule.id: t.verifier for t in chosen}
    while len(keys) < count:
        target = chosen[len(keys) % len(chosen)]
        key = generate(target.rule.format, rng, target.rule.checksum)
        if key in seen:
            continue
        seen.add(key)
        keys.append(key)
        copies = [f"keys/{len(keys)}.py"]
        if len(keys) % REPEAT_EVERY == 0:
            copies.append(f"copies/{len(keys)}.py")
        partner = rules[target.partner] if target.partner else None
        secret = generate(partner.format, rng, partner.checksum) if partner else None
        for path in copies:
            keyed.append(len(findings))
            findings.append(finding(target.rule.id, key, path=path))
            if partner is not None and secret is not None:
                verifiers.setdefault(partner.id, None)
                findings.append(finding(partner.id, secret, path=path, line=2))
    return Planted(findings, keyed, keys, verifiers)


def asked_twice(keys: Sequence[str], requests: Sequence[str]) -> tuple[int, int]:
    """(keys asked about more than once, requests that name no key)."""
    times: Counter[str] = Counter()
    unnamed = 0
    # a key that is a URL (a Discord webhook) is asked about at its own path
    forms = {
        key: (key, urlsplit(key).path) if key.startswith("https://") else (key,) for key in keys
    }
    for text in requests:
        named = [key for key in keys if any(form in text for form in forms[key])]
        times.update(named)
        unnamed += not named
    return sum(1 for n in times.values() if n > 1), unnamed


@contextmanager
def pointed_at(url: str, verifiers: Sequence[str]) -> Iterator[None]:
    """Every verifier's base URL overridden to its own path on the server, for the run only."""
    names = {f"KEYLEAK_{name.upper().replace('-', '_')}_BASE_URL": name for name in verifiers}
    saved = {variable: os.environ.get(variable) for variable in names}
    os.environ.update({variable: f"{url}/{name}" for variable, name in names.items()})
    try:
        yield
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--keys", type=int, default=1000, help="distinct keys (default 1000)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args(argv)

    rules = {rule.id: rule for rule in load_rules().rules}
    chosen, answers = targets(list(rules.values()))
    planted = plant(chosen, args.keys, rules, args.seed)
    names = sorted({target.verifier for target in chosen})
    settings = VerifySettings(enabled=True, use_cache=False)
    messages: list[str] = []
    with server_process(args.latency, answers) as (url, requests), pointed_at(url, names):
        started = time.perf_counter()
        results = verify_findings(planted.findings, planted.verifiers, settings, messages.append)
        wall = time.perf_counter() - started
    twice, unnamed = asked_twice(planted.keys, requests)
    keyed = [results[index] for index in planted.keyed]
    verdicts = Counter(str(r.verdict.status) if r.verdict else "none" for r in keyed)
    floor = args.keys * args.latency / settings.concurrency
    print(f"keys:              {args.keys} distinct, {len(keyed) - args.keys} repeats")
    print(f"verifiers:         {len(names)} ({len(chosen)} rules)")
    print(f"requests received: {len(requests)} ({unnamed} naming no key)")
    print(f"duplicates asked:  {twice}")
    print(f"wall time:         {wall:.2f} s")
    print(
        f"floor:             {floor:.2f} s = {args.keys} x {args.latency} s"
        f" / {settings.concurrency} in flight"
    )
    print("verdicts:          " + ", ".join(f"{n} {s}" for s, n in sorted(verdicts.items())))
    not_live = [r for r in keyed if not r.verdict or r.verdict.status is not VerdictStatus.LIVE]
    for result in not_live[:10]:
        reason = result.verdict.reason if result.verdict else "no verdict"
        print(f"  not live: {result.rule_id} at {result.location.path}: {reason}")
    return 1 if twice or unnamed or not_live or len(requests) != args.keys else 0


if __name__ == "__main__":
    sys.exit(main())
