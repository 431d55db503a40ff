"""Extraction fanned out over Prefect task runners (process pool, Dask) gives what inline extraction gives,
and goes through Prefect: one `extract-pages` task run per batch of pages."""
from __future__ import annotations

import asyncio
import math
from datetime import datetime, timezone

import pytest
import yaml
from sqlalchemy import select

from newswatch.config import load_settings
from newswatch.demo.site import start_demo_site
from state import Store, schema
from tests.conftest import REPO

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo_site():
    site = start_demo_site(datetime.now(timezone.utc))
    yield site
    site.server.stop()


def _run(tmp_path, site, extract: dict):
    from flows.cycle import cycle_flow

    folder = tmp_path / extract.get("runner", "inline")
    path = folder / "flow.yaml"
    folder.mkdir()
    path.write_text(yaml.safe_dump({
        "data_dir": str(folder / "data"), "rules": [str(REPO / "rules")], "feeds": site.feeds,
        "fetch": {"allow_private_addresses": True}, "extract": extract,
    }, allow_unicode=True), encoding="utf-8")
    state = cycle_flow(config_path=str(path), deliver=False, return_state=True)
    summary = state.result()
    store = Store.open(load_settings(path).state_url)
    with store.engine.connect() as conn:
        texts = sorted(conn.execute(select(schema.articles.c.canonical_url, schema.articles.c.text,
                                           schema.articles.c.extractor)).all())
    store.close()
    return state.state_details.flow_run_id, summary, texts


def _extract_task_runs(flow_run_id) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async def read():
        async with get_client() as client:
            return await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))

    return [t for t in asyncio.run(read()) if t.name.startswith("extract-pages")]


@pytest.mark.parametrize("runner", ["processes", "dask"])
def test_fanned_out_extraction_matches_inline(prefect_harness, demo_site, tmp_path, runner):
    if runner == "dask":
        pytest.importorskip("prefect_dask", reason="prefect-dask not installed (pip install 'newswatch[dask]')")
    _, inline, inline_texts = _run(tmp_path, demo_site, {"runner": "inline"})
    run_id, fanned, fanned_texts = _run(tmp_path, demo_site, {"runner": runner, "processes": 2, "batch_size": 2})
    assert inline.articles_extracted == fanned.articles_extracted == 6
    assert (inline.duplicates_dropped, inline.stories_new) == (fanned.duplicates_dropped, fanned.stories_new)
    assert fanned_texts == inline_texts
    runs = _extract_task_runs(run_id)
    # every page extracted was in exactly one task run of `batch_size` pages
    assert len(runs) == math.ceil(6 / 2)
    assert all(t.state.is_completed() for t in runs)


def test_a_missing_dask_scheduler_is_a_classified_error(prefect_harness, demo_site, tmp_path):
    pytest.importorskip("prefect_dask", reason="prefect-dask not installed")
    from flows.runners import RunnerUnavailable, extraction_submit

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path), "feeds": [],
                                    "extract": {"runner": "dask", "dask_address": "tcp://127.0.0.1:9"}}))
    with pytest.raises(RunnerUnavailable, match="cannot start"):
        with extraction_submit(load_settings(path)):
            pass


def test_a_batch_whose_task_run_dies_fails_only_its_own_pages_as_transient():
    """A killed worker process fails its batch's pages with a transient error (they stay pending);
    the other batches keep their results. The runner here stands in for Prefect's: it runs each
    batch at once, and the second batch's future raises as a dead process's would."""
    from concurrent.futures import Future

    from flows.runners import ExtractionTaskFailed, _submit
    from newswatch.config import Settings
    from newswatch.cycle import Page
    from newswatch.models import Entry

    class Runner:
        def __init__(self):
            self.batches = []

        def submit(self, task, parameters):
            self.batches.append(parameters["pages"])
            future = Future()
            if len(self.batches) == 2:
                future.set_exception(RuntimeError("worker process exited unexpectedly"))
            else:
                future.set_result([f"article {p.entry_id}" for p in parameters["pages"]])
            return future

    settings = Settings(extract={"batch_size": 2})
    now = datetime.now(timezone.utc)
    pages = [Page(i, Entry(feed="f", guid=str(i), link=f"https://x.example/{i}", canonical_url=f"https://x.example/{i}",
                           title="t", summary="", published=now)) for i in range(5)]
    runner = Runner()
    results = _submit(runner, settings, pages)()
    assert [len(b) for b in runner.batches] == [2, 2, 1]
    assert results[:2] == ["article 0", "article 1"] and results[4] == "article 4"
    assert all(isinstance(r, ExtractionTaskFailed) and r.transient for r in results[2:4])
    assert "worker process exited unexpectedly" in results[2].message
