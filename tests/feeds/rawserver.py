"""A bare TCP server on 127.0.0.1 for misbehaving peers the HTTP test server cannot play:
an endless body, a server that accepts and never answers."""
from __future__ import annotations

import socket
import threading
from typing import Callable


class RawServer:
    def __init__(self, handler: Callable[[socket.socket], None]):
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.stopped = threading.Event()
        self.bytes_sent = 0
        threading.Thread(target=self._loop, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/feed"

    def _loop(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            self.handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()


def endless_body(server_ref: list) -> Callable[[socket.socket], None]:
    """Streams `<rss>` followed by spaces forever (a "10 GB" feed), without a Content-Length."""
    def handler(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n<rss>")
        chunk = b" " * 65536
        while not server_ref[0].stopped.is_set():
            conn.sendall(chunk)
            server_ref[0].bytes_sent += len(chunk)
    return handler


def silent(conn: socket.socket) -> None:
    """Accepts, reads the request, never answers."""
    conn.settimeout(30)
    try:
        conn.recv(1)  # blocks until the client gives up and closes
    except OSError:
        pass


def trickle(conn: socket.socket) -> None:
    """Answers, then sends one byte every 0.2 s: each read is quick, the whole never ends."""
    import time

    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(200):
        conn.sendall(b" ")
        time.sleep(0.2)
