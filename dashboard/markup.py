"""Safe HTML for untrusted article text: escape everything, then add only our own ``<mark>``.

Article text, titles, outlet names and URLs come from the web and are untrusted. Every string
that reaches ``st.html`` / ``st.markdown(unsafe_allow_html=True)`` goes through
:func:`escape_text`, which turns HTML *and* Markdown/Streamlit syntax characters (``[ ] ( ) ! *
_ ` # | $ :``) into character references, so neither ``<script>`` nor ``[x](javascript:...)``,
``$latex$`` or ``:red[...]`` can take effect. Pure functions, no Streamlit.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

_ENTITIES = {
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    "[": "&#91;", "]": "&#93;", "(": "&#40;", ")": "&#41;", "!": "&#33;", "*": "&#42;",
    "_": "&#95;", "`": "&#96;", "#": "&#35;", "~": "&#126;", "|": "&#124;", "\\": "&#92;",
    "$": "&#36;", ":": "&#58;", "{": "&#123;", "}": "&#125;", "\n": "<br>", "\r": "",
}
_TABLE = str.maketrans(_ENTITIES)


def escape_text(text: object) -> str:
    """``text`` as inert HTML: markup and Markdown syntax shown literally, newlines as ``<br>``."""
    return str("" if text is None else text).translate(_TABLE)


def safe_url(url: object) -> str:
    """The URL escaped for an ``href``, or ``""`` unless it is plain http(s)."""
    text = str(url or "").strip()
    if urlsplit(text).scheme.lower() not in ("http", "https"):
        return ""
    return html.escape(text, quote=True)


def _spans(text: str, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)] if pattern else []


def terms_pattern(terms: Iterable[str], *, whole_words: bool = True) -> re.Pattern[str] | None:
    """One case-insensitive regex for ``terms`` (longest first), or None when there are none."""
    cleaned = sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    body = "|".join(re.escape(t) for t in cleaned)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)" if whole_words else body, re.IGNORECASE)


def mark_spans(text: str, spans: Sequence[tuple[int, int]], css: str = "px-term") -> str:
    """Escaped ``text`` with each (start, end) span wrapped in ``<mark class=css>``."""
    out, pos = [], 0
    for start, end in sorted(spans):
        start, end = max(start, pos), min(end, len(text))
        if end <= start:
            continue
        out.append(escape_text(text[pos:start]))
        out.append(f'<mark class="{css}">{escape_text(text[start:end])}</mark>')
        pos = end
    out.append(escape_text(text[pos:]))
    return "".join(out)


def highlight_terms(text: str, terms: Iterable[str], *, whole_words: bool = True) -> str:
    """Escaped ``text`` with every occurrence of ``terms`` marked (case-insensitive)."""
    return mark_spans(text, _spans(text, terms_pattern(terms, whole_words=whole_words)))


def passage_span(article_text: str, passage: str, start: int, end: int) -> tuple[int, int]:
    """Where ``passage`` lies in ``article_text``: the stored offsets when they match the
    passage, else the first exact occurrence, else ``(0, 0)`` (nothing highlighted)."""
    if 0 <= start < end <= len(article_text) and article_text[start:end] == passage:
        return start, end
    found = article_text.find(passage) if passage else -1
    return (found, found + len(passage)) if found >= 0 else (0, 0)


def highlight_passage(article_text: str, start: int, end: int) -> str:
    """The whole article, escaped, with the passage ``[start, end)`` marked."""
    return mark_spans(article_text, [(start, end)] if end > start else [], css="px-passage")


def card(body_html: str, *, css: str = "px-cell", footer: str = "") -> str:
    """A passage card: ``body_html`` must already be escaped; ``footer`` is escaped here."""
    foot = f'<div class="px-foot">{escape_text(footer)}</div>' if footer else ""
    return f'<div class="{css}">{body_html}{foot}</div>'


def missing_card(outlet_name: str) -> str:
    """The empty cell: says plainly that the outlet did not report this fact."""
    return f'<div class="px-cell px-missing">Not reported by {escape_text(outlet_name)}</div>'


_HANDOUT_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#000;background:#fff;margin:2em;
  font-size:12pt}
h1{font-size:20pt;margin:0 0 .2em} .meta{color:#333;font-size:10pt;margin-bottom:1em}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border:1px solid #444;padding:.5em;vertical-align:top;text-align:left}
th{background:#eee} td.missing{font-style:italic;color:#555;background:#f6f6f6}
th.topic{width:18%} mark{background:#ffe066;color:#000}
.sim{display:block;color:#444;font-size:9pt;margin-top:.4em}
@media print{body{margin:0} tr{page-break-inside:avoid}}
"""


def handout_html(title: str, meta: str, outlets: Sequence[str],
                 rows: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> str:
    """A printable, self-contained HTML handout of the side-by-side table.

    Args:
        title: the event's label (untrusted, escaped here).
        meta: one provenance line (escaped here).
        outlets: display names of the column outlets (escaped here).
        rows: (topic label, [(cell html already escaped, or "" when not reported, similarity
            caption)] per outlet).
    """
    head = "".join(f"<th>{escape_text(o)}</th>" for o in outlets)
    body = []
    for label, cells in rows:
        tds = []
        for outlet, (cell, caption) in zip(outlets, cells, strict=True):
            if cell:
                tds.append(f'<td>{cell}<span class="sim">{escape_text(caption)}</span></td>')
            else:
                tds.append(f'<td class="missing">Not reported by {escape_text(outlet)}</td>')
        body.append(f'<tr><th class="topic">{escape_text(label)}</th>{"".join(tds)}</tr>')
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape_text(title)}</title><style>{_HANDOUT_CSS}</style></head><body>"
        f"<h1>{escape_text(title)}</h1><div class=\"meta\">{escape_text(meta)}</div>"
        "<p>Each row is one fact; each column one outlet. Highlighted words are the ones that "
        "outlet uses much more than the others.</p>"
        f"<table><thead><tr><th class=\"topic\">Fact</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></body></html>"
    )
