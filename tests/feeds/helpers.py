"""Shared helpers for the feed tests."""
from __future__ import annotations

from state import Store
from state.entries import EntryRepo
from state.feeds import FeedRepo


def open_store(url: str) -> Store:
    """A Store with this stage's repositories attached directly, so these tests do not depend on
    the other stages' repository modules being importable."""
    store = Store.open(url)
    store.feeds = FeedRepo(store)
    store.entries = EntryRepo(store)
    return store
