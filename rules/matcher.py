"""Matching articles against compiled rules: one Aho-Corasick pass, then per-rule verification.

Every term surface (terms, aliases, exclude_context phrases) of every rule goes
into one automaton. A pass over each field finds all raw substring hits; only
hits that pass the Korean word test (rules.korean) count, and only rules that
own a verified hit are evaluated further. That keeps 1,000 rules cheap.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Sequence

import ahocorasick

from newswatch.models import Article, Evidence, InstitutionMention, Match
from rules import korean
from rules.institutions import Found, InstitutionRegistry, canonical, find_institutions_at, fold_found, founding_events
from rules.model import FOUNDING_WORDS, Rule

log = logging.getLogger("newswatch.rules")

FIELDS = ("title", "lead", "body")
CONTEXT_GAP = 20  # an exclude_context phrase this close to a mention, in its sentence, cancels it
EVIDENCE_PER_TERM = 3
REGEX_MAX_HITS = 200


@dataclass(frozen=True, slots=True)
class Occ:
    """One verified occurrence: [start, end) is the word form (term plus endings)."""

    field: str
    start: int
    end: int


@dataclass(slots=True)
class TermSpec:
    label: str
    surfaces: list[int]  # surface ids in the automaton
    regex: Any = None  # a compiled re2 pattern


@dataclass(slots=True)
class CompiledRule:
    rule: Rule
    file: str
    terms: list[TermSpec]
    all_terms: list[int]
    any_terms: list[int]
    none_terms: list[int]
    exclude: list[int]  # surface ids of exclude_context phrases
    include_sources: frozenset[str]
    exclude_sources: frozenset[str]
    positive_surfaces: set[int] = field(default_factory=set)
    # surface ids of each word term that must be present (all-terms; the any-group as one entry)
    required: list[tuple[int, ...]] = field(default_factory=list)


class _Article:
    """Per-article caches: texts, raw hits, verified hits, sentences, institutions."""

    def __init__(self, matcher: "Matcher", article: Article):
        self.texts = {"title": article.title or "", "lead": article.lead or "", "body": article.text or ""}
        self.norm = {f: korean.normalize(t) for f, t in self.texts.items()}
        self.raw: dict[int, list[tuple[str, int, int]]] = {}
        self._verified: dict[int, list[Occ]] = {}
        self._sentences: dict[str, korean.Sentences] = {}
        self.matcher = matcher
        self.institutions: list[tuple[str, Found]] | None = None
        # Extractors often give the first paragraph as the lead and keep it in the body: count it once.
        lead = self.texts["lead"].strip()
        self.lead_in_body = bool(lead) and lead in self.texts["body"]
        if matcher.automaton is not None:
            for f in FIELDS:
                text = self.norm[f]
                if not text:
                    continue
                for end, sid in matcher.automaton.iter(text):
                    self.raw.setdefault(sid, []).append((f, end + 1 - len(matcher.surfaces[sid]), end + 1))

    def verified(self, sid: int) -> list[Occ]:
        got = self._verified.get(sid)
        if got is None:
            first, last = self.matcher.kinds[sid]
            got = []
            for f, s, e in self.raw.get(sid, ()):
                form_end = korean.word_match(self.norm[f], s, e, first, last)
                if form_end >= 0:
                    got.append(Occ(f, s, form_end))
            self._verified[sid] = got
        return got

    def sentences(self, f: str) -> korean.Sentences:
        s = self._sentences.get(f)
        if s is None:
            s = self._sentences[f] = korean.Sentences(self.texts[f])
        return s

    def found_institutions(self) -> list[tuple[str, Found]]:
        if self.institutions is None:
            fields = [f for f in FIELDS if not (f == "lead" and self.lead_in_body)]
            self.institutions = [(f, found) for f in fields if self.texts[f]
                                 for found in find_institutions_at(self.texts[f], sentences=self._sentences.get(f))]
        return self.institutions


class Matcher:
    """The compiled form of a set of valid rules."""

    def __init__(self, compiled: Sequence[CompiledRule], surfaces: list[str]):
        self.rules = list(compiled)
        self.surfaces = surfaces
        self.kinds = [(korean.edge_kind(s[0]), korean.edge_kind(s[-1])) for s in surfaces]
        self.by_surface: dict[int, list[int]] = {}
        self.always: list[int] = []
        for idx, cr in enumerate(self.rules):
            for sid in cr.positive_surfaces:
                self.by_surface.setdefault(sid, []).append(idx)
            if not cr.positive_surfaces:
                self.always.append(idx)
        self.automaton = None
        if surfaces:
            automaton = ahocorasick.Automaton()
            for sid, surface in enumerate(surfaces):
                automaton.add_word(surface, sid)
            automaton.make_automaton()
            self.automaton = automaton

    def match(self, article: Article, *, feed: str | None, registry: InstitutionRegistry, now: datetime) -> list[Match]:
        doc = _Article(self, article)
        candidates = set(self.always)
        for sid in doc.raw:
            owners = self.by_surface.get(sid)
            if owners and doc.verified(sid):
                candidates.update(owners)
        names = {n.casefold() for n in (feed, article.feed, article.site_name) if n}
        # Institutions are looked up before learning, so every rule sees the same "new". Registered
        # spellings first (GIST, 인공지능/AI), then the article's own spellings and tails fold together.
        mentions = fold_found([(f, Found(canonical(found.mention, registry), found.start, found.end))
                               for f, found in doc.found_institutions()])
        known, wrong = _statuses(registry, {m.mention.name for _, m in mentions})
        out: list[Match] = []
        for idx in sorted(candidates):
            cr = self.rules[idx]
            # Cheap rejection before the full evaluation: a required term with no verified hit.
            if any(not any(doc.verified(sid) for sid in group if sid in doc.raw) for group in cr.required):
                continue
            if not _source_ok(cr, names) or not _language_ok(cr.rule, article.language):
                continue
            try:
                result = self._evaluate(cr, doc, mentions, known, wrong)
            except Exception:  # one broken rule must not stop the others
                log.exception("rule failed on an article", extra={"rule": cr.rule.id, "url": article.url, "stage": "rules", "feed": feed})
                continue
            if result is not None:
                out.append(result)
        learned = [m.mention for _, m in mentions if m.mention.name not in wrong]
        if learned:
            registry.learn(learned, article.url, now)
        return out

    # -- one rule --------------------------------------------------------
    def _occurrences(self, cr: CompiledRule, doc: _Article, spec: TermSpec) -> list[Occ]:
        fields = _fields(cr.rule, doc)
        if spec.regex is not None:
            occ = []
            for f in fields:
                for m in spec.regex.finditer(doc.texts[f]):
                    if m.end() > m.start():
                        occ.append(Occ(f, m.start(), m.end()))
                    if len(occ) >= REGEX_MAX_HITS:
                        break
            return occ
        occ = [o for sid in spec.surfaces for o in doc.verified(sid) if o.field in fields]
        if len(spec.surfaces) > 1:
            occ = _drop_nested(occ)
        if cr.exclude and occ:
            occ = self._drop_excluded(cr, doc, occ, spec)
        return occ

    def _drop_excluded(self, cr: CompiledRule, doc: _Article, occ: list[Occ], spec: TermSpec) -> list[Occ]:
        """A phrase cancels the mentions it overlaps (경기도 광주 over 광주); a phrase that overlaps no
        mention of any term of the rule (곤지암) cancels the mentions within CONTEXT_GAP characters of it
        in the same sentence. Then one sense per article: once an overlapping phrase has fixed what the
        bare term means here, its later bare mentions (광주시 관계자는 …) are cancelled too, unless the
        article also names the place unambiguously through an alias (광주광역시)."""
        hits = [(f, s, e) for sid in cr.exclude for f, s, e in doc.raw.get(sid, ()) if f in cr.rule.fields]
        if not hits:
            return occ
        every = [o for t in cr.terms for sid in t.surfaces for o in doc.verified(sid)]
        cancelled: set[Occ] = set()
        fixed_sense = False
        for f, s, e in hits:
            overlapped = {o for o in occ if o.field == f and s < o.end and o.start < e}
            if any(o.field == f and s < o.end and o.start < e for o in every):
                cancelled.update(overlapped)
                fixed_sense = fixed_sense or bool(overlapped)
                continue
            sents = doc.sentences(f)
            for o in occ:
                if o.field == f and max(s - o.end, o.start - e) <= CONTEXT_GAP and sents.index(s) == sents.index(o.start):
                    cancelled.add(o)
        kept = [o for o in occ if o not in cancelled]
        if fixed_sense and kept:
            aliases = [self.surfaces[sid] for sid in spec.surfaces if self.surfaces[sid] != spec.label]
            if not any(doc.texts[o.field][o.start:o.end].startswith(a) for o in kept for a in aliases):
                return []
        return kept

    def _evaluate(self, cr, doc, mentions, known, wrong) -> Match | None:
        rule = cr.rule
        occ = {ti: self._occurrences(cr, doc, cr.terms[ti]) for ti in cr.all_terms + cr.any_terms}
        n = rule.min_mentions
        if any(len(occ[ti]) < n for ti in cr.all_terms):
            return None
        any_occ = sorted((o for ti in cr.any_terms for o in occ[ti]), key=lambda o: (o.field, o.start))
        if cr.any_terms and len(any_occ) < n:
            return None
        for ti in cr.none_terms:
            if self._occurrences(cr, doc, cr.terms[ti]):
                return None
        slots = [[(o, ti) for o in occ[ti]] for ti in cr.all_terms]
        if cr.any_terms:
            slots.append([(o, ti) for ti in cr.any_terms for o in occ[ti]])
        if rule.near is not None and len(slots) > 1:
            chosen = _near(slots, rule.near.within, doc if rule.near.sentence else None)
            if chosen is None:
                return None
        else:
            chosen = [pair for slot in slots for pair in slot[:EVIDENCE_PER_TERM]]
        evidence = [self._evidence(cr.terms[ti].label, o, doc) for o, ti in sorted(chosen, key=lambda p: (FIELDS.index(p[0].field), p[0].start))]
        institutions: tuple[InstitutionMention, ...] = ()
        if rule.type == "new_institution":
            reported = _report(rule, mentions, known, wrong, doc)
            if not reported:
                return None
            institutions = tuple(m.mention for _, m in reported)
            for f, m in reported:
                label = "new institution" if m.mention.is_new else f"founding: {m.mention.event}"
                evidence.append(Evidence(label, doc.texts[f][m.start:m.end], f, m.start, m.end,
                                         korean.snippet(doc.texts[f], m.start, m.end)))
        return Match(rule=rule.id, title=rule.display_title, priority=rule.priority,
                     destinations=tuple(rule.destinations), evidence=tuple(evidence), institutions=institutions)

    @staticmethod
    def _evidence(label: str, o: Occ, doc: _Article) -> Evidence:
        text = doc.texts[o.field]
        return Evidence(term=label, matched=text[o.start:o.end], field=o.field, start=o.start, end=o.end,
                        snippet=korean.snippet(text, o.start, o.end))


def _fields(rule: Rule, doc: _Article) -> list[str]:
    """The rule's fields, without the lead when the body repeats it (so nothing is counted twice)."""
    if doc.lead_in_body and "lead" in rule.fields and "body" in rule.fields:
        return [f for f in rule.fields if f != "lead"]
    return list(rule.fields)


