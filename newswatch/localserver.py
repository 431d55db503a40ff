"""A real HTTP server on 127.0.0.1 (the demo and the tests): routes map a path to a response.

A route's value is a `Route` (status, headers, body, optional delay) or a
callable taking the request handler and returning a Route, so a test can vary
answers per request (500 then 200, 304 when If-None-Match matches, ...).
Every request is recorded in `server.requests` as (method, path, headers, body).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Union


@dataclass
class Route:
    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds to wait before answering


Handler = Union[Route, Callable[["_Handler"], Route]]


def _without_tracking(path: str) -> str:
    """Like a real site, ignore utm_* parameters that feeds append to links."""
    base, _, query = path.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith("utm_")]
    return base + ("?" + "&".join(kept) if kept else "")


class _Handler(BaseHTTPRequestHandler):
    server: "LocalHTTPServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body_in = self.rfile.read(length) if length else b""
        path = self.path
        self.server.requests.append((self.command, path, dict(self.headers), body_in))
        route = self.server.routes.get(path) or self.server.routes.get(_without_tracking(path)) \
            or self.server.routes.get(path.split("?", 1)[0])
        if route is None:
            route = Route(b"not found", status=404, content_type="text/plain")
        if callable(route):
            route = route(self)
        if route.delay:
            time.sleep(route.delay)
        body = route.body.encode("utf-8") if isinstance(route.body, str) else route.body
        self.send_response(route.status)
        headers = {"Content-Type": route.content_type, **route.headers}
        for k, v in headers.items():
            if v is not None:
                self.send_header(k, v)
        if route.status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if route.status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(body)

    do_GET = _serve
    do_POST = _serve
    do_HEAD = _serve


class LocalHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # the default backlog of 5 refuses a poll of many feeds at once

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> "LocalHTTPServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
