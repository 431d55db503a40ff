"""Address checks for untrusted links: feeds are third parties, their links must not reach inside.

A link may name any host; what matters is the address it resolves to, so the
check runs after DNS resolution and again on every redirect hop. Loopback,
private, link-local, multicast, reserved and unspecified addresses are refused
unless `allow_private` (tests, the demo, an intranet feed) says otherwise.

Known limit: the HTTP client resolves the name again when it connects, so a DNS
server that answers differently the second time (rebinding) is not caught here.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from extractors.errors import FetchError


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an absolute http(s) URL; FetchError(bad_url) otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"not a valid URL: {exc}", kind="bad_url", url=url) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https links are fetched, not {scheme or 'a relative link'!r}", kind="bad_url", url=url)
    if not parts.hostname:
        raise FetchError("the URL has no host", kind="bad_url", url=url)
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


async def resolve(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}", kind="dns") from None
    return sorted({info[4][0] for info in infos})


async def check_address(url: str, *, allow_private: bool) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address."""
    _, host, port = check_url(url)
    if allow_private:
        return
    for address in await resolve(host, port):
        if not is_public_address(address):
            raise FetchError(f"{host} resolves to {address}, a private or local address; refused "
                             "(set fetch.allow_private_addresses to allow)", kind="blocked_address", url=url)
