"""Rule matching speed: 1,000 rules over 10,000 generated Korean articles.

Prints the time to load the 1,000 rules from YAML (target < 1 s) and matching time per
article (rules + institution detection + registry learning) as a share of extraction time
per article (target < 10 %). Extraction is `trafilatura.extract`, timed in the same run, in
rounds alternating with matching, on three kinds of page:
  - generated pages holding the same article text, padded with menus, headline lists,
    inline script/style to ~66 kB (the median size of the corpus's real news pages);
  - the same pages bare (article + one menu), a much cheaper floor;
  - the real pages of ../shared/corpus/pages (read in place; skipped when absent).
Words are Zipf-distributed over a 40,000-word generated vocabulary and rule terms are
mid-frequency words (--vocab uniform is a worst case where every article hits many rules).

    .venv/bin/python benchmarks/bench_rules.py [--rules 1000] [--articles 10000] [--pages 200]
        [--vocab zipf|uniform] [--page-bytes 66000] [--seed 7]
"""
from __future__ import annotations

import argparse
import random
import gc
import itertools
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402
import yaml  # noqa: E402

from newswatch.models import Article  # noqa: E402
from rules import MemoryRegistry, load_rules  # noqa: E402

SYLLABLES = list(
    "가각간갈감강개거건걸검게격견결경계고곡공과관광교구국군권귀규균그극근금기긴길김나난남내너년노농"
    "누능다단달담당대더도독동두드득등라락란람랑래략량러려력련령로록론료루류륙률르름리린림마만말망매"
    "면명모목무문물미민바박반발방배백범법벽변별병보복본봉부북분불비빈사산살상새생서석선설성세소속손"
    "송수순술승시식신실심아안알암앙애야약양어억언업에여역연열영예오온올완왕외요용우운울원위유육윤은"
    "을음의이인일임입자작잔장재저적전절점정제조족존종주준중즉증지직진질집차착찬참창채책처천철청체초"
    "촌총최추축춘출충취측치친칠타탁탄탈태택토통투특파판팔패편평포표품풍피필하학한할함합항해핵행향허"
    "헌험혁현혈협형혜호혹혼홍화확환활황회획효후훈휘휴흥희"
)
PARTICLES = ["", "", "", "은", "는", "이", "가", "을", "를", "의", "에", "에서", "으로", "와", "과", "도", "시", "이다"]
ORG_SUFFIXES = ["연구원", "센터", "진흥원", "재단", "사업단", "대학교", "테크노파크"]
LATIN = ["AI", "ICT", "GPU", "IoT", "R&D", "SW", "VR", "XR", "KTX", "ESG"]


def word(rng: random.Random, n: int | None = None) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(n or rng.choice((2, 2, 3, 3, 4))))


def make_vocab(rng: random.Random, size: int = 40_000) -> list[str]:
    """Distinct words, most frequent first (Latin acronyms among the frequent ones, as in tech news)."""
    vocab = list(dict.fromkeys(word(rng) for _ in range(size)))
    return vocab[:50] + LATIN + vocab[50:]


class Sampler:
    """Words of an article: Zipf-distributed like real text (zipf), or uniform over the vocabulary (uniform,
    a worst case where every article hits hundreds of rules)."""

    def __init__(self, vocab: list[str], mode: str):
        self.vocab = vocab
        weights = [1.0 / (r + 1) for r in range(len(vocab))] if mode == "zipf" else [1.0] * len(vocab)
        self.cum = list(itertools.accumulate(weights))

    def words(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.vocab, cum_weights=self.cum, k=k)


def rule_terms(rng: random.Random, vocab: list[str], mode: str):
    """Watch terms are mid-frequency words (place, field, organisation names), not the commonest words."""
    pool = vocab[300:30_000] if mode == "zipf" else vocab
    return lambda k: rng.sample(pool, k)


