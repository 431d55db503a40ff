"""Errors of the digest stage; apprise and SMTP problems are mapped to these."""
from __future__ import annotations

from newswatch.errors import NewswatchError


class DigestError(NewswatchError):
    kind = "digest"


class DeliveryError(DigestError):
    """A send failed; the items stay pending and are retried (transient by default)."""

    kind = "delivery"
    transient = True


class DestinationError(DigestError):
    """A destination cannot be used as configured (unknown name, bad apprise URL)."""

    kind = "destination"
