"""Sending due digests through apprise, with the outbox making each item go out once.

The order for one message is: claim its items (status `sending`, committed),
send, then record `sent` in one short transaction. A crash before the send
leaves the items `sending`; the next run of the same worker (or any worker
after `digest.claim_timeout`) puts them back to pending, so nothing is lost.
The one window where a duplicate is possible is between the receiver accepting
the message and the `sent` commit: apprise's HTTP/SMTP round trip plus one
UPDATE. Items are recorded per message, never per digest, to keep it that small.

A URL with several recipients (`mailto://…?to=a,b`, Slack channels) is sent to
each recipient on its own (`digests.targets`), and each recipient that got an
item is recorded; a retry goes only to the recipients that have not. A story
that several rules matched is one entry, and all its rows are recorded together.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from contextlib import contextmanager
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from newswatch.config import DestinationConfig, SecretResolver, Settings
from newswatch.errors import NewswatchError
from newswatch.models import DigestItem, Outlet
from digests import schedule
from digests.model import build_digest, item_from_json, merge_stories, ordered_items
from digests.queue import LOCAL, current_story
from digests.redact import redact_text, redact_url
from digests.targets import Target, expand_targets
from digests.render_email import render_email, render_html
from digests.render_slack import slack_messages
from digests.render_text import render_markdown, render_text

log = logging.getLogger("newswatch.digests")

EMPTY_RULE = "__empty__:"  # marker rows recording that an empty scheduled digest went out


@dataclass(frozen=True)
class SentDigest:
    destination: str
    items: int
    markdown: str  # the flow publishes this as a Prefect artifact


@dataclass(frozen=True)
class DeliveryReport:
    sent: tuple[SentDigest, ...]
    failures: tuple[tuple[str, str], ...]  # (destination, redacted message)
    pending: int


@dataclass(frozen=True)
class OutMessage:
    title: str
    body: str
    body_format: str  # text | html | markdown (Slack mrkdwn is sent as markdown)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str = ""


Notifier = Callable[[str, OutMessage], SendResult]


@dataclass(frozen=True)
class Planned:
    message: OutMessage
    keys: tuple[tuple[int, str], ...]  # (story_id, rule) of the items this message completes
    markdown: str


# -- channels -------------------------------------------------------------------
def channel_of(url: str) -> str:
    """slack | email | text, from the apprise URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "text"
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme == "slack" or host in ("hooks.slack.com", "hooks.slack-gov.com"):
        return "slack"
    if scheme in ("mailto", "mailtos"):
        return "email"
    return "text"


def _with_blocks(url: str) -> str:
    """Ask apprise's Slack plugin for Block Kit, the format our limits are checked against."""
    if "blocks=" in url:
        return url
    return url + ("&" if "?" in url else "?") + "blocks=yes"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


# apprise and the HTTP stack under it log request URLs (webhook tokens sit in
# the path) at DEBUG; while sending, their records go only to our capture
_QUIET_LOGGERS = ("apprise", "urllib3", "requests")
# logger settings are process-wide: sends in one process take turns, so each
# capture holds only its own send's warnings and the settings are restored intact
_SEND_LOCK = threading.Lock()


@contextmanager
def _captured_library_logs():
    with _SEND_LOCK:
        yield from _capture_logs()


def _capture_logs():
    capture = _Capture()
    saved = []
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate, logger.level))
        logger.addHandler(capture)
        logger.propagate = False
        logger.setLevel(logging.WARNING)
    try:
        yield capture
    finally:
        for logger, propagate, level in saved:
            logger.removeHandler(capture)
            logger.propagate = propagate
            logger.setLevel(level)


def apprise_notify(url: str, msg: OutMessage) -> SendResult:
    """Send through apprise to exactly one service and return that service's own outcome.

    One Apprise object per URL makes `notify()`'s result the per-service result
    (apprise's plugins return False for any non-2xx webhook answer, a Slack
    answer other than 200, or an SMTP refusal); apprise's warnings are captured
    as the reason, and kept out of other log handlers because they may hold
    addresses and tokens.
    """
    import apprise

    if channel_of(url) == "slack":
        url = _with_blocks(url)
    fmt = {"html": apprise.NotifyFormat.HTML, "markdown": apprise.NotifyFormat.MARKDOWN}.get(
        msg.body_format, apprise.NotifyFormat.TEXT
    )
    with _captured_library_logs() as capture:
        obj = apprise.Apprise()
        if not obj.add(url):
            return SendResult(False, "not a valid apprise URL")
        try:
            ok = obj.notify(body=msg.body, title=msg.title, body_format=fmt)
        except Exception as exc:  # the library boundary: any plugin exception is a failed send
            return SendResult(False, f"{type(exc).__name__}: {exc}")
    if ok:
        return SendResult(True)
    reason = "; ".join(dict.fromkeys(capture.lines)) or ("nothing was sent" if ok is None else "apprise reported failure")
    return SendResult(False, reason)


