"""One monitoring cycle as plain functions; the Prefect flows only call these.

poll feeds -> new entries (state) -> claim pending entries -> fetch page -> extract
-> store article -> dedup into a story -> match rules -> queue digest items -> deliver.

Entries are recorded as pending before any page is fetched, so a crash or a
failed fetch never forgets what was seen and never loses a story: the next
cycle claims whatever is still pending.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Callable, Sequence

from newswatch.config import FeedConfig, Settings
from newswatch.errors import NewswatchError
from newswatch.models import Article, CycleSummary, Entry

log = logging.getLogger("newswatch.cycle")

Progress = Callable[[str, int, int], None]  # stage, done, total


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def enabled_feeds(settings: Settings, names: Sequence[str] | None = None) -> list[FeedConfig]:
    feeds = [f for f in settings.feeds if f.enabled]
    if names is not None:
        wanted = set(names)
        feeds = [f for f in feeds if f.name in wanted]
    return feeds


# -- stage 1: feeds -------------------------------------------------------

async def _poll(settings: Settings, store, feeds: Sequence[FeedConfig], now: datetime, progress: Progress | None):
    from extractors.http import Fetcher
    from newswatch.polling import poll_feeds

    done = 0

    def on_done(_poll) -> None:
        nonlocal done
        done += 1
        if progress:
            progress("poll", done, len(feeds))

    async with Fetcher(settings.fetch) as fetcher:
        return await poll_feeds(settings, store, fetcher, feeds, now, on_done=on_done)


def poll_stage(settings: Settings, store, feeds: Sequence[FeedConfig], now: datetime,
               summary: CycleSummary, progress: Progress | None = None) -> None:
    """Poll the given feeds and record their new entries as pending."""
    polls = asyncio.run(_poll(settings, store, feeds, now, progress))
    for p in polls:
        summary.feeds_polled += p.status != "skipped"
        summary.feeds_not_modified += p.status == "not_modified"
        summary.feeds_skipped_backoff += p.status == "skipped"
        summary.entries_seen += p.entries_seen
        summary.new_entries += len(p.new_entries)
        if p.failure is not None:
            summary.feed_failures.append(p.failure)
        if p.status == "skipped" and p.next_check_at is not None:
            until = p.next_check_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
            summary.feeds_waiting.append((p.feed, f"{p.last_error or 'backing off'}; next try {until}"))
        log.info("polled %s: %s, %d new", p.feed, p.status, len(p.new_entries),
                 extra={"feed": p.feed, "stage": "poll"})


# -- stage 2: article pages ----------------------------------------------

@dataclass(frozen=True)
class Page:
    entry_id: int
    entry: Entry
    url: str = ""
    content: bytes = b""
    content_type: str | None = None
    error: NewswatchError | None = None
    existing_article_id: int | None = None  # the URL is already stored (another feed had it)
    same_as: int | None = None  # an earlier entry of this cycle has the same URL: its page serves both


async def _fetch_pages(settings: Settings, store, claimed: Sequence[tuple[int, Entry]],
                       taken: dict[str, int] | None = None) -> list[Page]:
    """Fetch each article URL once per cycle.

    An entry whose canonical URL is already stored (from any feed) is not fetched: one query
    for the batch. Neither is one whose canonical URL an earlier entry of this cycle fetches
    (two feeds linking the same article with different tracking tags, in this batch or in the
    one still being processed): it gets `same_as` and takes that entry's outcome. `taken`
    (canonical URL -> entry id) carries those URLs across batches and is updated here.
    """
    from extractors.http import Fetcher

    taken = {} if taken is None else taken
    stored = store.articles.ids_for_urls(list({e.canonical_url for _, e in claimed if e.canonical_url}))
    plan: list[tuple[int, Entry, int | None]] = []  # entry id, entry, the entry whose page it shares
    for entry_id, entry in claimed:
        url = entry.canonical_url
        leader = taken.get(url) if url and url not in stored else None
        if url and url not in stored and leader is None:
            taken[url] = entry_id
        plan.append((entry_id, entry, leader))

    async def one(fetcher, entry_id: int, entry: Entry, leader: int | None) -> Page:
        existing = stored.get(entry.canonical_url)
        if existing is not None:
            return Page(entry_id, entry, existing_article_id=existing)
        if leader is not None:
            return Page(entry_id, entry, same_as=leader)
        try:
            result = await fetcher.get(entry.link or entry.canonical_url, accept="text/html,application/xhtml+xml")
        except NewswatchError as exc:
            return Page(entry_id, entry, error=exc)
        return Page(entry_id, entry, url=result.url, content=result.content,
                    content_type=result.headers.get("content-type"))

    async with Fetcher(settings.fetch) as fetcher:
        return list(await asyncio.gather(*(one(fetcher, i, e, leader) for i, e, leader in plan)))


def extract_page(page: Page, settings: Settings) -> Article:
    """Extract one fetched page (CPU-bound; safe to run in another process)."""
    from extractors.article import extract_article

    return extract_article(page.content, url=page.url or page.entry.canonical_url, content_type=page.content_type,
                           entry=page.entry, default_tz=settings.tz, settings=settings.extract)


def summary_article(entry: Entry, feed_outlet: str) -> Article | None:
    """The feed's own title and summary, when the page itself cannot be had."""
    if len(entry.summary.strip()) < 40:
        return None
    return Article(url=entry.canonical_url, title=entry.title, text=entry.summary.strip(),
                   published=entry.published, site_name=feed_outlet, extractor="feed-summary",
                   feed=entry.feed, guid=entry.guid)


