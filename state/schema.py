"""Every table newswatch keeps, in one place (SQLAlchemy Core).

The same definitions serve SQLite and PostgreSQL. Unique keys carry the
exactly-once guarantees: an entry per (feed, identity), an article per canonical
URL, a match per (article, rule), an outbox row per (story, destination, rule).
Schema version 1 has not been released yet, so its tables may still be edited in
place; after the first release every change is a new step in state.migrations.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UtcDateTime(TypeDecorator):
    """Stores UTC, returns aware datetimes: SQLite keeps no offset of its own."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", UtcDateTime, nullable=False),
)

feeds = Table(
    "feeds",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("url", Text, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("encoding", String(40)),  # the encoding used at the last successful parse
    Column("last_attempt_at", UtcDateTime),
    Column("last_success_at", UtcDateTime),
    Column("last_error_at", UtcDateTime),
    Column("last_error_kind", String(40)),
    Column("last_error_message", Text),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("next_check_at", UtcDateTime),
    Column("last_entry_at", UtcDateTime),  # newest first-seen entry, for silence detection
    Column("mean_interval_seconds", Float),  # running mean gap between new entries
    Column("alerted_failing", Boolean, nullable=False, default=False),
    Column("alerted_silent", Boolean, nullable=False, default=False),
    Column("failing_since", UtcDateTime),  # first failure of the current streak: names its alert
    Column("interval_samples", Integer, nullable=False, default=0),  # gaps averaged into mean_interval_seconds
)

entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed", String(200), nullable=False),
    # guid when the feed gives one, else the canonical URL: what "seen before" means
    Column("identity", Text, nullable=False),
    Column("guid", Text),
    Column("canonical_url", Text, nullable=False),
    Column("link", Text, nullable=False, default=""),  # the link as the feed gave it
    Column("title", Text, nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("published", UtcDateTime),
    Column("published_is_fallback", Boolean, nullable=False, default=False),
    Column("updated", UtcDateTime),
    Column("author", Text),
    Column("first_seen", UtcDateTime, nullable=False),
    # pending -> done | failed; failed transient entries are retried next cycle
    Column("status", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error_kind", String(40)),
    Column("error_message", Text),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("claimed_by", String(80)),  # worker holding it, for concurrent cycles
    Column("claimed_at", UtcDateTime),
    Column("next_attempt_at", UtcDateTime),  # a transient failure waits until then
    UniqueConstraint("feed", "identity", name="uq_entries_feed_identity"),
)
Index("ix_entries_canonical_url", entries.c.canonical_url)
Index("ix_entries_status", entries.c.status)
Index("ix_entries_first_seen", entries.c.first_seen)
# PostgreSQL checks ON DELETE SET NULL per deleted article: without this index, pruning scans entries each time
Index("ix_entries_article_id", entries.c.article_id)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("canonical_url", Text, nullable=False, unique=True),
    Column("title", Text, nullable=False, default=""),
    Column("lead", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("published", UtcDateTime),
    Column("updated", UtcDateTime),
    Column("authors", JSON, nullable=False, default=list),
    Column("site_name", Text, nullable=False, default=""),
    Column("language", String(16), nullable=False, default=""),
    Column("extractor", String(40), nullable=False, default=""),
    Column("feed", String(200)),
    Column("guid", Text),
    Column("text_hash", String(64), nullable=False),
    Column("fetched_at", UtcDateTime, nullable=False),
    Column("story_id", Integer),
)
Index("ix_articles_text_hash", articles.c.text_hash)
Index("ix_articles_fetched_at", articles.c.fetched_at)

stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("representative_article_id", Integer, nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("member_count", Integer, nullable=False, default=1),
    # normalised body length and date of the representative: "most complete text, earliest on ties"
    Column("representative_len", Integer, nullable=False, default=0),
    Column("representative_published", UtcDateTime),
)
Index("ix_stories_last_seen", stories.c.last_seen)

story_members = Table(
    "story_members",
    metadata,
    Column("article_id", Integer, primary_key=True),
    Column("story_id", Integer, nullable=False),
    Column("similarity", Float, nullable=False, default=1.0),
    Column("method", String(20), nullable=False, default="first"),  # first | url | guid | hash | minhash | title
    Column("joined_at", UtcDateTime, nullable=False),
    Column("novelty", Float, nullable=False, default=0.0),  # share of its shingles the matched member lacked
)
Index("ix_story_members_story", story_members.c.story_id)

# MinHash signatures of the articles inside the dedup window; the LSH index is
# rebuilt from these at start, so it survives restarts and is shared by workers.
signatures = Table(
    "signatures",
    metadata,
    Column("article_id", Integer, primary_key=True),
    Column("story_id", Integer, nullable=False),
    Column("minhash", LargeBinary, nullable=False),
    Column("lead_minhash", LargeBinary, nullable=False),  # of the opening only: finds briefs and trimmed copies
    Column("text_len", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # order of insertion, assigned under the dedup lock: a worker loads only what is newer than it has seen
    Column("seq", Integer, nullable=False, default=0),
)
Index("ix_signatures_created_at", signatures.c.created_at)
Index("ix_signatures_seq", signatures.c.seq)

matches = Table(
    "matches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, nullable=False),
    Column("story_id", Integer),
    Column("rule", String(200), nullable=False),
    Column("title", Text, nullable=False, default=""),  # rule title at match time, for digests
    Column("priority", String(20), nullable=False, default="normal"),
    Column("destinations", JSON, nullable=False, default=list),
    Column("evidence", JSON, nullable=False, default=list),
    Column("institutions", JSON, nullable=False, default=list),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime),  # set when a realert_on_update rule re-recorded the match
    UniqueConstraint("article_id", "rule", name="uq_matches_article_rule"),
)
Index("ix_matches_created_at", matches.c.created_at)

institutions = Table(
    "institutions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("aliases", JSON, nullable=False, default=list),
    # seed (from config) | learned (seen in an article) | known (user said so) | wrong (not an institution)
    Column("status", String(20), nullable=False, default="learned"),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("first_article_url", Text),
    Column("mentions", Integer, nullable=False, default=0),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("story_id", Integer, nullable=False),
    Column("destination", String(200), nullable=False),
    Column("rule", String(200), nullable=False),
    Column("priority", String(20), nullable=False, default="normal"),
    Column("payload", JSON, nullable=False),  # the DigestItem, so rendering needs no joins
    # pending -> sending -> sent | pending again (failed attempt) | failed (given up)
    Column("status", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("claimed_at", UtcDateTime),
    Column("claimed_by", String(80)),
    Column("sent_at", UtcDateTime),
    Column("batch_id", String(40)),  # the message this item went out in
    # 0 for a story's first alert; the updating article's id when a rule re-alerts on an update
    Column("revision", Integer, nullable=False, default=0),
    UniqueConstraint("story_id", "destination", "rule", "revision", name="uq_outbox_story_destination_rule"),
)
Index("ix_outbox_status", outbox.c.status, outbox.c.destination)

# added in schema version 2: one row per (item, target) that a target has received.
# A destination URL may reach several recipients (mailto ?to=a,b; Slack channels);
# newswatch sends to each on its own, records each here, and retries only the
# targets without a row. `target` is a hash of the recipient, never the address.
deliveries = Table(
    "deliveries",
    metadata,
    Column("kind", String(10), primary_key=True),  # outbox | notice | piece (of a story split over Slack messages)
    Column("item_id", Integer, primary_key=True),  # outbox.id (outbox, piece) or notices.id
    Column("target", String(64), primary_key=True),
    Column("sent_at", UtcDateTime, nullable=False),
    Column("batch_id", String(40)),
)

# alerts to the admin destination (feed failing / recovered / silent, delivery given up)
notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False),  # e.g. "feed-failing:연합뉴스:3"; unique per event
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("sent_at", UtcDateTime),
    UniqueConstraint("key", name="uq_notices_key"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),  # poll | deliver
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("summary", JSON),
    Column("flow_run_id", String(64)),
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
