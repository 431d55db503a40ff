"""Hide the secrets in destination URLs before anything is printed or logged.

Webhook tokens live in URL paths, passwords in the user part, API keys in the
query, so only the scheme and an ordinary host name survive.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

MASK = "***"
# hosts that are themselves tokens (slack://TokenA/...) have no dot in them
_PLAIN_HOST = re.compile(r"^(localhost|[0-9.]+|\[[0-9a-f:]+\]|[a-z0-9-]+(\.[a-z0-9-]+)+)$", re.I)


def redact_url(url: str) -> str:
    """`scheme://host/***` with user, password, path and query hidden."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return f"<{MASK}>"
    if not parts.scheme:
        return f"<{MASK}>"
    shown_host = host if _PLAIN_HOST.match(host) and parts.scheme.lower() not in ("slack",) else MASK
    out = f"{parts.scheme}://"
    if parts.username or parts.password:
        out += f"{MASK}@"
    out += shown_host
    if port:
        out += f":{port}"
    if parts.path.strip("/"):
        out += f"/{MASK}"
    if parts.query:
        out += f"?{MASK}"
    return out


def secret_parts(url: str) -> list[str]:
    """The pieces of a URL that must never appear in a message."""
    pieces = {url}
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    for value in (parts.username, parts.password, parts.netloc):
        if value:
            pieces.add(value)
            pieces.add(unquote(value))
    for seg in parts.path.split("/"):
        if len(seg) >= 4:
            pieces.add(seg)
    for pair in parts.query.split("&"):
        _, _, value = pair.partition("=")
        if len(value) >= 4:
            pieces.add(value)
            pieces.add(unquote(value))
    if parts.scheme.lower() == "slack" and parts.hostname:
        pieces.add(parts.hostname)
    # longest first so a token inside a longer piece is not half-replaced
    return sorted((p for p in pieces if p), key=len, reverse=True)


def redact_text(text: str, urls: Iterable[str]) -> str:
    """Replace every secret piece of `urls` inside `text`."""
    for url in urls:
        for piece in secret_parts(url):
            if piece in text:
                text = text.replace(piece, redact_url(url) if piece == url else MASK)
    return text