# -- stage 3: dedup, rules, outbox ---------------------------------------

@dataclass
class Processor:
    """What processing an article needs, opened once per batch."""

    settings: Settings
    store: object
    rules: object  # rules.RuleSet
    registry: object  # rules.institutions.StoreRegistry
    index: object  # dedup.index.DedupIndex

    @classmethod
    def open(cls, settings: Settings, store, now: datetime, summary: CycleSummary) -> "Processor":
        from dedup.index import DedupIndex
        from rules import load_rules
        from rules.institutions import StoreRegistry

        ruleset = load_rules(settings.rule_paths, destinations={d.name for d in settings.destinations} or None)
        for issue in ruleset.errors:
            reason = f"rule {issue.rule!r} skipped: {issue.message}" if issue.rule else issue.message
            summary.rules_skipped.append((f"{issue.file}:{issue.line}:{issue.column}", reason))
            log.warning("rule skipped: %s:%s: %s", issue.file, issue.line, issue.message, extra={"stage": "rules"})
        index = DedupIndex(settings.dedup, store)
        index.load(now)
        registry = StoreRegistry(store, settings.institutions.known, settings.institutions.aliases)
        return cls(settings, store, ruleset, registry, index)

    def prepare(self, articles: dict[int, Article]) -> dict[int, object]:
        """The dedup features of a batch's articles (by entry id), computed together: the CPU work, before any lock."""
        return dict(zip(articles, self.index.features_many(list(articles.values()))))

    def process(self, article: Article, now: datetime, summary: CycleSummary, *, entry_id: int | None = None,
                features=None) -> int:
        """Store, cluster, match and queue one article in one transaction; returns the article id.

        With entry_id, the entry is marked done in the same transaction: an article is
        either wholly processed or not at all, and a failure leaves its entry pending.
        `features` are the article's from `prepare`, when its batch was prepared.
        """
        if features is None:
            features = self.index.features(article)  # CPU work, before the lock is taken
        counts = CycleSummary()
        with self.store.transaction(dedup_lock=True):
            article_id, created = self.store.articles.save(article, features.text_hash, now)
            if created:
                self._place(article, article_id, features, now, counts)
            else:  # another feed's entry for the same URL was stored first (this cycle or another worker)
                counts.duplicates_dropped += 1
            if entry_id is not None:
                self.store.entries.mark_done(entry_id, article_id)
        summary.absorb(counts)  # only what committed is counted
        return article_id

    def _place(self, article: Article, article_id: int, features, now: datetime, summary: CycleSummary) -> None:
        from digests.queue import queue_items

        summary.articles_extracted += 1
        story = self.index.add(article, article_id, now, new_article=True, features=features)
        if story.is_new:
            summary.stories_new += 1
        else:
            summary.duplicates_dropped += 1
        matches = self.rules.match(article, feed=article.feed, registry=self.registry, now=now)
        for m in matches:
            self.store.matches.record(article_id, m, now, story_id=story.id, replace=not story.is_new)
            summary.matches_per_rule[m.rule] = summary.matches_per_rule.get(m.rule, 0) + 1
            log.info("matched %s", article.url, extra={"rule": m.rule, "url": article.url, "stage": "rules"})
        if story.is_new:
            summary.digest_items_queued += queue_items(self.store, self.settings, story, article, matches, now)
        elif story.novelty >= self.settings.dedup.substantive_update:
            # a substantive update alerts again only for the rules that ask for it
            again = [m for m in matches if _realerts(self.rules, m.rule)]
            summary.digest_items_queued += queue_items(self.store, self.settings, story, article, again, now,
                                                       revision=article_id)


