"""Turning bytes from Korean web servers into text, trusting no declaration blindly.

Korean sites declare their encoding in up to four places (BOM, HTTP charset,
XML declaration, HTML meta) and any of them can lie. The rules:

* a BOM wins;
* every declared encoding is *verified* by a strict decode before it is used;
* "euc-kr" (and its aliases) is always decoded as cp949, its superset, because
  servers declare EUC-KR while emitting CP949-only syllables (e.g. 똠, 햏);
* valid non-ASCII UTF-8 wins over a declared legacy encoding, except when the
  bytes are also valid CP949 and read more plausibly as Korean. CP949 Hangul is
  *rarely* valid UTF-8: lead bytes 0xB0-0xC1 are UTF-8 continuation bytes or
  invalid, but syllables with lead bytes 0xC2-0xC8 and trail bytes 0xA1-0xBF
  (치, 킨, 칠, 천, ... 217 of KS X 1001's 2,350) are two-byte UTF-8 for
  U+0080-U+023F, so EUC-KR "치킨" is UTF-8 "ġŲ". Bytes valid both ways are
  read as Korean when a Korean encoding is declared and the UTF-8 reading has
  no Hangul while the Korean one has more Hangul than hanja; without such a
  declaration only when, in addition, the bytes are strict EUC-KR and the UTF-8
  reading is nothing but Latin-1/Latin Extended letters with at least one C1
  control or Latin Extended-A/B letter (U+0100-U+024F);
* with nothing usable declared: utf-8, then cp949, then charset-normalizer;
* text with U+FFFD is returned only when no Korean encoding decodes the bytes.

The label returned is "euc-kr" when the bytes are strict EUC-KR and "cp949" when
they need CP949's extra syllables, so a user can see what a feed really sends.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# Every name a Korean server uses for the EUC-KR family; decoded as cp949.
_KOREAN_ALIASES = {
    "euc-kr", "euckr", "euc_kr", "cp949", "ms949", "uhc", "windows-949", "x-windows-949",
    "ks_c_5601-1987", "ks_c_5601", "ksc5601", "ksc_5601", "ks-c-5601", "ks_c_5601_1987",
    "ks_x_1001", "korean", "csksc56011987", "iso-ir-149", "x-euc-kr", "5601",
}
# Encodings that decode any byte string, so a strict decode proves nothing.
_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii"}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:+-]+)", re.I)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:+-]+)[\"']", re.I)
_XML_DECL_TEXT = re.compile(r"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])[\w.:+-]+([\"'])", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:+-]+)", re.I)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HANJA = re.compile(r"[\u4e00-\u9fff\uf900-\ufaff]")
# What EUC-KR Hangul becomes when read as UTF-8: C1 controls and Latin Extended-A/B letters,
# which Korean text (and most Latin-script text) almost never contains.
_RARE_LATIN = re.compile(r"[\u0080-\u009f\u0100-\u024f]")
_BEYOND_LATIN = re.compile(r"[^\x00-\u024f]")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # label for users: utf-8, euc-kr, cp949, utf-16, ...
    declared: tuple[str, ...]  # what the bytes / headers claimed, normalised
    warnings: tuple[str, ...] = ()


def normalize_encoding(name: str | None) -> str | None:
    """A Python codec name for a declared charset; the EUC-KR family maps to cp949; None if unknown."""
    if not name:
        return None
    low = name.strip().strip("\"'").lower()
    if low in _KOREAN_ALIASES:
        return "cp949"
    try:
        info = codecs.lookup(low)
    except LookupError:
        return None
    canon = info.name
    if canon in ("euc_kr", "cp949"):
        return "cp949"
    if canon == "iso8859-1":
        return "latin-1"
    if canon in ("utf-16-le", "utf-16-be"):
        return "utf-16"
    if canon in ("utf-32-le", "utf-32-be"):
        return "utf-32"
    return canon


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HTTP_CHARSET.search(content_type)
    return m.group(1) if m else None


def xml_declared_encoding(content: bytes) -> str | None:
    m = _XML_DECL.match(_strip_bom(content)[:512])
    return m.group(1).decode("ascii", "replace") if m else None


def meta_declared_encoding(content: bytes) -> str | None:
    m = _META_CHARSET.search(content[:8192])
    return m.group(1).decode("ascii", "replace") if m else None


def _strip_bom(content: bytes) -> bytes:
    for bom, _ in _BOMS:
        if content.startswith(bom):
            return content[len(bom):]
    return content


def _bom_encoding(content: bytes) -> str | None:
    for bom, enc in _BOMS:
        if content.startswith(bom):
            return enc
    return None


def _strict(content: bytes, encoding: str) -> str | None:
    try:
        return content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _label(content: bytes, encoding: str) -> str:
    if encoding == "cp949":
        return "euc-kr" if _strict(content, "euc_kr") is not None else "cp949"
    if encoding == "utf-8-sig":
        return "utf-8"
    return encoding.replace("_", "-")


def _normalizer_guess(content: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional: the fallbacks below still give an answer
        return None
    best = from_bytes(content[:200_000]).best()
    return normalize_encoding(best.encoding) if best is not None else None


def decode_bytes(content: bytes, declared: list[tuple[str, str | None]], override: str | None = None) -> Decoded:
    """Decode `content` given (source, charset) declarations in priority order."""
    warnings: list[str] = []
    names: list[str] = []
    for source, raw in declared:
        if not raw:
            continue
        norm = normalize_encoding(raw)
        if norm is None:
            warnings.append(f"unknown encoding {raw!r} declared in {source}; ignored")
            continue
        if norm not in names:
            names.append(norm)
    if len(names) > 1:
        warnings.append("declarations disagree: " + ", ".join(f"{s}={r}" for s, r in declared if r))

    if override:
        enc = normalize_encoding(override)
        if enc is None:
            warnings.append(f"unknown override encoding {override!r}; ignored")
        else:
            text = _strict(content, enc)
            if text is not None:
                return Decoded(_clean(text), _label(content, enc), tuple(names), tuple(warnings))
            # A wrong override must not garble a feed some other encoding reads cleanly.
            warnings.append(f"override {override} does not decode these bytes; detected the encoding instead")

    bom = _bom_encoding(content)
    if bom:
        text = _strict(content, bom)
        if text is not None:
            return Decoded(_clean(text), _label(content, bom), tuple(names), tuple(warnings))
        warnings.append(f"byte order mark says {bom} but the bytes are not; ignored")

    if content.isascii():
        enc = next((n for n in names if n not in ("utf-16", "utf-32")), "utf-8")
        return Decoded(content.decode("ascii"), _label(content, enc), tuple(names), tuple(warnings))

    verifiable = [n for n in names if n not in _SINGLE_BYTE]
    # UTF-16/32 declared without a BOM: try them before UTF-8 (their ASCII is valid UTF-8 with NULs).
    for enc in [n for n in verifiable if n.startswith("utf-16") or n.startswith("utf-32")]:
        text = _strict(content, enc)
        if text is not None:
            return Decoded(_clean(text), _label(content, enc), tuple(names), tuple(warnings))

    utf8 = _strict(content, "utf-8")
    if utf8 is not None and not _HANGUL.search(utf8) and _may_be_korean(utf8, declared_korean="cp949" in names):
        # No Hangul as UTF-8: the bytes may be EUC-KR Hangul that happens to be valid UTF-8 too.
        korean = _strict(content, "cp949")
        if korean is not None and _korean_reading_wins(content, utf8, korean, declared_korean="cp949" in names):
            if "cp949" not in names:
                warnings.append(("declared " + names[0] if names else "undeclared")
                                + ": the bytes are valid UTF-8 and EUC-KR; read as Korean, the plausible reading")
            return Decoded(_clean(korean), _label(content, "cp949"), tuple(names), tuple(warnings))
    if utf8 is not None:
        if names and "utf-8" not in names:
            warnings.append(f"declared {names[0]} but the bytes are valid UTF-8; decoded as UTF-8")
        return Decoded(_clean(utf8), "utf-8", tuple(names), tuple(warnings))

    for enc in verifiable:
        text = _strict(content, enc)
        if text is not None:
            return Decoded(_clean(text), _label(content, enc), tuple(names), tuple(warnings))

    korean = _strict(content, "cp949")
    if korean is not None and (_HANGUL.search(korean) or not names):
        if names and "cp949" not in names:
            warnings.append(f"declared {names[0]} but the bytes are Korean (CP949); decoded as CP949")
        return Decoded(_clean(korean), _label(content, "cp949"), tuple(names), tuple(warnings))

    for enc in names:  # single-byte declarations: cannot be verified, but nothing better decoded cleanly
        if enc in _SINGLE_BYTE and enc != "ascii":
            return Decoded(_clean(content.decode(enc)), _label(content, enc), tuple(names), tuple(warnings))

    # A few broken bytes in otherwise Korean text (a truncated or spliced feed): keep the Korean
    # reading with those bytes replaced rather than let a detector pick a Cyrillic code page.
    nearly = _nearly_clean(content, verifiable)
    if nearly is not None:
        enc, text = nearly
        warnings.append(f"{text.count(chr(0xFFFD))} bad byte(s) replaced ({_label(content, enc)})")
        return Decoded(_clean(text), _label(content, enc), tuple(names), tuple(warnings))

    guess = _normalizer_guess(content)
    if guess:
        text = _strict(content, guess)
        if text is not None:
            warnings.append(f"no declared encoding fits; detected {guess}")
            return Decoded(_clean(text), _label(content, guess), tuple(names), tuple(warnings))

    # Nothing decodes cleanly: take the candidate that loses fewest bytes.
    candidates = list(dict.fromkeys(verifiable + ["utf-8", "cp949"] + ([guess] if guess else [])))
    best = min(candidates, key=lambda enc: content.decode(enc, errors="replace").count("\ufffd"))
    text = content.decode(best, errors="replace")
    warnings.append(f"no encoding decodes every byte; {text.count(chr(0xFFFD))} bad byte(s) replaced ({best})")
    return Decoded(_clean(text), _label(content, best), tuple(names), tuple(warnings))


def _may_be_korean(utf8: str, *, declared_korean: bool) -> bool:
    """The cheap, UTF-8-only half of `_korean_reading_wins`: False means the UTF-8 reading wins anyway."""
    return declared_korean or (not _BEYOND_LATIN.search(utf8) and _RARE_LATIN.search(utf8) is not None)


def _korean_reading_wins(content: bytes, utf8: str, korean: str, *, declared_korean: bool) -> bool:
    """For bytes valid as UTF-8 (with no Hangul that way) and as CP949: is the Korean reading the right one?"""
    hangul = len(_HANGUL.findall(korean))
    if not hangul or len(_HANJA.findall(korean)) > hangul:
        return False  # read as CP949 it is not Korean text either
    if declared_korean:
        return True  # the declaration is plausible: honour it
    # Undeclared, or declared otherwise: only when the UTF-8 reading is the telltale kind of garbage.
    return (_strict(content, "euc_kr") is not None and not _BEYOND_LATIN.search(utf8)
            and _RARE_LATIN.search(utf8) is not None)


def _nearly_clean(content: bytes, declared: list[str]) -> tuple[str, str] | None:
    best: tuple[int, str, str] | None = None
    for enc in dict.fromkeys(declared + ["utf-8", "cp949"]):
        try:
            text = content.decode(enc, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        if best is None or bad < best[0]:
            best = (bad, enc, text)
    if best is None:
        return None
    bad, enc, text = best
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    if _HANGUL.search(text) and bad <= max(3, non_ascii // 50):
        return enc, text
    return None


def _clean(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def decode_html_full(content: bytes, content_type: str | None = None) -> Decoded:
    return decode_bytes(content, [
        ("HTTP header", charset_from_content_type(content_type)),
        ("XML declaration", xml_declared_encoding(content)),
        ("HTML meta", meta_declared_encoding(content)),
    ])


def decode_html(content: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode an HTML page: (text, encoding used)."""
    d = decode_html_full(content, content_type)
    return d.text, d.encoding


def decode_feed_full(content: bytes, content_type: str | None = None, override: str | None = None) -> Decoded:
    return decode_bytes(content, [
        ("HTTP header", charset_from_content_type(content_type)),
        ("XML declaration", xml_declared_encoding(content)),
        ("HTML meta", meta_declared_encoding(content) if not xml_declared_encoding(content) else None),
    ], override=override)


def decode_feed(content: bytes, content_type: str | None = None, override: str | None = None) -> tuple[str, str]:
    """Decode a feed document: (text, encoding used)."""
    d = decode_feed_full(content, content_type, override)
    return d.text, d.encoding


def as_utf8_document(text: str) -> bytes:
    """The decoded XML re-encoded as UTF-8, its declaration rewritten to say so.

    feedparser re-decodes by the XML declaration, so a document we decoded from
    CP949 must not keep saying encoding="euc-kr".
    """
    text = _XML_DECL_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}utf-8{m.group(3)}", text, count=1)
    return text.encode("utf-8")