def make_rules(rng: random.Random, vocab: list[str], count: int, mode: str = "zipf") -> list[dict]:
    rules = []
    pick = rule_terms(rng, vocab, mode)
    for i in range(count):
        kind = i % 20
        rule: dict = {"id": f"r{i:04d}", "title": f"rule {i}"}
        if kind < 12:
            a, b = pick(2)
            rule["all"] = [{"term": a, "aliases": pick(2)}, b]
            rule["near"] = {"within": 200} if kind % 2 else "sentence"
        elif kind < 16:
            rule["any"] = pick(4)
            rule["none"] = pick(2)
            rule["fields"] = ["title", "body"]
        elif kind < 18:
            rule["all"] = pick(1)
            rule["any"] = pick(3)
            rule["exclude_context"] = [f"{w} {x}" for w, x in zip(pick(2), pick(2))]
            rule["min_mentions"] = 2
        elif kind < 19:
            rule["all"] = pick(1)
            rule["regex"] = f"{rng.choice(SYLLABLES)}[0-9]+(억|만)\\s?원"
        else:
            rule["type"] = "new_institution"
            rule["all"] = pick(1)
        rules.append(rule)
    return rules


def make_article(rng: random.Random, sampler: Sampler, chars: int, plant: list[str] | None = None) -> tuple[str, str]:
    """A title and a body of about `chars` characters; `plant` puts a rule's terms into one sentence."""
    title = " ".join(w + rng.choice(PARTICLES) for w in sampler.words(rng, 6))
    parts: list[str] = []
    size = 0
    while size < chars:
        sentence = []
        for w in sampler.words(rng, rng.randint(6, 14)):
            if rng.random() < 0.03:
                w = word(rng, 3) + rng.choice(ORG_SUFFIXES)
            sentence.append(w + rng.choice(PARTICLES))
        if plant and rng.random() < 0.2:
            sentence[1:1] = [t + rng.choice(PARTICLES) for t in plant]
            plant = None
        s = " ".join(sentence) + rng.choice([".", ".", ".", "다.", "?"])
        parts.append(s)
        size += len(s) + 1
    body = ""
    for i, s in enumerate(parts):
        body += s + ("\n" if i % 4 == 3 else " ")
    return title, body.strip()


