"""The one typed settings object, loaded from a YAML file and passed down.

Every section has documented defaults; a user file overrides them key by key
(a file that sets only `fetch.timeout` keeps every other fetch default).
Destination URLs carry secrets, so they are written as `${ENV_VAR}` references
(expanded from the environment here) or `${prefect-secret:BLOCK}` (read by the
flows from a Prefect Secret block); a literal secret in the file is refused.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import time as dtime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from newswatch.credentials import credential_parts
from newswatch.durations import backoff_setting, parse_duration
from newswatch.errors import ConfigError
from newswatch.yamlpos import LoadedYaml, load_yaml_file, pydantic_errors


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FetchSettings(_Section):
    connect_timeout: float = Field(5.0, gt=0, description="seconds to open a connection")
    read_timeout: float = Field(15.0, gt=0, description="seconds to wait for each chunk of a response")
    total_timeout: float = Field(60.0, gt=0, description="seconds for a whole response, however slow the trickle")
    max_bytes: int = Field(10_000_000, gt=0, description="responses larger than this are cut and refused")
    max_redirects: int = Field(5, ge=0, description="redirects followed before giving up")
    user_agent: str = Field(
        "newswatch/0.1 (+https://github.com/newswatch; Korean news monitor)",
        description="sent with every request",
    )
    per_host: int = Field(2, ge=1, description="requests in flight to one host at once (in a cycle, per process)")
    concurrency: int = Field(32, ge=1, description="requests in flight overall (in a cycle, per process)")
    allow_private_addresses: bool = Field(
        False, description="allow feeds and article links that resolve to loopback or private addresses"
    )


class HealthSettings(_Section):
    alert_after_failures: int = Field(5, ge=1, description="alert the admin after this many failures in a row")
    base_backoff: str = Field("15m", description="wait after the first failure (90s, 15m, 24h, 2d or seconds); at most max_backoff")
    max_backoff: str = Field("24h", description="never wait longer than this, at most 24h: a failing feed is retried at least daily")
    silence_factor: float = Field(
        5.0, gt=1, description="alert when a feed is silent this many times longer than its usual interval"
    )

    @field_validator("base_backoff", "max_backoff", mode="before")
    @classmethod
    def _backoff(cls, value: object) -> str:
        return backoff_setting(value)

    @model_validator(mode="after")
    def _backoff_order(self) -> "HealthSettings":
        if parse_duration(self.base_backoff) > parse_duration(self.max_backoff):
            raise ValueError(f"base_backoff ({self.base_backoff}) is longer than max_backoff ({self.max_backoff})")
        return self


class DedupSettings(_Section):
    window_days: int = Field(14, ge=1, description="articles older than this leave the near-duplicate index")
    # defaults chosen from the labelled set, see docs/dedup.md (benchmarks/eval_dedup.py reprints the sweep)
    shingle_size: int = Field(5, ge=2, le=12, description="characters per shingle (of the normalised body: no spaces or punctuation)")
    num_perm: int = Field(128, ge=16, description="MinHash permutations")
    threshold: float = Field(
        0.4, gt=0, le=1, description="LSH candidate threshold (estimated Jaccard of body or opening); low so trimmed copies are still candidates"
    )
    min_containment: float = Field(
        0.7, gt=0, le=1, description="verified |A∩B|/min(|A|,|B|) of shingle sets that makes a near duplicate"
    )
    title_similarity: float = Field(90.0, gt=0, le=100, description="rapidfuzz ratio of normalised titles that joins short items")
    short_text_chars: int = Field(300, ge=0, description="below this many normalised body characters, a similar title also joins")
    substantive_update: float = Field(
        0.15, ge=0, le=1,
        description="share of new text that makes a joining article an update; rules with realert_on_update alert again for it",
    )


class FeedConfig(_Section):
    name: str = Field(min_length=1, description="a unique name; logs, `newswatch feeds` and the state use it")
    url: str = Field(min_length=1, description="the RSS/Atom feed's URL (http or https)")
    outlet: str | None = Field(None, description="outlet name shown in digests; defaults to the feed's title")
    encoding: str | None = Field(None, description="force this encoding when the feed lies about its own")
    timezone: str | None = Field(None, description="zone for dates without an offset; defaults to the global timezone")
    enabled: bool = Field(True, description="false keeps the feed in the file but stops polling it")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _check_zone(value) if value else value


ScheduleKind = Literal["immediate", "hourly", "daily"]


class DestinationConfig(_Section):
    name: str = Field(min_length=1, description="a unique name; rules and `admin` refer to it")
    url: str = Field(
        min_length=1,
        description="an apprise URL; write secrets as ${ENV_VAR} or ${prefect-secret:BLOCK} (a Prefect Secret block)",
    )
    rules: list[str] = Field(default_factory=list, description="rule ids this destination receives; empty = all")
    schedule: ScheduleKind = Field("daily", description="immediate, hourly or daily")
    at: dtime = Field(dtime(8, 30), description="local time of the daily digest")
    quiet_hours: str | None = Field(None, description='"22:00-07:00": delivery waits until the quiet hours end')
    max_items: int = Field(30, ge=1, description="stories per message; the rest go in the next message")
    send_empty: bool = Field(False, description="send a message even when there is nothing new")
    urgent_immediately: bool = Field(True, description="urgent rules bypass the schedule and quiet hours")

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"\d{1,2}:\d{2}-\d{1,2}:\d{2}", value):
            raise ValueError('expected "HH:MM-HH:MM", for example "22:00-07:00"')
        return value


class ScheduleSettings(_Section):
    poll: str = Field("*/15 * * * *", description="cron for the poll cycle, in `timezone`")
    deliver: str = Field("*/5 * * * *", description="cron for digest delivery, in `timezone` (each destination's own schedule decides what is due)")


class StateSettings(_Section):
    url: str = Field("", description="SQLAlchemy URL; empty = a SQLite file in the data directory")
    retention_days: int = Field(90, ge=1, description="what `newswatch state prune` keeps by default")


class DigestSettings(_Section):
    output_dir: str = Field("digests", description="where digests are written when no destination is configured")
    retry_base: str = Field("5m", pattern=r"^\d+[smhd]$", description="wait after the first failed send; doubles per failure")
    retry_max: str = Field("6h", pattern=r"^\d+[smhd]$", description="never wait longer than this between retries")
    alert_after_failures: int = Field(3, ge=1, description="tell the admin destination after this many failed sends of an item")
    give_up_after_failures: int = Field(0, ge=0, description="mark an item failed after this many failed sends; 0 = retry forever")
    claim_timeout: str = Field("15m", pattern=r"^\d+[smhd]$", description="an item claimed by another worker for longer than this is taken back")


class ExtractSettings(_Section):
    favor: Literal["precision", "balanced", "recall"] = Field(
        "balanced", description="trafilatura's trade-off between leaving boilerplate out and keeping all text"
    )
    include_tables: bool = Field(True, description="keep text of tables inside the article body")
    min_extracted_size: int = Field(
        25, ge=0, description="trafilatura's minimum body size before it gives up on a candidate (its default 250 drops short articles)"
    )
    min_chars: int = Field(15, ge=1, description="a body the page itself marks as the article (JSON-LD, itemprop) may be this short")
    min_chars_guessed: int = Field(30, ge=1, description="a body found by heuristics must be at least this long")
    max_bytes: int = Field(5_000_000, gt=0, description="pages larger than this are refused as too_large")
    good_enough: float = Field(
        5.0, ge=0, description="quality score at which the slower fallbacks (page-state JSON) are skipped"
    )
    runner: Literal["inline", "processes", "dask"] = Field(
        "inline", description="where the flow extracts pages: inline (in the processing task), processes "
        "(a Prefect process pool on this machine) or dask (prefect-dask: a local Dask cluster, or dask_address)"
    )
    processes: int = Field(
        0, ge=0, description="worker processes for runner processes, or workers of the local Dask cluster; 0 = one per CPU"
    )
    dask_address: str = Field(
        "", description="scheduler of an existing Dask cluster (tcp://host:8786) for runner dask; empty = start a local one"
    )
    batch_size: int = Field(25, ge=1, description="pages per extraction task when the runner is not inline")


class InstitutionSettings(_Section):
    known: list[str] = Field(default_factory=list, description="institution names already known: never reported as new")
    aliases: dict[str, list[str]] = Field(
        default_factory=dict, description="other names of an institution: {광주테크노파크: [광주TP]}; the key counts as known"
    )

    @property
    def seeds(self) -> list[str]:
        """Every name the registry starts with: `known` plus the keys of `aliases`."""
        return list(dict.fromkeys([*self.known, *self.aliases]))


class Settings(_Section):
    timezone: str = Field("Asia/Seoul", description="zone for schedules and for dates without an offset")
    data_dir: str = Field("", description="state and digests go here; empty = $NEWSWATCH_HOME or ~/.local/share/newswatch")
    rules: list[str] = Field(default_factory=lambda: ["rules"], description="rule files or folders, relative to the config")
    admin: str | None = Field(None, description="destination that receives feed-health and delivery alerts")
    feeds: list[FeedConfig] = Field(default_factory=list, description="the feeds to poll")
    destinations: list[DestinationConfig] = Field(
        default_factory=list, description="where digests go; none = print them and write .txt/.html files")
    fetch: FetchSettings = FetchSettings()
    health: HealthSettings = HealthSettings()
    dedup: DedupSettings = DedupSettings()
    state: StateSettings = StateSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    digest: DigestSettings = DigestSettings()
    institutions: InstitutionSettings = Field(InstitutionSettings(), description="seed list of the institution registry")
    extract: ExtractSettings = ExtractSettings()
    # where the file was; relative paths in it are resolved against this folder
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_zone(value)

    @model_validator(mode="after")
    def _names(self) -> "Settings":
        for kind, items in (("feed", self.feeds), ("destination", self.destinations)):
            names = [i.name for i in items]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} name(s): {', '.join(dupes)}")
        dest_names = {d.name for d in self.destinations}
        if self.admin and self.admin not in dest_names:
            raise ValueError(f"admin names an unknown destination {self.admin!r}")
        return self

    # -- derived values -------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def data_path(self) -> Path:
        if self.data_dir:
            return self.resolve(self.data_dir)
        home = os.environ.get("NEWSWATCH_HOME")
        if home:
            return Path(home).expanduser()
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(xdg) / "newswatch"

    @property
    def state_url(self) -> str:
        if self.state.url:
            return expand_env(self.state.url, "state.url")
        return f"sqlite:///{self.data_path / 'state.db'}"

    @property
    def rule_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.rules]

    @property
    def digest_dir(self) -> Path:
        out = Path(self.digest.output_dir).expanduser()
        return out if out.is_absolute() else self.data_path / out

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def destination_url(self, dest: DestinationConfig, secrets: "SecretResolver | None" = None) -> str:
        """The destination's URL with its references expanded; `secrets` reads Prefect Secret blocks."""
        return expand_env(dest.url, f"destinations.{dest.name}.url", secrets)


