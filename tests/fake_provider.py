"""A loopback stand-in for every provider keyleak verifies against
(docs/providers.md#the-tests-fake-server).

One ThreadingHTTPServer on 127.0.0.1 answers each provider's probe at its real path. It checks
the request the way the provider would (method, path, headers, SigV4 shape) and answers 400 to a
malformed one; otherwise it answers by the credential received: a test scripts, per key, the
sequence of answers (status, JSON error body, headers) that key gets. It counts requests per key
and the requests in flight, overall and per provider.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from scanner.config.verification import VerifySettings
from scanner.model import Finding, Location, Severity, Verdict
from scanner.redaction import fingerprint, redact
from scanner.verify.clock import SYSTEM_CLOCK, Clock
from scanner.verify.runner import verify_findings
from scanner.verify.sigv4 import authorization
from tests.keys import ALNUM, URLSAFE, openai_key, random_text

PROVIDERS = (
    "openai",
    "anthropic",
    "github",
    "gitlab",
    "aws",
    "slack",
    "stripe",
    "huggingface",
    "google",
    "groq",
    "openrouter",
    "deepseek",
    "xai",
    "sendgrid",
)
#: verification against the loopback fake: no cache between tests, retries without a real wait
FAST = VerifySettings(enabled=True, timeout=5.0, backoff=0.01, use_cache=False)
AWS_MISMATCH = (
    "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
    "calculated does not match the signature you provided.</Message></Error></ErrorResponse>"
)
SIGV4 = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<id>[A-Z0-9]{20})/(?P<date>\d{8})/us-east-1/sts/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=[0-9a-f]{64}"
)


class BackloggedServer(ThreadingHTTPServer):
    """A server whose queue of connections not yet accepted holds a whole run's burst: with
    the default of 5, a verification of 14 keys at once on a loaded machine had a connection
    refused at the listen queue, whose SYN the kernel retried after a second, past the client's
    connect timeout (a retry, and a wait the test did not expect)."""

    request_queue_size = 128


@dataclass(frozen=True)
class Answer:
    status: int = 200
    #: a dict or list is sent as JSON; str or bytes as they are; None means the provider's success
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    #: seconds to wait before answering
    delay: float = 0.0
    #: seconds between the body's bytes (a server trickling its answer)
    trickle: float = 0.0
    #: close the connection without any answer
    close: bool = False


def github_token(prefix: str = "ghp_", valid: bool = True) -> str:
    """A token whose last six characters are the CRC-32 of the thirty before, in base 62."""
    import zlib

    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    body = random_text(30)
    value = zlib.crc32(body.encode()) ^ (0 if valid else 1)
    digits = ""
    while value:
        value, digit = divmod(value, 62)
        digits = alphabet[digit] + digits
    return prefix + body + digits.rjust(6, "0")


def make_key(provider: str) -> str:
    """A fresh key of the provider's shape, random body (see tests/keys.py)."""
    hex_lower = "0123456789abcdef"
    makers: dict[str, Callable[[], str]] = {
        "openai": openai_key,
        "anthropic": lambda: "sk-ant-api03-" + random_text(93, URLSAFE) + "AA",
        "github": github_token,
        "gitlab": lambda: "glpat-" + random_text(20, URLSAFE),
        "aws": lambda: "AKIA" + random_text(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
        "slack": lambda: (
            f"xoxb-{random_text(11, '0123456789')}-{random_text(12, '0123456789')}-"
            + random_text(24)
        ),
        "stripe": lambda: "sk_" + "live_" + random_text(99),
        "huggingface": lambda: "hf_" + random_text(34, ALNUM[:52]),
        "google": lambda: "AIza" + random_text(35, URLSAFE),
        "groq": lambda: "gsk_" + random_text(52),
        "openrouter": lambda: "sk-or-v1-" + random_text(64, hex_lower),
        "deepseek": lambda: "sk-" + random_text(32, hex_lower),
        "xai": lambda: "xai-" + random_text(80),
        "sendgrid": lambda: "SG." + random_text(22, URLSAFE) + "." + random_text(43, URLSAFE),
    }
    return makers[provider]()


def aws_secret() -> str:
    return random_text(40, ALNUM + "+/")


def success_body(provider: str, path: str) -> Any:
    """What each provider answers a working key: only the fields its docs name."""
    bodies: dict[str, Any] = {
        "openai": {"object": "list", "data": [{"id": "model-a", "object": "model"}]},
        "anthropic": {"data": [{"id": "model-a", "type": "model"}], "has_more": True},
        "github": {"resources": {"core": {"limit": 5000}}}
        if path == "/rate_limit"
        else {
            "login": "octo-bot",
            "type": "Bot",
            "email": "person@example.com",
            "name": "A Person",
        },
        "gitlab": {
            "id": 1,
            "name": "ci-token",
            "revoked": False,
            "active": True,
            "scopes": ["read_api"],
            "expires_at": "2030-01-01",
            "user_id": 7,
        },
        "aws": (
            "<GetCallerIdentityResponse><GetCallerIdentityResult>"
            "<Arn>arn:aws:iam::123456789012:user/deploy</Arn><UserId>AIDAEXAMPLE</UserId>"
            "<Account>123456789012</Account></GetCallerIdentityResult>"
            "</GetCallerIdentityResponse>"
        ),
        "slack": {"ok": True, "team": "Acme", "team_id": "T0001", "user_id": "U0001", "user": "jo"},
        "stripe": {"object": "balance", "livemode": True, "available": []},
        "huggingface": {
            "name": "someone",
            "email": "person@example.com",
            "fullname": "A Person",
            "auth": {"accessToken": {"role": "read", "displayName": "laptop"}},
        },
        "google": {"models": [{"name": "models/gemini"}]},
        "groq": {"object": "list", "data": []},
        "openrouter": {
            "data": {"label": "sk-or-v1-abc...xyz", "limit": None, "is_free_tier": False}
        },
        "deepseek": {"is_available": True, "balance_infos": [{"currency": "USD"}]},
        "xai": {
            "name": "ci",
            "acls": ["api-key:model:*"],
            "team_id": "t1",
            "team_blocked": False,
            "api_key_blocked": False,
            "api_key_disabled": False,
        },
        "sendgrid": {"scopes": ["mail.send", "alerts.read"]},
    }
    return bodies[provider]


def bearer(headers: Any) -> str | None:
    value = headers.get("Authorization", "")
    return value[len("Bearer ") :] if value.startswith("Bearer ") else None


@dataclass(frozen=True)
class Route:
    provider: str
    method: str
    targets: tuple[str, ...]
    credential: Callable[[Any], str | None]


def _anthropic(headers: Any) -> str | None:
    return headers.get("x-api-key") if headers.get("anthropic-version") else None


def _github(headers: Any) -> str | None:
    if not headers.get("User-Agent") or headers.get("X-GitHub-Api-Version") != "2022-11-28":
        return None
    return bearer(headers)


def _aws(headers: Any) -> str | None:
    match = SIGV4.fullmatch(headers.get("Authorization", ""))
    stamp = headers.get("X-Amz-Date", "")
    if not match or not stamp.startswith(match["date"]) or "x-amz-date" not in match["signed"]:
        return None
    return match["id"]


ROUTES = (
    Route("openai", "GET", ("/v1/models", "/v1/organization/admin_api_keys?limit=1"), bearer),
    Route(
        "anthropic", "GET", ("/v1/models?limit=1", "/v1/organizations/api_keys?limit=1"), _anthropic
    ),
    Route("google", "GET", ("/v1/models?pageSize=1",), lambda h: h.get("x-goog-api-key")),
    Route("github", "GET", ("/user", "/rate_limit"), _github),
    Route(
        "gitlab", "GET", ("/api/v4/personal_access_tokens/self",), lambda h: h.get("PRIVATE-TOKEN")
    ),
    Route("aws", "GET", ("/?Action=GetCallerIdentity&Version=2011-06-15",), _aws),
    Route("slack", "POST", ("/api/auth.test",), bearer),
    Route("stripe", "GET", ("/v1/balance",), bearer),
    Route("huggingface", "GET", ("/api/whoami-v2",), bearer),
    Route("groq", "GET", ("/openai/v1/models",), bearer),
    Route("openrouter", "GET", ("/api/v1/key",), bearer),
    Route("deepseek", "GET", ("/user/balance",), bearer),
    Route("xai", "GET", ("/v1/api-key",), bearer),
    Route("sendgrid", "GET", ("/v3/scopes",), bearer),
)


def route_for(method: str, target: str, headers: Any) -> tuple[Route, str] | None:
    """The provider a request is for, and its credential; None for a malformed request."""
    for route in ROUTES:
        if route.method == method and target in route.targets:
            credential = route.credential(headers)
            if credential:
                return route, credential
    return None


class FakeProvider:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self._scripts: dict[str, list[Answer]] = {}
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.times: dict[str, list[float]] = {}
        self.malformed: list[str] = []
        self._in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.max_in_flight_total = 0
        #: AWS key id -> its secret access key: a request signed with another is refused, as
        #: STS does (SignatureDoesNotMatch); ids not listed accept any signature
        self.aws_secrets: dict[str, str] = {}
        self._server = BackloggedServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # a short poll, so that stopping the server (every test that starts one) is quick
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def total(self) -> int:
        return sum(self.requests.values()) + len(self.malformed)

    def script(self, key: str, *answers: Answer) -> None:
        """Answers for the key's 1st, 2nd... request; the last one repeats."""
        self._scripts[key] = list(answers)

    def start(self) -> FakeProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, key: str) -> Answer:
        with self._lock:
            count = self.requests[key]
            self.requests[key] += 1
            self.times.setdefault(key, []).append(time.monotonic())
        script = self._scripts.get(key) or [Answer()]
        return script[min(count, len(script) - 1)]

    def _enter(self, provider: str) -> None:
        with self._lock:
            self._in_flight[provider] += 1
            self.max_in_flight[provider] = max(
                self.max_in_flight[provider], self._in_flight[provider]
            )
            total = sum(self._in_flight.values())
            self.max_in_flight_total = max(self.max_in_flight_total, total)

    def _leave(self, provider: str) -> None:
        with self._lock:
            self._in_flight[provider] -= 1

    def signed_by_owner(self, key_id: str, headers: Any) -> bool:
        """The request's SigV4 signature is the one the id's own secret gives (if known)."""
        secret = self.aws_secrets.get(key_id)
        if secret is None:
            return True
        when = datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        _, expected = authorization(
            key_id=key_id,
            secret=secret,
            host=headers["Host"],
            path="/",
            query="Action=GetCallerIdentity&Version=2011-06-15",
            when=when,
            region="us-east-1",
            service="sts",
        )
        return bool(headers["Authorization"] == expected)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out as separate writes: with Nagle's algorithm each answer
            # would wait for the client's delayed ACK (~40 ms), as no real provider makes it wait
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._handle("POST")

            def _handle(self, method: str) -> None:
                found = route_for(method, self.path, self.headers)
                if found is None:
                    with fake._lock:
                        fake.malformed.append(f"{method} {self.path}")
                    self._send(Answer(400, {"error": "malformed request"}), "", "")
                    return
                route, key = found
                if route.provider == "aws" and not fake.signed_by_owner(key, self.headers):
                    with fake._lock:
                        fake.requests[key] += 1
                    self._send(Answer(403, AWS_MISMATCH, content_type="text/xml"), "aws", "/")
                    return
                fake._enter(route.provider)
                try:
                    answer = fake._answer(key)
                    time.sleep(fake.latency + answer.delay)
                finally:
                    # before the answer goes out: once the client has read it, it may send its
                    # next request, which could arrive before this thread got to leave
                    fake._leave(route.provider)
                if answer.close:
                    self.close_connection = True
                    return
                self._send(answer, route.provider, self.path.split("?")[0])

            def _send(self, answer: Answer, provider: str, path: str) -> None:
                body = answer.body if answer.body is not None else success_body(provider, path)
                if isinstance(body, dict | list):
                    data = json.dumps(body).encode()
                elif isinstance(body, str):
                    data = body.encode()
                else:
                    data = bytes(body)
                content_type = answer.content_type
                if provider == "aws" and answer.body is None:
                    content_type = "text/xml"
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    step = 1 if answer.trickle else max(1, len(data))
                    for index in range(0, len(data), step):
                        self.wfile.write(data[index : index + step])
                        self.wfile.flush()
                        time.sleep(answer.trickle)
                except OSError:
                    self.close_connection = True  # the client gave up (timeout), as it should

        return Handler


