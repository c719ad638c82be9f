"""The one TF-IDF weighting of passages and articles: sublinear term frequency, float32 rows."""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer


def fit_tfidf(docs: Any, **options: Any) -> tuple[TfidfVectorizer, sparse.csr_matrix] | None:
    """A fitted vectoriser and its L2-normalised ``(n, vocabulary)`` rows, or None when no
    document has a token (every text empty, or stop words only)."""
    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # empty vocabulary
        return None
    return vectorizer, matrix.tocsr()
