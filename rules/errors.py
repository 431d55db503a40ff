"""The exception tree of the rules stage.

    NewswatchError
    └── RuleError            kind: rule
        └── RuleInputError   kind: rule_input   (an input of `rules test` cannot be read)

Loading never raises for one bad file or rule: problems are collected as
`RuleIssue`s in `RuleSet.errors` and the other rules still run.
"""
from __future__ import annotations

from dataclasses import dataclass

from newswatch.errors import NewswatchError


class RuleError(NewswatchError):
    kind = "rule"


class RuleInputError(RuleError):
    kind = "rule_input"


@dataclass(frozen=True, slots=True)
class RuleIssue:
    """One problem in a rule file: where it is and what is expected instead."""

    file: str
    line: int
    column: int
    message: str
    rule: str | None = None  # the rule id when known; that rule was skipped

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"
