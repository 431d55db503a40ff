"""The Fetcher against real servers on 127.0.0.1: caps, redirects, timeouts, classification, address checks."""
from __future__ import annotations

import asyncio
import gzip

import pytest

from extractors.errors import FetchError
from extractors.http import Fetcher, parse_retry_after
from newswatch.config import FetchSettings
from tests.conftest import Route
from tests.feeds.rawserver import RawServer, endless_body, silent, trickle

LOCAL = FetchSettings(allow_private_addresses=True, connect_timeout=2, read_timeout=1, total_timeout=5)


def get(settings: FetchSettings, url: str, **kw):
    async def run():
        async with Fetcher(settings) as f:
            return await f.get(url, **kw)
    return asyncio.run(run())


def error_of(settings: FetchSettings, url: str, **kw) -> FetchError:
    with pytest.raises(FetchError) as err:
        get(settings, url, **kw)
    return err.value


def test_plain_get_sends_user_agent(http_server):
    http_server.routes["/f"] = Route("<rss/>", content_type="application/rss+xml")
    res = get(LOCAL, http_server.url("/f"))
    assert res.status == 200 and res.content == b"<rss/>" and not res.not_modified
    assert res.headers["content-type"] == "application/rss+xml"
    assert "newswatch" in http_server.requests[0][2]["User-Agent"]


def test_gzip_is_decoded(http_server):
    body = "<rss>광주</rss>".encode()
    http_server.routes["/g"] = Route(gzip.compress(body), headers={"Content-Encoding": "gzip"})
    assert get(LOCAL, http_server.url("/g")).content == body


def test_conditional_get_304(http_server):
    def route(h):
        if h.headers.get("If-None-Match") == '"v1"':
            return Route(status=304, headers={"ETag": '"v1"'})
        return Route("<rss/>", headers={"ETag": '"v1"'})
    http_server.routes["/c"] = route
    res = get(LOCAL, http_server.url("/c"), etag='"v1"', last_modified="Fri, 20 Nov 2026 00:00:00 GMT")
    assert res.not_modified and res.status == 304 and res.content == b""
    sent = http_server.requests[0][2]
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == "Fri, 20 Nov 2026 00:00:00 GMT"


@pytest.mark.parametrize("status,kind,transient", [
    (404, "http_404", False), (410, "http_404", False), (403, "http_403", False), (400, "http_4xx", False),
    (500, "http_5xx", True), (503, "http_5xx", True), (429, "http_429", True),
])
def test_status_classification(http_server, status, kind, transient):
    http_server.routes["/s"] = Route("no", status=status)
    err = error_of(LOCAL, http_server.url("/s"))
    assert err.kind == kind and err.transient is transient


def test_retry_after_seconds_and_date(http_server):
    http_server.routes["/r"] = Route("slow down", status=429, headers={"Retry-After": "7200"})
    assert error_of(LOCAL, http_server.url("/r")).retry_after == 7200
    assert parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT") > 10 ** 9
    assert parse_retry_after("soon") is None


def test_redirects_followed_and_final_url_reported(http_server):
    http_server.routes["/a"] = Route(status=301, headers={"Location": "/b"})
    http_server.routes["/b"] = Route(status=302, headers={"Location": http_server.url("/c")})
    http_server.routes["/c"] = Route("<rss/>")
    res = get(LOCAL, http_server.url("/a"))
    assert res.url == http_server.url("/c") and res.content == b"<rss/>"


def test_redirect_loop(http_server):
    http_server.routes["/x"] = Route(status=302, headers={"Location": "/y"})
    http_server.routes["/y"] = Route(status=302, headers={"Location": "/x"})
    assert error_of(LOCAL, http_server.url("/x")).kind == "too_many_redirects"


def test_too_many_redirects(http_server):
    for i in range(10):
        http_server.routes[f"/h{i}"] = Route(status=302, headers={"Location": f"/h{i + 1}"})
    settings = LOCAL.model_copy(update={"max_redirects": 3})
    assert error_of(settings, http_server.url("/h0")).kind == "too_many_redirects"
    assert len(http_server.requests) == 4


def test_declared_too_large(http_server):
    http_server.routes["/big"] = Route(b"x" * 5000)
    settings = LOCAL.model_copy(update={"max_bytes": 1000})
    assert error_of(settings, http_server.url("/big")).kind == "too_large"


def test_endless_stream_is_cut_at_the_cap():
    ref: list = []
    server = RawServer(lambda c: None)
    ref.append(server)
    server.handler = endless_body(ref)
    try:
        settings = LOCAL.model_copy(update={"max_bytes": 2_000_000})
        err = error_of(settings, server.url)
        assert err.kind == "too_large" and not err.transient
    finally:
        server.stop()
    assert server.bytes_sent < 200_000_000  # the client stopped reading long before "10 GB"


def test_gzip_bomb_is_cut_by_decoded_size(http_server):
    http_server.routes["/bomb"] = Route(gzip.compress(b"\0" * 5_000_000), headers={"Content-Encoding": "gzip"})
    settings = LOCAL.model_copy(update={"max_bytes": 100_000})
    assert error_of(settings, http_server.url("/bomb")).kind == "too_large"