# -- planning messages ----------------------------------------------------------
def split_items(items: Sequence[DigestItem], size: int) -> list[list[DigestItem]]:
    ordered = ordered_items(items)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)] or [[]]


def plan_messages(items: Sequence[DigestItem], channel: str, max_items: int, tz: ZoneInfo, now: datetime) -> list[Planned]:
    """The messages for a destination in order: at most `max_items` stories each, within channel limits."""
    chunks = split_items(items, max_items)
    planned: list[Planned] = []
    for n, chunk in enumerate(chunks, 1):
        d = build_digest(chunk, tz, now, part=n, parts=len(chunks))
        md = render_markdown(d)
        all_keys = tuple((i.story_id, i.rule) for i in chunk)
        if channel == "slack":
            for payload, keys in slack_messages(d):
                header = payload["blocks"][0]["text"]["text"]
                body = payload["blocks"][1]["text"]["text"]
                planned.append(Planned(OutMessage(header, body, "markdown"), tuple(keys), md))
        elif channel == "email":
            subject, html, _text = render_email(d)
            planned.append(Planned(OutMessage(subject, html, "html"), all_keys, md))
        else:
            text = render_text(d)
            title, _, body = text.partition("\n")
            planned.append(Planned(OutMessage(title, body.lstrip("\n"), "text"), all_keys, md))
    return planned


# -- delivery -------------------------------------------------------------------
def _refresh(store, item: DigestItem) -> DigestItem:
    """Show the story as it is now: copies may have arrived since queueing, and the
    cluster's representative (the fullest text, earliest on ties) leads the entry."""
    story = current_story(store, item.story_id)
    if story is None:
        return item
    lead = next((o for o in story.outlets if o.url == story.representative_url), None)
    if lead is not None and lead.url != item.url:
        item = replace(item, title=story.title or item.title, url=lead.url, outlet=lead.name,
                       published=story.published or item.published)
    others = tuple(o for o in story.outlets if o.name != item.outlet and o.url != item.url)
    return replace(item, also_in=_unique(others))


def _unique(outlets: Sequence[Outlet]) -> tuple[Outlet, ...]:
    seen: set[str] = set()
    return tuple(o for o in outlets if not (o.name in seen or seen.add(o.name)))


def load_items(store, rows) -> dict[tuple[int, str], tuple[int, DigestItem]]:
    out = {}
    for row in rows:
        item = _refresh(store, item_from_json(row.payload))
        out[(row.story_id, row.rule)] = (row.id, item)
    return out


@dataclass(frozen=True)
class StoryGroup:
    """The outbox rows of one story for one destination (one per rule and revision) and the one entry shown."""

    ids: tuple[int, ...]
    item: DigestItem


def group_rows(store, rows) -> dict[int, StoryGroup]:
    """{story id: StoryGroup}, in the order of the rows: each story is shown once, its rows are recorded together.

    Per rule the latest revision's payload is used; the rules are merged by
    `model.merge_stories` (first rule's section, the others named in 왜 알림이 왔나).
    """
    by_story: dict[int, list] = {}
    for row in rows:
        by_story.setdefault(row.story_id, []).append(row)
    out = {}
    for story_id, group in by_story.items():
        latest: dict[str, object] = {}
        for row in sorted(group, key=lambda r: (r.revision, r.id)):
            latest[row.rule] = row
        items = [item_from_json(r.payload) for r in latest.values()]
        item = _refresh(store, merge_stories(items)[0])
        out[story_id] = StoryGroup(tuple(r.id for r in group), item)
    return out


def due_rows(store, dest: DestinationConfig, tz: ZoneInfo, now: datetime):
    return [
        r for r in store.outbox.candidates(dest.name, now)
        if not r.rule.startswith(EMPTY_RULE) and schedule.is_due(r.created_at, r.priority, dest, tz, now)
    ]


