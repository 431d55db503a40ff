"""`newswatch serve`: the config's schedules on a Prefect server.

Prefect's scheduler does not run on its ephemeral API, so when no
PREFECT_API_URL is set a local `prefect server start` is launched on
127.0.0.1 and stopped again on exit. Schedules are not paused when serve
stops (pause_on_shutdown=False), so the next start picks them up as they were.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import httpx

from newswatch.config import load_settings
from newswatch.errors import NewswatchError


class ServeError(NewswatchError):
    kind = "serve"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(api_url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServeError(f"the local Prefect server exited at start (status {proc.returncode})")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ServeError(f"the local Prefect server did not answer within {timeout:.0f}s")


@contextmanager
def local_prefect_server(port: int | None = None, timeout: float = 90.0, env: dict | None = None) -> Iterator[str]:
    """Start `prefect server start` on 127.0.0.1; yields its API URL."""
    port = port or _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**(os.environ if env is None else env), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        _wait_healthy(api_url, proc, timeout)
        yield api_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def deployments(config_path: Path | None):
    """The poll and delivery deployments, scheduled by the config's cron in its time zone."""
    from prefect.schedules import Cron

    from flows.cycle import cycle_flow, deliver_flow

    settings = load_settings(config_path)
    params = {"config_path": str(config_path.resolve()) if config_path else None}
    poll = cycle_flow.to_deployment(
        name="newswatch-poll",
        schedules=[Cron(settings.schedule.poll, timezone=settings.timezone)],
        parameters={**params, "deliver": False},
        concurrency_limit=1,  # two poll runs never overlap on the same feeds
    )
    deliver = deliver_flow.to_deployment(
        name="newswatch-deliver",
        schedules=[Cron(settings.schedule.deliver, timezone=settings.timezone)],
        parameters=params,
        concurrency_limit=1,
    )
    return [poll, deliver]


def serve_schedules(config_path: Path | None, echo: Callable[[str], None]) -> None:
    from prefect import serve

    if os.environ.get("PREFECT_API_URL"):
        echo(f"using the Prefect server at {os.environ['PREFECT_API_URL']}")
        serve(*deployments(config_path), pause_on_shutdown=False)
        return
    echo("starting a local Prefect server on 127.0.0.1 ...")
    with local_prefect_server() as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        echo(f"Prefect UI: {api_url.removesuffix('/api')}  (Ctrl-C stops serving and the server)")
        try:
            serve(*deployments(config_path), pause_on_shutdown=False)
        except KeyboardInterrupt:
            pass
        finally:
            os.environ.pop("PREFECT_API_URL", None)
