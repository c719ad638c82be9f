"""A time bound on one parser call, so no single input can stall a collection run.

The parsers Parallax calls are linear-time on their own (and inputs are size-capped first), but
they are large third-party libraries (feedparser, trafilatura, lxml, charset_normalizer). As a
second line of defence, ``time_limit`` arms the process's real-time interval timer around a
call: when it fires, the call is abandoned with the caller's error. It costs two system calls,
starts no thread and leaves nothing behind. It only works in the main thread and when no one
else uses ``SIGALRM``; elsewhere it does nothing and the size caps are the bound. Python-level
code (feedparser's loose parser, trafilatura, every ``re`` match) is interrupted at once; a
single C call such as one lxml parse is interrupted when it returns.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from corpus.errors import CorpusError

log = logging.getLogger(__name__)


class _Expired(BaseException):
    """Raised inside the bounded call; BaseException so no ``except Exception`` swallows it."""


_active = threading.local()


def _usable() -> bool:
    """Whether this thread may arm SIGALRM without disturbing anyone else."""
    if not hasattr(signal, "setitimer"):
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    if getattr(_active, "armed", False):
        return False  # nested: the outer bound applies
    if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        return False  # someone else's timer is running
    return signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)


@contextmanager
def time_limit(seconds: float, error: Callable[[str], CorpusError]) -> Iterator[None]:
    """Run the block for at most ``seconds``; past that, raise ``error(reason)``.

    Args:
        seconds: the bound; 0 or less means no bound.
        error: builds the exception to raise from a readable reason (``FeedError``...).
    """
    if seconds <= 0 or not _usable():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    _active.armed = True
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Expired:
        log.warning("parser gave up after %gs", seconds)
        raise error(f"gave up after {seconds:g}s: the document takes too long to read "
                    "(too large or built to stall a parser)") from None
    finally:
        _active.armed = False
        signal.signal(signal.SIGALRM, previous)


__all__ = ["time_limit"]
