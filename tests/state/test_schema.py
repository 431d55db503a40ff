"""Column types and the unique keys that carry the exactly-once guarantees, on both backends."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError, StatementError

from state import schema

KST = ZoneInfo("Asia/Seoul")


def _entry(feed: str, identity: str, now: datetime) -> dict:
    return dict(feed=feed, identity=identity, canonical_url=f"https://news.example.kr/{identity}", first_seen=now)


def _outbox(story_id: int, destination: str, rule: str, now: datetime) -> dict:
    return dict(story_id=story_id, destination=destination, rule=rule, payload={"title": "기사"}, created_at=now)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=KST),  # +09:00, microseconds kept
        datetime(2026, 3, 1, 0, 30, tzinfo=timezone.utc),
        datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),  # crosses a year in UTC
    ],
)
def test_utc_datetime_round_trips_aware_values(state_store, moment):
    with state_store.engine.begin() as conn:
        run_id = conn.execute(insert(schema.runs).values(kind="poll", started_at=moment)).inserted_primary_key[0]
    with state_store.engine.connect() as conn:
        got = conn.execute(select(schema.runs.c.started_at).where(schema.runs.c.id == run_id)).scalar_one()
    assert got == moment
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_utc_datetime_compares_in_utc(state_store):
    # 09:00 in Seoul is 00:00 UTC: a filter given in one zone must find rows written in another.
    seoul = datetime(2026, 5, 5, 9, 0, tzinfo=KST)
    with state_store.engine.begin() as conn:
        conn.execute(insert(schema.runs).values(kind="poll", started_at=seoul))
        conn.execute(insert(schema.runs).values(kind="poll", started_at=seoul + timedelta(minutes=1)))
    with state_store.engine.connect() as conn:
        before = conn.execute(
            select(func.count()).select_from(schema.runs).where(
                schema.runs.c.started_at < datetime(2026, 5, 5, 0, 0, 30, tzinfo=timezone.utc)
            )
        ).scalar_one()
    assert before == 1


def test_naive_datetimes_are_refused(state_store):
    with pytest.raises(StatementError, match="naive datetime"):
        with state_store.engine.begin() as conn:
            conn.execute(insert(schema.runs).values(kind="poll", started_at=datetime(2026, 1, 1, 12, 0)))


def test_one_entry_per_feed_and_identity(state_store):
    now = datetime.now(timezone.utc)
    with state_store.engine.begin() as conn:
        conn.execute(insert(schema.entries).values(**_entry("연합뉴스", "guid-1", now)))
        # the same identity from another feed is a different entry
        conn.execute(insert(schema.entries).values(**_entry("한겨레", "guid-1", now)))
    with pytest.raises(IntegrityError):
        with state_store.engine.begin() as conn:
            conn.execute(insert(schema.entries).values(**_entry("연합뉴스", "guid-1", now)))
    with state_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.entries)).scalar_one() == 2


def test_one_outbox_item_per_story_destination_and_rule(state_store):
    now = datetime.now(timezone.utc)
    with state_store.engine.begin() as conn:
        conn.execute(insert(schema.outbox).values(**_outbox(1, "slack", "금리", now)))
        conn.execute(insert(schema.outbox).values(**_outbox(1, "email", "금리", now)))
        conn.execute(insert(schema.outbox).values(**_outbox(1, "slack", "부동산", now)))
        conn.execute(insert(schema.outbox).values(**_outbox(2, "slack", "금리", now)))
    with pytest.raises(IntegrityError):
        with state_store.engine.begin() as conn:
            conn.execute(insert(schema.outbox).values(**_outbox(1, "slack", "금리", now)))
    with state_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.outbox)).scalar_one() == 4


def test_json_columns_keep_korean_text(state_store):
    payload = {"title": "한국은행, 기준금리 동결", "outlets": ["연합뉴스", "한겨레"], "n": 3}
    now = datetime.now(timezone.utc)
    with state_store.engine.begin() as conn:
        conn.execute(insert(schema.outbox).values(**{**_outbox(7, "slack", "금리", now), "payload": payload}))
    with state_store.engine.connect() as conn:
        assert conn.execute(select(schema.outbox.c.payload)).scalar_one() == payload
