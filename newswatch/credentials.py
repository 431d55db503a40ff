"""Which parts of an apprise URL are credentials (passwords, tokens, keys).

One answer for two users: the config loader refuses a destination URL whose
credentials are written literally in the YAML (they must come from `${VAR}` or
`${prefect-secret:BLOCK}`), and `digests.redact` masks the same parts (and
more) in every message. Services keep their secrets in different places: the
password of `mailtos://user:pass@host`, a query value (`?token=…`, `?pass=…`),
the host of `tgram://123:AAH…/chat` or `slack://xoxb-…`, the path of
`discord://id/token` or `https://hooks.slack.com/services/T…/B…/…`, or just a
long random path segment of a generic webhook.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote

# query keys whose value is a credential (apprise's names: pass, token, key, apikey, ...)
SECRET_KEYS = {
    "pass", "password", "passwd", "pwd", "passphrase", "secret", "token", "key", "apikey", "api_key",
    "access", "access_token", "accesstoken", "auth", "authorization", "bearer", "webhook", "botkey",
    "bot_token", "apptoken", "app_token", "usertoken", "user_token", "client_secret", "secret_key",
    "privkey", "pgpprv", "sig", "signature", "code", "webhook_id", "webhook_token",
}
_SECRET_KEY_SUFFIX = ("token", "key", "secret", "pass", "password")

# schemes whose host part is itself a token (a bot or webhook id), not a server name
HOST_IS_TOKEN = {"slack", "tgram", "discord", "pbul", "pover", "join", "ifttt", "line", "msteams", "spush", "kumulos"}
# schemes whose every path segment is a token (webhook tokens, app keys)
PATH_IS_TOKEN = {"discord", "msteams", "pover", "gotify", "gotifys", "ifttt", "pbul", "join", "line"}
# web hosts whose path is the webhook's secret
SECRET_PATH_HOSTS = re.compile(
    r"^(hooks\.slack(-gov)?\.com|(www\.|canary\.|ptb\.)?discord(app)?\.com|[\w-]+\.webhook\.office\.com|outlook\.office\.com)$",
    re.I,
)
_TOKENISH = re.compile(r"^[A-Za-z0-9_\-:.~+=]+$")
_SPLIT_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<netloc>[^/?#]*)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?(?:#(?P<fragment>.*))?$")


def split_url(url: str) -> re.Match | None:
    """`url` (stripped) split into scheme, netloc, path, query and fragment as apprise reads it, or None.

    apprise reads "/#channel" as a path segment (slack://T/B/C/#general), not a fragment,
    so "/#" is taken as "/%23" before splitting.
    """
    return _SPLIT_URL.match(url.strip().replace("/#", "/%23"))


def looks_like_token(segment: str) -> bool:
    """A long random-looking path segment: 16+ characters, or 10+ mixing letters and digits."""
    s = unquote(segment)
    if not s or not _TOKENISH.match(s):
        return False
    if len(s) >= 16 and not s.replace("-", "").isalpha():
        return True
    if len(s) >= 24:
        return True
    return len(s) >= 10 and any(c.isdigit() for c in s) and any(c.isalpha() for c in s)


def _secret_key(key: str) -> bool:
    k = key.lower().lstrip("+-:")
    return k in SECRET_KEYS or k.endswith(_SECRET_KEY_SUFFIX)


def credential_parts(url: str) -> list[tuple[str, str]]:
    """(what, value) for every credential in `url`: as written, except query values (decoded).

    `what` names the place for an error message: "password", "query parameter 'token'",
    "host (a token)", "path segment". An unparseable URL gives [("url", url)].
    """
    m = split_url(url)
    if not m:
        return [("url", url)] if url.strip() else []
    scheme = m["scheme"].lower()
    netloc, path, query, fragment = m["netloc"], m["path"] or "", m["query"] or "", m["fragment"] or ""
    out: list[tuple[str, str]] = []
    userinfo, at, host = netloc.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        if colon and password:
            out.append(("password", password))
        elif scheme in HOST_IS_TOKEN and user:
            out.append(("user part (a token)", user))
    hostname, _, port = host.partition(":") if not host.startswith("[") else (host, "", "")
    if port and not port.isdigit():
        out.append(("host (a token)", host))  # tgram://123456:AAH…: the bot token
    elif scheme in HOST_IS_TOKEN and host:
        if not (scheme == "slack" and "." in hostname):
            out.append(("host (a token)", host))
    segments = [s for s in path.split("/") if s]
    if scheme == "slack":
        if fragment:
            segments.append("#" + fragment)
        bot = host.lower().startswith("xo")
        tokens = [] if bot else [s for s in segments[:2] if not unquote(s).startswith(("#", "@"))]  # webhook: slack://A/B/C/#ch
        out += [("path segment (a token)", s) for s in tokens]
    elif scheme in PATH_IS_TOKEN or SECRET_PATH_HOSTS.match(hostname):
        out += [("path segment (a token)", s) for s in segments if unquote(s).lower() not in ("services", "api", "webhooks", "webhookb2", "incomingwebhook")]
    else:
        out += [("path segment (a token)", s) for s in segments if looks_like_token(s)]
    for key, value in parse_qsl(query, keep_blank_values=False):
        if _secret_key(key) and value:
            out.append((f"query parameter {key!r}", value))
    return out
