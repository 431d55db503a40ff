"""Errors of the dedup stage."""
from __future__ import annotations

from newswatch.errors import NewswatchError


class DedupError(NewswatchError):
    kind = "dedup"


class DedupInputError(DedupError):
    """A file given to `newswatch dedup` cannot be read as an article."""

    kind = "dedup_input"


class SignatureMismatch(DedupError):
    """Stored signatures were made with other settings (num_perm); rebuild the index."""

    kind = "dedup_signature"