def claim_stories(outbox, destination: str, rows, worker: str, now: datetime):
    """Claim `rows` with the other rules' rows of the same stories; rows of a story already sent are closed.

    A story goes to a destination once: rows of the same (story, revision) under
    other rules (pending, due or not) are claimed with it and recorded with it, and
    a row whose (story, revision) already went out under another rule is marked
    sent without sending. Returns the claimed rows still to send.
    """
    keys = {(r.story_id, r.revision) for r in rows}
    ids = [r.id for r in rows] + [r.id for r in outbox.siblings(destination, keys, exclude=[r.id for r in rows])]
    claimed = outbox.claim(ids, worker, now)
    if not claimed:
        return []
    already = outbox.sent_keys(destination, {(r.story_id, r.revision) for r in claimed})
    shown = [r.id for r in claimed if (r.story_id, r.revision) in already]
    if shown:
        outbox.mark_sent(shown, "same-story", now)
    return [r for r in claimed if r.id not in set(shown)]


def _stories(planned: Planned, groups: dict[int, StoryGroup]) -> list[int]:
    """The story ids among `groups` that `planned` completes."""
    return [k[0] for k in planned.keys if k[0] in groups]


def _owner(later: Sequence[Planned], groups: dict[int, StoryGroup]) -> list[int]:
    """The stories of the next message in `later` that completes any (a piece's story), else []."""
    return next((_stories(p, groups) for p in later if p.keys), [])


def _piece(planned: Planned, later: Sequence[Planned], groups: dict[int, StoryGroup], target: Target):
    """(row id, record key) for a message that is a non-final piece of one long story, else None.

    The key is the recipient and a hash of the piece's text: a retry skips the
    pieces that recipient already has, unless the story's text changed meanwhile.
    """
    owner = _owner(later, groups)
    if not owner:
        return None
    digest = hashlib.sha256(planned.message.body.encode("utf-8")).hexdigest()[:16]
    return groups[owner[0]].ids[0], f"{target.key}:{digest}"