# ${VAR}, ${VAR:-default}, or ${prefect-secret:BLOCK} (a Prefect Secret block, resolved by the flows)
_ENV_REF = re.compile(
    r"\$\{(?:prefect-secret:(?P<block>[A-Za-z0-9][A-Za-z0-9_-]*)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?)\}"
)
SecretResolver = Callable[[str], str]  # Prefect Secret block name -> its value


def expand_env(value: str, field: str, secrets: SecretResolver | None = None) -> str:
    """Replace ${VAR}, ${VAR:-default} and ${prefect-secret:BLOCK}; a missing one is a clear error.

    `secrets` reads a Prefect Secret block; only the flows can pass it (nothing
    outside flows/ imports Prefect), so elsewhere such a reference is an error
    that names the block, never a value.
    """

    def sub(m: re.Match[str]) -> str:
        block = m.group("block")
        if block is not None:
            if secrets is None:
                raise ConfigError(
                    f"{field}: ${{prefect-secret:{block}}} is read from a Prefect Secret block, which only the "
                    "Prefect flows can do (run the flow, or use ${ENV_VAR} here)"
                )
            return secrets(block)
        name, default = m.group("name"), m.group("default")
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{field}: environment variable {name} is not set")

    return _ENV_REF.sub(sub, value)


def literal_view(value: str) -> tuple[str, str]:
    """(text, marker): every reference without a literal default replaced by a marker; defaults kept as written.

    What is left outside the markers is what the YAML file itself holds.
    """
    marker = "NWREFX"
    while marker in value:
        marker += "X"
    return _ENV_REF.sub(lambda m: m.group("default") or marker, value), marker


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Seoul)") from None
    return value


