"""Fan-out of page extraction over a Prefect task runner (`extract.runner`).

trafilatura holds the GIL, so extraction scales only across processes: `processes`
uses Prefect's process pool on this machine, `dask` a Dask cluster through
prefect-dask (a local one, or `extract.dask_address`). `inline` (the default)
keeps extraction in the processing task and starts nothing.

Prefect stays off the per-page path: one task run extracts `extract.batch_size`
pages, and fetching, state and dedup stay in the processing task.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from newswatch import cycle
from newswatch.config import ExtractSettings, Settings
from newswatch.errors import NewswatchError


class ExtractionTaskFailed(NewswatchError):
    """An extraction task run failed as a whole (a worker process died); its pages are retried next cycle."""

    kind = "extract_task_failed"
    transient = True


class RunnerUnavailable(NewswatchError):
    """The configured task runner cannot start (prefect-dask not installed, Dask scheduler unreachable)."""

    kind = "runner_unavailable"


@task(name="extract-pages", cache_policy=NO_CACHE, persist_result=False)
def extract_pages_task(pages: Sequence[cycle.Page], settings: Settings) -> list:
    return cycle.extract_pages(pages, settings)


def _results(future, n: int) -> list:
    try:
        return future.result()
    except Exception as exc:  # a dead worker process must not take the other batches down
        return [ExtractionTaskFailed(f"extraction task failed: {type(exc).__name__}: {exc}")] * n


def workers(extract: ExtractSettings) -> int:
    return extract.processes or os.cpu_count() or 1


def task_runner(extract: ExtractSettings):
    """The Prefect task runner for `extract.runner`, or None for inline."""
    if extract.runner == "processes":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers(extract))
    if extract.runner == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError:
            raise RunnerUnavailable("extract.runner is dask but prefect-dask is not installed: "
                                    "pip install 'newswatch[dask]'") from None
        if extract.dask_address:
            return DaskTaskRunner(address=extract.dask_address, client_kwargs={"timeout": 10})
        # one thread per worker process: the GIL makes more threads useless for extraction
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers(extract), "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    return None


@contextmanager
def _api_url_for_subprocesses() -> Iterator[None]:
    """Worker processes must report to the API this flow uses.

    Without PREFECT_API_URL a flow runs on a temporary local server, and a worker
    process that inherits no URL would start a temporary server of its own (seconds
    each); pointing it at the running one costs nothing."""
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.client.orchestration import get_client

    os.environ["PREFECT_API_URL"] = str(get_client(sync_client=True).api_url)
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


@contextmanager
def extraction_submit(settings: Settings) -> Iterator[cycle.ExtractSubmit | None]:
    """An `extract_submit` for `cycle.process_pending` that sends batches of pages to the runner."""
    runner = task_runner(settings.extract)
    if runner is None:
        yield None
        return
    with _api_url_for_subprocesses(), runner:
        if settings.extract.runner == "dask":
            _connect(runner, settings.extract)
        yield lambda pages: _submit(runner, settings, pages)


def _connect(runner, extract: ExtractSettings) -> None:
    # prefect-dask connects on first use; fail before the first batch, with a clear message
    try:
        runner.client
    except (OSError, TimeoutError) as exc:
        where = extract.dask_address or "a local cluster"
        raise RunnerUnavailable(f"extract.runner dask cannot start ({where}): {exc}", transient=True) from None


def _submit(runner, settings: Settings, pages: list[cycle.Page]):
    """Send the pages out in task runs of `batch_size`; returns a function that waits for all results."""
    size = settings.extract.batch_size
    batches = [pages[i:i + size] for i in range(0, len(pages), size)]
    futures = [runner.submit(extract_pages_task, {"pages": b, "settings": settings}) for b in batches]
    return lambda: [result for b, f in zip(batches, futures) for result in _results(f, len(b))]
