"""Reading the files given to `newswatch dedup`: article pages, extracted-article JSON, plain text."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from dedup.errors import DedupInputError
from newswatch.errors import NewswatchError
from newswatch.models import Article

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


class HtmlUnsupported(DedupInputError):
    """The article extractor is not installed, so pages cannot be read."""

    kind = "dedup_no_extractor"


def read_article(path: Path) -> Article:
    """One article from a file; raises DedupInputError with a one-line reason."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DedupInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    head = raw[:512].lstrip().lower()
    if path.suffix.lower() in HTML_SUFFIXES or head.startswith((b"<!doctype html", b"<html")):
        return _from_html(path, raw)
    text = _decode(path, raw)
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return _from_json(path, text)
    return _from_text(path, text)


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp949")  # Korean files saved by older Windows tools
        except UnicodeDecodeError:
            raise DedupInputError(f"{path}: not UTF-8 or CP949 text") from None


def _from_html(path: Path, raw: bytes) -> Article:
    try:
        from extractors.article import extract_article
    except ImportError:
        raise HtmlUnsupported(f"{path}: skipped: HTML needs the article extractor (extractors.article), which is not available") from None
    try:
        return extract_article(raw, url=path.resolve().as_uri())
    except NewswatchError as exc:
        raise DedupInputError(f"{path}: skipped: {exc.kind}: {exc}") from None


def _from_json(path: Path, text: str) -> Article:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DedupInputError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise DedupInputError(f"{path}: expected one JSON object with title and text")
    title, body = data.get("title"), data.get("text")
    if not isinstance(title, str) and not isinstance(body, str):
        raise DedupInputError(f"{path}: the JSON object has neither `title` nor `text`")
    return Article(
        url=str(data.get("url") or path.resolve().as_uri()),
        title=str(title or ""),
        text=str(body or ""),
        lead=str(data.get("lead") or ""),
        published=_date(data.get("published")),
        site_name=str(data.get("site_name") or ""),
        guid=str(data["guid"]) if data.get("guid") else None,
    )


def _from_text(path: Path, text: str) -> Article:
    lines = text.strip().splitlines()
    if not lines:
        raise DedupInputError(f"{path}: empty file")
    return Article(url=path.resolve().as_uri(), title=lines[0].strip(), text="\n".join(lines[1:]).strip())


def _date(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
