"""Prefect for real: a `prefect server start`, `prefect deploy --all` from prefect.yaml,
a process worker, a triggered run, and the digest arriving at a local receiver."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from newswatch.demo.site import start_demo_site
from newswatch.localserver import LocalHTTPServer, Route
from newswatch.serving import local_prefect_server
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _prefect(args: list[str], env: dict, timeout: int = 120) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "prefect", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"prefect {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def test_deploy_worker_run_delivers_digest(tmp_path):
    receiver = LocalHTTPServer()
    receiver.routes["/hook"] = Route(b"ok", content_type="text/plain")
    receiver.start()
    site = start_demo_site(datetime.now(timezone.utc))
    config = tmp_path / "deploy.yaml"
    config.write_text(yaml.safe_dump({
        "data_dir": str(tmp_path / "data"),
        "rules": [str(REPO / "rules")],
        "feeds": site.feeds,
        "fetch": {"allow_private_addresses": True},
        "destinations": [{"name": "hook", "url": f"json://127.0.0.1:{receiver.server_address[1]}/hook",
                          "schedule": "immediate"}],
    }, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "NEWSWATCH_DIR": str(REPO),
           "NEWSWATCH_CONFIG": str(config), "PREFECT_WORKER_QUERY_SECONDS": "2",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    worker = None
    try:
        with local_prefect_server(env=env) as api_url:
            env["PREFECT_API_URL"] = api_url
            _prefect(["work-pool", "create", "newswatch", "--type", "process"], env)
            _prefect(["deploy", "--all"], env)
            worker = subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", "newswatch"],
                                      cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
            _prefect(["deployment", "run", "newswatch-cycle/newswatch-poll", "--param", "deliver=true"], env)
            posts = lambda: [r for r in receiver.requests if r[0] == "POST" and r[1] == "/hook"]  # noqa: E731
            _wait_for(lambda: posts(), 240, "the digest at the local receiver")
            bodies = " ".join(json.loads(r[3]).get("message", "") + json.loads(r[3]).get("title", "") for r in posts())
            assert "광주AI융합실증센터" in bodies
            assert "AI 신호 제어" not in bodies
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        site.server.stop()
        receiver.stop()
