"""Alignment and framing analysis of collected coverage: passages, embeddings, events, topics,
alignment, framing signals, export and the command line."""
from __future__ import annotations
