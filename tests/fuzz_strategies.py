"""Hypothesis strategies for hostile input, shared by the property tests and the long fuzzing run
(``benchmarks/fuzz_parsers.py``): XML-ish documents in many encodings, JSON Lines and CSV
files, URLs, article texts, stacked content encodings, special files and long paths."""
from __future__ import annotations

import gzip
import json
import zlib

from hypothesis import strategies as st

# An entity value no parser may ever show: seeing it means a declaration was expanded.
EXPANDED = "EXPANDEDxENTITY"

_XML_PIECES = (
    '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-7"?>',
    '<?xml version="1.0" encoding="utf-16"?>', "<?xml version='1.0' encoding='latin-1'?>",
    '<?xml version="1.0" encoding="x-unknown"?>', "<?xml", "?>",
    "<!DOCTYPE rss", "<!DOCTYPE opml", '<!DOCTYPE rss PUBLIC "-//x//EN" "http://a/x.dtd">',
    "[", "]", ">", f'<!ENTITY a "{EXPANDED}">', "<!ENTITY % p SYSTEM 'file:///etc/passwd'>",
    "&a;", "%p;", "<!--", "-->", "<![CDATA[", "]]>",
    '<rss version="2.0">', "<channel>", "<item>", "<title>", "</title>", "<link>", "</link>",
    "</item>", "</channel>", "</rss>", "<description>", "</description>", "&lt;p&gt;x&lt;/p&gt;",
    '<feed xmlns="http://www.w3.org/2005/Atom">', "<entry>", '<link href="', '"/>', "</entry>",
    "</feed>", "<rdf:RDF>", "</rdf:RDF>", "<opml>", "<body>", '<outline xmlUrl="', "</body>",
    "</opml>", "<pubDate>Tue, 29 Mar 2022 10:00:00 GMT</pubDate>", "<pubDate>x</pubDate>",
    "https://a.example/1", "/relative.html", "javascript:alert(1)", "http://[::1/x",
    "http://127.0.0.1:99999/x", "http://0177.0.0.1/", "+ADw-", "+ACE-", "+AFs-", "\x00", "\ufeff",
    "\n", " " * 40, "\n" * 40, "<", "&", '"', "'", "x", "é", "\u202e",
)
_ENCODINGS = ("utf-8", "utf-16", "utf-16-be", "utf-32", "utf-7", "latin-1", "cp1252", "cp037")


@st.composite
def xml_documents(draw: st.DrawFn) -> bytes:
    """Bytes that look like feeds or OPML, or almost, or nothing at all."""
    pieces = draw(st.lists(st.one_of(st.sampled_from(_XML_PIECES), st.text(max_size=12)),
                           max_size=40))
    text = "".join(pieces)
    encoding = draw(st.sampled_from(_ENCODINGS))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        data = draw(st.binary(max_size=16)) + data + draw(st.binary(max_size=16))
    return data


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "url", "text", "title", "outlet", "published", "body", "link",
                         "x", ""]), children, max_size=6),
    max_leaves=12,
)


@st.composite
def jsonl_files(draw: st.DrawFn) -> bytes:
    """JSON Lines files: records, other JSON, broken JSON, deep nests, blank lines, junk."""
    line = st.one_of(
        _JSON.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries({"text": st.text(max_size=200), "id": st.text(max_size=8)},
                              optional={"url": st.text(max_size=40),
                                        "published": st.text(max_size=30)}
                              ).map(lambda v: json.dumps(v).encode()),
        st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
        st.integers(1, 3000).map(lambda n: b'{"text": "t", "x": ' + b"[" * n + b"]" * n + b"}"),
        st.binary(max_size=60),
        st.sampled_from([b"", b"   ", b"\r", b"\xef\xbb\xbf{}", b"{broken", b'"just a string"']),
    )
    return b"\n".join(draw(st.lists(line, max_size=12))) + draw(st.sampled_from([b"", b"\n"]))


