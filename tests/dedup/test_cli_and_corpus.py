"""`newswatch dedup` and the checks over the shared corpus (skipped when it is absent)."""
from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from dedup.cluster import cluster_articles
from newswatch.cli import app
from newswatch.config import DedupSettings
from newswatch.models import Article
from tests.dedup.edits import load_stories, original, syndicate

runner = CliRunner()


@pytest.fixture
def files(tmp_path):
    stories = {s.id: s for s in load_stories()}
    a = original(stories["gj-ai-gist"])
    copy, _ = syndicate(stories["gj-ai-gist"], random.Random(3), 0)
    other = original(stories["gj-ai-bus"])
    p1 = tmp_path / "gist.txt"
    p1.write_text(a.title + "\n" + a.text, encoding="utf-8")
    p2 = tmp_path / "bus.json"
    p2.write_text(json.dumps({"title": other.title, "text": other.text, "url": other.url, "site_name": "광주일보"}, ensure_ascii=False), encoding="utf-8")
    p3 = tmp_path / "gist-copy.json"
    p3.write_text(json.dumps({"title": copy.title, "text": copy.text, "url": copy.url}, ensure_ascii=False), encoding="utf-8")
    return p1, p2, p3


def test_cli_json_shape(files):
    p1, p2, p3 = files
    result = runner.invoke(app, ["dedup", str(p1), str(p2), str(p3), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"clusters", "skipped"} and out["skipped"] == []
    assert [[m["input"] for m in c] for c in out["clusters"]] == [[str(p1), str(p3)], [str(p2)]]
    first, joined = out["clusters"][0]
    assert first == {"input": str(p1), "similarity": 1.0, "method": "first"}
    assert joined["method"] == "minhash" and 0.6 <= joined["similarity"] <= 1.0


def test_cli_table_and_errors(files, tmp_path):
    p1, p2, p3 = files
    result = runner.invoke(app, ["dedup", str(p1), str(p3)])
    assert result.exit_code == 0 and "1 stories" in result.stdout and "minhash" in result.stdout
    missing = runner.invoke(app, ["dedup", str(tmp_path / "nope.txt")])
    assert missing.exit_code != 0 and "cannot read" in missing.output and "Traceback" not in missing.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    skipped = runner.invoke(app, ["dedup", str(bad), str(p1), "--json"])
    assert skipped.exit_code == 0
    assert "invalid JSON" in json.loads(skipped.stdout)["skipped"][0]["error"]
    only_bad = runner.invoke(app, ["dedup", str(bad)])
    assert only_bad.exit_code != 0 and "no readable article" in only_bad.output


def test_cli_reads_html_pages(corpus, files):
    pytest.importorskip("extractors.article")
    pages = sorted((corpus / "pages").glob("*.html"))[:2]
    result = runner.invoke(app, ["dedup", *map(str, pages), str(files[0]), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert sum(len(c) for c in out["clusters"]) + len(out["skipped"]) == 3


def _poll_articles(corpus, with_links: bool):
    feedparser = pytest.importorskip("feedparser")
    arts, guids = [], []
    for n in (1, 2, 3):
        path = corpus / "feeds" / f"blerkr_zdnetkorea_poll{n}.xml"
        if not path.exists():
            pytest.skip(f"{path} absent")
        for i, e in enumerate(feedparser.parse(str(path)).entries):
            text = (e.get("content") or [{}])[0].get("value", "") or e.get("summary", "")
            url = e.link if with_links else f"poll{n}/{i}"
            arts.append(Article(url=url, guid=e.get("id") if with_links else None, title=e.title, text=text))
            guids.append(e.get("id"))
    return arts, guids


@pytest.mark.parametrize("with_links", [True, False], ids=["links", "texts-only"])
def test_consecutive_feed_polls_every_repeat_recognised(corpus, with_links):
    """Three polls of one feed: clusters are exactly the distinct items, with or without their links."""
    arts, guids = _poll_articles(corpus, with_links)
    clusters = cluster_articles(arts, DedupSettings())
    assert len(clusters) == len(set(guids)) < len(arts)
    for members in clusters:
        assert len({guids[i] for i, _, _ in members}) == 1
        assert all(method != "first" for _, _, method in members[1:])


def test_klue_sentence_pairs_sanity(corpus):
    """KLUE policy-news sentence pairs (sentences, not articles): no paraphrase-free pair is merged."""
    path = corpus / "dedup" / "klue_sts_dev_policy_news_pairs.json"
    if not path.exists():
        pytest.skip(f"{path} absent")
    pairs = json.loads(path.read_text(encoding="utf-8"))
    merged_low = 0
    for p in pairs:
        a = Article(url="a", title="", text=p["sentence1"])
        b = Article(url="b", title="", text=p["sentence2"])
        if len(cluster_articles([a, b], DedupSettings())) == 1 and p["labels"]["label"] < 3:
            merged_low += 1
    assert merged_low == 0


def test_real_length_copies_meet_the_targets(corpus):
    """The corpus pages and seed articles (real Korean text, median ~400 characters, up to ~3,000) with generated copies."""
    from tests.dedup.edits import corpus_set
    from tests.dedup.scoring import score_orders

    items = corpus_set(corpus)
    assert sum(it.kind == "original" for it in items) >= 50
    s = score_orders(items, DedupSettings(), range(3))
    assert s.precision >= 0.99 and not s.same_topic_merges
    assert s.recall >= 0.95
