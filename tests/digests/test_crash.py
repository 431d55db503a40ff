"""SIGKILL in the middle of sending, then a restart: nothing lost, duplicates only inside the documented window.

The window: after the receiver has accepted a message and before its `sent`
commit. Each kill below lands at a different point; the test counts the
duplicates each produces.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter

import pytest

from digests.queue import queue_items
from state import Store
from tests.conftest import REPO, Route
from tests.digests.helpers import T0, article, match, settings, story

N = 6
K = 3  # the message in flight when the process dies


def run_worker(state_url, hook, mode, worker="local"):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.digests.crash_worker", state_url, hook, mode, str(K), worker],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def received(server) -> Counter:
    urls = []
    for method, path, _, body in list(server.requests):
        if method == "POST":
            urls += re.findall(r"https://news0\.example\.kr/a/\d+", json.loads(body)["message"])
    return Counter(urls)


@pytest.fixture
def queued(sqlite_url, tmp_path):
    store = Store.open(sqlite_url)
    s = settings(tmp_path, [{"name": "hook", "url": "json://127.0.0.1:1/x", "schedule": "immediate"}])
    for i in range(N):
        queue_items(store, s, story(i), article(i), [match()], T0)
    store.close()
    return sqlite_url


def finish_and_check(sqlite_url, server, hook, worker="local"):
    again = run_worker(sqlite_url, hook, "none", worker)
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    counts = received(server)
    expected = {f"https://news0.example.kr/a/{100 + i}" for i in range(N)}
    assert set(counts) == expected  # no item lost
    store = Store.open(sqlite_url)
    try:
        rows = store.outbox.rows(range(1, 100))
        assert {r.status for r in rows} == {"sent"} and len(rows) == N
    finally:
        store.close()
    return {u: n - 1 for u, n in counts.items() if n > 1}


def hook_url(server):
    return server.url("/hook").replace("http://", "json://")


def in_flight(server) -> str:
    """The story of the K-th message the receiver saw."""
    posts = [json.loads(b)["message"] for m, _, _, b in server.requests if m == "POST"]
    return re.findall(r"https://news0\.example\.kr/a/\d+", posts[K - 1])[0]


def test_killed_while_receiver_holds_the_message(queued, http_server):
    got_k, release = threading.Event(), threading.Event()
    seen = {"n": 0}

    def route(_h):
        seen["n"] += 1
        if seen["n"] == K:
            got_k.set()
            release.wait(20)  # answer only after the sender is dead
        return Route("ok", content_type="text/plain")

    http_server.routes["/hook"] = route
    proc = run_worker(queued, hook_url(http_server), "external")
    assert got_k.wait(60), proc.stderr.read() if proc.poll() is not None else "worker never sent message K"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    release.set()
    assert proc.returncode == -signal.SIGKILL
    target = in_flight(http_server)
    dups = finish_and_check(queued, http_server, hook_url(http_server))
    # the receiver had accepted message K when we died: that one item, and only it, arrives twice
    assert dups == {target: 1}


def test_killed_after_send_before_record(queued, http_server):
    http_server.routes["/hook"] = Route("ok", content_type="text/plain")
    proc = run_worker(queued, hook_url(http_server), "after-send")
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    target = in_flight(http_server)
    dups = finish_and_check(queued, http_server, hook_url(http_server))
    assert dups == {target: 1}  # exactly the documented window: sent, not yet recorded


def test_killed_before_send_loses_nothing_and_duplicates_nothing(queued, http_server):
    http_server.routes["/hook"] = Route("ok", content_type="text/plain")
    proc = run_worker(queued, hook_url(http_server), "before-send")
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert sum(received(http_server).values()) == K - 1
    assert finish_and_check(queued, http_server, hook_url(http_server)) == {}


def test_restart_under_a_new_host_pid_name_recovers_at_once(queued, http_server):
    # the cycle names workers "host:pid", so a restarted process has a new name; the dead
    # process's claim is taken back at once rather than after claim_timeout
    http_server.routes["/hook"] = Route("ok", content_type="text/plain")
    proc = run_worker(queued, hook_url(http_server), "after-send", "pid")
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    target = in_flight(http_server)
    assert finish_and_check(queued, http_server, hook_url(http_server), "pid") == {target: 1}