def test_server_that_never_answers_times_out():
    server = RawServer(silent)
    try:
        err = error_of(LOCAL.model_copy(update={"read_timeout": 0.5}), server.url)
    finally:
        server.stop()
    assert err.kind == "timeout" and err.transient


def test_connection_refused():
    err = error_of(LOCAL, "http://127.0.0.1:1/feed")
    assert err.kind == "connection" and err.transient


def test_dns_failure():
    err = error_of(FetchSettings(), "http://no-such-host.invalid/feed")
    assert err.kind == "dns"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "/relative",
                                 "http://"])
def test_only_http_and_https(url):
    assert error_of(FetchSettings(), url).kind == "bad_url"


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "[::1]", "224.0.0.1",
                                  "0.0.0.0", "localhost"])
def test_private_addresses_refused_by_default(host):
    err = error_of(FetchSettings(), f"http://{host}:9/feed")
    assert err.kind == "blocked_address" and not err.transient


def test_private_allowed_when_configured(http_server):
    http_server.routes["/ok"] = Route("<rss/>")
    assert error_of(FetchSettings(), http_server.url("/ok")).kind == "blocked_address"
    assert http_server.requests == []  # refused before any connection
    assert get(LOCAL, http_server.url("/ok")).status == 200


def test_wrong_type(http_server):
    http_server.routes["/img"] = Route(b"\x89PNG....", content_type="image/png")
    assert error_of(LOCAL, http_server.url("/img"), accept="application/rss+xml").kind == "wrong_type"


def test_per_host_limit(http_server):
    """At most `per_host` requests to one host are in flight; measured by the server."""
    import threading
    import time

    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def route(h):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return Route("<rss/>")

    http_server.routes["/p"] = route
    settings = LOCAL.model_copy(update={"per_host": 2, "concurrency": 10})

    async def run():
        async with Fetcher(settings) as f:
            await asyncio.gather(*(f.get(http_server.url("/p")) for _ in range(8)))
    asyncio.run(run())
    assert state["peak"] <= 2 and len(http_server.requests) == 8


def test_trickling_server_hits_the_total_timeout():
    server = RawServer(trickle)
    try:
        err = error_of(LOCAL.model_copy(update={"read_timeout": 1, "total_timeout": 1.5}), server.url)
    finally:
        server.stop()
    assert err.kind == "timeout"


def test_untrusted_certificate_is_a_tls_error(tmp_path):
    import shutil
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert), "-days", "1"], check=True, capture_output=True)

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        err = error_of(LOCAL, f"https://127.0.0.1:{httpd.server_address[1]}/feed")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert err.kind == "tls" and not err.transient


def test_deflate_is_decoded(http_server):
    import zlib

    body = "<rss>광주 deflate</rss>".encode()
    http_server.routes["/z"] = Route(zlib.compress(body), headers={"Content-Encoding": "deflate"})
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)  # some servers send raw deflate without the zlib header
    http_server.routes["/raw"] = Route(raw.compress(body) + raw.flush(), headers={"Content-Encoding": "deflate"})
    assert get(LOCAL, http_server.url("/z")).content == body
    assert get(LOCAL, http_server.url("/raw")).content == body
    assert "deflate" in http_server.requests[0][2]["Accept-Encoding"]


def test_brotli_is_decoded(http_server):
    import brotli

    body = "<rss>광주 brotli</rss>".encode()
    http_server.routes["/br"] = Route(brotli.compress(body), headers={"Content-Encoding": "br"})
    assert get(LOCAL, http_server.url("/br")).content == body
    assert "br" in http_server.requests[0][2]["Accept-Encoding"]


def test_brotli_bomb_is_cut_by_decoded_size(http_server):
    import brotli

    http_server.routes["/bb"] = Route(brotli.compress(b"\0" * 5_000_000), headers={"Content-Encoding": "br"})
    settings = LOCAL.model_copy(update={"max_bytes": 100_000})
    assert error_of(settings, http_server.url("/bb")).kind == "too_large"


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/feed",
                                    "http://[::1]:9/feed", "http://192.168.0.1/"])
def test_redirect_to_a_private_address_is_refused(http_server, monkeypatch, target):
    """The first hop is allowed (the test server passes for a public host here); the redirect is
    checked again and refused before any connection to it."""
    from extractors import safety

    real = safety.is_public_address
    monkeypatch.setattr(safety, "is_public_address", lambda address: address == "127.0.0.1" or real(address))
    http_server.routes["/hop"] = Route(status=302, headers={"Location": target})
    http_server.routes["/fine"] = Route("<rss/>")
    strict = FetchSettings(connect_timeout=2, read_timeout=1, total_timeout=5)  # allow_private_addresses false
    assert get(strict, http_server.url("/fine")).status == 200  # the first hop really is allowed
    err = error_of(strict, http_server.url("/hop"))
    assert err.kind == "blocked_address" and not err.transient
    assert [r[1] for r in http_server.requests] == ["/fine", "/hop"]
