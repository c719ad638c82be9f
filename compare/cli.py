"""The ``parallax`` command: a few lines over each library function.

User mistakes and bad input end in one readable line and a non-zero exit code, never a
traceback (``-v`` shows detail).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from compare.errors import CompareError
from corpus.errors import CorpusError, os_reason
from corpus.records import ItemOutcome
from corpus.store import DEFAULT_STORE, STORE_ENV, Store

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Parallax: compare how news outlets narrate the same event.",
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

StoreOpt = Annotated[Path | None, typer.Option(
    "--store", help=f"Store file (default: ${STORE_ENV} or ./{DEFAULT_STORE}).")]
ReadOpt = Annotated[Path | None, typer.Option(
    "--store", help=f"Store file, or the result folder of analyze --articles (default: "
    f"${STORE_ENV} or ./{DEFAULT_STORE}).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show detail while working.")]


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@app.command()
def collect(
    sources: Annotated[list[str], typer.Argument(help="Feeds, OPML, URLs, URL lists, HTML/TXT "
                                                 "files, folders, JSONL/CSV records.")],
    store: StoreOpt = None,
    strict: Annotated[bool, typer.Option(help="Exit non-zero when any item failed.")] = False,
    keyword: Annotated[list[str] | None, typer.Option(
        "--keyword", "-k", help="Keep only articles mentioning one of these (repeatable).")] = None,
    since: Annotated[str, typer.Option(help="Keep articles published on/after YYYY-MM-DD.")] = "",
    until: Annotated[str, typer.Option(help="Keep articles published on/before YYYY-MM-DD.")] = "",
    seed: Annotated[Path | None, typer.Option(
        help="Keep articles similar to this seed article (a text/HTML file).")] = None,
    outlet: Annotated[str, typer.Option(help="Outlet name for local files without one.")] = "",
    registry: Annotated[Path | None, typer.Option(help="Your outlet registry (CSV/TOML).")] = None,
    allow_private: Annotated[bool, typer.Option(
        help="Allow URLs on private, loopback and link-local addresses.")] = False,
    wayback: Annotated[bool, typer.Option(
        help="Fall back to the Internet Archive's copy of dead pages.")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Collect coverage into the store. Collecting the same source twice adds nothing."""
    from compare.workflows import collect_sources

    _logging(verbose)

    def show(item: ItemOutcome) -> None:  # as it happens: a long or stopped run shows them too
        # Plain print: while the progress line is up, rich shows what is printed above it.
        if item.outcome == "failed" or verbose:
            print(item.line(), file=sys.stderr if item.outcome == "failed" else sys.stdout,
                  flush=True)

    with Store(store) as db:
        report = collect_sources(
            db, sources, keywords=keyword or [], since=since, until=until, seed=seed,
            outlet=outlet, registry=registry, allow_private=allow_private, wayback=wayback,
            progress=sys.stderr.isatty(), on_item=show,
        )
        out.print(f"Collected into {db.path}: {report.summary()}.", markup=False)
        if report.failures:
            out.print(f"See every failure with: parallax status --store {db.path}", markup=False)
    if strict and report.failures:
        raise typer.Exit(1)


@app.command()
def analyze(
    store: StoreOpt = None,
    articles: Annotated[str | None, typer.Option(
        "--articles", help="A Parquet dataset of articles to analyse instead of a store: a "
        "folder, a file or a URL (s3://BUCKET/PATH) with the articles export's columns; "
        "needs --out.")] = None,
    out_folder: Annotated[Path | None, typer.Option(
        "--out", help="The result folder of --articles: every table as Parquet, partitioned "
        "by event (open it with export and dashboard --store FOLDER).")] = None,
    config: Annotated[Path | None, typer.Option(help="Settings file (default ./parallax.toml).")
                      ] = None,
    embedder: Annotated[str | None, typer.Option(
        help="Embedding model: st:all-MiniLM-L6-v2 (default) or hashing:512.")] = None,
    lite: Annotated[bool, typer.Option(
        help="Fast hashing embedder, no model (rough results; for quick looks only).")] = False,
    one_event: Annotated[bool, typer.Option(
        "--one-event", help="Treat everything in the store as one event (a collection already "
        "scoped to an event) instead of grouping articles into events.")] = False,
    engine: Annotated[str, typer.Option(
        help="Where the work runs: local (this process) or ray (needs the ray extra); the "
        "results are the same.")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        help="Ray cluster address (auto, ray://HEAD:10001); default: start Ray here.")] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Group articles into events, align facts across outlets and measure framing: a store's,
    or a Parquet dataset's into a result folder (--articles SRC --out FOLDER)."""
    from compare.analyze import analyze as run_analysis
    from compare.runs import describe_run, describe_work
    from compare.settings import load_engine_settings, load_settings

    _logging(verbose)
    _check_dataset_options(store, articles, out_folder)
    settings = load_settings(config)
    if one_event:
        settings = settings.with_overrides(single_event=True)
    model, progress = "hashing:512" if lite else embedder, sys.stderr.isatty()
    ray_settings = load_engine_settings(config)
    if articles is not None and out_folder is not None:
        from compare.datasets.analysis import analyze_dataset

        done = analyze_dataset(articles, out_folder, settings, embedder=model, progress=progress,
                               engine=engine, ray_address=ray_address,
                               engine_settings=ray_settings)
        for item in done.imported.failures:
            err.print(item.line(), markup=False, highlight=False)
        out.print(f"Read {articles}: {done.imported.summary()}.", markup=False)
        run, path = done.run, done.folder
    else:
        with Store(store) as db:
            run = run_analysis(db, settings, embedder=model, progress=progress, engine=engine,
                               ray_address=ray_address, engine_settings=ray_settings)
            path = db.path
    out.print(describe_run(run), markup=False)
    out.print(describe_work(run), markup=False)
    for event_id, reason in sorted(run.failed_events.items()):
        err.print(f"failed  event {event_id} [facts]: {reason}", markup=False)
    out.print(f"Next: parallax dashboard --store {path}", markup=False)


