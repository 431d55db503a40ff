"""One destination URL, several recipients: one apprise URL per recipient.

apprise sends `mailto://…?to=a@x,b@x` as one e-mail per address and answers
with one bool for all of them, so a refused `b@x` makes the whole send "failed"
and a retry would mail `a@x` again. newswatch therefore expands such a URL into
one URL per recipient, sends to each on its own and records each recipient that
received an item (`state.outbox`, table `deliveries`); a retry goes only to the
recipients that have not.

Expanded:
- `mailto://` / `mailtos://`: the addresses of `to=`, of the path (`/a@x/b@x`),
  and of `cc=` / `bcc=`; each gets its own copy as `to=` (with several
  recipients, cc/bcc do not ride along, or they would get one copy per `to`).
- `slack://`: the channels of a bot (`slack://xoxb-…/#a/#b`) or of a webhook
  (`slack://T…/B…/C…/#a/#b`), from the path and `to=`.
- any other apprise service whose plugin lists several `targets` (Telegram chat
  ids, Discord/ntfy topics, …): one URL per target, rebuilt by the plugin itself
  and checked to reach exactly one target; when that does not work the URL is
  sent as one, and the delivery log says so.

A recipient is identified by `key`, a hash of the service and the address or
channel, so the state never holds e-mail addresses.
"""
from __future__ import annotations

import copy
import hashlib
import logging
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from newswatch.credentials import split_url

log = logging.getLogger("newswatch.digests")

WHOLE = "*"  # the URL is sent as one (one recipient, or recipients apprise cannot tell apart)

_CHANNEL_SPLIT = re.compile(r"[ \t\r\n,\\/]+")  # apprise's Slack delimiter, without '#'


@dataclass(frozen=True)
class Target:
    key: str  # stable hash of the recipient; WHOLE when the URL is one send
    url: str  # the apprise URL that reaches only this recipient
    label: str = ""  # "recipient 2/3", for messages (never the address)


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:24]


def _labelled(targets: list[Target]) -> list[Target]:
    n = len(targets)
    if n == 1:
        return targets
    return [Target(t.key, t.url, f"recipient {i}/{n}") for i, t in enumerate(targets, 1)]


def expand_targets(url: str) -> list[Target]:
    """The recipients of `url`, each with a URL of its own; [Target(WHOLE, url)] when there is one or no list."""
    m = split_url(url)  # as apprise reads it: "/#channel" is a path segment, not a fragment
    if not m:
        return [Target(WHOLE, url)]
    scheme = m["scheme"].lower()
    try:
        if scheme in ("mailto", "mailtos"):
            targets = _email(m, url)
        elif scheme == "slack":
            targets = _slack(m, url)
        else:
            targets = _generic(url, scheme)
    except Exception as exc:  # a URL apprise would reject anyway: send it as one and let apprise say why
        log.debug("cannot expand a destination URL: %s", type(exc).__name__, extra={"stage": "digest"})
        targets = []
    return _labelled(targets) if targets else [Target(WHOLE, url)]


# -- e-mail -----------------------------------------------------------------------
def _email(m: re.Match, url: str) -> list[Target]:
    from apprise.utils.parse import is_email, parse_emails

    pairs = _pairs(m["query"])
    raw: list[str] = [unquote(s) for s in (m["path"] or "").split("/") if s]
    raw += [v for k, v, _ in pairs if k in ("to", "cc", "bcc")]
    has_copies = any(k in ("cc", "bcc") for k, _, _ in pairs)
    recipients: dict[str, str] = {}  # lower-cased address -> address (a display name is dropped)
    for token in parse_emails(*raw):
        found = is_email(token)
        if found:
            recipients.setdefault(found["full_email"].lower(), found["full_email"])
    if not recipients:
        return []  # apprise mails the sender's own address
    if len(recipients) == 1 and not has_copies:
        return [Target(_key("email", next(iter(recipients))), url)]
    keep = [p for p in pairs if p[0] not in ("to", "cc", "bcc")]
    return [
        Target(_key("email", key), _join(m, "", _query(keep, "to=" + quote(addr, safe="@"))))
        for key, addr in recipients.items()
    ]


def _pairs(query: str | None) -> list[tuple[str, str, str]]:
    """(key lower-cased, value decoded, the pair as written): rebuilt URLs keep every other pair byte for byte."""
    out = []
    for raw in (query or "").split("&"):
        if raw:
            k, _, v = raw.partition("=")
            out.append((unquote(k).lower(), unquote(v), raw))
    return out


def _query(pairs: list[tuple[str, str, str]], extra: str = "") -> str:
    return "&".join([raw for _, _, raw in pairs] + ([extra] if extra else []))


def _join(m: re.Match, path: str, query: str) -> str:
    return f"{m['scheme']}://{m['netloc']}{path}" + (f"?{query}" if query else "")


# -- Slack --------------------------------------------------------------------------
def _slack(m: re.Match, url: str) -> list[Target]:
    pairs = _pairs(m["query"])
    mode = next((v for k, v, _ in pairs if k == "mode"), "")
    if mode.lower().startswith("work") or any(k == "token" for k, _, _ in pairs):
        return []  # workflows have no channels; a ?token= URL keeps its own layout
    segments = [unquote(s) for s in (m["path"] or "").split("/") if s]
    bot = unquote(m["netloc"]).lower().startswith("xo")
    prefix, channels = (segments[:0], segments) if bot else (segments[:2], segments[2:])
    for k, v, _ in pairs:
        if k == "to":
            channels += [c for c in _CHANNEL_SPLIT.split(v) if c.strip("#")]
    channels = list(dict.fromkeys(channels))
    if len(channels) <= 1:
        return [Target(_key("slack", channels[0].lstrip("#").lower()), url)] if channels else []
    keep = _query([p for p in pairs if p[0] != "to"])
    base = "".join("/" + quote(p, safe="") for p in prefix)
    return [
        Target(_key("slack", c.lstrip("#").lower()), _join(m, f"{base}/{quote(c, safe='@')}", keep))
        for c in channels
    ]


# -- any other apprise service with a list of targets --------------------------------
def _generic(url: str, scheme: str) -> list[Target]:
    import apprise

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        return []
    try:
        count = len(plugin)
    except TypeError:
        return []
    if count <= 1:
        return []
    targets = getattr(plugin, "targets", None)
    if not isinstance(targets, list) or len(targets) != count:
        log.warning("a destination URL (%s) reaches %d recipients that newswatch cannot send to one by one: "
                    "a failure for one resends to all of them; give each its own destination", scheme, count,
                    extra={"stage": "digest"})
        return []
    out = []
    for t in targets:
        clone = copy.copy(plugin)
        clone.targets = [t]
        single = clone.url(privacy=False)
        check = apprise.Apprise.instantiate(single, suppress_exceptions=True)
        if check is None or type(check) is not type(plugin) or len(check) != 1:
            log.warning("a destination URL (%s) with %d recipients cannot be split; it is sent as one", scheme, count,
                        extra={"stage": "digest"})
            return []
        out.append(Target(_key(scheme, repr(t)), single))
    return out
