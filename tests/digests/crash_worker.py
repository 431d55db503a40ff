"""A delivery run in its own process, for the SIGKILL tests.

python -m tests.digests.crash_worker STATE_URL HOOK_URL MODE K [WORKER]
WORKER: the worker name, "local" by default; "pid" gives "host:pid", a new name on every start
MODE: none | external (the test kills us while the receiver holds message K)
      | before-send (we SIGKILL ourselves just before sending message K)
      | after-send (... just after apprise reported message K delivered, before it is recorded)
"""
from __future__ import annotations

import os
import signal
import socket
import sys
from datetime import datetime, timezone

from digests.deliver import apprise_notify, deliver_due
from newswatch.config import Settings
from state import Store


def main() -> None:
    state_url, hook, mode, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    worker = sys.argv[5] if len(sys.argv) > 5 else "local"
    if worker == "pid":
        worker = f"{socket.gethostname()}:{os.getpid()}"
    os.environ["NW_CRASH_HOOK"] = hook
    settings = Settings.model_validate(
        {"destinations": [{"name": "hook", "url": "${NW_CRASH_HOOK}", "schedule": "immediate", "max_items": 1}]}
    )
    calls = {"n": 0}

    def notify(url, message):
        calls["n"] += 1
        if mode == "before-send" and calls["n"] == k:
            os.kill(os.getpid(), signal.SIGKILL)
        result = apprise_notify(url, message)
        if mode == "after-send" and calls["n"] == k and result.ok:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    store = Store.open(state_url)
    report = deliver_due(store, settings, datetime(2026, 11, 21, 0, 0, tzinfo=timezone.utc), notify=notify, worker=worker)
    print(f"sent={sum(s.items for s in report.sent)} failures={len(report.failures)} pending={report.pending}")
    store.close()


if __name__ == "__main__":
    main()
