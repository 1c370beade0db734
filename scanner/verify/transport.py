"""The one HTTP connection pool of a verification run.

It is httpcore's pool, the transport layer httpx itself runs on, used directly for two reasons:
it never follows a redirect (there is no code for it to follow one), and it takes a network
backend, which is where a hard deadline per request is enforced. httpx's client has per-read
timeouts only, so a server trickling a byte at a time could hold a request for ever.

Errors never carry the client's own text, which can hold a URL or headers. Imported only when a
request is about to be sent, so none of this is on the pre-commit path.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpcore

from scanner.verify.probe import MAX_BODY, Reply, Request


class TransportFailure(Exception):
    """No HTTP answer; the message is a fixed phrase, never the client's own text."""


class _Deadline(threading.local):
    """The monotonic time by which the current thread's request must be done."""

    at = float("inf")

    def bound(self, timeout: float | None) -> float:
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise httpcore.ReadTimeout("deadline")
        return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.bound(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.bound(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, self._deadline.bound(timeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Every connect, TLS handshake, read and write gets at most what is left of the deadline."""

    def __init__(self, deadline: _Deadline) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, self._deadline.bound(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self._deadline)


def tls_context() -> ssl.SSLContext:
    """Certificates verified against certifi's bundle (installed with httpx), else the system's."""
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def connect_failure(exc: httpcore.ConnectError) -> str:
    """Which step failed: name resolution and certificate checks need different fixes.

    httpcore wraps the socket or TLS error as its first argument (the pool clears the cause).
    """
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, socket.gaierror):
        return "host not found (DNS lookup failed)"
    if isinstance(inner, ssl.SSLCertVerificationError):
        return "TLS certificate not trusted"
    if isinstance(inner, ssl.SSLError):
        return "TLS handshake failed"
    return "connection failed"


class Transport:
    def __init__(self, *, timeout: float, deadline: float, connections: int) -> None:
        self._timeout = timeout
        self._budget = deadline
        self._deadline = _Deadline()
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls_context(),
            max_connections=connections,
            max_keepalive_connections=connections,
            network_backend=_DeadlineBackend(self._deadline),
        )

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._pool.close()

    def send(self, base_url: str, request: Request, until: float = float("inf")) -> Reply:
        """The reply, within the request's deadline and by `until` (monotonic) at the latest."""
        self._deadline.at = min(time.monotonic() + self._budget, until)
        try:
            return self._send(base_url, request)
        except httpcore.TimeoutException:
            raise TransportFailure("timed out") from None
        except httpcore.ConnectError as exc:
            raise TransportFailure(connect_failure(exc)) from None
        except httpcore.RemoteProtocolError:
            raise TransportFailure("connection closed or answer malformed") from None
        except (
            httpcore.NetworkError,
            httpcore.ProtocolError,
            httpcore.PoolTimeout,
            OSError,
        ) as exc:
            raise TransportFailure(f"network error ({type(exc).__name__})") from None
        finally:
            self._deadline.at = float("inf")

    def _send(self, base_url: str, request: Request) -> Reply:
        headers = [
            ("Host", urlsplit(base_url).netloc),
            *request.headers,
            # an encoded body could expand far beyond what is read; ask for it plain
            ("Accept-Encoding", "identity"),
        ]
        if request.method != "GET":
            headers.append(("Content-Length", str(len(request.body))))
        timeouts = {name: self._timeout for name in ("connect", "read", "write", "pool")}
        with self._pool.stream(
            request.method,
            base_url + request.target,
            headers=headers,
            content=request.body if request.method != "GET" else None,
            extensions={"timeout": timeouts},
        ) as response:
            body = bytearray()
            for piece in response.iter_stream():
                body += piece
                # one byte past the limit tells an answer of exactly MAX_BODY from a longer one
                if len(body) > MAX_BODY:
                    break
            return Reply(
                status=response.status,
                headers={
                    name.decode("latin-1").lower(): value.decode("latin-1")
                    for name, value in response.headers
                },
                body=bytes(body[:MAX_BODY]),
                truncated=len(body) > MAX_BODY,
            )