class _Run:
    """One call of deliver_due: collects what was sent and what failed."""

    def __init__(self, store, settings: Settings, now: datetime, worker: str, notify: Notifier,
                 secrets: SecretResolver | None = None):
        self.store, self.settings, self.now, self.worker, self.notify = store, settings, now, worker, notify
        self.secrets = secrets
        self.outbox = store.outbox
        self.tz = settings.tz
        self.sent: list[SentDigest] = []
        self.failures: list[tuple[str, str]] = []
        d = settings.digest
        self.base, self.cap = schedule.parse_duration(d.retry_base), schedule.parse_duration(d.retry_max)

    def fail(self, destination: str, message: str) -> None:
        self.failures.append((destination, message))
        log.warning("delivery to %s failed: %s", destination, message, extra={"stage": "digest"})

    def _resolve(self, dest: DestinationConfig) -> tuple[str, list[Target]] | None:
        try:
            url = self.settings.destination_url(dest, self.secrets)
        except NewswatchError as exc:
            self.fail(dest.name, redact_text(str(exc), []))
            return None
        with _captured_library_logs():
            targets = expand_targets(url)
        return url, targets

    def _error(self, result: SendResult, url: str, target: Target) -> str:
        error = redact_text(result.error, [url, target.url])
        return f"{target.label}: {error}" if target.label else error

    def destination(self, dest: DestinationConfig) -> None:
        resolved = self._resolve(dest)
        if resolved is None:
            return
        url, targets = resolved
        rows = due_rows(self.store, dest, self.tz, self.now)
        if not rows:
            self._maybe_empty(dest, url, targets)
            return
        claimed = claim_stories(self.outbox, dest.name, rows, self.worker, self.now)
        if not claimed:
            return  # another worker took them, or they had gone out already under another rule
        groups = group_rows(self.store, claimed)
        keys = [t.key for t in targets]
        have = self.outbox.delivered([r.id for r in claimed])
        reached = {sid: set().union(*(have.get(i, set()) for i in g.ids)) for sid, g in groups.items()}
        finished = {sid for sid in groups if set(keys) <= reached[sid]}
        if finished:  # every recipient has them already (a crash after the last record, a shortened list)
            self.outbox.mark_sent([i for s in finished for i in groups[s].ids], "complete", self.now)
        failed: dict[int, str] = {}
        errors: list[str] = []
        delivered: set[int] = set()
        done: list[str] = []
        channel = channel_of(url)
        pieces = self.outbox.delivered([r.id for r in claimed], kind="piece")
        plans: dict[tuple[int, ...], list[Planned]] = {}  # recipients lacking the same stories get the same messages
        for target in targets:
            todo = [sid for sid in groups if sid not in finished and target.key not in reached[sid]]
            if not todo:
                continue
            plan = plans.get(tuple(todo))
            if plan is None:
                plan = plans[tuple(todo)] = plan_messages(
                    [groups[s].item for s in todo], channel, dest.max_items, self.tz, self.now)
            for i, planned in enumerate(plan):
                sids = _stories(planned, groups)
                piece = None if sids else _piece(planned, plan[i + 1 :], groups, target)
                if piece is not None and piece[1] in pieces.get(piece[0], set()):
                    continue  # this piece of a long story reached this recipient in an earlier run
                result = self._send(target.url, planned.message)
                if result.ok and piece is not None:
                    self.outbox.mark_delivered("piece", piece[0], piece[1], self.now)
                    continue
                if result.ok:
                    # the duplicate window closes here: record right after the receiver accepted
                    marked = self.outbox.record_sent([groups[s].ids for s in sids], target.key, keys,
                                                     uuid.uuid4().hex[:16], self.now)
                    for s in sids:
                        reached[s].add(target.key)
                    delivered.update(sids)
                    finished.update(s for s in sids if set(groups[s].ids) <= set(marked))
                    if planned.markdown not in done:
                        done.append(planned.markdown)
                    continue
                if not sids:
                    # a piece of a story too long for one Slack section: the failure counts for that story
                    sids = _owner(plan[i + 1 :], groups)
                error = self._error(result, url, target)
                errors.append(error)
                for s in sids:
                    failed.setdefault(s, error)
                break  # keep the order: this recipient's later messages wait for the failed one
        failed_ids = [i for s in failed if s not in finished for i in groups[s].ids]
        if failed_ids:
            self._failed(dest, url, failed_ids, "; ".join(dict.fromkeys(errors)))
        elif errors:  # a message that carries no story (the 신규 기관 summary on its own) failed
            self.fail(dest.name, "; ".join(dict.fromkeys(errors)))
        # messages that were not attempted (an earlier one to that recipient failed) leave their items pending, uncounted
        handled = {i for s in finished for i in groups[s].ids} | set(failed_ids)
        self.outbox.release([r.id for r in claimed if r.id not in handled])
        if delivered:
            self.sent.append(SentDigest(dest.name, len(delivered), "\n".join(done)))
            log.info("sent %d item(s) to %s (%s)", len(delivered), dest.name, redact_url(url), extra={"stage": "digest"})

    def _send(self, url: str, message: OutMessage) -> SendResult:
        try:
            return self.notify(url, message)
        except Exception as exc:  # a notifier must never take the run down; the items are retried
            return SendResult(False, f"{type(exc).__name__}: {exc}")

    def _failed(self, dest: DestinationConfig, url: str, ids: list[int], error: str) -> None:
        d = self.settings.digest
        rows = self.outbox.mark_failed(
            ids, error, self.now, lambda n: schedule.backoff(n, self.base, self.cap), d.give_up_after_failures
        )
        attempts = max((r.attempts for r in rows), default=0)
        fate = "given up" if any(r.status == "failed" for r in rows) else "kept for retry"
        self.fail(dest.name, f"{error} (attempt {attempts}, {len(ids)} item(s) {fate})")
        reached = [r for r in rows if r.attempts == d.alert_after_failures]
        if reached and dest.name != self.settings.admin:
            self.outbox.add_notice(
                f"delivery-failing:{dest.name}:{reached[0].id}",
                f"digest delivery to {dest.name} failing",
                f"{len(rows)} item(s) for destination {dest.name} ({redact_url(url)}) failed {attempts} time(s) in a row.\n"
                f"Last error: {error}\nThey stay queued and are retried with backoff.",
                self.now,
            )

    def _maybe_empty(self, dest: DestinationConfig, url: str, targets: list[Target]) -> None:
        """With send_empty, one "nothing new" message per scheduled slot (and per recipient)."""
        if not dest.send_empty or dest.schedule == "immediate":
            return
        local = self.now.astimezone(self.tz)
        if schedule.in_quiet(local, schedule.parse_quiet(dest.quiet_hours)):
            return
        if dest.schedule == "hourly":
            slot = local.replace(minute=0, second=0, microsecond=0)
        else:
            slot = local.replace(hour=dest.at.hour, minute=dest.at.minute, second=0, microsecond=0)
            if slot > local:
                slot -= timedelta(days=1)
        planned = plan_messages([], channel_of(url), dest.max_items, self.tz, self.now)[0]
        sent = False
        for target in targets:
            key = EMPTY_RULE + slot.isoformat() + (f"@{target.key}" if len(targets) > 1 else "")
            if self.outbox.has_marker(dest.name, key):
                continue
            result = self._send(target.url, planned.message)
            if result.ok:
                self.outbox.add_marker(dest.name, key, self.now)
                sent = True
            else:
                self.fail(dest.name, self._error(result, url, target))
        if sent:
            self.sent.append(SentDigest(dest.name, 0, planned.markdown))

    def notices(self) -> None:
        """Pending admin notices (feed health, delivery trouble) go to the admin destination, each recipient once."""
        admin = next((d for d in self.settings.destinations if d.name == self.settings.admin), None)
        if admin is None:
            return  # kept until an admin destination is configured; `digest status` counts them
        notices = self.outbox.pending_notices()
        if not notices:
            return
        resolved = self._resolve(admin)
        if resolved is None:
            return
        url, targets = resolved
        many = len(targets) > 1
        got = self.outbox.delivered([n.id for n in notices], kind="notice") if many else {}
        failed: set[int] = set()
        for target in targets:
            for notice in notices:
                if target.key in got.get(notice.id, set()):
                    continue
                message = OutMessage(f"[newswatch] {notice.subject}", notice.body, "text")
                result = self._send(target.url, message)
                if not result.ok:
                    failed.add(notice.id)
                    self.fail(admin.name, "admin notice: " + self._error(result, url, target))
                    break
                if many:
                    self.outbox.mark_delivered("notice", notice.id, target.key, self.now)
                    got.setdefault(notice.id, set()).add(target.key)
                else:
                    self.outbox.notice_sent(notice.id, self.now)
        for notice in notices:
            if notice.id in failed:
                self.outbox.notice_failed(notice.id)
            elif many and {t.key for t in targets} <= got.get(notice.id, set()):
                self.outbox.notice_sent(notice.id, self.now)


