"""Loading rule files into a RuleSet, collecting every problem with file:line:column.

One bad file or rule never stops the others: it is skipped and reported in
`RuleSet.errors` (and in the cycle summary), the rest still match.
"""
from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

import re2
from pydantic import ValidationError

from newswatch.errors import ConfigError
from newswatch.models import Article, Match
from newswatch.yamlpos import LoadedYaml, load_yaml_file
from rules.errors import RuleIssue
from rules.institutions import InstitutionRegistry
from rules.matcher import Matcher, build
from rules.model import Near, Rule, Sources, Term

log = logging.getLogger("newswatch.rules")

RULE_SUFFIXES = (".yaml", ".yml")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # re2 would print its own copy of every error to stderr
_RE2_OPTIONS.max_mem = 8 << 20  # a pattern needing more automaton memory than this is refused


@dataclass(frozen=True)
class RuleSet:
    """The valid rules of some files, ready to match; `errors` says what was skipped and why."""

    rules: tuple[Rule, ...]
    errors: tuple[RuleIssue, ...]
    files: dict[str, str] = field(default_factory=dict)  # rule id -> file it came from
    matcher: Matcher | None = field(default=None, repr=False, compare=False)

    def match(self, article: Article, *, feed: str | None, registry: InstitutionRegistry, now: datetime) -> list[Match]:
        """The rules this article matches, with evidence; learns the institutions it names into the registry."""
        if self.matcher is None:
            return []
        return self.matcher.match(article, feed=feed, registry=registry, now=now)

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def skipped(self) -> list[tuple[str, str]]:
        """(file, reason) pairs for CycleSummary.rules_skipped."""
        return [(e.file, f"{e.line}:{e.column}: {e.message}") for e in self.errors]


def rule_files(paths: Sequence[Path]) -> tuple[list[Path], list[RuleIssue]]:
    """The YAML files under the given files/folders, in a stable order."""
    files: list[Path] = []
    issues: list[RuleIssue] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.suffix in RULE_SUFFIXES and f.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            issues.append(RuleIssue(str(p), 1, 1, "rule file or folder not found"))
    return files, issues


def _pos(loaded: LoadedYaml, loc: tuple) -> tuple[int, int]:
    path = tuple(loc)
    while path:
        if path in loaded.positions:
            return loaded.positions[path]
        path = path[:-1]
    return loaded.positions.get((), (1, 1))


def _issue(loaded: LoadedYaml, loc: tuple, message: str, rule: str | None = None) -> RuleIssue:
    line, col = _pos(loaded, loc)
    return RuleIssue(loaded.source, line, col, message, rule)


def _config_issue(exc: ConfigError, fallback: str) -> RuleIssue:
    """A ConfigError from yamlpos carries 'file:line:col' in `where`."""
    where = exc.where or fallback
    parts = where.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        message = exc.message[len(where) + 2:] if exc.message.startswith(where + ": ") else exc.message
        return RuleIssue(parts[0], int(parts[1]), int(parts[2]), message)
    return RuleIssue(where, 1, 1, exc.message)


def _rule_items(loaded: LoadedYaml) -> tuple[list[tuple[tuple, Any]], list[RuleIssue]]:
    """(location prefix, raw rule) pairs: a file is one rule, a list of rules, or {rules: [...]}."""
    data = loaded.data
    if data is None:
        return [], []
    if isinstance(data, dict) and "rules" in data:
        extra = [k for k in data if k != "rules"]
        issues = [_issue(loaded, (k,), f"unknown top-level field {k!r}: a rule file holds `rules:` (a list) or one rule")
                  for k in extra]
        items = data["rules"]
        if not isinstance(items, list):
            return [], issues + [_issue(loaded, ("rules",), "`rules` must be a list of rules (each starting with `- id:`)")]
        return [(("rules", i), item) for i, item in enumerate(items)], issues
    if isinstance(data, dict):
        return [((), data)], []
    if isinstance(data, list):
        return [((i,), item) for i, item in enumerate(data)], []
    return [], [_issue(loaded, (), "expected a rule (a mapping with `id:`) or `rules:` with a list of rules")]


