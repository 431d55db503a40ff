"""Stored articles: one row per canonical URL, whichever feed found it first."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select

from newswatch.models import Article
from state import schema

T = schema.articles


def _row_to_article(row) -> Article:
    return Article(
        url=row.canonical_url,
        title=row.title,
        text=row.text,
        lead=row.lead,
        published=row.published,
        updated=row.updated,
        authors=tuple(row.authors or ()),
        site_name=row.site_name,
        language=row.language,
        extractor=row.extractor,
        feed=row.feed,
        guid=row.guid,
    )


_ID_FOR_URL = select(T.c.id).where(T.c.canonical_url == bindparam("b_url"))


class ArticleRepo:
    def __init__(self, store):
        self.store = store

    def id_for_url(self, canonical_url: str) -> int | None:
        with self.store.connect() as conn:
            return conn.execute(_ID_FOR_URL, {"b_url": canonical_url}).scalar()

    def ids_for_urls(self, canonical_urls: list[str]) -> dict[str, int]:
        """The stored article id of each of these URLs that is stored (one query for a batch)."""
        if not canonical_urls:
            return {}
        with self.store.connect() as conn:
            rows = conn.execute(select(T.c.canonical_url, T.c.id).where(T.c.canonical_url.in_(canonical_urls))).all()
        return {r.canonical_url: r.id for r in rows}

    def save(self, article: Article, text_hash: str, now: datetime) -> tuple[int, bool]:
        """Insert the article; returns (id, created). A concurrent insert of the same URL yields the existing id."""
        values = dict(
            canonical_url=article.url,
            title=article.title,
            lead=article.lead,
            text=article.text,
            published=article.published,
            updated=article.updated,
            authors=list(article.authors),
            site_name=article.site_name,
            language=article.language,
            extractor=article.extractor,
            feed=article.feed,
            guid=article.guid,
            text_hash=text_hash,
            fetched_at=now,
        )
        from state.db import insert_ignoring

        with self.store.begin() as conn:
            # ON CONFLICT rather than catching the error: inside a larger transaction a
            # failed INSERT would abort all of it on PostgreSQL
            new_id = conn.execute(insert_ignoring(self.store.dialect, T, "canonical_url"), values).scalar()
            if new_id is not None:
                return new_id, True
            return conn.execute(_ID_FOR_URL, {"b_url": article.url}).scalar_one(), False

    def get(self, article_id: int) -> Article | None:
        with self.store.connect() as conn:
            row = conn.execute(select(T).where(T.c.id == article_id)).first()
        return _row_to_article(row) if row else None

    def since(self, when: datetime) -> list[tuple[int, Article]]:
        """Articles fetched at or after `when`, oldest first (for `rules test --since`)."""
        with self.store.connect() as conn:
            rows = conn.execute(select(T).where(T.c.fetched_at >= when).order_by(T.c.fetched_at, T.c.id)).all()
        return [(r.id, _row_to_article(r)) for r in rows]
