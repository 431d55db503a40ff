"""The exception tree of the extractors (fetching, feeds, article pages).

    NewswatchError
    └── ExtractorError
        ├── FetchError          kind: timeout | dns | connection | tls | http_4xx | http_403 | http_404 |
        │                             http_429 | http_5xx | too_large | too_many_redirects |
        │                             blocked_address | bad_url | wrong_type
        ├── FeedError           kind: not_a_feed | parse_error | empty
        └── ExtractionError     kind: no_article | extractor_failed | wrong_type

httpx, lxml and trafilatura exceptions are mapped to these at the boundary;
`transient` marks what a later retry may fix (timeouts, 5xx, 429, connection).
"""
from __future__ import annotations

from newswatch.errors import NewswatchError

TRANSIENT_KINDS = frozenset({"timeout", "dns", "connection", "http_5xx", "http_429"})


class ExtractorError(NewswatchError):
    kind = "extractor"

    def __init__(self, message: str, *, kind: str | None = None, url: str | None = None,
                 transient: bool | None = None, retry_after: float | None = None):
        k = kind or self.kind
        super().__init__(message, kind=k, transient=(k in TRANSIENT_KINDS) if transient is None else transient)
        self.url = url
        self.retry_after = retry_after  # seconds, from a Retry-After header


class FetchError(ExtractorError):
    kind = "connection"


class FeedError(ExtractorError):
    kind = "parse_error"


class ExtractionError(ExtractorError):
    kind = "no_article"
