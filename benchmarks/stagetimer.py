"""Wall-clock time of a newswatch cycle by stage, without a profiler.

cProfile charges every Python call, so it inflates deep pure-Python code such as
SQLAlchemy's statement building and makes the state layer look costlier than it
is. This timer wraps only the few entry points of each stage and charges time
exclusively: while a state call runs inside the dedup stage, the time is the
state's, not the dedup's. Its own cost is a few microseconds per wrapped call.

    with StageTimer() as timer:
        run_cycle(settings, store)
    timer.shares()  # {"extraction": 0.52, "state": 0.11, ...}
"""
from __future__ import annotations

import functools
import inspect
import time
from contextlib import contextmanager


class StageTimer:
    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._stack: list[list] = []  # [stage, started_at] of the calls now running
        self._undo: list[tuple[object, str, object]] = []
        self._wall = 0.0

    # -- accounting ------------------------------------------------------------
    def _enter(self, stage: str) -> None:
        now = time.perf_counter()
        if self._stack:
            outer = self._stack[-1]
            self.totals[outer[0]] = self.totals.get(outer[0], 0.0) + now - outer[1]
        self._stack.append([stage, now])

    def _exit(self) -> None:
        now = time.perf_counter()
        stage, started = self._stack.pop()
        self.totals[stage] = self.totals.get(stage, 0.0) + now - started
        if self._stack:
            self._stack[-1][1] = now  # the outer stage resumes its clock

    @contextmanager
    def stage(self, name: str):
        self._enter(name)
        try:
            yield
        finally:
            self._exit()

    # -- wrapping --------------------------------------------------------------
    def wrap(self, owner, name: str, stage: str) -> None:
        original = getattr(owner, name)
        if inspect.iscoroutinefunction(original):
            @functools.wraps(original)
            async def timed(*args, **kwargs):
                self._enter(stage)
                try:
                    return await original(*args, **kwargs)
                finally:
                    self._exit()
        else:
            @functools.wraps(original)
            def timed(*args, **kwargs):
                self._enter(stage)
                try:
                    return original(*args, **kwargs)
                finally:
                    self._exit()
        self._undo.append((owner, name, original))
        setattr(owner, name, timed)

    def wrap_context(self, owner, name: str, stage: str) -> None:
        """A context-manager method: its entering and leaving are timed, not the body of the `with`."""
        original = getattr(owner, name)
        timer = self

        class Timed:
            def __init__(self, cm):
                self.cm = cm

            def __enter__(self):
                with timer.stage(stage):
                    return self.cm.__enter__()

            def __exit__(self, *exc):
                with timer.stage(stage):
                    return self.cm.__exit__(*exc)

        @functools.wraps(original)
        def opened(*args, **kwargs):
            return Timed(original(*args, **kwargs))

        self._undo.append((owner, name, original))
        setattr(owner, name, opened)

    def wrap_public(self, cls, stage: str) -> None:
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(member):
                self.wrap(cls, name, stage)

    def install(self) -> None:
        import dedup.index
        import digests.queue
        import newswatch.cycle
        import rules.loader
        from state.articles import ArticleRepo
        from state.entries import EntryRepo
        from state.feeds import FeedRepo
        from state.institutions import InstitutionRepo
        from state.matches import MatchRepo
        from state.outbox import OutboxRepo
        from state.db import Store
        from state.stories import StoryRepo, StoryTx

        for repo in (ArticleRepo, EntryRepo, FeedRepo, InstitutionRepo, MatchRepo, OutboxRepo, StoryTx):
            self.wrap_public(repo, "state")
        for name, member in list(vars(StoryRepo).items()):
            if name == "decision":
                self.wrap_context(StoryRepo, name, "state")
            elif not name.startswith("_") and inspect.isfunction(member):
                self.wrap(StoryRepo, name, "state")
        self.wrap_context(Store, "transaction", "state")
        self.wrap(newswatch.cycle, "_poll", "poll: HTTP and feed parsing")
        self.wrap(newswatch.cycle, "_fetch_pages", "article pages: HTTP")
        self.wrap(newswatch.cycle, "extract_page", "extraction")
        self.wrap(dedup.index.DedupIndex, "add", "dedup")
        self.wrap(dedup.index.DedupIndex, "load", "dedup")
        self.wrap(dedup.index.DedupIndex, "features", "dedup")
        self.wrap(rules.loader.RuleSet, "match", "rules")
        self.wrap(digests.queue, "queue_items", "outbox payloads")

    def uninstall(self) -> None:
        while self._undo:
            owner, name, original = self._undo.pop()
            setattr(owner, name, original)

    def __enter__(self) -> "StageTimer":
        self.install()
        self._enter("other")
        return self

    def __exit__(self, *exc) -> None:
        self._exit()
        self.uninstall()

    def shares(self) -> dict[str, float]:
        total = sum(self.totals.values()) or 1.0
        return {k: v / total for k, v in sorted(self.totals.items(), key=lambda kv: -kv[1])}
