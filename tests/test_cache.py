"""Values computed once per store and text: detected languages and tones."""
from __future__ import annotations

import numpy as np

from compare.cache import cached, detected_languages, tones
from corpus.store import Store


def test_each_text_is_computed_once_per_store_and_kind(tmp_path):
    calls: list[list[str]] = []

    def upper(texts: list[str]) -> list[str]:
        calls.append(texts)
        return [t.upper() for t in texts]

    with Store(tmp_path / "s.db") as store:
        assert cached(store, "upper:1", ["a", "b", "a"], upper) == ["A", "B", "A"]
        assert cached(store, "upper:1", ["b", "c"], upper) == ["B", "C"]
        assert calls == [["a", "b"], ["c"]]  # duplicates and known texts are not recomputed
        assert cached(store, "upper:2", ["a"], upper) == ["A"]  # another kind: afresh
    with Store(tmp_path / "s.db", readonly=True) as readonly:
        assert cached(readonly, "upper:1", ["c", "d"], upper) == ["C", "D"]
        assert calls[-1] == ["d"]  # read from the store; the new value is not written
    assert cached(None, "upper:1", ["e"], upper) == ["E"]


def test_languages_and_tones_match_the_tools_and_are_reused(tmp_path):
    from compare.framing.signals import passage_tone
    from corpus.language import detect_language

    texts = ["The delegations met in Istanbul on Tuesday and agreed to talk again.",
             "Делегации встретились в Стамбуле во вторник и договорились продолжить переговоры.",
             "ok"]
    with Store(tmp_path / "s.db") as store:
        first = detected_languages(store, texts)
        assert first == [detect_language(t) for t in texts] == ["en", "ru", ""]
        assert detected_languages(store, texts) == first
        scores = tones(store, texts[:1])
        np.testing.assert_array_equal(scores, passage_tone(texts[:1]))
        np.testing.assert_array_equal(tones(store, texts[:1]), scores)
        kinds = {row[0].split(":")[0] for row in
                 store._db.execute("SELECT kind FROM value_cache").fetchall()}
        assert kinds == {"language", "tone"}
