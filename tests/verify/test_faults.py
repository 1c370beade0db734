"""Verification faults: each ends as `unknown` with a reason; never a traceback, a hang or a leak.

A host that cannot resolve, an untrusted TLS certificate, connections closed early, headers
trickled a byte at a time, a 100 MB answer, and bodies that are not the API's JSON. Every server
is started by the test on 127.0.0.1; nothing here needs or touches the internet.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import pytest

from scanner.config.verification import VerifySettings
from scanner.entry import main
from scanner.model import Verdict, VerdictStatus
from scanner.verify.probe import MAX_BODY, Request
from scanner.verify.runner import verify_findings
from scanner.verify.transport import Transport
from tests.fake_clock import FakeClock
from tests.fake_provider import (
    PROVIDERS,
    Answer,
    FakeProvider,
    aws_secret,
    fake_provider,
    finding,
    make_key,
    override_all,
)

T = TypeVar("T")
S = VerdictStatus
#: short steps and deadline, one quick retry: every fault here is over in well under a second
FAULTS = VerifySettings(
    enabled=True, use_cache=False, timeout=0.5, deadline=1.0, max_retries=1, backoff=0.01
)
VERIFIERS = {name: name for name in PROVIDERS}
#: a name under `.invalid` never resolves (RFC 6761)
UNRESOLVABLE = "http://keyleak-fault-test.invalid"
HUGE = 100 * 1024 * 1024
CHUNK = b" " * 65536
#: far longer than any deadline here lets through at one byte per TRICKLE seconds
TRICKLED_HEAD = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 4000 + b"\r\n\r\n"
TRICKLE = 0.02
#: the most any verification fault may hold: past this the test fails as a hang
HANG = 30.0


def bounded(call: Callable[[], T]) -> T:
    """The call's result; a call still running after HANG seconds fails the test as a hang."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(call())
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive(), "verification hung"
    if errors:
        raise errors[0]
    return results[0]


def fragments(key: str) -> list[str]:
    """The key and pieces of it long enough to be a leak: its middle and its end."""
    middle = len(key) // 2
    return [key, key[middle - 6 : middle + 6], key[-12:]]


def assert_no_key_text(key: str, texts: list[str]) -> None:
    for text in texts:
        for piece in fragments(key):
            assert piece not in text


def verify_all(
    keys: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    settings: VerifySettings = FAULTS,
    status: VerdictStatus = VerdictStatus.UNKNOWN,
    clock: FakeClock | None = None,
) -> dict[str, Verdict]:
    """Each provider's verdict on its key, in one run; every verdict checked to be `status`
    (`unknown` with a reason), and no verdict, message or log line to hold any piece of any key.
    Retry waits are skipped, and recorded on `clock` when one is given."""
    clock = clock or FakeClock()
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    findings = [finding(provider, key, path=f"{provider}.py") for provider, key in keys.items()]
    secrets = list(keys.values())
    if "aws" in keys:
        # the key id's partner: it signs the request and must never be sent or shown either
        secrets.append(aws_secret())
        findings.append(finding("aws-secret-access-key", secrets[-1], path="aws.py", line=2))
    results = bounded(
        lambda: verify_findings(findings, VERIFIERS, settings, messages.append, clock=clock)
    )
    verdicts: dict[str, Verdict] = {}
    texts = [*messages, *(record.getMessage() for record in caplog.records)]
    for provider, result in zip(keys, results, strict=False):
        verdict = result.verdict
        assert verdict is not None
        assert verdict.status is status, provider
        assert verdict.reason or status is not S.UNKNOWN, provider
        texts += [verdict.reason, *(value for _, value in verdict.details)]
        verdicts[provider] = verdict
    for secret in secrets:
        assert_no_key_text(secret, texts)
    return verdicts


def verify(
    provider: str,
    key: str,
    caplog: pytest.LogCaptureFixture,
    settings: VerifySettings = FAULTS,
    status: VerdictStatus = VerdictStatus.UNKNOWN,
    clock: FakeClock | None = None,
) -> Verdict:
    return verify_all({provider: key}, caplog, settings, status, clock)[provider]


