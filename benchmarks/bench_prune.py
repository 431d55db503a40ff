"""`state.prune` on a filled state database, beside plain per-table deletes by timestamp.

    python benchmarks/bench_prune.py [--stories 20000] [--backend sqlite|postgresql|both]

Fills the tables with synthetic rows (half older than the cutoff, half newer;
two articles, two entries, a match and a sent digest item per story), then times
`prune` and, on an identical copy, the baseline: one `DELETE ... WHERE <time> <
cutoff` per table with none of prune's story-level checks. PostgreSQL is the
throwaway server from tests/pgserver.py (needs the `postgresql` package). Read the
ratio; the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, insert  # noqa: E402

from state import Store, schema  # noqa: E402
from state.prune import prune  # noqa: E402

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
KEEP = timedelta(days=90)


def fill(store: Store, stories: int) -> int:
    """Insert the synthetic state; returns the number of rows written."""
    s = schema
    rows = {t: [] for t in ("articles", "stories", "story_members", "signatures", "entries", "matches", "outbox", "runs")}
    for i in range(1, stories + 1):
        when = NOW - timedelta(days=120 if i % 2 else 10, minutes=i)
        a1, a2 = 2 * i - 1, 2 * i
        for a in (a1, a2):
            rows["articles"].append(dict(id=a, canonical_url=f"https://n.example.kr/{a}", title="제목", text="본문 " * 50,
                                         text_hash=f"{a:064d}", fetched_at=when, story_id=i))
            rows["story_members"].append(dict(article_id=a, story_id=i, joined_at=when))
            rows["signatures"].append(dict(article_id=a, story_id=i, minhash=b"\x01" * 512, lead_minhash=b"\x01" * 128,
                                           text_len=500, created_at=when))
            rows["entries"].append(dict(feed=f"feed{a % 200}", identity=f"guid-{a}", canonical_url=f"https://n.example.kr/{a}",
                                        first_seen=when, status="done", article_id=a))
        rows["stories"].append(dict(id=i, representative_article_id=a1, title="제목", first_seen=when, last_seen=when))
        rows["matches"].append(dict(article_id=a1, story_id=i, rule="금리", created_at=when))
        rows["outbox"].append(dict(story_id=i, destination="slack", rule="금리", payload={"t": "제목"}, status="sent",
                                   created_at=when, sent_at=when))
        if i % 100 == 0:
            rows["runs"].append(dict(kind="poll", started_at=when))
    with store.engine.begin() as conn:
        for name, values in rows.items():
            for start in range(0, len(values), 5000):
                conn.execute(insert(getattr(s, name)), values[start:start + 5000])
    if store.dialect == "postgresql":  # explicit ids above: move the sequences past them
        with store.engine.begin() as conn:
            for name in ("articles", "stories"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
            conn.exec_driver_sql("ANALYZE")
    return sum(len(v) for v in rows.values())


def baseline(store: Store) -> int:
    """Per-table deletes by timestamp alone (what a naive retention job would do)."""
    s, cutoff = schema, NOW - KEEP
    plan = [(s.entries, s.entries.c.first_seen), (s.matches, s.matches.c.created_at),
            (s.signatures, s.signatures.c.created_at), (s.story_members, s.story_members.c.joined_at),
            (s.outbox, s.outbox.c.created_at), (s.articles, s.articles.c.fetched_at),
            (s.stories, s.stories.c.last_seen), (s.runs, s.runs.c.started_at)]
    n = 0
    with store.engine.begin() as conn:
        for table, column in plan:
            n += conn.execute(delete(table).where(column < cutoff)).rowcount
    return n


def measure(make_url, stories: int) -> None:
    results = {}
    for label, fn in (("baseline", baseline), ("prune", lambda st: sum(prune(st, KEEP, NOW).values()))):
        store = Store.open(make_url())
        written = fill(store, stories)
        t0 = time.perf_counter()
        removed = fn(store)
        results[label] = (time.perf_counter() - t0, removed)
        store.close()
    (tb, nb), (tp, np_) = results["baseline"], results["prune"]
    print(f"  rows written {written:,}; baseline removed {nb:,} in {tb:.2f}s; prune removed {np_:,} in {tp:.2f}s "
          f"({np_ / tp:,.0f} rows/s); prune/baseline time {tp / tb:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", type=int, default=20000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = ap.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            counter = iter(range(10))
            print(f"sqlite, {args.stories:,} stories:")
            measure(lambda: f"sqlite:///{tmp}/state{next(counter)}.db", args.stories)
    if args.backend in ("postgresql", "both"):
        from tests.pgserver import PostgresServer, find_bindir

        bindir = find_bindir()
        if bindir is None:
            print("postgresql: skipped (PostgreSQL not installed: apt-get install postgresql)")
            return
        server = PostgresServer(bindir).start()
        try:
            print(f"postgresql, {args.stories:,} stories:")
            measure(server.create_database, args.stories)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
