"""Collection and storage of news coverage: feeds, pages, files, and the on-disk store."""
from __future__ import annotations

from corpus.errors import CorpusError, ExtractError, FeedError, FetchError, StoreError
from corpus.records import Article, CollectReport, ItemOutcome

__all__ = [
    "Article",
    "CollectReport",
    "CorpusError",
    "ExtractError",
    "FeedError",
    "FetchError",
    "ItemOutcome",
    "StoreError",
]