class RawServer:
    """A loopback TCP (or TLS) server that plays a script, byte by byte, on every connection.

    It records each request it received (after the handshake, with TLS), the handshakes the
    client broke off, how many bytes of its answer it got out before the client went away, and
    whether a script ever ran to its end.
    """

    def __init__(
        self, play: Callable[[socket.socket, RawServer], None], tls: ssl.SSLContext | None = None
    ) -> None:
        self._play = play
        self._tls = tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._workers: list[threading.Thread] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.connections = 0
        self.requests: list[bytes] = []
        self.refused_handshakes = 0
        self.sent = 0
        self.finished = False

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self._acceptor.join(5.0)
        self.settle()
        self._listener.close()

    def settle(self) -> bool:
        """Wait for every connection's script to end; False if one still runs after 5 s.

        Without `stopping` set, a script ends early only because the client hung up.
        """
        limit = time.monotonic() + 5.0
        for worker in list(self._workers):
            worker.join(max(0.0, limit - time.monotonic()))
        return not any(worker.is_alive() for worker in self._workers)

    def send(self, connection: socket.socket, data: bytes) -> None:
        connection.sendall(data)
        with self.lock:
            self.sent += len(data)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            worker = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._workers.append(worker)
            worker.start()

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(5.0)
        with self.lock:
            self.connections += 1
        try:
            if self._tls is not None:
                try:
                    connection = self._tls.wrap_socket(connection, server_side=True)
                except (ssl.SSLError, OSError):
                    with self.lock:
                        self.refused_handshakes += 1
                    return
            head = read_head(connection)
            with self.lock:
                self.requests.append(head)
            self._play(connection, self)
        except OSError:
            pass  # the client gave up on the answer, as it should
        finally:
            connection.close()


def read_head(connection: socket.socket) -> bytes:
    """The request line and headers (keyleak's probes send no body with a GET)."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = connection.recv(4096)
        if not piece:
            break
        data += piece
    return data


def json_head(length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\n\r\n".encode()


def headers_then_close(connection: socket.socket, server: RawServer) -> None:
    server.send(connection, json_head(100))


def part_of_body_then_close(connection: socket.socket, server: RawServer) -> None:
    server.send(connection, json_head(100) + b'{"object": "li')


def trickled_headers(connection: socket.socket, server: RawServer) -> None:
    for index in range(len(TRICKLED_HEAD)):
        if server.stopping.is_set():
            return
        server.send(connection, TRICKLED_HEAD[index : index + 1])
        time.sleep(TRICKLE)
    server.finished = True


def huge_body(connection: socket.socket, server: RawServer) -> None:
    start = b'{"object": "list", "data": ['
    server.send(connection, json_head(len(start) + HUGE) + start)
    for _ in range(HUGE // len(CHUNK)):
        if server.stopping.is_set():
            return
        server.send(connection, CHUNK)
    server.finished = True


def huge_chunked_body(connection: socket.socket, server: RawServer) -> None:
    server.send(connection, json_head(None))
    frame = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n"
    for _ in range(HUGE // len(CHUNK)):
        if server.stopping.is_set():
            return
        server.send(connection, frame)
    server.send(connection, b"0\r\n\r\n")
    server.finished = True


def success(connection: socket.socket, server: RawServer) -> None:
    body = json.dumps({"object": "list", "data": []}).encode()
    server.send(connection, json_head(len(body)) + body)


@contextmanager
def serving_openai(
    play: Callable[[socket.socket, RawServer], None], monkeypatch: pytest.MonkeyPatch
) -> Iterator[RawServer]:
    """A RawServer playing `play`, with OpenAI's base URL pointed at it."""
    with RawServer(play) as server:
        monkeypatch.setenv("KEYLEAK_OPENAI_BASE_URL", server.url)
        yield server


@pytest.fixture(scope="module")
def provider_server() -> Iterator[FakeProvider]:
    """One fake provider for the module: each test scripts its own fresh key, so none interfere;
    starting and stopping a server per test would cost more than the tests themselves."""
    with fake_provider() as server:
        yield server


