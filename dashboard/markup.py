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


def plotly_text(text: object) -> str:
    """``text`` for a plotly label or hover text: ``& < >`` as entities, so no tag (plotly
    draws ``<b>``, ``<a href>``, ``<br>``) and no entity takes effect. Quotes stay as they are:
    plotly shows ``&quot;`` literally."""
    return str("" if text is None else text).replace("&", "&amp;").replace(
        "<", "&lt;").replace(">", "&gt;")


LANGUAGES = {"en": "English", "ru": "Russian", "uk": "Ukrainian", "de": "German",
             "fr": "French", "es": "Spanish", "it": "Italian", "tr": "Turkish", "pl": "Polish",
             "ar": "Arabic", "zh": "Chinese", "be": "Belarusian", "kk": "Kazakh"}
_CODE = re.compile(r"[a-z]{2,3}")


def language_badge(code: object) -> str:
    """A small badge with the ISO 639-1 code of a passage's language (``EN``, ``RU``); ``?``
    when it is unknown."""
    text = str(code or "").strip().lower()
    if not _CODE.fullmatch(text):
        return '<span class="px-lang" title="Language not detected">?</span>'
    name = LANGUAGES.get(text, text)
    return f'<span class="px-lang" title="{escape_text(name)}">{text.upper()}</span>'


# Passage text is laid out by its own script's direction (dir="auto"): an Arabic or Hebrew
# passage reads right to left, its punctuation at its end, beside English ones.
def _lang_attr(code: object) -> str:
    text = str(code or "").strip().lower()
    return f' lang="{text}"' if _CODE.fullmatch(text) else ""


def card(body_html: str, *, css: str = "px-cell", footer: str = "", flag: str = "",
         language: object = None) -> str:
    """A passage card: ``body_html`` must already be escaped; ``footer`` and ``flag`` (a line
    above the passage) are escaped here. With ``language``, a language badge and the ``lang``
    attribute (the passage is shown in its own language)."""
    badge = language_badge(language) if language is not None else ""
    top = f'<div class="px-flag">{escape_text(flag)}</div>' if flag else ""
    head = f'<div class="px-cellhead">{badge}{top}</div>' if badge or top else ""
    foot = f'<div class="px-foot">{escape_text(footer)}</div>' if footer else ""
    return (f'<div class="{css}"{_lang_attr(language)}>{head}'
            f'<div class="px-text" dir="auto">{body_html}</div>{foot}</div>')


def missing_card(outlet_name: str) -> str:
    """The empty cell: says plainly that the outlet did not report this fact."""
    return f'<div class="px-cell px-missing">Not reported by {escape_text(outlet_name)}</div>'


def fact_heading(text: str, outlet_name: str, language: object, differences: Sequence[str],
                 *, number: int | None = None) -> str:
    """A fact row's heading: one shown outlet's passage, attributed to it, and how the shown
    outlets tell the fact differently (already phrased; escaped here)."""
    num = f'<span class="px-num">{number}</span>' if number is not None else ""
    differ = "".join(f'<div class="px-differ">{escape_text(d)}</div>' for d in differences)
    return (f'<div class="px-topic">{num}<span class="px-quote"{_lang_attr(language)} dir="auto">'
            f'{escape_text(text)}</span>'
            f'<span class="px-by">{language_badge(language)} {escape_text(outlet_name)}</span>'
            f'</div>{differ}')


def fact_row(heading_html: str, cells_html: Sequence[str],
             heads: Sequence[str] = ()) -> str:
    """One fact row as one block: its heading, then the cells side by side (already escaped
    HTML), under the outlet names ``heads`` when given (escaped here)."""
    top = "".join(f'<div class="px-outlet-head">{escape_text(h)}</div>' for h in heads)
    return (f'<div class="px-row">{heading_html}<div class="px-grid" '
            f'style="--n:{len(cells_html)}">{top}{"".join(cells_html)}</div></div>')


def outlet_heads(names: Sequence[str]) -> str:
    """The outlet names above the side by side's columns (escaped here)."""
    heads = "".join(f'<div class="px-outlet-head">{escape_text(n)}</div>' for n in names)
    return f'<div class="px-grid px-heads" style="--n:{len(names)}">{heads}</div>'


def notice(text: str) -> str:
    """One line of notice (a link that could not be opened exactly), escaped."""
    return f'<div class="px-notice" role="status">{escape_text(text)}</div>'


_HANDOUT_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#000;background:#fff;margin:2em;
  font-size:12pt}
h1{font-size:20pt;margin:0 0 .2em} .meta{color:#333;font-size:10pt;margin-bottom:1em}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border:1px solid #444;padding:.5em;vertical-align:top;text-align:left}
th{background:#eee} mark{background:#ffe066;color:#000}
.px-topic{font-weight:700} .px-num{margin-right:.4em} .px-by{display:block;font-weight:400;
  font-size:9pt;margin-top:.3em} .px-differ{font-size:10pt;margin-top:.3em;font-weight:700}
.px-lang{border:1px solid #444;border-radius:3px;padding:0 .25em;font-size:8pt;margin-right:.3em}
.px-flag{font-size:9pt;font-weight:700;text-transform:uppercase}
.px-closest{color:#555;font-style:italic} .px-missing{font-style:italic;color:#555}
.px-foot{display:block;color:#444;font-size:9pt;margin-top:.4em}
@media print{body{margin:0} tr{page-break-inside:avoid}}
"""


def handout_html(title: str, meta: str, outlets: Sequence[str],
                 rows: Sequence[tuple[str, Sequence[str]]]) -> str:
    """A printable, self-contained HTML handout of the side-by-side table.

    Args:
        title: the event's label (untrusted, escaped here).
        meta: one provenance line (escaped here).
        outlets: display names of the column outlets (escaped here).
        rows: (the fact's heading HTML from :func:`fact_heading`, [each outlet's cell HTML
            from :func:`card` or :func:`missing_card`]), already escaped.
    """
    head = "".join(f"<th>{escape_text(o)}</th>" for o in outlets)
    body = [f'<tr><th class="fact">{heading}</th>{"".join(f"<td>{c}</td>" for c in cells)}</tr>'
            for heading, cells in rows]
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape_text(title)}</title><style>{_HANDOUT_CSS}</style></head><body>"
        f"<h1>{escape_text(title)}</h1><div class=\"meta\">{escape_text(meta)}</div>"
        "<p>Each row is one fact, headed by one outlet's passage; each column one outlet. A cell "
        "is the outlet's passage for the fact (with the probability that it states the same "
        "fact; a weaker link is marked), its closest passage when it does not report the fact "
        "(in grey: not the same fact), or 'not reported'. Highlighted words are the ones that "
        "outlet uses much more than the others.</p>"
        f"<table><thead><tr><th class=\"fact\">Fact</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></body></html>"
    )
