"""Destination URLs: every credential must come from ${VAR} (no literal default) or ${prefect-secret:BLOCK}."""
from __future__ import annotations

import pytest

from newswatch.config import expand_env, load_settings
from newswatch.errors import ConfigError
from tests.conftest import REPO

REFUSED = [
    ("${X:-https://hooks.slack.com/services/T000/B000/XXXXsecret}", "path segment", "XXXXsecret"),
    ("json://h/hook?token=supersecret123", "query parameter 'token'", "supersecret123"),
    ("discord://123/AbCdEfSecretToken", "path segment", "AbCdEfSecretToken"),
    ("tgram://123:AAHsecret/1", "host", "AAHsecret"),
    ("mailtos://h?user=me&pass=hunter2", "query parameter 'pass'", "hunter2"),
    ("mailtos://me:hunter2@h", "password", "hunter2"),
    ("https://hooks.slack.com/services/T000/B000/XXXXsecret", "path segment", "XXXXsecret"),
    ("slack://xoxb-1234-5678-abcdef/#general", "host", "xoxb-1234"),
    ("json://127.0.0.1:8080/hook/a1b2c3d4e5f6a7b8", "path segment", "a1b2c3d4e5f6a7b8"),
]
ACCEPTED = [
    "${SLACK_WEBHOOK_URL}",
    "${prefect-secret:slack-webhook}",
    "json://127.0.0.1:8080/hook",
    "mailto://127.0.0.1:1025?from=newswatch@example.kr&to=a@example.kr,b@example.kr&mode=insecure",
    "mailto://user@example.com",
    "mailtos://${MAIL_USER}:${MAIL_PASS}@smtp.example.kr?to=team@example.kr",
    "mailtos://me:${prefect-secret:mail-password}@smtp.example.kr",
    "json://127.0.0.1:8080/hook?token=${HOOK_TOKEN}",
    "tgram://${TELEGRAM_BOT}/12345",
    "slack://${SLACK_A}/${SLACK_B}/${SLACK_C}/#general",
    "${X:-json://127.0.0.1:1/hook}",
]


def write(tmp_path, url: str):
    path = tmp_path / "newswatch.yaml"
    path.write_text(f"timezone: Asia/Seoul\n\ndestinations:\n  - name: team\n    url: '{url}'\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("url,what,secret", REFUSED)
def test_literal_credentials_are_refused_with_file_line_and_field(tmp_path, url, what, secret):
    path = write(tmp_path, url)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(f"{path}:5:")  # file:line of the url
    assert "destinations[0].url (destination 'team')" in message and what in message
    assert secret not in message  # the error does not repeat the secret


@pytest.mark.parametrize("url", ACCEPTED)
def test_references_and_secret_free_urls_load(tmp_path, url):
    assert load_settings(write(tmp_path, url)).destinations[0].url == url


def test_shipped_and_demo_configs_still_load():
    load_settings(REPO / "newswatch.yaml")


def test_prefect_secret_needs_the_flow_resolver(monkeypatch):
    with pytest.raises(ConfigError, match=r"destinations.team.url: \$\{prefect-secret:hook\} is read from a Prefect Secret block"):
        expand_env("${prefect-secret:hook}", "destinations.team.url")
    got = expand_env("json://127.0.0.1:1/${prefect-secret:hook}?x=${NW_T:-1}", "f", secrets=lambda name: f"<{name}>")
    assert got == "json://127.0.0.1:1/<hook>?x=1"
