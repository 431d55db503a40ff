"""Extraction quality against expected texts, and time against bare trafilatura.

For every `X.html` with an `X.expected.txt` beside it (the expected file starts
with the title), the extracted `title + text` is compared with the expected
text as multisets of character bigrams, all white space removed from both, so
spacing and line breaks do not count. Precision, recall and F1 per page, their
means, and the time per page of `extract_article` beside bare
`trafilatura.extract()` on the same pages in the same run. Used by
`newswatch eval extract` and `benchmarks/eval_extract.py`.
"""
from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from newswatch.config import ExtractSettings

_WS = re.compile(r"\s+")


def bigrams(text: str) -> Counter:
    s = _WS.sub("", text)
    return Counter(s[i:i + 2] for i in range(len(s) - 1))


def prf(extracted: str, expected: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of extracted against expected over character-bigram multisets."""
    got, want = bigrams(extracted), bigrams(expected)
    common = sum((got & want).values())
    p = common / sum(got.values()) if got else 0.0
    r = common / sum(want.values()) if want else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass(frozen=True)
class PageScore:
    name: str
    precision: float
    recall: float
    f1: float
    seconds: float  # extract_article
    baseline_f1: float
    baseline_seconds: float  # bare trafilatura.extract
    extractor: str = ""
    error: str = ""


@dataclass
class Report:
    pages: list[PageScore] = field(default_factory=list)

    def _mean(self, attr: str) -> float:
        return sum(getattr(p, attr) for p in self.pages) / len(self.pages) if self.pages else 0.0

    @property
    def mean_f1(self) -> float:
        return self._mean("f1")

    @property
    def mean_precision(self) -> float:
        return self._mean("precision")

    @property
    def mean_recall(self) -> float:
        return self._mean("recall")

    @property
    def min_f1(self) -> float:
        return min((p.f1 for p in self.pages), default=0.0)

    @property
    def baseline_mean_f1(self) -> float:
        return self._mean("baseline_f1")

    @property
    def seconds_per_page(self) -> float:
        return self._mean("seconds")

    @property
    def baseline_seconds_per_page(self) -> float:
        return self._mean("baseline_seconds")

    @property
    def time_ratio(self) -> float:
        base = self.baseline_seconds_per_page
        return self.seconds_per_page / base if base else float("inf")

    def meets(self, mean_f1: float = 0.97, min_f1: float = 0.85, max_ratio: float = 1.5) -> bool:
        return bool(self.pages) and self.mean_f1 >= mean_f1 and self.min_f1 >= min_f1 and self.time_ratio <= max_ratio


def pairs(folder: Path, recursive: bool = False) -> list[tuple[Path, Path]]:
    """(page, expected text) pairs in a folder, sorted by name."""
    pattern = "**/*.html" if recursive else "*.html"
    out = []
    for page in sorted(folder.glob(pattern)):
        expected = page.with_name(page.name[: -len(".html")] + ".expected.txt")
        if expected.is_file():
            out.append((page, expected))
    return out


def _page_url(page: Path) -> str:
    """The page's URL from X.expected.json when present (canonical URLs do not affect scoring)."""
    meta = page.with_name(page.name[: -len(".html")] + ".expected.json")
    if meta.is_file():
        m = re.search(r'"url"\s*:\s*"([^"]+)"', meta.read_text(encoding="utf-8", errors="replace"))
        if m:
            return m.group(1)
    return f"file://{page.resolve()}"


def bare_trafilatura(html: bytes) -> tuple[str, float]:
    """The baseline: trafilatura.extract with its defaults, title from trafilatura's metadata."""
    import trafilatura

    start = time.perf_counter()
    text = trafilatura.extract(html) or ""
    elapsed = time.perf_counter() - start
    meta = trafilatura.extract_metadata(html)  # title only for scoring; not timed, the baseline is extract()
    title = (meta.title if meta and meta.title else "") if meta else ""
    return f"{title}\n{text}", elapsed


def evaluate(folder: Path, *, settings: ExtractSettings | None = None, recursive: bool = False,
             repeat: int = 1, tz: ZoneInfo = ZoneInfo("Asia/Seoul")) -> Report:
    """Score every page of `folder`; `repeat` runs each timing that many times and keeps the fastest."""
    from extractors.article import extract_article
    from extractors.errors import ExtractionError

    found = pairs(folder, recursive)
    if found:  # warm both up (imports, regex and config caches) so the first page is not charged for it
        warm = found[0][0].read_bytes()
        bare_trafilatura(warm)
        try:
            extract_article(warm, url=_page_url(found[0][0]), settings=settings, default_tz=tz)
        except ExtractionError:
            pass
    report = Report()
    for page, expected_path in found:
        html = page.read_bytes()
        expected = expected_path.read_text(encoding="utf-8", errors="replace")
        url = _page_url(page)
        best = base_best = float("inf")
        extracted, extractor, error = "", "", ""
        for _ in range(max(1, repeat)):
            # Alternate the two so that machine load hits both alike.
            base_text, base_seconds = bare_trafilatura(html)
            base_best = min(base_best, base_seconds)
            start = time.perf_counter()
            try:
                art = extract_article(html, url=url, settings=settings, default_tz=tz)
                extracted, extractor, error = f"{art.title}\n{art.text}", art.extractor, ""
            except ExtractionError as exc:
                extracted, extractor, error = "", "", f"{exc.kind}: {exc}"
            best = min(best, time.perf_counter() - start)
        p, r, f = prf(extracted, expected)
        report.pages.append(PageScore(
            name=str(page.relative_to(folder)), precision=p, recall=r, f1=f, seconds=best,
            baseline_f1=prf(base_text, expected)[2], baseline_seconds=base_best, extractor=extractor, error=error,
        ))
    return report


def format_report(report: Report) -> str:
    lines = [f"{'page':34} {'P':>6} {'R':>6} {'F1':>6} {'bare F1':>7} {'ms':>7} {'bare ms':>7}  extractor"]
    for p in report.pages:
        lines.append(f"{p.name:34} {p.precision:6.3f} {p.recall:6.3f} {p.f1:6.3f} {p.baseline_f1:7.3f} "
                     f"{p.seconds * 1000:7.1f} {p.baseline_seconds * 1000:7.1f}  {p.extractor or p.error}")
    lines.append(
        f"{len(report.pages)} pages: mean P {report.mean_precision:.3f} R {report.mean_recall:.3f} "
        f"F1 {report.mean_f1:.3f} (min {report.min_f1:.3f}); bare trafilatura mean F1 {report.baseline_mean_f1:.3f}")
    lines.append(
        f"time per page: {report.seconds_per_page * 1000:.1f} ms vs bare trafilatura "
        f"{report.baseline_seconds_per_page * 1000:.1f} ms (ratio {report.time_ratio:.2f})")
    return "\n".join(lines)
