"""Turning matches into outbox rows: one per (story, destination, rule)."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from newswatch.config import DestinationConfig, Settings
from newswatch.models import Article, DigestItem, Match, Story
from digests.model import item_to_json, make_snippet

log = logging.getLogger("newswatch.digests")

LOCAL = "local"  # the implicit destination when none is configured


def destinations_for(settings: Settings, match: Match) -> list[str]:
    """Names of the destinations this match's rule feeds."""
    if not settings.destinations:
        return [LOCAL]
    return [d.name for d in settings.destinations if _feeds(d, match)]


def _feeds(dest: DestinationConfig, match: Match) -> bool:
    if match.destinations and dest.name not in match.destinations:
        return False
    return not dest.rules or match.rule in dest.rules


def make_item(story: Story, article: Article, match: Match, destination: str) -> DigestItem:
    outlet = article.site_name or _outlet_for(story, article.url) or article.feed or ""
    return DigestItem(
        story_id=story.id,
        rule=match.rule,
        rule_title=match.title or match.rule,
        destination=destination,
        title=article.title or story.title,
        url=article.url,
        outlet=outlet,
        published=article.published,
        snippet=make_snippet(article.lead, article.text, match.evidence),
        priority=match.priority,
        also_in=tuple(o for o in story.outlets if o.name != outlet and o.url != article.url),
        why=match.evidence,
        institutions=match.institutions,
    )


def _outlet_for(story: Story, url: str) -> str:
    return next((o.name for o in story.outlets if o.url == url), "")


def queue_items(store, settings: Settings, story: Story, article: Article, matches: Sequence[Match], now: datetime,
                *, revision: int = 0) -> int:
    """Queue the story for every destination each match feeds; returns how many rows are new.

    Idempotent: the outbox key (story, destination, rule) ignores repeats, so a
    story delivered once for a rule is never queued again for that destination.
    """
    rows = []
    for match in matches:
        for dest in destinations_for(settings, match):
            item = make_item(story, article, match, dest)
            rows.append(dict(story_id=story.id, destination=dest, rule=match.rule, priority=match.priority,
                             payload=item_to_json(item), revision=revision))
    created = store.outbox.enqueue(rows, now) if rows else 0
    if created:
        log.debug("queued %d digest item(s)", created, extra={"stage": "digest", "url": article.url})
    return created


def current_story(store, story_id: int) -> Story | None:
    """The story as it is now (copies may have arrived since queueing); None when unknown."""
    try:
        return store.stories.story(story_id)
    except KeyError:
        return None  # the story was pruned; the payload is all we have
    except Exception as exc:  # the stage boundary: a lookup failure must not block delivery
        log.warning("story %s lookup failed: %s", story_id, type(exc).__name__, extra={"stage": "digest"})
        return None

