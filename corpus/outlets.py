"""The outlet registry: who an outlet is, and the labels a researcher compares outlets by.

A CSV (or TOML) with one row per outlet: ``outlet, domains`` (space-separated), then any
columns the user wants (``display_name, country, language, kind, state_affiliated,
ownership`` ship in the starter registry; add a bias rating from a source you choose, say).
Comparison axes are the user's: no built-in left/right scale. The user's file is merged over
the packaged starter registry, its rows winning.
"""
from __future__ import annotations

import csv
import io
import logging
import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from corpus.errors import SourceError, os_reason
from corpus.sources import read_local

log = logging.getLogger(__name__)

REGISTRY_ENV = "PARALLAX_OUTLETS"


def _read_rows(path: Path) -> list[dict[str, str]]:
    # Read through the bounded reader: a registry that is a FIFO or a device fails at once.
    text = read_local(path).decode("utf-8", errors="replace")
    if path.suffix.lower() == ".toml":
        return _toml_rows(path, text)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if rows and "outlet" not in rows[0]:
        raise SourceError(f"outlet registry {path} needs an 'outlet' column")
    return rows


def _toml_rows(path: Path, text: str) -> list[dict[str, str]]:
    """One row per ``[outlets.NAME]`` table (or top-level table); a file that is not TOML, or
    an outlet that is not a table, is the user's mistake, said in one line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"outlet registry {path} is not valid TOML: {exc}") from exc
    outlets = data.get("outlets", data)
    if not isinstance(outlets, dict):
        raise SourceError(f"outlet registry {path}: 'outlets' must be a table of outlets, "
                          "e.g. [outlets.Reuters] domains = [\"reuters.com\"]")
    rows = []
    for name, fields in outlets.items():
        if not isinstance(fields, dict):
            raise SourceError(f"outlet registry {path}: outlet {name!r} must be a table, e.g. "
                              f"[outlets.{name}] domains = [\"example.com\"]")
        row = {"outlet": name, **{k: str(v) for k, v in fields.items()}}
        if isinstance(fields.get("domains"), list):
            row["domains"] = " ".join(str(d) for d in fields["domains"])
        rows.append(row)
    return rows


def _starter_rows() -> list[dict[str, str]]:
    with resources.as_file(resources.files("corpus") / "data" / "outlets.csv") as path:
        return _read_rows(path)


def registry_path(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The user's registry file: the one given, else ``$PARALLAX_OUTLETS``, else none."""
    chosen = path or os.environ.get(REGISTRY_ENV)
    return Path(chosen) if chosen else None


def load_registry(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The starter registry merged with the user's file; one row per outlet, all labels as text."""
    rows = {r["outlet"]: r for r in _starter_rows()}
    user = registry_path(path)
    if user is not None:
        try:
            if not user.exists():
                raise SourceError(f"outlet registry {user} not found; pass an existing CSV or "
                                  "TOML")
            user_rows = _read_rows(user)
        except OSError as exc:
            raise SourceError(f"cannot read outlet registry {user}: {os_reason(exc)}") from exc
        for row in user_rows:
            rows[row["outlet"]] = {**rows.get(row["outlet"], {}), **row}
    frame = pd.DataFrame(list(rows.values())).fillna("")
    if "display_name" in frame:
        frame["display_name"] = frame["display_name"].where(frame["display_name"] != "",
                                                            frame["outlet"])
    return frame


# Leading host labels that serve the same site in another form (desktop, mobile, AMP): an
# outlet the registry does not know is named by its host, and "m.lenta.ru" and "lenta.ru"
# must not become two outlets.
_PRESENTATION_LABELS = frozenset({"www", "m", "mobile", "amp"})


def host_of(url: str) -> str:
    """The lowercase host of a URL without a leading ``www.``, ``m.``, ``mobile.`` or ``amp.``
    (a domain of at least two labels stays); ``""`` when there is none (or the URL is
    malformed, such as an unclosed ``[``)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    labels = host.split(".")
    while len(labels) > 2 and labels[0] in _PRESENTATION_LABELS:
        labels = labels[1:]
    return ".".join(labels)


@dataclass(frozen=True)
class OutletResolver:
    """Names outlets from URLs and site names using the registry's domains."""

    by_domain: dict[str, str]
    by_alias: dict[str, str]

    @classmethod
    def from_registry(cls, registry: pd.DataFrame) -> OutletResolver:
        by_domain: dict[str, str] = {}
        by_alias: dict[str, str] = {}
        for row in registry.to_dict("records"):
            for domain in str(row.get("domains", "")).split():
                by_domain[domain.lower().removeprefix("www.")] = row["outlet"]
            for alias in (row["outlet"], row.get("display_name", "")):
                if alias:
                    by_alias[str(alias).lower()] = row["outlet"]
        return cls(by_domain, by_alias)

    def canonical(self, name: str) -> str:
        """The registry's name for an outlet given by name or domain; the name itself when the
        registry does not know it."""
        key = name.strip().lower()
        if key in self.by_alias:
            return self.by_alias[key]
        if "." in key and " " not in key:
            found = self.outlet_for(f"https://{key}/")
            if found != host_of(f"https://{key}/"):
                return found
        return name.strip()

    def outlet_for(self, url: str, site_name: str = "") -> str:
        """The registry outlet of a URL's host (or a parent domain), else the site name, else
        the host itself."""
        host = host_of(url)
        parts = host.split(".")
        for start in range(len(parts) - 1):
            outlet = self.by_domain.get(".".join(parts[start:]))
            if outlet:
                return outlet
        if site_name:
            return self.by_alias.get(site_name.lower(), site_name)
        return host or "unknown outlet"


@lru_cache(maxsize=4)
def default_resolver(path: str | None = None) -> OutletResolver:
    return OutletResolver.from_registry(load_registry(path))