def _statuses(registry: InstitutionRegistry, names: set[str]) -> tuple[dict[str, bool], set[str]]:
    """(name -> known?, names marked wrong), in one query when the registry offers `lookup`."""
    if not names:
        return {}, set()
    lookup = getattr(registry, "lookup", None)
    if lookup is not None:
        status = lookup(names)
        return {n: status.get(n) is not None for n in names}, {n for n in names if status.get(n) == "wrong"}
    is_wrong = getattr(registry, "is_wrong", None)  # optional in registries written elsewhere
    known = {n: registry.is_known(n) for n in names}
    return known, ({n for n in names if is_wrong(n)} if is_wrong else set())


def _drop_nested(occ: list[Occ]) -> list[Occ]:
    """광주 and its alias 광주광역시 hit the same place: keep the longer one."""
    occ.sort(key=lambda o: (o.field, o.start, -o.end))
    kept: list[Occ] = []
    for o in occ:
        if kept and kept[-1].field == o.field and o.start < kept[-1].end:
            continue
        kept.append(o)
    return kept


def _near(slots: list[list[tuple[Occ, int]]], within: int | None, doc: _Article | None):
    """One occurrence per slot, all in one sentence (doc given) or within `within` characters; None if impossible."""
    events = sorted(((o, ti, k) for k, slot in enumerate(slots) for o, ti in slot), key=lambda e: (FIELDS.index(e[0].field), e[0].start))
    need = len(slots)
    if doc is not None:
        groups: dict[tuple[str, int], dict[int, tuple[Occ, int]]] = {}
        for o, ti, k in events:
            groups.setdefault((o.field, doc.sentences(o.field).index(o.start)), {}).setdefault(k, (o, ti))
        for group in groups.values():
            if len(group) == need:
                return list(group.values())
        return None
    count: dict[int, int] = {}
    left = 0
    for right, (o, ti, k) in enumerate(events):
        if events[left][0].field != o.field:
            left, count = right, {}
        count[k] = count.get(k, 0) + 1
        while count[events[left][2]] > 1 and left < right:
            count[events[left][2]] -= 1
            left += 1
        if len(count) == need and o.end - events[left][0].start <= within:
            window = {}
            for eo, eti, ek in events[left:right + 1]:
                window[ek] = (eo, eti)
            return list(window.values())
    return None