_CELL = st.one_of(st.text(max_size=40), st.sampled_from(
    ['"quoted, with comma"', '"multi\nline"', '"unclosed', "Señal", "País", "Москва", ""]))


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """CSV files with a header, in UTF-8 or a legacy encoding, sometimes broken."""
    header = draw(st.lists(st.sampled_from(["id", "outlet", "url", "title", "text", "body",
                                            "published", "x", ""]), min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(_CELL, min_size=0, max_size=len(header) + 1), max_size=8))
    text = "\n".join([",".join(header)] + [",".join(row) for row in rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1251", "utf-16"]))
    return text.encode(encoding, errors="replace")


_HOSTS = ("a.example", "[::1]", "[::1", "::1", "0177.0.0.1", "127.1", "xn--", "xn--abc",
          "a b", "例え.jp", "", "%00", "user@host", "[2002:7f00:1::]", "[fe80::1%25eth0]",
          "10.0.0.1", "localhost", "0x7f.1", "2130706433", "a" * 70)


@st.composite
def urls(draw: st.DrawFn) -> str:
    """URLs as users and feeds write them, broken ones included."""
    if draw(st.booleans()):
        return draw(st.text(max_size=60))
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "ftp", "file", "javascript", ""]))
    host = draw(st.one_of(st.sampled_from(_HOSTS), st.text(max_size=15)))
    port = draw(st.one_of(st.just(""), st.integers(-5, 10**6).map(lambda p: f":{p}"),
                          st.sampled_from([":", ":x", ":80"])))
    path = draw(st.one_of(st.just("/"), st.text(max_size=20).map(lambda p: "/" + p)))
    query = draw(st.sampled_from(["", "?utm_source=x&a=1", "?a=%zz", "#frag", "?x=[", "?&&="]))
    return f"{scheme}://{host}{port}{path}{query}"


_SENTENCES = (
    "Russia said on Tuesday it would reduce military activity near Kyiv.",
    "Mr. Medinsky told reporters in Istanbul that the talks were constructive.",
    '"We will judge them by their actions," the U.S. official said at 5 p.m.',
    "Ukraine proposed neutral status in exchange for security guarantees!",
    "Subscribe to our newsletter.", "Photo", "ISTANBUL (Reuters) -", "Is it over?",
    "«Это важно», — сказал он.", "1.5 million people... fled.",
    "“Quoted” words ‘here’.",
)


@st.composite
def article_texts(draw: st.DrawFn) -> str:
    """Article texts: real-looking sentences, odd spacing and punctuation, any Unicode."""
    piece = st.one_of(st.sampled_from(_SENTENCES), st.text(max_size=40),
                      st.sampled_from(["\n", "\n\n", "  ", "\t", "\r\n", ". ", "\u2028", "\xa0"]))
    return "".join(draw(st.lists(piece, max_size=30)))


def _escape(text: str) -> str:
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.replace(raw, escaped)
    return text


_LINKS = st.one_of(st.sampled_from(["https://a.example/1", "http://b.example/x?y=1", "/relative",
                                    "http://[::1/x", "http://127.0.0.1:99999/x", "mailto:a@b",
                                    "http://0177.0.0.1/", ""]), st.text(max_size=20))
_DOCTYPES = ("", ('<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
                  '"http://my.netscape.com/publish/formats/rss-0.91.dtd">'),
             f'<!DOCTYPE x [<!ENTITY a "{EXPANDED}">]>', '<!DOCTYPE x [<!ATTLIST x a CDATA "b">]>',
             "<!DOCTYPE x SYSTEM 'file:///etc/passwd'>")


@st.composite
def feed_documents(draw: st.DrawFn) -> tuple[bytes, bool]:
    """Well-formed RSS, Atom or OPML documents (often mutated), and whether they declare an
    internal DTD subset (which must always be refused)."""
    kind = draw(st.sampled_from(["rss", "atom", "opml"]))
    items = draw(st.lists(st.tuples(st.text(max_size=30), _LINKS), max_size=5))
    use_entity = draw(st.booleans())

    def title(text: str) -> str:
        return _escape(text) + ("&a;" if use_entity else "")

    if kind == "rss":
        body = "".join(f"<item><title>{title(t)}</title><link>{_escape(u)}</link></item>"
                       for t, u in items)
        doc = f'<rss version="2.0"><channel><title>x</title>{body}</channel></rss>'
    elif kind == "atom":
        body = "".join(f'<entry><title>{title(t)}</title><link href="{_escape(u)}"/></entry>'
                       for t, u in items)
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>{body}</feed>'
    else:
        body = "".join(f'<outline text="{title(t)}" xmlUrl="{_escape(u)}&a;"/>' if use_entity
                       else f'<outline text="{_escape(t)}" xmlUrl="{_escape(u)}"/>'
                       for t, u in items)
        doc = f'<opml version="2.0"><body>{body}</body></opml>'
    doctype = draw(st.sampled_from(_DOCTYPES))
    encoding = draw(st.sampled_from(("utf-8", "utf-16", "utf-7", "latin-1", "utf-32")))
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if draw(st.booleans()) else ""
    data = (declaration + doctype + doc).encode(encoding, errors="replace")
    if encoding == "utf-7" and declaration:  # hide the markup from byte-level checks
        data = declaration.encode() + (doctype + doc).encode("utf-7").replace(
            b"<", b"+ADw-").replace(b"!", b"+ACE-")
    mutated = False
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        data = data[:at] + draw(st.binary(max_size=4)) + data[at + draw(st.integers(0, 4)):]
        mutated = True
    return data, "[" in doctype and not mutated


