"""Extraction quality and speed on ../shared/corpus/pages beside bare trafilatura, in one run.

    .venv/bin/python benchmarks/eval_extract.py [DIR] [--repeat N]

Prints the per-page table (bigram precision / recall / F1 of title+text against
X.expected.txt, white space removed), the means, and the time per page of
extractors.article.extract_article against bare trafilatura.extract() on the
same pages (each timing the fastest of N runs, the two alternated so machine
load hits both alike). Exits 1 when a target is missed: mean F1 >= 0.97, every
page >= 0.85, time <= 1.5x bare trafilatura. Skips (exit 0) when the corpus is absent.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newswatch.evaluate import evaluate, format_report  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "pages"))
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per page; the fastest counts")
    args = parser.parse_args()
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"corpus not found at {folder}; nothing to measure")
        return 0
    report = evaluate(folder, repeat=args.repeat)
    print(format_report(report))
    below = [p.name for p in report.pages if p.f1 < 0.85]
    print(f"targets: mean F1 >= 0.97: {report.mean_f1 >= 0.97}; pages below 0.85: {below or 'none'}; "
          f"time ratio <= 1.5: {report.time_ratio <= 1.5}")
    return 0 if report.meets() else 1


if __name__ == "__main__":
    sys.exit(main())
