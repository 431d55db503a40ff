"""Recipient lists are taken apart and every e-mail address is masked in failure messages."""
from __future__ import annotations

from digests.redact import mask_emails, redact_text, secret_parts

URL = "mailto://127.0.0.1:2525?from=newswatch@example.kr&to=good@example.kr,bad@example.kr&mode=insecure"


def test_each_address_of_a_list_is_a_secret_part():
    parts = secret_parts(URL)
    assert "good@example.kr" in parts and "bad@example.kr" in parts
    slack = secret_parts("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#general?to=%23ops,%23news")
    assert "TIiajkdnlazkcOXrIdevi7" in slack and "news" in slack


def test_apprise_quoting_one_recipient_is_redacted():
    out = redact_text('Sending email to "bad@example.kr" failed.', [URL])
    assert out == 'Sending email to "***" failed.'
    assert "good@example.kr" not in redact_text("to good@example.kr; bad@example.kr", [URL])


def test_addresses_not_in_the_url_are_masked_too():
    assert mask_emails("reply from ops.team+x@corp.example.co.kr") == "reply from ***@corp.example.co.kr"
    assert redact_text("mailbox kim@example.kr full", []) == "mailbox ***@example.kr full"
    assert mask_emails("mailtos://***@smtp.example.kr:465") == "mailtos://***@smtp.example.kr:465"
