"""`newswatch serve` on one machine: a local Prefect server is started, the two
scheduled deployments are registered (cron, Asia/Seoul, not paused), and Ctrl-C
stops serving and the server."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest
import yaml

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_serve_starts_a_server_registers_schedules_and_stops(tmp_path, prefect_home):
    config = tmp_path / "serve.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "rules": [str(REPO / "rules")],
                                      "schedule": {"poll": "*/30 * * * *", "deliver": "0 * * * *"}}),
                      encoding="utf-8")
    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "NO_COLOR": "1"}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "newswatch", "serve", "--config", str(config)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ui = None
        deadline = time.monotonic() + 180
        while ui is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "serve exited early"
            found = re.search(r"Prefect UI: (http://127\.0\.0\.1:\d+)", line)
            ui = found.group(1) if found else None
        assert ui, "no UI address printed"
        api = f"{ui}/api"
        deployments = []
        deadline = time.monotonic() + 120
        while len(deployments) < 2 and time.monotonic() < deadline:
            deployments = httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()
            time.sleep(1)
        by_name = {d["name"]: d for d in deployments}
        assert set(by_name) == {"newswatch-poll", "newswatch-deliver"}
        poll = by_name["newswatch-poll"]
        assert not poll["paused"]
        schedule = poll["schedules"][0]["schedule"]
        assert schedule["cron"] == "*/30 * * * *" and schedule["timezone"] == "Asia/Seoul"
        assert poll["parameters"]["deliver"] is False
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api}/health", timeout=3)
