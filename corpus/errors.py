"""Exceptions of the corpus package. Messages say which input, what went wrong, how to fix it."""
from __future__ import annotations

import errno


class CorpusError(Exception):
    """Base class for every error the corpus package raises on purpose."""


class FetchError(CorpusError):
    """A URL could not be fetched (refused, dead, too slow, too large, not allowed)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class FeedError(CorpusError):
    """A feed or OPML document could not be parsed safely."""


class ExtractError(CorpusError):
    """No usable article text could be extracted from a page."""


class SourceError(CorpusError):
    """A collection source (file, folder, record file) is unreadable or malformed."""


class StoreError(CorpusError):
    """The store on disk cannot be opened or written."""


def os_reason(exc: OSError) -> str:
    """What a file system error means, in words, with what to do where that is clear."""
    if exc.errno == errno.ENAMETOOLONG:
        return ("a file or folder name in the path is too long for the file system (over 255 "
                "bytes): choose a shorter path")
    return exc.strerror or str(exc)