def _report(rule: Rule, mentions, known: dict[str, bool], wrong: set[str], doc: _Article) -> list[tuple[str, Found]]:
    """The institutions a new_institution rule reports: new names and/or founding events, one per name.

    The mentions' events were found with the default founding words; a rule with its own words
    looks again, at each mention's place in its field."""
    own_words = tuple(rule.founding_words) != tuple(FOUNDING_WORDS)
    events: dict[int, str | None] = {}  # mention index -> event with the rule's words
    for f in rule.fields if own_words else ():
        idx = [i for i, (g, _) in enumerate(mentions) if g == f]
        spans = [(mentions[i][1].start, mentions[i][1].end) for i in idx]
        events.update(zip(idx, founding_events(doc.texts[f], spans, rule.founding_words)))
    by_name: dict[str, tuple[str, Found]] = {}
    for i, (f, found) in enumerate(mentions):
        m = found.mention
        if f not in rule.fields or m.name in wrong:
            continue
        event = events[i] if own_words else m.event
        is_new = not known.get(m.name, False)
        current = by_name.get(m.name)
        if current is None or (event and not current[1].mention.event):
            mention = InstitutionMention(name=m.name, surface=m.surface, sentence=m.sentence, event=event, is_new=is_new)
            by_name[m.name] = (f, Found(mention, found.start, found.end))
    wants_new, wants_event = "new" in rule.alert_on, "founding" in rule.alert_on
    return [v for v in by_name.values() if (wants_new and v[1].mention.is_new) or (wants_event and v[1].mention.event)]


