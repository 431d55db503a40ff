"""Benchmark of feed polling (newswatch.polling.poll_feeds) against servers on 127.0.0.x.

(a) 1,000 feeds that all answer 304 (their ETags were stored by a first poll).
(b) 200 feeds with 20 new items each (fresh state): time split HTTP / parsing / state / other,
    each measured on its own (see `Timers`), "other" being the rest of the wall time.

Each is compared with a bare loop measured in the same run: httpx (same concurrency) + feedparser,
no state, no encoding or date work, no address checks. Prefect's per-batch overhead is added by the
integrator's flow and is not included here.

The feeds are spread over 50 loopback addresses (127.0.0.2-51, one server port each) so the
per-host limit behaves as it would with many outlets. The server runs in its own process.

    .venv/bin/python benchmarks/bench_poll.py [--feeds 1000] [--new-feeds 200] [--items 20] [--repeat 3]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HOSTS = 50
TITLES = ["광주시 인공지능 산업 육성 계획 발표", "전남대 연구팀 배터리 신소재 개발", "지역 청년 창업 지원 사업 확대",
          "빛고을 문화축제 다음 달 개막", "광주테크노파크 새 센터 개소"]


def feed_body(feed: int, items: int) -> bytes:
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
             f"<title>벤치 피드 {feed}</title><link>https://bench.example.kr/{feed}</link>"]
    for j in range(items):
        parts.append(
            f"<item><title>{TITLES[j % 5]} {feed}-{j}</title>"
            f"<link>https://bench.example.kr/{feed}/article/{j}?utm_source=rss</link>"
            f"<guid>bench-{feed}-{j}</guid><pubDate>2026.11.20 {j % 24:02d}:00</pubDate>"
            f"<description>&lt;p&gt;{TITLES[j % 5]}에 관한 시험 기사 본문 요약입니다. {feed}-{j}&lt;/p&gt;</description></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


# -- the server process ---------------------------------------------------------------
def _serve(ports_out, items: int) -> None:
    bodies: dict[int, bytes] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                inm = any(line.lower().startswith("if-none-match:") for line in lines[1:])
                feed = int(path.rsplit("/", 1)[1])
                if inm:
                    writer.write(b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 0\r\n\r\n')
                else:
                    body = bodies.get(feed)
                    if body is None:
                        body = bodies[feed] = feed_body(feed, items)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                                 b'ETag: "v1"\r\nContent-Length: ' + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [await asyncio.start_server(handle, f"127.0.0.{h + 2}", 0, backlog=1024) for h in range(HOSTS)]
        ports_out.put([s.sockets[0].getsockname()[1] for s in servers])
        await asyncio.Event().wait()

    asyncio.run(main())


def start_server(items: int):
    q: mp.Queue = mp.Queue()
    proc = mp.Process(target=_serve, args=(q, items), daemon=True)
    proc.start()
    return proc, q.get(timeout=30)


def urls(ports: list[int], n: int, offset: int = 0) -> list[str]:
    return [f"http://127.0.0.{(i % HOSTS) + 2}:{ports[i % HOSTS]}/feed/{i + offset}" for i in range(n)]


# -- newswatch ------------------------------------------------------------------------
def settings_for(feed_urls: list[str]):
    from newswatch.config import FeedConfig, FetchSettings, Settings

    return Settings(feeds=[FeedConfig(name=f"feed-{i}", url=u) for i, u in enumerate(feed_urls)],
                    fetch=FetchSettings(allow_private_addresses=True))


def open_store(path: Path):
    from state import Store
    from state.entries import EntryRepo
    from state.feeds import FeedRepo

    store = Store.open(f"sqlite:///{path}")
    store.feeds, store.entries = FeedRepo(store), EntryRepo(store)
    return store


async def newswatch_poll(settings, store, now, timers: "Timers | None" = None):
    from extractors.http import Fetcher
    from newswatch.polling import poll_feeds

    async with Fetcher(settings.fetch) as fetcher:
        if timers is not None:
            timers.wrap_fetcher(fetcher)
        return await poll_feeds(settings, store, fetcher, settings.feeds, now)


class Timers:
    """Where the wall time of a poll goes, each part measured directly on the event-loop thread.

    parse, state: synchronous calls (decoding+feedparser+dates+identity; state repositories), summed.
    http: the time during which at least one `Fetcher.get` is in flight (requests, address checks,
      decompression, the event loop driving them), less the parse and state calls that ran in the
      meantime (one thread: while they run, no request progresses).
    other: the wall time left over (setup, the client, gathering results, idle gaps), computed.
    """

    def __init__(self) -> None:
        self.parse = 0.0
        self.state = 0.0
        self.http_span = 0.0  # union of the intervals with a fetch in flight
        self.sync_in_http = 0.0  # parse/state time inside those intervals
        self._in_flight = 0
        self._since = 0.0

    @property
    def http(self) -> float:
        return max(self.http_span - self.sync_in_http, 0.0)

    def wrap_fetcher(self, fetcher) -> None:
        real = fetcher.get

        async def get(*a, **kw):
            if self._in_flight == 0:
                self._since = time.perf_counter()
            self._in_flight += 1
            try:
                return await real(*a, **kw)
            finally:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self.http_span += time.perf_counter() - self._since
        fetcher.get = get

    def _sync(self, started: float) -> float:
        spent = time.perf_counter() - started
        if self._in_flight:
            self.sync_in_http += spent
        return spent

    def install(self, store) -> None:
        import newswatch.polling as polling

        real_parse = polling.parse_feed

        def parse(*a, **kw):
            t = time.perf_counter()
            try:
                return real_parse(*a, **kw)
            finally:
                self.parse += self._sync(t)
        polling.parse_feed = parse
        for repo in (store.feeds, store.entries):
            for name in ("record_new", "record_poll", "record_polls", "record_success", "record_failure", "upsert", "states", "get",
                         "add_notice", "set_flags", "touch"):
                if hasattr(repo, name):
                    setattr(repo, name, self._wrap(getattr(repo, name)))

    def _wrap(self, fn):
        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.state += self._sync(t)
        return timed


# -- the bare baseline ------------------------------------------------------------------
async def bare_poll(feed_urls: list[str], *, etag: str | None, parse: bool, concurrency: int = 32) -> int:
    import feedparser
    import httpx

    sem = asyncio.Semaphore(concurrency)
    entries = 0
    # the same pool shape as the Fetcher, so the comparison is about the work, not connection churn
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        async def one(url: str) -> None:
            nonlocal entries
            async with sem:
                r = await client.get(url, headers={"If-None-Match": etag} if etag else {})
            if parse and r.status_code == 200:
                entries += len(feedparser.parse(r.content).entries)
        await asyncio.gather(*(one(u) for u in feed_urls))
    return entries


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--new-feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    proc, ports = start_server(args.items)
    now = datetime(2026, 11, 21, tzinfo=timezone.utc)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # (a) all 304
            feed_urls = urls(ports, args.feeds)
            settings = settings_for(feed_urls)
            store = open_store(Path(tmp) / "a.db")
            asyncio.run(newswatch_poll(settings, store, now))  # stores every ETag
            ours, bare = [], []
            for r in range(args.repeat):
                t, polls = timed(lambda: asyncio.run(newswatch_poll(settings, store, now + timedelta(minutes=r + 1))))
                assert all(p.status == "not_modified" for p in polls), {p.status for p in polls}
                ours.append(t)
                bare.append(timed(lambda: asyncio.run(bare_poll(feed_urls, etag='"v1"', parse=False)))[0])
            store.close()
            a_ours, a_bare = statistics.median(ours), statistics.median(bare)
            print(f"(a) {args.feeds} feeds, all 304: newswatch poll_feeds {a_ours:.2f} s (median of {args.repeat}; "
                  f"runs {', '.join(f'{x:.2f}' for x in ours)}), bare httpx loop {a_bare:.2f} s, "
                  f"ratio {a_ours / a_bare:.2f}x  [Prefect overhead not included]")

            # (b) 200 feeds x 20 new items, fresh state each run
            rows = []
            for r in range(args.repeat):
                feed_urls = urls(ports, args.new_feeds, offset=100_000 * (r + 1))
                settings = settings_for(feed_urls)
                store = open_store(Path(tmp) / f"b{r}.db")
                timers = Timers()
                timers.install(store)
                t, polls = timed(lambda: asyncio.run(newswatch_poll(settings, store, now, timers)))
                import newswatch.polling as polling
                import extractors.feeds
                polling.parse_feed = extractors.feeds.parse_feed  # undo the timer
                new = sum(len(p.new_entries) for p in polls)
                assert new == args.new_feeds * args.items, new
                store.close()
                tb, n = timed(lambda: asyncio.run(bare_poll(feed_urls, etag=None, parse=True)))
                assert n == new
                other = max(t - timers.http - timers.parse - timers.state, 0.0)
                rows.append((t, timers.http, timers.parse, timers.state, other, tb))
            # each share is the median over the runs of that run's own share
            t, tb = statistics.median(r[0] for r in rows), statistics.median(r[5] for r in rows)
            http, parse, state, other = (statistics.median(100 * r[i] / r[0] for r in rows) for i in (1, 2, 3, 4))
            outside = statistics.median(100 * (r[3] + r[4]) / r[0] for r in rows)
            per_entry = statistics.median((r[3] + r[4]) * 1000 / (args.new_feeds * args.items) for r in rows)
            print(f"(b) {args.new_feeds} feeds x {args.items} new items: newswatch {t:.2f} s "
                  f"(median of {args.repeat}), bare httpx+feedparser {tb:.2f} s, ratio {t / tb:.2f}x")
            print(f"    split: HTTP (inside fetch calls) {http:.1f} %, parsing (decode+feedparser+dates+identity) "
                  f"{parse:.1f} %, state {state:.1f} %, other {other:.1f} %")
            print(f"    outside HTTP, parsing and extraction (state + other): {outside:.1f} % "
                  f"({per_entry:.2f} ms per new entry); extraction is not part of a poll")
    finally:
        proc.terminate()
        proc.join(5)


if __name__ == "__main__":
    main()
