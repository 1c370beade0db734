"""A loopback server for declared verifiers: it answers every request, whatever its method and
path, with the answer a test sets, and records each request as it came (method, path and
query, headers, body), so that a test checks the request a declaration makes as well as the
verdict it gives the answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = "{}"
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


@dataclass(frozen=True)
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


class EchoProvider:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.reply = Reply()
        self.received: list[Received] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.max_in_flight_total = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reset(self, reply: Reply) -> None:
        with self._lock:
            self.reply = reply
            self.received.clear()
            self.in_flight.clear()
            self.max_in_flight.clear()
            self.max_in_flight_total = 0

    def _record(self, request: Received, lane: str) -> Reply:
        with self._lock:
            self.received.append(request)
            self.in_flight[lane] = self.in_flight.get(lane, 0) + 1
            self.max_in_flight[lane] = max(self.max_in_flight.get(lane, 0), self.in_flight[lane])
            total = sum(self.in_flight.values())
            self.max_in_flight_total = max(self.max_in_flight_total, total)
            return self.reply

    def _leave(self, lane: str) -> None:
        with self._lock:
            self.in_flight[lane] -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        echo = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._handle()

            def do_HEAD(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name: value for name, value in self.headers.items()}
                # requests of one verifier share a lane: the tests' base URLs end in its name
                lane = self.path.split("/")[1] if self.path.count("/") > 1 else ""
                reply = echo._record(Received(self.command, self.path, headers, body), lane)
                try:
                    time.sleep(echo.latency)
                finally:
                    echo._leave(lane)
                data = reply.body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

        return Handler

    def start(self) -> EchoProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def echo_provider(latency: float = 0.0) -> Iterator[EchoProvider]:
    server = EchoProvider(latency).start()
    try:
        yield server
    finally:
        server.stop()
