"""No secret of a destination URL survives redaction."""
from __future__ import annotations

import pytest

from digests.redact import redact_text, redact_url

SECRETS = [
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7", ["T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7"]),
    ("https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX", ["XXXXsecretXXXX", "T000/B000"]),
    ("mailtos://alice:p4ssw0rd@smtp.example.kr:465?to=team@example.kr", ["p4ssw0rd", "alice"]),
    ("json://127.0.0.1:8080/hook/abcdef123456?token=zzzz9999", ["abcdef123456", "zzzz9999"]),
]


@pytest.mark.parametrize("url,secrets", SECRETS)
def test_redact_url_hides_tokens(url, secrets):
    shown = redact_url(url)
    for s in secrets:
        assert s not in shown
    assert shown.split("://")[0] == url.split("://")[0]


@pytest.mark.parametrize("url,secrets", SECRETS)
def test_redact_text_hides_tokens_in_messages(url, secrets):
    msg = f"Failed to send to {url}: error; token {secrets[0]} rejected"
    out = redact_text(msg, [url])
    for s in secrets:
        assert s not in out


def test_ordinary_host_is_kept():
    assert redact_url("mailtos://alice:pw@smtp.example.kr:465") == "mailtos://***@smtp.example.kr:465"