def _source_ok(cr: CompiledRule, names: set[str]) -> bool:
    if cr.include_sources and not (names & cr.include_sources):
        return False
    return not (names & cr.exclude_sources)


def _language_ok(rule: Rule, language: str) -> bool:
    if not rule.languages:
        return True
    lang = (language or "").lower()
    return any(lang == l.lower() or lang.startswith(l.lower() + "-") for l in rule.languages)


def build(rules: Iterable[tuple[Rule, str, dict[int, Any]]]) -> Matcher:
    """Compile (rule, file, {term index: compiled regex}) triples; regexes were checked by the loader."""
    surfaces: list[str] = []
    sid_of: dict[str, int] = {}

    def sid(text: str) -> int:
        norm = korean.normalize(text.strip())
        if norm not in sid_of:
            sid_of[norm] = len(surfaces)
            surfaces.append(norm)
        return sid_of[norm]

    compiled = []
    for rule, file, regexes in rules:
        if not rule.enabled:
            continue
        terms: list[TermSpec] = []
        groups: dict[str, list[int]] = {"all": [], "any": [], "none": []}
        shared = {korean.normalize(k.strip()): v for k, v in rule.aliases.items()}
        flat = [(g, t) for g in ("all", "any", "none") for t in getattr(rule, g)]
        for ti, (group, term) in enumerate(flat):
            if term.regex is not None:
                terms.append(TermSpec(term.label, [], regexes[ti]))
            else:
                words = [term.term, *term.aliases, *shared.get(korean.normalize(term.term.strip()), ())]
                terms.append(TermSpec(term.label, sorted({sid(w) for w in words})))
            groups[group].append(ti)
        for k, pattern in enumerate(rule.regex):
            terms.append(TermSpec(f"regex:{pattern}", [], regexes[len(flat) + k]))
            groups["all"].append(len(terms) - 1)
        cr = CompiledRule(
            rule=rule, file=file, terms=terms, all_terms=groups["all"], any_terms=groups["any"],
            none_terms=groups["none"], exclude=sorted({sid(p) for p in rule.exclude_context}),
            include_sources=frozenset(s.casefold() for s in rule.sources.include),
            exclude_sources=frozenset(s.casefold() for s in rule.sources.exclude),
        )
        # A rule is only evaluated when one of its all/any words has a verified hit; rules with a
        # regex among them, or with no terms (a new_institution rule without scope), always are.
        positive = [terms[ti] for ti in groups["all"] + groups["any"]]
        if positive and all(t.regex is None for t in positive):
            cr.positive_surfaces = {s for t in positive for s in t.surfaces}
        cr.required = [tuple(terms[ti].surfaces) for ti in groups["all"] if terms[ti].regex is None]
        any_terms = [terms[ti] for ti in groups["any"]]
        if any_terms and all(t.regex is None for t in any_terms):
            cr.required.append(tuple(s for t in any_terms for s in t.surfaces))
        compiled.append(cr)
    return Matcher(compiled, surfaces)
