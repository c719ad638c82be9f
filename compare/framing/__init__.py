"""Framing: how each outlet tells what it reports (word choice, tone, sources, hedges)."""
from __future__ import annotations

from compare.framing.signals import FramingSettings, framing_signals, passage_tone

__all__ = ["FramingSettings", "framing_signals", "passage_tone"]
