"""RunRepo: one row per poll or delivery run."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from newswatch.models import CycleSummary
from state.errors import StateError

T0 = datetime(2026, 4, 1, 3, 0, tzinfo=timezone.utc)


def test_start_then_finish_records_the_summary(state_store):
    runs = state_store.runs
    run_id = runs.start("poll", T0, flow_run_id="0b5e-flow-run")
    [open_run] = runs.recent(5)
    assert (open_run.id, open_run.kind, open_run.started_at, open_run.finished_at) == (run_id, "poll", T0, None)
    assert open_run.flow_run_id == "0b5e-flow-run"

    runs.finish(run_id, T0 + timedelta(seconds=42), {"new_entries": 12, "matches_per_rule": {"금리": 3}})
    [done] = runs.recent(5)
    assert done.finished_at == T0 + timedelta(seconds=42)
    assert done.summary == {"new_entries": 12, "matches_per_rule": {"금리": 3}}


def test_finish_accepts_a_cycle_summary(state_store):
    summary = CycleSummary(new_entries=5, articles_extracted=4, matches_per_rule={"환율": 2})
    summary.delivery_failures.append(("slack", "timeout"))
    run_id = state_store.runs.start("poll", T0)
    state_store.runs.finish(run_id, T0 + timedelta(minutes=1), summary)
    [done] = state_store.runs.recent(1)
    assert done.summary["new_entries"] == 5
    assert done.summary["matches_per_rule"] == {"환율": 2}
    assert done.summary["delivery_failures"] == [["slack", "timeout"]]


def test_recent_is_newest_first_and_limited(state_store):
    ids = [state_store.runs.start(kind, T0 + timedelta(minutes=i)) for i, kind in enumerate(["poll", "deliver", "poll"])]
    recent = state_store.runs.recent(2)
    assert [r.id for r in recent] == [ids[2], ids[1]]
    assert [r.kind for r in recent] == ["poll", "deliver"]


def test_finishing_an_unknown_run_is_an_error(state_store):
    with pytest.raises(StateError, match="no run with id 999"):
        state_store.runs.finish(999, T0, {})
