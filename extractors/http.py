"""Fetching with httpx: bounded in time, size, redirects and concurrency.

One `Fetcher` per cycle wraps one `httpx.AsyncClient` (connection reuse). Every
failure becomes an `extractors.errors.FetchError` with a stable `kind`; no httpx
exception leaves this module. Redirects are followed by hand so every hop goes
through the address check in `extractors.safety`.
"""
from __future__ import annotations

import asyncio
import email.utils
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin

import httpx

from extractors.errors import FetchError
from extractors.safety import check_address, check_url
from newswatch.config import FetchSettings

log = logging.getLogger("newswatch.fetch")

_REDIRECTS = {301, 302, 303, 307, 308}
# Types that can never be a feed or an article page, refused before reading the body.
_BINARY_PREFIXES = ("image/", "video/", "audio/", "font/", "application/pdf", "application/zip",
                    "application/x-zip", "application/gzip", "application/x-gzip", "application/vnd.")


@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL after redirects
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case keys
    content: bytes = b""
    not_modified: bool = False

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _status_error(url: str, response: httpx.Response) -> FetchError:
    code = response.status_code
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if code == 429:
        kind = "http_429"
    elif code >= 500:
        kind = "http_5xx"
    elif code == 403:
        kind = "http_403"
    elif code in (404, 410):
        kind = "http_404"
    else:
        kind = "http_4xx"
    return FetchError(f"HTTP {code} {response.reason_phrase}".strip(), kind=kind, url=url, retry_after=retry_after)


def _map_exception(url: str, exc: Exception) -> FetchError:
    """httpx / OS errors to a classified FetchError."""
    if isinstance(exc, (httpx.TimeoutException, TimeoutError, asyncio.TimeoutError)):
        return FetchError(f"timed out ({type(exc).__name__})", kind="timeout", url=url)
    text = f"{type(exc).__name__}: {exc}".strip()
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, ssl.SSLError) or isinstance(cause, ssl.SSLError) or "SSL" in text or "certificate" in text.lower():
        return FetchError(f"TLS error: {exc}", kind="tls", url=url)
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text \
            or "Temporary failure in name resolution" in text or "No address associated" in text:
        return FetchError(f"DNS error: {exc}", kind="dns", url=url)
    if isinstance(exc, httpx.DecodingError):
        return FetchError(f"the response body could not be decompressed: {exc}", kind="connection", url=url, transient=False)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FetchError(f"bad URL: {exc}", kind="bad_url", url=url)
    return FetchError(f"connection failed: {text}", kind="connection", url=url)


class Fetcher:
    """Bounded HTTP GETs for one cycle; use as `async with Fetcher(settings) as f:`."""

    def __init__(self, settings: FetchSettings, *, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> "Fetcher":
        s = self.settings
        self._client = httpx.AsyncClient(
            transport=self._transport,
            follow_redirects=False,
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                                  pool=s.total_timeout),
            limits=httpx.Limits(max_connections=s.concurrency, max_keepalive_connections=s.concurrency),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _host_semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._hosts.get(host)
        if sem is None:
            sem = self._hosts[host] = asyncio.Semaphore(self.settings.per_host)
        return sem

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                  accept: str | None = None) -> FetchResult:
        """GET with redirects, caps and classification; raises FetchError."""
        if self._client is None:
            raise RuntimeError("use `async with Fetcher(...)`")
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        seen = {url}
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            await check_address(current, allow_private=self.settings.allow_private_addresses)
            host = check_url(current)[1].lower()
            async with self._host_semaphore(host), self._global:
                result, location = await self._one(current, headers, accept)
            if location is None:
                return result
            nxt = urljoin(current, location)
            if nxt in seen:
                raise FetchError(f"redirect loop at {nxt}", kind="too_many_redirects", url=url)
            seen.add(nxt)
            current = nxt
        raise FetchError(f"more than {self.settings.max_redirects} redirects", kind="too_many_redirects", url=url)

    async def _one(self, url: str, headers: dict[str, str], accept: str | None) -> tuple[FetchResult, str | None]:
        """One request; returns (result, redirect location or None)."""
        assert self._client is not None
        try:
            async with asyncio.timeout(self.settings.total_timeout):
                request = self._client.build_request("GET", url, headers=headers)
                response = await self._client.send(request, stream=True)
                try:
                    return await self._read(url, response, accept)
                finally:
                    await response.aclose()
        except FetchError:
            raise
        except (httpx.HTTPError, httpx.InvalidURL, OSError, TimeoutError, ssl.SSLError) as exc:
            raise _map_exception(url, exc) from None

    async def _read(self, url: str, response: httpx.Response, accept: str | None) -> tuple[FetchResult, str | None]:
        code = response.status_code
        hdrs = {k.lower(): v for k, v in response.headers.items()}
        if code in _REDIRECTS and "location" in hdrs:
            return FetchResult(url, code, hdrs), hdrs["location"]
        if code == 304:
            return FetchResult(url, code, hdrs, b"", not_modified=True), None
        if code >= 400:
            raise _status_error(url, response)
        if code >= 300:
            raise FetchError(f"HTTP {code} without a usable Location", kind="http_4xx", url=url)
        ctype = (hdrs.get("content-type") or "").split(";")[0].strip().lower()
        if accept and ctype.startswith(_BINARY_PREFIXES):
            raise FetchError(f"the server sent {ctype}, not a document", kind="wrong_type", url=url)
        cap = self.settings.max_bytes
        declared = hdrs.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError(f"the response is {int(declared):,} bytes, over the {cap:,}-byte cap",
                             kind="too_large", url=url)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:  # decoded size counts, so a gzip bomb is cut too
                raise FetchError(f"the response exceeded the {cap:,}-byte cap; cut", kind="too_large", url=url)
            chunks.append(chunk)
        return FetchResult(str(response.url), code, hdrs, b"".join(chunks)), None
