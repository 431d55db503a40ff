"""A destination URL read from a Prefect Secret block by the delivery flow, never printed or logged."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone

import pytest
import yaml

from tests.conftest import REPO, Route
from tests.digests.helpers import article, match, story

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

TOKEN = "s3cr3tT0ken9f8e7d6c5b4a"


def _config(tmp_path, url: str):
    path = tmp_path / "newswatch.yaml"
    path.write_text(yaml.safe_dump({
        "data_dir": str(tmp_path / "data"), "rules": [str(REPO / "rules")],
        "destinations": [{"name": "hook", "url": url, "schedule": "immediate"}],
        "digest": {"retry_base": "1s", "retry_max": "1s"},
    }, allow_unicode=True), encoding="utf-8")
    return path


def _queue(path, n: int) -> None:
    from digests.queue import queue_items
    from newswatch.config import load_settings
    from state import Store

    settings = load_settings(path)
    store = Store.open(settings.state_url)
    now = datetime.now(timezone.utc)
    for i in range(n):
        queue_items(store, settings, story(i), article(i, now), [match()], now)
    store.close()


def _flow_logs() -> str:
    from prefect.client.orchestration import get_client

    async def read():
        async with get_client() as client:
            return await client.read_logs()

    return "\n".join(log.message for log in asyncio.run(read()))


def test_flow_delivers_to_the_url_in_a_secret_block(prefect_harness, tmp_path, http_server, caplog, capsys):
    from prefect.blocks.system import Secret

    from flows.cycle import deliver_flow

    answers = [500]
    http_server.routes[f"/hook/{TOKEN}"] = lambda _h: Route("x", status=answers.pop(0) if answers else 200,
                                                            content_type="text/plain")
    secret_url = f"json://127.0.0.1:{http_server.server_address[1]}/hook/{TOKEN}"
    Secret(value=secret_url).save("nw-test-hook", overwrite=True)
    path = _config(tmp_path, "${prefect-secret:nw-test-hook}")
    _queue(path, 2)
    caplog.set_level("DEBUG")

    failed = deliver_flow(config_path=str(path))  # the receiver answers 500 once
    assert failed.digests_sent == 0 and "500" in failed.delivery_failures[0][1]
    time.sleep(1.2)  # retry_base 1s
    summary = deliver_flow(config_path=str(path))
    assert summary.digests_sent == 1 and summary.delivery_failures == []

    posts = [json.loads(b) for m, p, _, b in http_server.requests if m == "POST"]
    assert len(posts) == 2 and posts[1]["title"] == "[newswatch] 광주 AI 2건"
    seen = caplog.text + "".join(capsys.readouterr()) + _flow_logs() + repr(failed) + repr(summary)
    assert TOKEN not in seen and secret_url not in seen


def test_missing_secret_block_is_a_clear_failure_and_items_wait(prefect_harness, tmp_path):
    from flows.cycle import deliver_flow
    from newswatch.config import load_settings
    from state import Store

    path = _config(tmp_path, "${prefect-secret:nw-no-such-block}")
    _queue(path, 1)
    summary = deliver_flow(config_path=str(path))
    assert summary.digests_sent == 0
    assert "Prefect Secret block 'nw-no-such-block' not found" in summary.delivery_failures[0][1]
    store = Store.open(load_settings(path).state_url)
    assert len(store.outbox.pending()) == 1
    store.close()


def test_outside_the_flow_a_secret_reference_is_an_error_naming_the_block(store, tmp_path):
    from digests.deliver import deliver_due
    from tests.digests.helpers import T0, settings

    s = settings(tmp_path, [{"name": "hook", "url": "${prefect-secret:slack-webhook}", "schedule": "immediate"}])
    from digests.queue import queue_items

    queue_items(store, s, story(0), article(0), [match()], T0)
    report = deliver_due(store, s, T0)
    assert "${prefect-secret:slack-webhook} is read from a Prefect Secret block" in report.failures[0][1]
    assert len(store.outbox.pending()) == 1
