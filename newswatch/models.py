"""The frozen models passed between the stages of a cycle.

One model per concept; a stage takes models in and returns models out and never
reaches into another stage's tables. Every datetime here is timezone-aware.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a feed, after encoding, date and identity normalisation."""

    feed: str  # the feed's configured name
    guid: str | None
    link: str  # the link as the feed gave it
    canonical_url: str  # tracking parameters and fragment removed, host lower-cased
    title: str
    summary: str  # plain text
    published: datetime
    # True when the feed gave no usable date and `published` is the first-seen time
    published_is_fallback: bool = False
    updated: datetime | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """The cleaned text and metadata of one article page."""

    url: str  # canonical URL
    title: str
    text: str  # cleaned body, paragraphs separated by "\n"
    lead: str = ""  # subtitle / lead paragraph when the page has one
    published: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    site_name: str = ""  # outlet name
    language: str = "ko"
    extractor: str = ""  # which extractor produced `text` (trafilatura, json-ld, ...)
    feed: str | None = None  # the feed that led to it, when there was one
    guid: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where one term of a rule matched."""

    term: str  # the term as written in the rule
    matched: str  # the surface form found in the text, e.g. "광주에서"
    field: str  # title | lead | body
    start: int  # character offsets into that field
    end: int
    snippet: str  # a short window of text around the match


@dataclass(frozen=True, slots=True)
class InstitutionMention:
    name: str  # the canonical name, e.g. 광주테크노파크
    surface: str  # the form found, e.g. 광주TP
    sentence: str
    event: str | None = None  # a founding word in the same sentence (개소, 출범, ...)
    is_new: bool = False  # never seen before this article


@dataclass(frozen=True, slots=True)
class Match:
    """One rule that matched one article, with its evidence."""

    rule: str  # rule id
    title: str  # rule title, for the digest
    priority: str = "normal"  # urgent | normal | low
    destinations: tuple[str, ...] = ()  # empty = every destination
    evidence: tuple[Evidence, ...] = ()
    institutions: tuple[InstitutionMention, ...] = ()


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class Story:
    """A cluster of copies of one story across outlets."""

    id: int
    representative_url: str
    title: str
    outlets: tuple[Outlet, ...] = ()
    is_new: bool = True  # False when the article joined an existing cluster
    similarity: float = 1.0  # what joined the latest member (1.0 for the first)
    method: str = "first"  # how the latest member joined: first | url | guid | hash | minhash | title
    novelty: float = 0.0  # share of the latest member's text absent from the copy it matched (high = substantive update)
    published: datetime | None = None  # the representative's publication time, when known


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One (story, rule) to show to one destination."""

    story_id: int
    rule: str
    rule_title: str
    destination: str
    title: str
    url: str
    outlet: str
    published: datetime | None
    snippet: str
    priority: str = "normal"
    also_in: tuple[Outlet, ...] = ()
    why: tuple[Evidence, ...] = ()
    institutions: tuple[InstitutionMention, ...] = ()
    also_rules: tuple[str, ...] = ()  # titles of the other rules that matched the same story (shown once)


@dataclass(frozen=True, slots=True)
class FeedFailure:
    feed: str
    url: str
    kind: str  # timeout | dns | tls | http_4xx | http_5xx | http_429 | not_a_feed | parse_error | ...
    message: str
    transient: bool


@dataclass(slots=True)
class CycleSummary:
    """Counts for the end-of-cycle summary; mutable because stages add to it."""

    feeds_polled: int = 0
    feeds_not_modified: int = 0
    feeds_skipped_backoff: int = 0
    entries_seen: int = 0
    new_entries: int = 0
    articles_extracted: int = 0
    duplicates_dropped: int = 0
    stories_new: int = 0
    digest_items_queued: int = 0
    digests_sent: int = 0
    matches_per_rule: dict[str, int] = field(default_factory=dict)
    feed_failures: list[FeedFailure] = field(default_factory=list)
    feeds_waiting: list[tuple[str, str]] = field(default_factory=list)  # feed, why and until when
    article_failures: list[tuple[str, str, str]] = field(default_factory=list)  # url, kind, message
    rules_skipped: list[tuple[str, str]] = field(default_factory=list)  # file, reason
    delivery_failures: list[tuple[str, str]] = field(default_factory=list)  # destination, message

    def absorb(self, other: "CycleSummary") -> None:
        """Add another summary's counts and lists to this one."""
        for name in ("feeds_polled", "feeds_not_modified", "feeds_skipped_backoff", "entries_seen", "new_entries",
                     "articles_extracted", "duplicates_dropped", "stories_new", "digest_items_queued", "digests_sent"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for rule, n in other.matches_per_rule.items():
            self.matches_per_rule[rule] = self.matches_per_rule.get(rule, 0) + n
        self.feed_failures.extend(other.feed_failures)
        self.feeds_waiting.extend(other.feeds_waiting)
        self.article_failures.extend(other.article_failures)
        self.rules_skipped.extend(x for x in other.rules_skipped if x not in self.rules_skipped)
        self.delivery_failures.extend(other.delivery_failures)


def merge_summaries(summaries) -> CycleSummary:
    """Add up the summaries of several batches (tasks return one each)."""
    total = CycleSummary()
    for s in summaries:
        total.absorb(s)
    return total