def _fields_at(loc: tuple) -> list[str]:
    """The field names allowed where an unknown field was written."""
    model: type = Rule
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        nested = {"all": Term, "any": Term, "none": Term, "near": Near, "sources": Sources}.get(part) if model is Rule else None
        if nested is None:
            return []
        model = nested
    return list(model.model_fields)


def _describe(err: dict) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ())) or "(rule)"
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        raw = tuple(err.get("loc", ()))
        allowed = _fields_at(raw)
        close = difflib.get_close_matches(str(raw[-1]), allowed, n=1) if raw and allowed else []
        hint = f"did you mean `{close[0]}`? " if close else ""
        return f"{loc}: unknown field; {hint}expected one of: {', '.join(allowed)}"
    if kind == "missing":
        return f"{loc}: required field is missing"
    msg = err.get("msg", "invalid").removeprefix("Value error, ")
    return f"{loc}: {msg}"


def compile_regex(pattern: str):
    """Compile with RE2 (linear time); raises ValueError with RE2's reason when it cannot."""
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(
            f"regex {pattern!r} cannot be used: {reason} (RE2 syntax: no backreferences or lookaround)"
        ) from None


def _regexes(loaded: LoadedYaml, prefix: tuple, rule: Rule) -> tuple[dict[int, Any], list[RuleIssue]]:
    out: dict[int, Any] = {}
    issues: list[RuleIssue] = []
    flat = [(g, i, t) for g in ("all", "any", "none") for i, t in enumerate(getattr(rule, g))]
    for ti, (group, i, term) in enumerate(flat):
        if term.regex is not None:
            try:
                out[ti] = compile_regex(term.regex)
            except ValueError as exc:
                issues.append(_issue(loaded, prefix + (group, i, "regex"), f"{group}.{i}.regex: {exc}", rule.id))
    for k, pattern in enumerate(rule.regex):
        try:
            out[len(flat) + k] = compile_regex(pattern)
        except ValueError as exc:
            issues.append(_issue(loaded, prefix + ("regex", k) if (prefix + ("regex", k)) in loaded.positions else prefix + ("regex",),
                                 f"regex: {exc}", rule.id))
    return out, issues


def load_rules(paths: Sequence[Path], *, destinations: set[str] | None = None) -> RuleSet:
    """Load every rule file under `paths`; never raises for a bad file or rule.

    `destinations`, when given, are the names a rule may send to (from the config).
    """
    files, issues = rule_files(paths)
    valid: list[tuple[Rule, str, dict[int, Any]]] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            loaded = load_yaml_file(path)
        except ConfigError as exc:
            issues.append(_config_issue(exc, str(path)))
            continue
        items, shape_issues = _rule_items(loaded)
        issues.extend(shape_issues)
        for prefix, raw in items:
            rule_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
            try:
                rule = Rule.model_validate(raw)
            except ValidationError as exc:
                issues.extend(_issue(loaded, prefix + tuple(e.get("loc", ())), _describe(e), rule_id) for e in exc.errors())
                continue
            regexes, regex_issues = _regexes(loaded, prefix, rule)
            problems = list(regex_issues)
            if rule.id in seen:
                problems.append(_issue(loaded, prefix + ("id",), f"duplicate id {rule.id!r}: already defined at {seen[rule.id]}", rule.id))
            if destinations is not None:
                for i, dest in enumerate(rule.destinations):
                    if dest not in destinations:
                        known = ", ".join(sorted(destinations)) or "none configured"
                        problems.append(_issue(loaded, prefix + ("destinations", i),
                                               f"destinations.{i}: unknown destination {dest!r} (the config has: {known})", rule.id))
            if problems:
                issues.extend(problems)
                continue
            line, col = _pos(loaded, prefix + ("id",))
            seen[rule.id] = f"{loaded.source}:{line}:{col}"
            valid.append((rule, loaded.source, regexes))
    for issue in issues:
        log.warning("rule skipped: %s", issue, extra={"rule": issue.rule, "stage": "rules"})
    return RuleSet(
        rules=tuple(r for r, _, _ in valid),
        errors=tuple(issues),
        files={r.id: f for r, f, _ in valid},
        matcher=build(valid),
    )
