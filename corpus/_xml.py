"""XML documents as the parser will see them: decoded once, checked, handed on as UTF-8.

Safety checks on raw bytes can be dodged by the declared encoding (``<!ENTITY`` written in UTF-7
is ``+ADw-!ENTITY``). So a feed or OPML document is decoded here the way an XML parser would
(byte-order mark, then the XML declaration, then UTF-8, then windows-1252), checked as text, and
the parser receives exactly that text re-encoded as UTF-8, with the declaration saying so.
Every scan in this module is linear in the input's length: no backtracking patterns.
"""
from __future__ import annotations

import codecs
import logging
import re

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# XML 1.0 appendix F: how "<?" looks in encodings without a byte-order mark.
_NO_BOM = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # EBCDIC
)
# Bounded repetitions and a single anchored start: this match is linear.
_DECLARED = re.compile(
    r"""\A\s{0,64}<\?xml\b[^>]{0,512}?\bencoding\s*=\s*["']([A-Za-z][\w.:+-]{0,63})["']"""
)
_DECLARATION_ENCODING = re.compile(
    r"""\A(\s{0,64}<\?xml\b[^>]{0,512}?\bencoding\s*=\s*)(["'])[^"'<>]{0,64}\2"""
)
_SPACE = re.compile(r"\s*")
_NAME = re.compile(r"<([A-Za-z_][\w.:-]*)")
_ENTITY = "<!entity"
_DOCTYPE = "<!doctype"


def _family(data: bytes) -> tuple[str, int]:
    """The encoding a byte-order mark or the first bytes imply, and the BOM length."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    for start, encoding in _NO_BOM:
        if data.startswith(start):
            return encoding, 0
    return "", 0


def _declared(text: str) -> str:
    match = _DECLARED.match(text)
    return match.group(1) if match else ""


def _ascii_compatible(label: str) -> bool:
    """Whether a declared encoding reads the declaration's own ASCII bytes as written.

    The declaration was found in ASCII-compatible bytes, so a label such as ``utf-16`` (without
    a byte-order mark) or ``cp037`` contradicts the document and is ignored.
    """
    probe = '<?xml version="1.0" encoding="x"?>'
    try:
        return probe.encode("ascii").decode(label) == probe
    except (LookupError, UnicodeError, ValueError, TypeError):
        return False


def decode_xml(data: bytes, *, prefix: bool = False) -> tuple[str, str]:
    """The text of an XML document and the encoding it was read with.

    Order: a byte-order mark (or the UTF-16/32 and EBCDIC patterns of XML 1.0 appendix F); the
    XML declaration's ``encoding``; UTF-8; finally windows-1252, which decodes any bytes.
    Never raises: an unknown or wrong declaration falls through to the next candidate.
    ``prefix``: ``data`` is the start of a longer document, so a character cut at its end is
    not an error.
    """
    family, skip = _family(data)
    if family:
        text = data[skip:].decode(family, errors="replace")
        return text, family
    label = _declared(data[:1024].decode("latin-1"))
    candidates = [label] if label and _ascii_compatible(label) else []
    for encoding in [*candidates, "utf-8"]:
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(data, final=not prefix)
            if isinstance(text, str):  # not a bytes-to-bytes codec such as base64
                return text, encoding
        except (LookupError, UnicodeError, ValueError, TypeError):
            log.debug("document does not decode as %r, trying the next candidate", encoding)
    return data.decode("cp1252", errors="replace"), "cp1252"


def as_utf8(text: str) -> bytes:
    """``text`` as UTF-8 bytes whose XML declaration (if any) says ``utf-8``."""
    text = _DECLARATION_ENCODING.sub(r"\1\2utf-8\2", text, count=1)
    return text.encode("utf-8", errors="replace")


def _doctype_end(text: str, start: int) -> tuple[int, bool]:
    """Where the DOCTYPE at ``start`` ends, and whether it has an internal subset ``[...]``.

    Quoted literals are skipped, so ``SYSTEM "a>b"`` does not end it early. Returns ``(-1, _)``
    when it never ends. One pass over the characters: linear.
    """
    i, n, subset = start + len(_DOCTYPE), len(text), False
    while i < n:
        ch = text[i]
        if ch in "\"'":
            close = text.find(ch, i + 1)
            if close < 0:
                return -1, subset
            i = close + 1
            continue
        if ch == "[":
            subset = True
            close = text.find("]", i + 1)
            if close < 0:
                return -1, subset
            i = close + 1
            continue
        if ch == ">":
            return i + 1, subset
        i += 1
    return -1, subset


def dtd_problem(text: str) -> str:
    """Why a decoded document must not be parsed (``""`` if it may be).

    Any ``<!ENTITY`` declaration, and any DOCTYPE with an internal subset, is refused: internal
    entities are the "billion laughs" expansion attack, external ones can read local files.
    """
    lowered = text.lower()
    if _ENTITY in lowered:
        return "it declares XML entities in a DOCTYPE"
    at = lowered.find(_DOCTYPE)
    while at >= 0:
        end, subset = _doctype_end(lowered, at)
        if subset:
            return "it has a DOCTYPE with an internal subset ([...] declarations)"
        if end < 0:
            return ""
        at = lowered.find(_DOCTYPE, end)
    return ""


def root_tag(text: str) -> str:
    """The lower-case name of the first element, after the prolog (``""`` if none).

    Skips whitespace, processing instructions, comments and a DOCTYPE, each with one forward
    search: linear in the length of ``text`` whatever it holds.
    """
    i, n = 0, len(text)
    if text.startswith("\ufeff"):
        i = 1
    while i < n:
        i = _SPACE.match(text, i).end()  # type: ignore[union-attr]  # \s* always matches
        if text.startswith("<?", i):
            close = text.find("?>", i + 2)
            i = close + 2 if close >= 0 else -1
        elif text.startswith("<!--", i):
            close = text.find("-->", i + 4)
            i = close + 3 if close >= 0 else -1
        elif text[i:i + len(_DOCTYPE)].lower() == _DOCTYPE:
            i, _ = _doctype_end(text, i)
        else:
            match = _NAME.match(text, i)
            return match.group(1).lower() if match else ""
        if i < 0:
            return ""
    return ""


__all__ = ["as_utf8", "decode_xml", "dtd_problem", "root_tag"]
