"""Settings: defaults, key-by-key overrides, and errors that name file, line and field."""
from __future__ import annotations

import pytest

from newswatch.config import load_settings
from newswatch.errors import ConfigError


def write(tmp_path, text: str):
    path = tmp_path / "newswatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_key_by_key_override(tmp_path):
    settings = load_settings(write(tmp_path, "fetch:\n  read_timeout: 3\nfeeds:\n  - {name: a, url: 'http://x/rss'}\n"))
    assert settings.fetch.read_timeout == 3
    assert settings.fetch.connect_timeout == 5.0  # untouched default survives
    assert settings.timezone == "Asia/Seoul"
    assert settings.feeds[0].name == "a"
    assert settings.rule_paths == [tmp_path / "rules"]


def test_unknown_field_names_line_and_column(tmp_path):
    path = write(tmp_path, "timezone: Asia/Seoul\nfetch:\n  read_timout: 3\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert f"{path}:3:3" in message
    assert "fetch.read_timout" in message and "unknown field" in message


def test_wrong_type_and_bad_zone(tmp_path):
    path = write(tmp_path, "timezone: Mars/Base\nfetch:\n  per_host: many\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    text = str(err.value)
    assert "unknown time zone 'Mars/Base'" in text
    assert f"{path}:3:" in text and "per_host" in text


def test_yaml_syntax_error_has_position(tmp_path):
    path = write(tmp_path, "feeds:\n  - name: a\n   url: [\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value) and "not valid YAML" in str(err.value)


def test_duplicate_key_is_an_error(tmp_path):
    path = write(tmp_path, "timezone: Asia/Seoul\ntimezone: UTC\n")
    with pytest.raises(ConfigError, match="duplicate key 'timezone'"):
        load_settings(path)


def test_duplicate_feed_names(tmp_path):
    path = write(tmp_path, "feeds:\n  - {name: a, url: 'http://x/1'}\n  - {name: a, url: 'http://x/2'}\n")
    with pytest.raises(ConfigError, match="duplicate feed name"):
        load_settings(path)


def test_secret_must_come_from_environment(tmp_path, monkeypatch):
    literal = write(tmp_path, "destinations:\n  - name: mail\n    url: 'mailtos://user:hunter2@mail.example'\n")
    with pytest.raises(ConfigError, match="holds a secret"):
        load_settings(literal)
    ref = write(tmp_path, "destinations:\n  - name: mail\n    url: '${NW_TEST_MAIL}'\n")
    settings = load_settings(ref)
    monkeypatch.setenv("NW_TEST_MAIL", "mailtos://user:hunter2@mail.example")
    assert settings.destination_url(settings.destinations[0]) == "mailtos://user:hunter2@mail.example"
    monkeypatch.delenv("NW_TEST_MAIL")
    with pytest.raises(ConfigError, match="NW_TEST_MAIL is not set"):
        settings.destination_url(settings.destinations[0])


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yaml")


def test_shipped_default_config_loads():
    from tests.conftest import REPO

    settings = load_settings(REPO / "newswatch.yaml")
    assert len(settings.feeds) >= 5
    assert all(f.url.startswith("https://") for f in settings.feeds)
    assert settings.rule_paths == [REPO / "rules"]
