"""Persistence: seen entries, articles, story clusters, matches, institutions, the digest outbox, feed health.

Never imports Prefect; every query of every stage lives here.
"""
from state.db import Store
from state.errors import SchemaOutOfDate, StateError, StateUnavailable

__all__ = ["Store", "StateError", "StateUnavailable", "SchemaOutOfDate"]