def deliver_local(store, settings: Settings, now: datetime, worker: str, echo: Callable[[str], None] | None) -> DeliveryReport:
    """No destinations configured: write the digest to files and hand the text to `echo`."""
    tz = settings.tz
    rows = store.outbox.candidates(LOCAL, now)
    notices = store.outbox.pending_notices()
    if not rows and not notices:
        return DeliveryReport((), (), 0)
    claimed = claim_stories(store.outbox, LOCAL, rows, worker, now) if rows else []
    groups = group_rows(store, claimed)
    d = build_digest([g.item for g in groups.values()], tz, now)
    text = render_text(d)
    if notices:
        text += "\n■ 관리 알림\n\n" + "\n".join(f"- {n.subject}\n  {n.body}" for n in notices) + "\n"
    html = render_html(d)
    try:
        folder = Path(settings.digest_dir)
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / f"digest-{now.astimezone(tz):%Y%m%d-%H%M%S}"
        stem.with_suffix(".txt").write_text(text, encoding="utf-8")
        stem.with_suffix(".html").write_text(html, encoding="utf-8")
    except OSError as exc:
        store.outbox.release([r.id for r in claimed])
        return DeliveryReport((), ((LOCAL, f"cannot write the digest to {settings.digest_dir}: {exc.strerror}"),), len(rows))
    store.outbox.mark_sent([r.id for r in claimed], "file", now)
    for n in notices:
        store.outbox.notice_sent(n.id, now)
    if echo is not None:
        echo(text)
    sent = (SentDigest(LOCAL, len(groups), render_markdown(d)),) if claimed else ()
    return DeliveryReport(sent, (), len(store.outbox.pending()))


def _release_dead_local_workers(outbox) -> None:
    """Items held by a "host:pid" worker of this host whose process is gone are taken back at once.

    Worker names made of host and pid change with every restart, so without this a
    crashed worker's items would wait for `claim_timeout`.
    """
    prefix = socket.gethostname() + ":"
    for worker in outbox.sending_workers():
        pid = worker[len(prefix):] if worker.startswith(prefix) else ""
        if pid.isdigit() and not _alive(int(pid)):
            outbox.release_worker(worker)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def deliver_due(
    store,
    settings: Settings,
    now: datetime,
    *,
    worker: str = "local",
    notify: Notifier | None = None,
    echo: Callable[[str], None] | None = None,
    secrets: SecretResolver | None = None,
) -> DeliveryReport:
    """Send every destination's due items and the admin notices; see the module docstring for the guarantee.

    `secrets` reads the Prefect Secret blocks that destination URLs name as
    `${prefect-secret:BLOCK}`; the flows pass it (only they import Prefect).
    """
    lease = schedule.parse_duration(settings.digest.claim_timeout)
    store.outbox.release_stale(worker, now, lease)
    _release_dead_local_workers(store.outbox)
    if not settings.destinations:
        return deliver_local(store, settings, now, worker, echo)
    run = _Run(store, settings, now, worker, notify or apprise_notify, secrets)
    for dest in settings.destinations:
        run.destination(dest)
    run.notices()
    return DeliveryReport(tuple(run.sent), tuple(run.failures), len(store.outbox.pending()))
