"""Data that does not fit one SQLite file: Parquet datasets in and out.

- ``articles``: read a Parquet dataset of article records (a folder, a file or an object-store
  URL), row by row checked, into a working store.
- ``folder``: a result folder, one finished run as Parquet datasets partitioned by event, and
  ``ResultFolder``, which reads it back like a store (``parallax export``, the dashboard).
- ``analysis``: ``analyze_dataset``, the two joined around the unchanged ``analyze``.

Light on purpose: importing ``compare.datasets.folder`` loads pyarrow, never the models.
"""
