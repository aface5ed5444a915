"""The HTTP server every emulator runs: loopback only, one thread per connection.

An `AppServer` hands a parsed `Request` to an "app" callable and writes back its
`Response`. An app returns `None` to drop the connection without answering (fault
injection needs that). Errors the server itself answers (oversized body, a crashing
app) come in the vendor's error shape through the `ErrorRenderer` it is given.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A loopback port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


# Netlify's own API refuses large JSON bodies too; nothing the emulator accepts is near this.
MAX_BODY_BYTES = 1 << 20
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class HttpError(Exception):
    """A client-visible failure; each app renders it in its own error shape."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]  # names lower-cased
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        if not self.body:
            raise HttpError(400, "request body must be JSON")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HttpError(400, f"request body is not valid JSON: {exc}") from exc


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": JSON_CONTENT_TYPE, **(headers or {})})


def empty_response(status: int = 204) -> Response:
    return Response(status)


App = Callable[[Request], Response | None]
# Renders a client-visible error in a vendor's shape (Netlify: {code, message}).
ErrorRenderer = Callable[[int, str], Response]


def plain_error(status: int, message: str) -> Response:
    """The kit's own error shape, used by the control API and by default."""
    return json_response(status, {"code": status, "message": message})


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so clients keep connections alive, as they would against Netlify.
    protocol_version = "HTTP/1.1"
    server_version = "soundfactory-emulator"
    # Headers and body go out in separate writes; with Nagle on, each keep-alive
    # response would stall on the client's delayed ACK.
    disable_nagle_algorithm = True
    sys_version = ""
    server: AppServer

    def __getattr__(self, name: str) -> Any:
        # Every method reaches the app (the base class would answer an unusual one such as
        # TRACE with its own 501 HTML page), so it is answered in the vendor's error shape.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        # The request log of the control API is the record; stderr only on request.
        if self.server.log_requests:
            sys.stderr.write(f"{self.server.name}: {format % args}\n")

    def _handle(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._fail_and_close(411, "chunked request bodies are not supported; send Content-Length")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._fail_and_close(400, "Content-Length is not a number")
            return
        if length < 0 or length > MAX_BODY_BYTES:
            self._fail_and_close(413, f"request body larger than {MAX_BODY_BYTES} bytes")
            return
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path or "/",
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        try:
            response = self.server.app(request)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = self.server.render_error(500, "internal emulator error")
        if response is None:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(response)

    def _fail_and_close(self, status: int, message: str) -> None:
        self.close_connection = True
        response = self.server.render_error(status, message)
        response.headers["Connection"] = "close"
        self._write(response)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        # RFC 9110: no Content-Length (and no body) on 204/304.
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.status not in (204, 304) and response.body:
            self.wfile.write(response.body)


class AppServer(ThreadingHTTPServer):
    """Loopback-only server that remembers its open connections, so `stop()` can cut
    keep-alive connections instead of leaving them served by a stopped emulator."""

    daemon_threads = True
    # socketserver's default listen backlog is 5: a client opening more connections at once
    # (a monitor probing 10 checks concurrently) has the rest of its SYNs dropped and
    # retried a second later, which serialises it against the emulator, not the real site.
    request_queue_size = 128

    def __init__(
        self, port: int, name: str, *, render_error: ErrorRenderer = plain_error, log_requests: bool = False
    ) -> None:
        self.app: App = self._not_ready
        self.render_error = render_error
        self.name = name
        self.log_requests = log_requests
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__((LOOPBACK, port), _Handler)

    def _not_ready(self, _request: Request) -> Response:
        return self.render_error(503, "emulator is starting")

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.server_close()
