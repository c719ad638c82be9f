"""``analyze_dataset``: the analysis of a Parquet dataset of articles into a result folder.

One data flow, the analysis itself unchanged: the dataset's rows are read and checked
(``articles``), mirrored into a working store inside the folder (SQLite, ``_store.db``), the
unchanged ``compare.analyze.analyze`` runs on it (``--engine ray`` included), and the finished
run is written as Parquet tables partitioned by event (``folder``).

The working store keeps what makes a second run incremental: the passage, language, tone and
embedding caches, and the previous run's rows of every unchanged event. It is SQLite on this
machine, like the driver of a Ray run: the folder is local, and a copy of it without
``_store.db`` still opens in ``parallax export`` and the dashboard.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compare.analyze import analyze
from compare.datasets.articles import ImportReport, import_articles, read_articles
from compare.datasets.folder import WORKING_STORE, is_result_folder, write_result_folder
from compare.embed.embedders import Embedder
from compare.engine import Engine
from compare.errors import CompareError
from compare.runs import AnalysisRun
from compare.settings import AnalysisSettings
from corpus.store import Store


@dataclass(frozen=True)
class DatasetAnalysis:
    """A finished analysis of a dataset: the run, how its rows were read, and the folder."""

    run: AnalysisRun
    imported: ImportReport
    folder: Path


def analyze_dataset(
    articles: str | os.PathLike[str],
    out: str | os.PathLike[str],
    settings: AnalysisSettings | None = None,
    *,
    embedder: str | Embedder | None = None,
    progress: bool = False,
    engine: str | Engine = "local",
    ray_address: str | None = None,
    engine_settings: dict[str, Any] | None = None,
) -> DatasetAnalysis:
    """Analyse the Parquet dataset of articles at ``articles`` and write the result folder
    ``out`` (``compare.datasets.folder``).

    Args:
        articles: a folder of Parquet files, a Parquet file or a URL pyarrow reads
            (``s3://bucket/articles/``), with the ``articles`` export's columns
            (``compare.datasets.articles.REQUIRED`` at least).
        out: the result folder: new, empty, or written by an earlier call (then only what
            changed is computed again).
        settings, embedder, progress, engine, ray_address, engine_settings: as for
            ``compare.analyze.analyze``.

    Returns:
        The run (as ``analyze`` returns it), the reading's report (each row that is no article
        with its reason, also in the folder's ``items`` table) and the folder.

    Raises:
        CompareError: the dataset cannot be read, lacks a column or holds no article; ``out``
            is a file or a folder of other files; a setting is invalid.
    """
    source = _source_name(articles)
    folder = _checked_folder(Path(out), source)
    rows = read_articles(source)
    if not rows.articles:
        first = rows.failures[0].line() if rows.failures else "the dataset has no rows"
        raise CompareError(f"no row of {source} is an article ({len(rows.failures)} failed; "
                           f"first: {first})")
    folder.mkdir(parents=True, exist_ok=True)
    with Store(folder / WORKING_STORE) as store:
        imported = import_articles(store, rows)
        run = analyze(store, settings, embedder=embedder, progress=progress, engine=engine,
                      ray_address=ray_address, engine_settings=engine_settings)
        write_result_folder(store, folder, run.run_id, source=source)
    return DatasetAnalysis(run, imported, folder)


def _source_name(articles: str | os.PathLike[str]) -> str:
    """A URL as given, a local path made absolute (the provenance names where it was read)."""
    text = os.fspath(articles)
    return text if "://" in text else str(Path(text).resolve())


def _checked_folder(folder: Path, source: str) -> Path:
    """``folder`` when the analysis may write there: new, empty or a result folder (or one
    whose first write stopped: it holds the working store), and not in the dataset.

    Raises:
        CompareError: it may not.
    """
    if folder.exists() and not folder.is_dir():
        raise CompareError(f"--out {folder} is a file: give a folder for the result tables")
    ours = is_result_folder(folder) or (folder / WORKING_STORE).exists()
    if folder.is_dir() and not ours and any(folder.iterdir()):
        raise CompareError(f"--out {folder} holds other files: give a new or empty folder, or "
                           "the folder of an earlier `parallax analyze --articles` run")
    if "://" not in source:
        data, target = Path(source), folder.resolve()
        if target.is_relative_to(data) or data.is_relative_to(target):
            raise CompareError(f"--out {folder} and the dataset {source} overlap: the result "
                               "tables would be read as articles; give a folder outside it")
    return folder
