"""Embeddings: the packaged encoders behind one protocol, and a cache of vectors per text."""
from __future__ import annotations

from compare.embed.embedders import (
    DEFAULT_EMBEDDER,
    Embedder,
    HashingEmbedder,
    embed_texts,
    make_embedder,
    text_hash,
)

__all__ = ["DEFAULT_EMBEDDER", "Embedder", "HashingEmbedder", "embed_texts", "make_embedder",
           "text_hash"]