def _refuse_literal_secrets(loaded: LoadedYaml, settings: Settings) -> None:
    """Every credential of a destination URL (password, token, key) must come from a reference.

    `${VAR:-default}` does not count when the default holds the credential: the
    default is part of the file.
    """
    for i, dest in enumerate(settings.destinations):
        text, marker = literal_view(dest.url)
        literal = [what for what, value in credential_parts(text) if marker not in value]
        if literal:
            raise ConfigError(
                f"destinations[{i}].url (destination {dest.name!r}): the URL holds a secret written in the file "
                f"({', '.join(dict.fromkeys(literal))}); write it as ${{ENV_VAR}} (without a :-default) or "
                "${prefect-secret:BLOCK} and keep the value outside the file",
                where=loaded.where(("destinations", i, "url")),
            )


def settings_from_yaml(loaded: LoadedYaml, base_dir: Path) -> Settings:
    data = loaded.data if loaded.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError("the config must be a mapping of sections (timezone, feeds, destinations, ...)", where=loaded.where(()))
    try:
        settings = Settings.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(pydantic_errors(loaded, exc))) from None
    _refuse_literal_secrets(loaded, settings)
    return settings


def load_settings(path: str | Path | None) -> Settings:
    """Load a config file; None gives the built-in defaults (no feeds)."""
    if path is None:
        return Settings()
    path = Path(path).expanduser()
    loaded = load_yaml_file(path)
    return settings_from_yaml(loaded, path.resolve().parent)
