"""The Parallax dashboard: a Streamlit app over finished analyses in the store.

Run it with ``parallax dashboard --store PATH`` (or ``streamlit run dashboard/app.py --
--store PATH``). It reads result tables only; it never recomputes an analysis.
"""