@contextmanager
def fake_provider(latency: float = 0.0, environ: Any = None) -> Iterator[FakeProvider]:
    """A running fake; with `environ`, every provider is pointed at it (see override_all)."""
    server = FakeProvider(latency).start()
    try:
        if environ is not None:
            override_all(server, environ)
        yield server
    finally:
        server.stop()


def override_all(server: FakeProvider, environ: Any) -> None:
    """Point every provider at the fake server (environ: os.environ or a monkeypatch)."""
    for provider in PROVIDERS:
        name = f"KEYLEAK_{provider.upper()}_BASE_URL"
        if hasattr(environ, "setenv"):
            environ.setenv(name, server.url)
        else:
            environ[name] = server.url


def finding(rule_id: str, secret: str, path: str = "app.py", line: int = 1) -> Finding:
    return Finding(
        rule_id=rule_id,
        rule_name=rule_id,
        provider=rule_id,
        severity=Severity.CRITICAL,
        remediation="revoke it",
        location=Location(path=path, line=line, column=1, end_line=line),
        secret=secret,
        redacted=redact(secret),
        fingerprint=fingerprint(rule_id, secret.encode()),
    )


def verify_key(
    provider: str,
    key: str,
    settings: VerifySettings = FAST,
    partner: str | None = None,
    say: Callable[[str], None] = lambda _: None,
    clock: Clock = SYSTEM_CLOCK,
) -> Verdict:
    """Verify one key (with its AWS secret key on the next line) and return its verdict."""
    findings = [finding(provider, key)]
    if partner is not None:
        findings.append(finding("aws-secret-access-key", partner, line=2))
    result = verify_findings(findings, {provider: provider}, settings, say, clock=clock)[0]
    assert result.verdict is not None
    return result.verdict
