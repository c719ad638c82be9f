"""Values derived from a text once per store: an article's detected language, a passage's tone.

Like the passage and embedding caches, the key is the text's hash and the kind names the tool
and its version (``tone:vaderSentiment@3.3.2``), so a new version computes afresh. Re-runs then
read them instead of loading the language detector and running it and the tone lexicon again,
which on a large store costs most of a minute per run (docs/evaluation.md#benchmarks).
"""
from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Sequence

import numpy as np

from compare.embed.embedders import text_hash
from corpus.store import Store


def cached(store: Store | None, kind: str, texts: Sequence[str],
           compute: Callable[[list[str]], list[str]],
           map_texts: Callable[[Callable[[list[str]], list[str]], list[str]], list[str]]
           | None = None) -> list[str]:
    """``compute(texts)``, reading what the store has and writing what it lacks; ``map_texts``
    (an engine's, ``compare.engine``) runs ``compute`` on the missing texts instead of this
    process."""
    hashes = [text_hash(t) for t in texts]
    found = store.cached_values(kind, hashes) if store is not None else {}
    first = dict(zip(hashes, texts, strict=True))
    missing = [h for h in first if h not in found]
    if missing:
        todo = [first[h] for h in missing]
        fresh = dict(zip(missing, map_texts(compute, todo) if map_texts else compute(todo),
                         strict=True))
        if store is not None:
            store.cache_values(kind, fresh)
        found.update(fresh)
    return [found[h] for h in hashes]


def _tone_values(texts: list[str]) -> list[str]:
    from compare.framing.signals import passage_tone

    return [repr(float(v)) for v in passage_tone(texts)]


def _kind(name: str, package: str) -> str:
    return f"{name}:{package}@{importlib.metadata.version(package)}"


def detected_languages(store: Store | None, texts: Sequence[str]) -> list[str]:
    """``corpus.language.detect_language`` of each text ("" when undecided), cached."""
    from corpus.language import detect_language, detector_version

    return cached(store, f"language:{detector_version()}", texts,
                  lambda todo: [detect_language(t) for t in todo])


def tones(store: Store | None, texts: Sequence[str],
          map_texts: Callable[[Callable[[list[str]], list[str]], list[str]], list[str]]
          | None = None) -> np.ndarray:
    """``compare.framing.signals.passage_tone`` of each text, cached (computed by
    ``map_texts``, an engine's, when given)."""
    values = cached(store, _kind("tone", "vaderSentiment"), texts, _tone_values, map_texts)
    return np.array([float(v) for v in values], dtype=float)
