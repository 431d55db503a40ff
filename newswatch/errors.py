"""The root of newswatch's exception tree.

Every stage declares its own subclasses (extractors.errors, rules.errors, ...)
and maps lower-level exceptions (httpx, lxml, SQLAlchemy) to them at its
boundary, so nothing above a stage sees a library's exception. `kind` is a short
stable label used in logs, feed health and the CLI; `transient` says whether
retrying later can help, which is all the flows need to decide on a retry.
"""
from __future__ import annotations


class NewswatchError(Exception):
    kind: str = "error"
    transient: bool = False

    def __init__(self, message: str, *, kind: str | None = None, transient: bool | None = None):
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        if transient is not None:
            self.transient = transient

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.kind


class ConfigError(NewswatchError):
    """The configuration file cannot be used; `where` is 'file:line:column'."""

    kind = "config"

    def __init__(self, message: str, *, where: str | None = None):
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


def is_transient(exc: BaseException) -> bool:
    """True when retrying the failed operation later may succeed."""
    return isinstance(exc, NewswatchError) and exc.transient
