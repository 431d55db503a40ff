"""Two workers running the whole cycle at once against one PostgreSQL and one feed server:
every entry is processed once, no story is clustered twice, every story is delivered once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter

import pytest
import yaml
from sqlalchemy import func, select

from benchmarks.localcorpus import TOPICS, build_corpus
from newswatch.localserver import LocalHTTPServer, Route
from state import Store
from state import schema
from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

WORKER = """
import sys, time
from newswatch.config import load_settings
from newswatch.cycle import run_cycle
from state import Store
settings = load_settings(sys.argv[1])
store = Store.open(settings.state_url)
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
s = run_cycle(settings, store)
print(s.articles_extracted, s.duplicates_dropped, s.digests_sent)
"""


def test_two_workers_process_and_deliver_each_story_once(tmp_path, pg_db_url):
    feed_server, feeds = build_corpus(n_feeds=6, per_feed=12, seed=11)
    receiver = LocalHTTPServer()
    receiver.routes["/hook"] = Route(b"ok", content_type="text/plain")
    receiver.start()
    rules = tmp_path / "rules"
    rules.mkdir()
    # a rule most of the corpus matches (supported industries in named cities), so most stories are sent
    (rules / "industry.yaml").write_text(yaml.safe_dump({
        "id": "industry", "title": "지역 첨단산업", "any": [{"term": t} for t in TOPICS],
        "all": [{"term": "사업"}]}, allow_unicode=True), encoding="utf-8")
    config = tmp_path / "workers.yaml"
    config.write_text(yaml.safe_dump({
        "data_dir": str(tmp_path / "data"),
        "state": {"url": pg_db_url},
        "rules": [str(rules)],
        "feeds": feeds,
        "fetch": {"allow_private_addresses": True},
        "destinations": [{"name": "hook", "url": f"json://127.0.0.1:{receiver.server_address[1]}/hook",
                          # one rule, so each story is one outbox row and its title shows once per send
                          "rules": ["industry"], "schedule": "immediate", "max_items": 200}],
    }, allow_unicode=True), encoding="utf-8")
    Store.open(pg_db_url).close()  # migrate once, as `newswatch state upgrade` would
    start_at = str(time.time() + 4)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(config), start_at], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    try:
        for p, (out, err) in zip(procs, outputs):
            assert p.returncode == 0, err[-3000:]
        store = Store.open(pg_db_url)
        with store.engine.connect() as conn:
            entries = conn.execute(select(schema.entries.c.status, func.count()).group_by(schema.entries.c.status)).all()
            n_articles = conn.execute(select(func.count()).select_from(schema.articles)).scalar()
            members = conn.execute(select(schema.story_members.c.story_id, schema.story_members.c.article_id,
                                          schema.articles.c.title)
                                   .join(schema.articles, schema.articles.c.id == schema.story_members.c.article_id)).all()
            outbox = conn.execute(select(schema.outbox.c.story_id, schema.outbox.c.status)
                                  .where(schema.outbox.c.story_id > 0)).all()
        store.close()
        assert dict(entries) == {"done": 72}, entries
        assert n_articles == 72
        article_ids = [m.article_id for m in members]
        assert len(article_ids) == len(set(article_ids)) == 72  # each article in exactly one cluster
        assert len(outbox) >= 50 and all(status == "sent" for _, status in outbox)
        bodies = [json.loads(r[3]) for r in receiver.requests if r[0] == "POST" and r[1] == "/hook"]
        text = "\n".join(b.get("title", "") + "\n" + b.get("message", "") for b in bodies)
        # An entry is headed by the story's representative at send time, which under two
        # workers may be any member; each outbox row (story x rule) must show exactly one
        # member title once. Titles are unique per article in this corpus.
        titles: dict[int, list[str]] = {}
        for m in members:
            titles.setdefault(m.story_id, []).append(m.title)
        expected = Counter(story_id for story_id, _ in outbox)
        received = Counter({sid: sum(text.count(t) for t in titles[sid]) for sid in expected})
        assert received == expected, {sid: titles[sid] for sid in expected if received[sid] != expected[sid]}
    finally:
        feed_server.stop()
        receiver.stop()
