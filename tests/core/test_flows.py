"""The Prefect flows in-process, under the one shared test harness."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import yaml

from extractors.errors import FeedError, FetchError
from newswatch.demo.site import start_demo_site
from tests.conftest import REPO

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


@pytest.fixture
def demo_config(tmp_path):
    site = start_demo_site(datetime.now(timezone.utc))
    path = tmp_path / "flow.yaml"
    path.write_text(yaml.safe_dump({
        "data_dir": str(tmp_path / "data"), "rules": [str(REPO / "rules")], "feeds": site.feeds,
        "fetch": {"allow_private_addresses": True},
    }, allow_unicode=True), encoding="utf-8")
    yield path
    site.server.stop()


def test_cycle_flow_runs_the_pipeline_and_publishes_the_digest(prefect_harness, demo_config):
    from prefect.client.orchestration import get_client

    from flows.cycle import cycle_flow

    summary = cycle_flow(config_path=str(demo_config))
    assert summary.feeds_polled == 4 and not summary.feed_failures
    assert summary.new_entries == 6
    assert summary.articles_extracted == 6
    assert summary.duplicates_dropped == 1
    assert summary.matches_per_rule.get("gwangju-ai", 0) >= 3
    assert summary.digests_sent == 1

    async def artifacts():
        async with get_client() as client:
            return await client.read_artifacts()

    import asyncio

    found = [a for a in asyncio.run(artifacts()) if a.key == "digest-local"]
    assert found and "광주AI융합실증센터" in found[0].data

    # a second cycle sees nothing new and sends nothing
    again = cycle_flow(config_path=str(demo_config))
    assert again.new_entries == 0 and again.articles_extracted == 0 and again.digests_sent == 0


def test_retry_condition_retries_only_transient_errors(prefect_harness):
    from prefect import flow, task

    from flows.tasks import retry_transient

    calls = {"transient": 0, "permanent": 0}

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=retry_transient)
    def flaky(kind: str):
        calls[kind] += 1
        if kind == "transient" and calls[kind] < 3:
            raise FetchError("server busy", kind="http_5xx")
        if kind == "permanent":
            raise FeedError("not a feed", kind="not_a_feed")
        return "ok"

    @flow
    def both():
        first = flaky("transient")
        try:
            flaky("permanent")
        except FeedError:
            pass
        return first

    assert both() == "ok"
    assert calls == {"transient": 3, "permanent": 1}