def _check_dataset_options(store: Path | None, articles: str | None, folder: Path | None
                           ) -> None:
    """``--articles`` goes with ``--out`` and without ``--store``; a result folder is analysed
    again from its dataset."""
    from compare.datasets.folder import is_result_folder

    if store is not None and is_result_folder(store):
        raise CompareError(f"--store {store} is a result folder: analyse its dataset again with "
                           f"--articles SRC --out {store}")
    if articles is not None and store is not None:
        raise CompareError("--articles and --store name two inputs: analyse a dataset with "
                           "--articles SRC --out FOLDER, or a store with --store PATH")
    if (articles is None) != (folder is None):
        raise CompareError("--articles SRC and --out FOLDER go together: the dataset to read "
                           "and the folder to write the result tables to")


@app.command()
def export(
    what: Annotated[str, typer.Argument(help="articles, events, passages, alignments, topics, "
                                        "coverage, omissions, framing or side-by-side")],
    format: Annotated[str | None, typer.Option(
        "--format", "-f", help="csv, parquet, jsonl or xlsx (default: from --out's name, "
        "else csv).")] = None,
    out_path: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output file (default: parallax-WHAT.FORMAT).")] = None,
    store: ReadOpt = None,
    run: Annotated[str | None, typer.Option(help="Analysis run id (default: latest).")] = None,
    event: Annotated[str | None, typer.Option(
        "--event", help="Only this event (an event_id).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing file (a symlink is itself replaced, never its "
        "target). The store is never replaced.")] = False,
    excel: Annotated[bool, typer.Option(
        "--excel", help="CSV for Excel: UTF-8 with a byte-order mark (xlsx is better).")] = False,
) -> None:
    """Export a table with provenance (a sidecar OUT.provenance.json; in Parquet and xlsx too)."""
    from compare.datasets.folder import open_readonly
    from compare.export.writer import export as export_table

    with open_readonly(store) as db:
        path, rows = export_table(db, what, format, out_path, run_id=run, force=force,
                                  excel=excel, event_id=event)
    out.print(f"Wrote {rows} rows to {path} (provenance in {path.name}.provenance.json)",
              markup=False)


@app.command()
def status(store: ReadOpt = None) -> None:
    """What the store holds: articles per outlet, runs, and every failure with its reason."""
    from compare.datasets.folder import open_readonly
    from compare.workflows import describe_store

    with open_readonly(store) as db:
        out.print(describe_store(db), markup=False, highlight=False)


@app.command()
def dashboard(
    store: ReadOpt = None,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    host: Annotated[str, typer.Option(help="Address to bind (default: this machine only).")
                    ] = "127.0.0.1",
) -> None:
    """Open the dashboard on a finished analysis."""
    from compare.workflows import open_dashboard

    raise typer.Exit(open_dashboard(store, port=port, host=host))


@app.command()
def demo(
    source: Annotated[list[str] | None, typer.Option(
        "--source", help="Saved pages, a folder or record files to use instead of the web.")
                      ] = None,
    store: StoreOpt = None,
    open_dashboard: Annotated[bool, typer.Option(
        "--dashboard/--no-dashboard", help="Open the dashboard at the end.")] = True,
    lite: Annotated[bool, typer.Option(help="Hashing embedder instead of the model.")] = False,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8501,
) -> None:
    """The Istanbul peace talks of 29-30 March 2022: collect, analyse, open the dashboard."""
    from compare.workflows import run_demo

    raise typer.Exit(run_demo(source or [], store, open_dashboard=open_dashboard,
                              lite=lite, port=port, console=out))


def main() -> None:
    """Entry point of the ``parallax`` console script."""
    try:
        app(standalone_mode=True)
    except (CorpusError, CompareError) as exc:
        err.print(f"parallax: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except OSError as exc:  # a path the file system refuses, met where no check names it
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"parallax: {where}{os_reason(exc)}", markup=False, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