@pytest.fixture
def server(provider_server: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    override_all(provider_server, monkeypatch)
    return provider_server


# --- DNS --------------------------------------------------------------------------------------


def test_a_host_that_does_not_resolve_is_unknown(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("KEYLEAK_OPENAI_BASE_URL", UNRESOLVABLE)
    verdict = verify("openai", make_key("openai"), caplog)
    assert "dns" in verdict.reason.lower() and "host not found" in verdict.reason


# --- TLS --------------------------------------------------------------------------------------


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 and its private key, made now, trusted by nobody."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        write_with_cryptography(cert, key)
        return cert, key
    except ImportError:
        pass
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("cannot make a certificate: no cryptography package and no openssl command")
    made = subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {made.stderr.strip()[-200:]}")
    return cert, key


def write_with_cryptography(cert: Path, key: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[RawServer, Path]]:
    """A TLS server on 127.0.0.1 with a self-signed certificate, and that certificate."""
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with RawServer(success, tls=context) as server:
        yield server, cert


def test_an_untrusted_certificate_is_refused_before_the_key_is_sent(
    tls_server: tuple[RawServer, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, cert = tls_server
    monkeypatch.setenv("KEYLEAK_ANTHROPIC_BASE_URL", server.url)
    verdict = verify("anthropic", make_key("anthropic"), caplog)
    assert "TLS" in verdict.reason and "not trusted" in verdict.reason
    assert server.settle()
    assert server.connections == 1 + FAULTS.max_retries
    assert server.refused_handshakes == server.connections
    assert server.requests == []
    # the control: a client trusting this certificate does get its request, header and all, in
    control = ssl.create_default_context(cafile=str(cert))
    with (
        socket.create_connection(("127.0.0.1", server.port)) as raw,
        control.wrap_socket(raw, server_hostname="127.0.0.1") as secure,
    ):
        secure.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\n\r\n")
        assert secure.recv(4096).startswith(b"HTTP/1.1 200")
    assert len(server.requests) == 1 and b"x-api-key: k" in server.requests[0]


# --- connections closed early, headers trickled -----------------------------------------------


def test_a_connection_closed_before_any_byte_is_unknown(
    server: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    key = make_key("github")
    server.script(key, Answer(close=True))
    clock = FakeClock()
    verdict = verify("github", key, caplog, clock=clock)
    assert "connection closed" in verdict.reason
    assert server.requests[key] == 1 + FAULTS.max_retries
    assert len(clock.waits) == FAULTS.max_retries


@pytest.mark.parametrize(
    "play", [headers_then_close, part_of_body_then_close], ids=["headers-only", "part-of-body"]
)
def test_a_connection_closed_mid_answer_is_unknown(
    play: Callable[[socket.socket, RawServer], None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with serving_openai(play, monkeypatch) as server:
        verdict = verify("openai", make_key("openai"), caplog)
    assert "connection closed" in verdict.reason
    assert len(server.requests) == 1 + FAULTS.max_retries


def test_headers_trickled_a_byte_at_a_time_end_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Each byte comes well within the step timeout; only the whole-request deadline ends it."""
    settings = dataclasses.replace(FAULTS, timeout=0.3, deadline=0.5, max_retries=0)
    with serving_openai(trickled_headers, monkeypatch) as server:
        verdict = verify("openai", make_key("openai"), caplog, settings)
        hung_up = server.settle()
    assert verdict.reason == "timed out"
    assert settings.timeout > TRICKLE
    # the client hung up on the trickle long before the headers could have ended
    assert hung_up and not server.finished
    assert 0 < server.sent < len(TRICKLED_HEAD)


# --- a 100 MB answer --------------------------------------------------------------------------


#: a 200 listing too long to read still proves the key works; 100 MB of blanks proves nothing
HUGE_ANSWERS = [
    (huge_body, VerdictStatus.LIVE, ""),
    (huge_chunked_body, VerdictStatus.UNKNOWN, "HTTP 200 answer over 64 KiB, not read in full"),
]


@pytest.mark.parametrize(("play", "status", "reason"), HUGE_ANSWERS, ids=["listing", "blanks"])
def test_a_100_mb_answer_is_read_no_further_than_the_limit(
    play: Callable[[socket.socket, RawServer], None],
    status: VerdictStatus,
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with serving_openai(play, monkeypatch) as server:
        tracemalloc.start()
        try:
            verdict = verify("openai", make_key("openai"), caplog, status=status)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        hung_up = server.settle()
    assert verdict.reason == reason
    assert len(server.requests) == 1  # an oversized answer is not asked for again
    # the client hung up: the server's writes failed there, with most of the answer unsent (what
    # went out sat in socket buffers, a few MB); and the client never held more than a little
    assert hung_up and not server.finished
    assert server.sent < HUGE // 2
    assert peak < 8 * 1024 * 1024


def test_the_transport_returns_at_most_the_limit_and_says_it_cut() -> None:
    request = Request("GET", "/v1/models", (("Authorization", "Bearer not-a-key"),))
    with RawServer(huge_body) as server, Transport(timeout=1.0, deadline=5.0, connections=1) as t:
        reply = bounded(lambda: t.send(server.url, request))
    assert (reply.status, len(reply.body), reply.truncated) == (200, MAX_BODY, True)


def test_an_answer_of_exactly_the_limit_is_whole() -> None:
    body = b'{"object": "list", "data": []}'
    exact = body + b" " * (MAX_BODY - len(body))

    def play(connection: socket.socket, server: RawServer) -> None:
        server.send(connection, json_head(len(exact)) + exact)

    request = Request("GET", "/v1/models", (("Authorization", "Bearer not-a-key"),))
    with RawServer(play) as server, Transport(timeout=1.0, deadline=5.0, connections=1) as t:
        reply = bounded(lambda: t.send(server.url, request))
    assert (len(reply.body), reply.truncated) == (MAX_BODY, False)
    assert reply.json() == {"object": "list", "data": []}


# --- bodies that are not the API's JSON -------------------------------------------------------


#: a proxy's error page may echo the key: it must reach no message
HTML_PAGE = "<!DOCTYPE html><html><body><h1>Error</h1><p>token @KEY@</p></body></html>"
#: name: (status, body with @KEY@ standing for the key, content type, what the reason says);
#: a 5xx page is asked for again, as any 5xx is
BODIES: dict[str, tuple[int, str, str, str]] = {
    "html-200": (200, HTML_PAGE, "text/html; charset=utf-8", "HTML page"),
    "html-401": (401, HTML_PAGE, "text/html", "HTML page"),
    "html-500": (500, HTML_PAGE, "text/html", "HTML page"),
    "html-labelled-json": (200, HTML_PAGE, "application/json", "HTML page"),
    "empty": (200, "", "application/json", "empty body"),
    "truncated-json": (
        200,
        '{"object": "list", "data": [{"id": "@KEY@',
        "application/json",
        "not JSON",
    ),
    "json-list": (200, '[{"data": ["@KEY@"]}]', "application/json", "expected fields"),
    # deeper than Python's recursion limit: the JSON parser itself gives up
    "deeply-nested-json": (200, "[" * 60000, "application/json", "unreadable answer"),
}


@pytest.mark.parametrize("case", list(BODIES))
def test_a_body_that_is_not_the_apis_json_is_unknown_for_every_provider(
    case: str, server: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    status, body, content_type, said = BODIES[case]
    keys = {provider: make_key(provider) for provider in PROVIDERS}
    for key in keys.values():
        server.script(key, Answer(status, body.replace("@KEY@", key), content_type=content_type))
    clock = FakeClock()
    verdicts = verify_all(keys, caplog, clock=clock)
    for provider, verdict in verdicts.items():
        assert said in verdict.reason, (provider, verdict.reason)
    asked = 1 + FAULTS.max_retries if status >= 500 else 1
    assert all(server.requests[key] == asked for key in keys.values())
    assert len(clock.waits) == (asked - 1) * len(keys)
    assert not server.malformed


# --- end to end -------------------------------------------------------------------------------


def scan_with_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], provider: str, key: str
) -> tuple[int, dict[str, object], str]:
    """`keyleak scan --verify --format json` over one file holding the key; (code, report, err)."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "settings.py").write_text(f'TOKEN = "{key}"\n', encoding="utf-8")
    config = tmp_path / "keyleak.toml"
    config.write_text("[verify]\nbackoff = 0.01\ndeadline = 2.0\n", encoding="utf-8")
    argv = ["scan", str(source), "--verify", "--no-verify-cache", "--verify-timeout", "1"]
    argv += ["--config", str(config), "--format", "json"]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        bounded(lambda: main(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    for text in (captured.out, captured.err):
        assert_no_key_text(key, [text])
    report: dict[str, object] = json.loads(captured.out)
    return int(exited.value.code or 0), report, captured.err


def only_verdict(report: dict[str, object]) -> dict[str, object]:
    findings = report["findings"]
    assert isinstance(findings, list) and len(findings) == 1
    verdict: dict[str, object] = findings[0]["verdict"]
    return verdict


def test_scan_verify_end_to_end_with_an_unresolvable_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYLEAK_OPENAI_BASE_URL", UNRESOLVABLE)
    code, report, err = scan_with_verify(tmp_path, capsys, "openai", make_key("openai"))
    assert code == 1  # a finding, as with any policy but `live`; not a usage or internal error
    verdict = only_verdict(report)
    assert verdict["status"] == "unknown"
    assert "host not found" in str(verdict["reason"])
    stats = report["stats"]
    assert isinstance(stats, dict) and stats["by_verdict"] == {"unknown": 1}
    assert "redirected" in err


def test_scan_verify_end_to_end_with_an_untrusted_certificate(
    tls_server: tuple[RawServer, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, _ = tls_server
    monkeypatch.setenv("KEYLEAK_GITHUB_BASE_URL", server.url)
    code, report, _ = scan_with_verify(tmp_path, capsys, "github", make_key("github"))
    assert code == 1
    verdict = only_verdict(report)
    assert verdict["status"] == "unknown"
    assert "TLS certificate not trusted" in str(verdict["reason"])
    assert server.settle()
    assert server.connections == server.refused_handshakes >= 1
    assert server.requests == []
