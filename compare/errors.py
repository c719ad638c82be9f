"""Exceptions of the compare package."""
from __future__ import annotations


class CompareError(Exception):
    """Base class for every error the compare package raises on purpose."""


class EmbedderError(CompareError):
    """An embedding model cannot be loaded or named."""


class SettingsError(CompareError):
    """A setting has a value that cannot work; the message names it and how to fix it."""


class NoAnalysisError(CompareError):
    """The store holds no finished analysis yet."""
