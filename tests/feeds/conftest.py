"""The feed tests start many short-lived servers: stop them in 50 ms rather than the default 0.5 s."""
from __future__ import annotations

import threading

import pytest

from tests.httpserver import LocalHTTPServer


class _QuickServer(LocalHTTPServer):
    def __init__(self) -> None:
        super().__init__()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)


@pytest.fixture
def http_server():
    server = _QuickServer().start()
    yield server
    server.stop()
