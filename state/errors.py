"""Errors of the state store; SQLAlchemy's exceptions are mapped to these at the boundary."""
from __future__ import annotations

from newswatch.errors import NewswatchError


class StateError(NewswatchError):
    kind = "state"


class StateUnavailable(StateError):
    """The database cannot be reached or opened (transient: it may come back)."""

    kind = "state_unavailable"
    transient = True


class SchemaOutOfDate(StateError):
    """The database is older than this code; run `newswatch state upgrade`."""

    kind = "schema_out_of_date"


class SchemaTooNew(StateError):
    """The database was written by a newer newswatch."""

    kind = "schema_too_new"