_HTML_PIECES = (
    "<html>", '<html lang="en-GB">', "<html lang=", "<head>", "<meta charset=\"utf-8\">",
    '<meta charset="windows-1251">',
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-7">',
    "<meta charset=x-nonsense>", "<meta ", "<title>Talks</title>", "<body>",
    "<article>", "<p>", "</p>", "<div>", "</div>", "<script>var a = '<p>';</script>", "<!--",
    "-->", "<![CDATA[", "<table><tr><td>", '<link rel="canonical" href="http://[::1/x">',
    '<meta property="og:site_name" content="[x](http://a)">', "</article>", "</body>",
    "</html>", "&amp;", "&#0;", "&#xD800;", "\x00", "\ufeff", "<html " * 5, "<<<<", ">>>>",
)


@st.composite
def html_documents(draw: st.DrawFn) -> bytes:
    """HTML pages: article-like paragraphs between tag soup, in various encodings."""
    piece = st.one_of(st.sampled_from(_HTML_PIECES), st.sampled_from(_SENTENCES),
                      st.text(max_size=30))
    text = "".join(draw(st.lists(piece, max_size=60)))
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "cp1251", "latin-1", "utf-7"]))
    return text.encode(encoding, errors="replace")


def _encode(data: bytes, kind: str) -> bytes:
    if kind in ("gzip", "x-gzip"):
        return gzip.compress(data, compresslevel=1, mtime=0)
    if kind == "deflate":
        return zlib.compress(data, 1)
    return zlib.compress(data, 1)[2:-4]  # raw deflate, sent as "deflate" by some servers


@st.composite
def encoded_bodies(draw: st.DrawFn) -> tuple[bytes, str, bytes, bool]:
    """(body, Content-Encoding header, bytes sent, whether the bytes are intact): 0-4 stacked
    gzip/deflate layers over small bodies or up to 8 MiB of zeros (a bomb), with the header
    sometimes naming other or unknown encodings, and the bytes sometimes cut or mutated."""
    body = draw(st.one_of(st.binary(max_size=2000),
                          st.integers(1, 8).map(lambda n: b"\0" * (n << 20))))
    sent, names = body, []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["gzip", "x-gzip", "deflate", "raw-deflate"]))
        sent = _encode(sent, kind)
        names.append("deflate" if kind == "raw-deflate" else kind)
    intact = True
    if draw(st.booleans()):  # a name that changes nothing, an unknown one, or a false claim
        extra = draw(st.sampled_from(["identity", " ", "br", "compress", "zstd", "GZIP",
                                      "gzip;q=1", "\x00", "x" * 300]))
        names.insert(draw(st.integers(0, len(names))), extra)
        intact = extra != "GZIP"
    header = draw(st.sampled_from([", ", ",", " , "])).join(names)
    if sent and draw(st.integers(0, 3)) == 0:
        cut = draw(st.integers(0, len(sent) - 1))
        sent, intact = sent[:cut] + bytes([sent[cut] ^ draw(st.integers(1, 255))]) + \
            sent[cut + 1:] if draw(st.booleans()) else sent[:cut], False
    return body, header, sent, intact


# Kinds of entries a source or folder can be: the ones that are not regular files must each
# fail as one item (FIFO, device, loop, dangling link), never hang or read without end.
SPECIAL_KINDS = ("regular", "fifo", "dev-zero", "dev-null", "dev-urandom", "loop", "dangling",
                 "folder")
SOURCE_SUFFIXES = (".txt", ".md", ".html", ".jsonl", ".json", ".csv", ".xml", ".opml", ".rss")


@st.composite
def special_files(draw: st.DrawFn) -> list[tuple[str, str, bool]]:
    """Up to five (kind, suffix, inside a folder) entries to lay out as collection sources."""
    entry = st.tuples(st.sampled_from(SPECIAL_KINDS), st.sampled_from(SOURCE_SUFFIXES),
                      st.booleans())
    return draw(st.lists(entry, min_size=1, max_size=5))


@st.composite
def long_paths(draw: st.DrawFn) -> list[str]:
    """Path components, some over the 255-byte name limit (in ASCII or in multi-byte letters),
    and sometimes so many that the whole path passes PATH_MAX (4096 bytes)."""
    letters = st.sampled_from(["a", "é", "文", "𝔞", "-", ".", " "])
    part = st.integers(1, 300).flatmap(lambda n: st.lists(letters, min_size=n, max_size=n)
                                       ).map("".join).filter(lambda p: p.strip(". "))
    return draw(st.lists(part, min_size=1, max_size=20))
