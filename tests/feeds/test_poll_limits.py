"""fetch.concurrency and fetch.per_host hold for a whole cycle, not per batch of feeds.

Measured where it matters, at the server: the most requests it saw in flight at once, overall
and per host, while more feeds than one batch (one poll task) holds are polled.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
import yaml

from tests.conftest import Route

FEEDS, PER_TASK, CONCURRENCY, PER_HOST = 12, 4, 3, 2
HOSTS = ("127.0.0.1", "localhost")  # one server, two host names: the per-host limit goes by name


class InFlight:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.total = self.peak_total = self.requests = 0

    def route(self, handler) -> Route:
        host = handler.headers.get("Host", "").rsplit(":", 1)[0]
        with self.lock:
            self.requests += 1
            self.total += 1
            self.now[host] = self.now.get(host, 0) + 1
            self.peak_total = max(self.peak_total, self.total)
            self.peak[host] = max(self.peak.get(host, 0), self.now[host])
        time.sleep(0.25)
        with self.lock:
            self.total -= 1
            self.now[host] -= 1
        return Route('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
                     content_type="application/rss+xml")


@pytest.fixture
def many_feeds(tmp_path, http_server):
    meter = InFlight()
    port = http_server.server_address[1]
    feeds = []
    for i in range(FEEDS):
        http_server.routes[f"/f/{i}"] = meter.route
        feeds.append({"name": f"feed-{i}", "url": f"http://{HOSTS[i % 2]}:{port}/f/{i}"})
    (tmp_path / "rules").mkdir()
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({
        "data_dir": str(tmp_path / "data"), "rules": [str(tmp_path / "rules")], "feeds": feeds,
        "fetch": {"allow_private_addresses": True, "concurrency": CONCURRENCY, "per_host": PER_HOST},
    }), encoding="utf-8")
    return config, meter


def check(meter: InFlight) -> None:
    assert meter.requests == FEEDS
    assert meter.peak_total == CONCURRENCY  # reached, never exceeded
    assert set(meter.peak) == set(HOSTS) and max(meter.peak.values()) == PER_HOST


def test_poll_batches_keep_the_limits_for_the_whole_cycle(many_feeds):
    from flows.cycle import poll_batches
    from flows.tasks import poll_feeds_task
    from newswatch.config import load_settings
    from state import Store

    config, meter = many_feeds
    Store.open(load_settings(config).state_url).close()
    names = [f"feed-{i}" for i in range(FEEDS)]
    summaries = poll_batches(str(config), names, datetime.now(timezone.utc), PER_TASK, poll=poll_feeds_task.fn)
    assert len(summaries) == FEEDS // PER_TASK and sum(s.feeds_polled for s in summaries) == FEEDS
    check(meter)


@pytest.mark.prefect
@pytest.mark.slow
def test_cycle_flow_keeps_the_limits_across_poll_tasks(prefect_harness, many_feeds):
    from flows.cycle import cycle_flow

    config, meter = many_feeds
    summary = cycle_flow(config_path=str(config), deliver=False, feeds_per_task=PER_TASK)
    assert summary.feeds_polled == FEEDS and not summary.feed_failures
    check(meter)