def _realerts(ruleset, rule_id: str) -> bool:
    rule = ruleset.get(rule_id)
    return bool(rule and rule.realert_on_update)


def _outlet_names(settings: Settings) -> dict[str, str]:
    return {f.name: (f.outlet or f.name) for f in settings.feeds}


# Starts extracting pages and returns a function that waits for the results
# (an Article or a NewswatchError for each page, in order).
ExtractSubmit = Callable[[list[Page]], Callable[[], list]]


@dataclass
class _Batch:
    pages: list[Page]
    collect: Callable[[], list]  # waits for the extraction results
    to_extract: list[Page]


def process_pending(settings: Settings, store, now: datetime, summary: CycleSummary, *,
                    worker: str | None = None, batch_size: int = 50, progress: Progress | None = None,
                    extract_submit: ExtractSubmit | None = None) -> None:
    """Claim pending entries batch by batch: fetch, extract, then process in order.

    Extraction runs inline unless `extract_submit` fans it out (the flow passes one that
    submits batches of pages to a Prefect task runner: processes or Dask). Then the
    next batch is claimed and fetched, and its extraction started, before the current
    one is stored, so the workers extract while this process fetches and stores.
    """
    worker = worker or worker_id()
    fanned_out = extract_submit is not None
    submit = extract_submit or (lambda pages: _ready(extract_pages(pages, settings)))
    processor = Processor.open(settings, store, now, summary)
    outlets = _outlet_names(settings)
    done, total = 0, store.entries.count_by_status().get("pending", 0)
    taken: dict[str, int] = {}  # canonical URL -> the entry of this cycle whose page is fetched for it
    outcomes: dict[int, int | NewswatchError] = {}  # that entry's article id, or why it has none

    def start() -> _Batch | None:
        claimed = store.entries.claim_pending(worker, batch_size, now)
        if not claimed:
            return None
        pages = asyncio.run(_fetch_pages(settings, store, claimed, taken))
        to_extract = [p for p in pages if p.error is None and p.existing_article_id is None and p.same_as is None]
        return _Batch(pages, submit(to_extract), to_extract)

    batch = start()
    while batch is not None:
        following = start() if fanned_out else None  # inline, looking ahead would only hold more pages
        results = dict(zip((p.entry_id for p in batch.to_extract), batch.collect()))
        features = processor.prepare({e: r for e, r in results.items() if isinstance(r, Article)})
        for page in batch.pages:
            if page.same_as is None:
                outcomes[page.entry_id] = _finish_entry(processor, page, results.get(page.entry_id), outlets, now,
                                                        summary, features.get(page.entry_id))
            else:  # its page's entry came first (earlier in this batch, or in the previous one)
                _finish_same_url(processor, page, outcomes.get(page.same_as), outlets, now, summary)
            done += 1
            if progress:
                progress("articles", done, max(total, done))
        batch = following if fanned_out else start()


def _ready(results: list) -> Callable[[], list]:
    return lambda: results


def extract_pages(pages: Sequence[Page], settings: Settings) -> list:
    """Extract each page: its Article, or the classified error that stopped it (one bad page stops nothing)."""
    return [_safe_extract(p, settings) for p in pages]


def _safe_extract(page: Page, settings: Settings) -> Article | NewswatchError:
    try:
        return extract_page(page, settings)
    except NewswatchError as exc:
        return exc


