"""The rule language as a pydantic model; the published JSON Schema is generated from it.

Shorthands a person would write are accepted and normalised before validation:
a term may be a plain string, `near: sentence`, `regex: "one pattern"`.
Run `python -m rules.model > rules/rule.schema.json` (or `newswatch rules schema`)
after changing this file; a test checks the shipped schema is current.
"""
from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

FieldName = Literal["title", "lead", "body"]
Priority = Literal["urgent", "normal", "low"]
FOUNDING_WORDS = ("개소", "개원", "출범", "설립", "신설", "유치", "착공", "준공")

_TERM_ITEMS = {
    "anyOf": [
        {"type": "string", "minLength": 1, "description": "a word or phrase"},
        {"$ref": "#/$defs/Term"},
    ]
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Strict):
    """One word or phrase with optional aliases, or an expert regular expression."""

    term: str | None = Field(None, min_length=1, description="the word or phrase, e.g. 광주")
    aliases: list[str] = Field(default_factory=list, description="other ways of writing it: 광주광역시, 빛고을")
    regex: str | None = Field(None, min_length=1, description="a linear-time (RE2) regular expression instead of a word")

    @model_validator(mode="after")
    def _one_kind(self) -> "Term":
        if (self.term is None) == (self.regex is None):
            raise ValueError("write either `term:` (a word) or `regex:` (a pattern), not both or neither")
        if self.regex is not None and self.aliases:
            raise ValueError("`aliases` go with `term:`; put alternatives inside the regex with |")
        if any(not a.strip() for a in self.aliases):
            raise ValueError("an alias is empty")
        return self

    @property
    def label(self) -> str:
        return self.term if self.term is not None else f"regex:{self.regex}"


class Near(_Strict):
    """How close the required terms must be: within N characters, or in one sentence."""

    within: int | None = Field(None, ge=1, le=100_000, description="characters from the first to the last term")
    sentence: bool = Field(False, description="all terms in the same sentence")

    @model_validator(mode="after")
    def _one(self) -> "Near":
        if (self.within is None) == (not self.sentence):
            raise ValueError("write `near: {within: 100}` (characters) or `near: sentence`")
        return self


class Sources(_Strict):
    """Which feeds or outlets a rule looks at (feed names or outlet names, case-insensitive)."""

    include: list[str] = Field(default_factory=list, description="only these feeds/outlets; empty = all")
    exclude: list[str] = Field(default_factory=list, description="never these feeds/outlets")


def _term_list(description: str) -> Any:
    return Field(default_factory=list, description=description)


class Rule(_Strict):
    """One watch rule."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", description="unique name, letters/digits/-/_/.")
    title: str = Field("", description="shown in digests; defaults to the id")
    description: str = Field("", description="a note for the people who edit the rule")
    enabled: bool = Field(True, description="false keeps the rule in the file but never matches")
    type: Literal["match", "new_institution"] = Field(
        "match", description="match = terms decide; new_institution = report institutions new to the registry"
    )
    priority: Priority = Field("normal", description="urgent = alert immediately; normal = next digest; low")
    destinations: list[str] = Field(default_factory=list, description="destination names from the config; empty = all")
    all: list[Term] = _term_list("every one of these must be found")
    any: list[Term] = _term_list("at least one of these must be found")
    none: list[Term] = _term_list("the rule does not match when any of these is found")
    aliases: dict[str, list[str]] = Field(
        default_factory=dict, description="aliases for terms used anywhere in this rule: {인공지능: [AI, A.I.]}"
    )
    fields: list[FieldName] = Field(
        default_factory=lambda: ["title", "lead", "body"], min_length=1, description="where to look"
    )
    near: Near | None = Field(None, description="how close the all/any terms must be to each other")
    min_mentions: int = Field(1, ge=1, le=1000, description="each all-term, and the any-group, found at least this often")
    sources: Sources = Field(default_factory=Sources, description="feeds or outlets to include or exclude")
    languages: list[str] = Field(default_factory=list, description="article languages, e.g. [ko]; empty = all")
    exclude_context: list[str] = Field(
        default_factory=list, description="phrases that cancel a mention they overlap or sit next to: 경기도 광주"
    )
    regex: list[str] = Field(default_factory=list, description="RE2 patterns that must all be found too")
    alert_on: list[Literal["new", "founding"]] = Field(
        default_factory=lambda: ["new", "founding"],
        min_length=1,
        description="new_institution: report names never seen before (new) and/or founding events (founding)",
    )
    founding_words: list[str] = Field(
        default_factory=lambda: list(FOUNDING_WORDS), description="new_institution: words that mark a founding event"
    )
    realert_on_update: bool = Field(False, description="alert again when a matched article is substantively updated")

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for group in ("all", "any", "none"):
            items = data.get(group)
            if isinstance(items, (str, dict)):
                items = [items]
            if isinstance(items, list):
                data[group] = [{"term": t} if isinstance(t, str) else t for t in items]
        if data.get("near") == "sentence":
            data["near"] = {"sentence": True}
        if isinstance(data.get("regex"), str):
            data["regex"] = [data["regex"]]
        for key in ("exclude_context", "languages", "destinations", "fields"):
            if isinstance(data.get(key), str):
                data[key] = [data[key]]
        return data

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key, items in value.items():
            if not key.strip() or any(not a.strip() for a in items):
                raise ValueError("aliases need a non-empty term and non-empty alternatives")
        return value

    @model_validator(mode="after")
    def _needs_terms(self) -> "Rule":
        if self.type == "match" and not (self.all or self.any or self.regex):
            raise ValueError("a match rule needs at least one term in `all`, `any` or `regex`")
        return self

    @property
    def display_title(self) -> str:
        return self.title or self.id


class RuleFile(_Strict):
    """A file holding several rules."""

    rules: list[Rule] = Field(description="the rules of this file")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file: one rule, or {rules: [...]}."""
    schema = TypeAdapter(RuleFile | Rule).json_schema()
    # Publish the shorthands the validator accepts, so editors do not flag them.
    props = schema["$defs"]["Rule"]["properties"]
    for group in ("all", "any", "none"):
        props[group]["items"] = _TERM_ITEMS
    props["near"]["anyOf"].insert(0, {"const": "sentence", "description": "all terms in the same sentence"})
    for key in ("regex", "exclude_context", "languages", "destinations"):
        props[key] = {"anyOf": [props[key], {"type": "string"}], "description": props[key].get("description", "")}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "newswatch watch rule file"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    print(json_schema_text(), end="")
