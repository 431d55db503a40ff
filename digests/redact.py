"""Hide the secrets in destination URLs before anything is printed or logged.

Webhook tokens live in URL paths, passwords in the user part, API keys in the
query, so only the scheme and an ordinary host name survive. Recipient lists
(`to=a@x,b@x`, `/a@x/b@x`, Slack channels) are taken apart so that a single
address quoted by apprise ("Sending email to "b@x" failed.") is caught too, and
every e-mail address left in a message is masked to `***@domain`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from newswatch.credentials import credential_parts

MASK = "***"
# hosts that are themselves tokens (slack://TokenA/...) have no dot in them
_PLAIN_HOST = re.compile(r"^(localhost|[0-9.]+|\[[0-9a-f:]+\]|[a-z0-9-]+(\.[a-z0-9-]+)+)$", re.I)
# list values in queries and paths: apprise splits recipients on these
_LIST_SPLIT = re.compile(r"[\s,;\[\]]+")
# an e-mail address, possibly inside "Name <addr>" or quotes
EMAIL = re.compile(r"(?<![\w.+*-])[\w.+-]{1,64}@((?:[\w-]{1,63}\.)+[A-Za-z]{2,63})\b")


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
    if parts.path.strip("/") or parts.fragment:
        out += f"/{MASK}"
    if parts.query:
        out += f"?{MASK}"
    return out


def _add(pieces: set[str], value: str | None, minimum: int = 4) -> None:
    if not value:
        return
    for v in (value, unquote(value)):
        if len(v) >= minimum:
            pieces.add(v)
        # a list value: each element on its own ("to=a@x,b@x" quoted back as "b@x")
        for item in _LIST_SPLIT.split(v):
            item = item.strip("<>\"'#@")
            if len(item) >= minimum:
                pieces.add(item)


def secret_parts(url: str) -> list[str]:
    """The pieces of a URL that must never appear in a message."""
    pieces = {url}
    try:
        parts = urlsplit(url.replace("/#", "/%23"))  # as apprise reads it: "/#channel" is a path segment
    except ValueError:
        return [url]
    for value in (parts.username, parts.password, parts.netloc):
        _add(pieces, value)
    for seg in parts.path.split("/") + [parts.fragment]:
        _add(pieces, seg)
    for pair in parts.query.split("&"):
        _, _, value = pair.partition("=")
        _add(pieces, value)
    try:
        host = parts.hostname
    except ValueError:
        host = None
    if parts.scheme.lower() == "slack" and host:
        pieces.add(host)
    for _, value in credential_parts(url):
        _add(pieces, value, minimum=3)
    # longest first so a token inside a longer piece is not half-replaced
    return sorted((p for p in pieces if p), key=len, reverse=True)


def mask_emails(text: str) -> str:
    """`team@example.kr` -> `***@example.kr`: the domain helps an operator, the mailbox is personal."""
    return EMAIL.sub(lambda m: f"{MASK}@{m.group(1)}", text)


def redact_text(text: str, urls: Iterable[str]) -> str:
    """Replace every secret piece of `urls` inside `text`, then mask any e-mail address left."""
    for url in urls:
        if not url:
            continue
        shown = redact_url(url)
        for piece in secret_parts(url):
            if piece in text:
                text = text.replace(piece, shown if piece == url else MASK)
    return mask_emails(text)