def _finish_entry(processor: Processor, page: Page, result, outlets: dict[str, str],
                  now: datetime, summary: CycleSummary, features=None) -> int | NewswatchError:
    """Store the page's article and mark its entry done, or record why not.

    `features` are those `Processor.prepare` computed for `result`.
    Returns the article id or the error, for the entries of this cycle with the same URL.
    """
    store, entry = processor.store, page.entry
    if page.existing_article_id is not None:
        store.entries.mark_done(page.entry_id, page.existing_article_id)
        summary.duplicates_dropped += 1
        return page.existing_article_id
    error = page.error or (result if isinstance(result, NewswatchError) else None)
    article = result if isinstance(result, Article) else None
    if error is not None and not error.transient:
        # a permanent page failure still shows the story, from the feed's own text
        article = summary_article(entry, outlets.get(entry.feed, entry.feed))
    if article is not result:
        features = None  # they were computed for the extracted article
    if article is None:
        assert error is not None
        _entry_failed(store, page, error, now, summary)
        log.warning("article failed: %s: %s", error.kind, error.message,
                    extra={"feed": entry.feed, "url": entry.link, "stage": "extract"})
        return error
    if not article.site_name:
        article = _with_outlet(article, outlets.get(entry.feed, entry.feed))
    try:
        return processor.process(article, now, summary, entry_id=page.entry_id, features=features)
    except NewswatchError as exc:
        _entry_failed(store, page, exc, now, summary)
        return exc


def _finish_same_url(processor: Processor, page: Page, outcome: int | NewswatchError | None,
                     outlets: dict[str, str], now: datetime, summary: CycleSummary) -> None:
    """An entry whose URL an earlier entry of this cycle fetched: it shares that entry's outcome."""
    if isinstance(outcome, int):
        processor.store.entries.mark_done(page.entry_id, outcome)
        summary.duplicates_dropped += 1  # counted like an entry whose URL was stored before
        log.info("same article as entry %s", page.same_as,
                 extra={"feed": page.entry.feed, "url": page.entry.link, "stage": "articles"})
        return
    if outcome is None:  # not expected: the first entry is always finished before this one
        outcome = NewswatchError("the entry sharing this URL was not processed", kind="internal", transient=True)
    # the page failed: this entry's own feed summary may still show the story
    _finish_entry(processor, replace(page, error=outcome), None, outlets, now, summary)


def _entry_failed(store, page: Page, error: NewswatchError, now: datetime, summary: CycleSummary) -> None:
    # a page's Retry-After (429, 503) sets the entry's next attempt, within state.entries' bound
    store.entries.mark_failed(page.entry_id, error.kind, error.message, error.transient, now,
                              retry_after=getattr(error, "retry_after", None))
    summary.article_failures.append((page.entry.link, error.kind, error.message))


def _with_outlet(article: Article, outlet: str) -> Article:
    return replace(article, site_name=outlet)


# -- stage 4: delivery -----------------------------------------------------

def deliver_stage(settings: Settings, store, now: datetime, summary: CycleSummary, *,
                  echo: Callable[[str], None] | None = None, worker: str | None = None,
                  secrets: Callable[[str], str] | None = None):
    """Deliver what is due; `secrets` reads `${prefect-secret:BLOCK}` references (the flows pass it)."""
    from digests.deliver import deliver_due

    report = deliver_due(store, settings, now, worker=worker or worker_id(), echo=echo, secrets=secrets)
    summary.digests_sent += len(report.sent)
    summary.delivery_failures.extend(report.failures)
    return report


# -- the whole cycle without Prefect (tests, benchmarks) ----------------------

def run_cycle(settings: Settings, store, *, now: datetime | None = None, progress: Progress | None = None,
              echo: Callable[[str], None] | None = None, deliver: bool = True) -> CycleSummary:
    now = now or utcnow()
    summary = CycleSummary()
    poll_stage(settings, store, enabled_feeds(settings), now, summary, progress)
    process_pending(settings, store, now, summary, progress=progress)
    if deliver:
        deliver_stage(settings, store, now, summary, echo=echo)
    return summary

