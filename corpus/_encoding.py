"""A response's ``Content-Encoding`` undone in bounded steps, so no answer can take the memory.

httpx decodes each network chunk whole, and stacked encodings multiply: 1,831 bytes sent as
``gzip, gzip`` inflate to gigabytes in one call, before any size cap is looked at. Here every
layer gives at most ``STEP`` bytes per call (``zlib.decompressobj`` with ``max_length``, the
rest kept as its ``unconsumed_tail``), pieces are pulled one at a time, and the caller stops at
its cap: memory stays near one network chunk plus ``STEP`` per layer.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

# Encodings this module undoes, and the value of Accept-Encoding that asks for no other.
ACCEPT_ENCODING = "gzip, deflate"
# Layers allowed on one answer: one is normal, two is a known server misconfiguration (a
# compressing proxy in front of a compressing application); more is only ever an attack.
MAX_LAYERS = 2
# Bytes one layer gives per step (the bound on what one decompress call can allocate).
STEP = 64 * 1024
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class EncodingProblem(Exception):
    """The body cannot be decoded (unsupported, too many layers, broken data); a reason."""


def layers(content_encoding: str) -> list[str]:
    """The encodings to undo, in the order to undo them (the last one applied first).

    Raises:
        EncodingProblem: an encoding this module does not know, or more than ``MAX_LAYERS``.
    """
    named = [e.strip().lower() for e in content_encoding.split(",")]
    named = [e for e in named if e and e != "identity"]
    if len(named) > MAX_LAYERS:
        raise EncodingProblem(f"{len(named)} stacked content encodings ({', '.join(named[:5])}"
                              f"{' ...' if len(named) > 5 else ''}); at most {MAX_LAYERS} are "
                              "accepted, more is a known way to hide a compression bomb")
    for name in named:
        if name not in _WBITS:
            raise EncodingProblem(f"content encoding {name[:40]!r} is not supported (only "
                                  f"{ACCEPT_ENCODING} were asked for)")
    return named[::-1]


def _inflate(pieces: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    """One layer undone: pieces of at most ``STEP`` bytes; data after its end is not read."""
    wbits = _WBITS[encoding]
    decoder = zlib.decompressobj(wbits)
    started = False
    for piece in pieces:
        if decoder.eof:
            return  # whatever follows the end is not read at all
        data = piece
        while data and not decoder.eof:
            try:
                out = decoder.decompress(data, STEP)
            except zlib.error as exc:
                if encoding == "deflate" and not started and wbits > 0:
                    # "deflate" is often sent raw, without the zlib header (as httpx allows).
                    wbits = -zlib.MAX_WBITS
                    decoder = zlib.decompressobj(wbits)
                    continue
                raise EncodingProblem(f"broken {encoding} data ({exc})") from exc
            started = True
            data = decoder.unconsumed_tail
            if out:
                yield out
    while not decoder.eof:  # output zlib still holds, in bounded steps
        try:
            out = decoder.decompress(b"", STEP)
        except zlib.error as exc:
            raise EncodingProblem(f"broken {encoding} data ({exc})") from exc
        if not out:
            break
        yield out


def decoded(raw: Iterable[bytes], content_encoding: str) -> Iterator[bytes]:
    """The body behind ``raw`` (the bytes as sent), piece by piece.

    Raises:
        EncodingProblem: see ``layers``, or the data is not what its encoding says.
    """
    pieces: Iterable[bytes] = raw
    for encoding in layers(content_encoding):
        pieces = _inflate(pieces, encoding)
    return iter(pieces)