def make_html(title: str, body: str, rng: random.Random | None = None, sampler: "Sampler | None" = None,
              page_bytes: int = 0) -> str:
    """An article page; with page_bytes, padded with the usual boilerplate (menus, headline lists,
    inline script and style, footer) to about that many bytes, as real news pages are."""
    paras = "".join(f"<p>{p}</p>" for p in body.split("\n"))
    nav = "".join(f"<li><a href='/section/{i}'>메뉴 {i}</a></li>" for i in range(30))
    extra: list[str] = []
    size = len(paras.encode()) * 2
    k = 0
    while rng is not None and sampler is not None and size < page_bytes:
        kind = k % 4
        if kind == 0:
            block = "<aside class='ranking'><h3>많이 본 뉴스</h3><ul>" + "".join(
                f"<li><a href='/news/{rng.randrange(10**6)}'>{' '.join(sampler.words(rng, 7))}</a></li>" for _ in range(10)
            ) + "</ul></aside>"
        elif kind == 1:
            block = "<script>window.__cfg=" + str({f"k{i}": rng.randrange(10**9) for i in range(60)}) + ";</script>"
        elif kind == 2:
            block = "<style>" + "".join(f".c{rng.randrange(10**5)}{{margin:{i}px;color:#{rng.randrange(16**6):06x}}}" for i in range(40)) + "</style>"
        else:
            block = "<div class='related'>" + "".join(
                f"<div class='card'><a href='/v/{rng.randrange(10**6)}'><img src='/i/{i}.jpg' alt=''>"
                f"<span>{' '.join(sampler.words(rng, 6))}</span></a></div>" for i in range(8)
            ) + "</div>"
        extra.append(block)
        size += len(block.encode())
        k += 1
    return (
        f"<!DOCTYPE html><html lang='ko'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:title' content='{title}'>{''.join(b for b in extra if b.startswith(('<script', '<style')))}"
        f"</head><body><header><ul>{nav}</ul></header>"
        f"<main><article><h1>{title}</h1><div class='byline'>기자 홍길동</div>{paras}</article>"
        f"{''.join(b for b in extra if not b.startswith(('<script', '<style')))}</main>"
        f"<footer><p>무단 전재 및 재배포 금지</p></footer></body></html>"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--pages", type=int, default=200, help="HTML pages timed with trafilatura.extract")
    ap.add_argument("--chars", type=int, default=2500, help="body length of generated articles")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--vocab", choices=("zipf", "uniform"), default="zipf",
                    help="zipf: realistic word frequencies; uniform: worst case, every article hits many rules")
    ap.add_argument("--planted", type=float, default=0.05, help="share of articles given the terms of one rule")
    ap.add_argument("--page-bytes", type=int, default=66_000,
                    help="size of the padded generated pages (66 kB = median of the corpus's real news pages)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    vocab = make_vocab(rng)

    with tempfile.TemporaryDirectory() as tmp:
        rules = make_rules(rng, vocab, args.rules, args.vocab)
        per_file = max(1, len(rules) // 10)
        for k in range(0, len(rules), per_file):
            Path(tmp, f"rules{k // per_file:02d}.yaml").write_text(
                yaml.safe_dump({"rules": rules[k:k + per_file]}, allow_unicode=True), encoding="utf-8")
        t0 = time.perf_counter()
        ruleset = load_rules([Path(tmp)])
        load_s = time.perf_counter() - t0
    assert not ruleset.errors, ruleset.errors[:3]

    sampler = Sampler(vocab, args.vocab)
    articles = []
    for i in range(args.articles):
        plant = None
        if rng.random() < args.planted:
            r = rng.choice(rules)
            plant = [t if isinstance(t, str) else t["term"] for t in r.get("all", []) + r.get("any", [])[:1]]
        title, body = make_article(rng, sampler, args.chars, plant)
        articles.append(Article(url=f"https://bench.example/{i}", title=title, text=body))
    # Extraction baseline on pages built from the same kind of text. Extraction and matching are timed
    # in alternating rounds so both see the same load on a shared machine.
    pages = [make_html(a.title, a.text, rng, sampler, args.page_bytes) for a in articles[: args.pages]]
    bare = [make_html(a.title, a.text) for a in articles[: args.pages]]
    for page in pages[:3] + bare[:3]:
        trafilatura.extract(page)  # warm-up
    real_pages = sorted((Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pages").glob("*.html"))
    real = [p.read_bytes().decode("utf-8", "replace") for p in real_pages]  # read in place, never copied
    registry = MemoryRegistry()
    now = datetime.now(timezone.utc)
    gc.collect()
    gc.freeze()  # the generated corpus is benchmark scaffolding: keep the collector from re-walking it
    rounds = 20
    ext_times: list[float] = []
    bare_times: list[float] = []
    real_times: list[float] = []
    times: list[float] = []
    matched = 0
    for r in range(rounds):
        for page in pages[r::rounds]:
            t = time.perf_counter()
            trafilatura.extract(page)
            ext_times.append(time.perf_counter() - t)
        for page in bare[r::rounds]:
            t = time.perf_counter()
            trafilatura.extract(page)
            bare_times.append(time.perf_counter() - t)
        for page in real[r::rounds]:
            t = time.perf_counter()
            trafilatura.extract(page)
            real_times.append(time.perf_counter() - t)
        for a in articles[r::rounds]:
            t = time.perf_counter()
            matched += len(ruleset.match(a, feed=None, registry=registry, now=now))
            times.append(time.perf_counter() - t)
    match_per = statistics.fmean(times)
    match_total = sum(times)

    print(f"vocabulary: {args.vocab}; rules: {len(ruleset.rules)}; articles: {len(articles)} "
          f"(~{args.chars} chars of body, {args.planted:.0%} planted with a rule's terms); matches: {matched}")
    print(f"rule loading: {load_s:.3f} s (target < 1 s)")
    med = statistics.median(times)
    print(f"matching: {match_per * 1000:.3f} ms/article (median {med * 1000:.3f} ms, "
          f"p99 {sorted(times)[int(len(times) * 0.99)] * 1000:.3f} ms), total {match_total:.1f} s")
    avg_bytes = statistics.fmean(len(p.encode()) for p in pages)
    baselines = [(f"generated pages padded to ~{avg_bytes / 1000:.0f} kB", ext_times),
                 ("bare generated pages (article + one menu)", bare_times)]
    if real_times:
        baselines.append((f"the {len(real)} real corpus pages", real_times))
    for label, ts in baselines:
        per, ts_med = statistics.fmean(ts), statistics.median(ts)
        print(f"extraction, trafilatura.extract on {label}: {per * 1000:.2f} ms/page (median {ts_med * 1000:.2f} ms); "
              f"matching / extraction: {match_per / per * 100:.1f} % of the mean, {med / ts_med * 100:.1f} % of the median")
    print("target: matching < 10 % of extraction")
    print(f"institutions learned: {len(registry.status)}")


if __name__ == "__main__":
    main()
