"""Languages the multilingual encoder does not cover (Ukrainian among them) are read through
the wide encoder (e5): unit tests on hand-made vectors, then the real models."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from compare.embed import scales
from compare.embed.scales import USE_LANGUAGES, both_on_use_scale, uncovered, wide_on_use_scale
from compare.facts.match import candidate_scores, cheap_similarity
from compare.facts.signals import multilingual_similarity, passage_signals
from compare.facts.verifier import load_verifier

TALKS = Path(__file__).parent / "data" / "languages" / "talks-en-uk.jsonl"


def test_uncovered_names_the_languages_the_multilingual_encoder_was_not_trained_on() -> None:
    assert {"en", "ru", "de", "zh"} <= USE_LANGUAGES and "uk" not in USE_LANGUAGES
    # an unknown language ("") is not known to be outside
    assert uncovered(["en", "uk", "", "ru"]).tolist() == [False, True, False, False]


def _unit(rows: list[list[float]]) -> np.ndarray:
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_pairs_with_an_uncovered_language_read_the_wide_cosine_on_the_use_scale() -> None:
    texts = ["Russia will reduce activity near Kyiv.", "Росія скоротить активність біля Києва.",
             "Россия сократит активность под Киевом.", "Prices rose.",
             "Ціни на хліб зросли.", "Ціни зросли."]
    languages = ["en", "uk", "ru", "en", "uk", ""]
    use = _unit([[1, 0, 0], [0, 1, 0], [1, 0.1, 0], [0, 0, 1], [0, 1, 1], [0, 0.3, 1]])
    wide = _unit([[1, 0, 0], [1, 0.05, 0], [1, 0.1, 0], [0, 0, 1], [0.1, 0, 1], [0, 0.1, 1]])
    signals = passage_signals(texts, languages, use, None, wide)
    # en-uk, en-ru, uk-ru, en-en, uk-uk, uk and unknown (read as Ukrainian: one language)
    i, j = np.array([0, 0, 1, 0, 1, 4]), np.array([1, 2, 2, 3, 4, 5])
    sim = multilingual_similarity(signals, i, j)
    w = np.einsum("ij,ij->i", wide[i], wide[j])
    u = np.einsum("ij,ij->i", use[i], use[j])
    # en-uk and uk-ru: the wide cosine on the multilingual scale for translations
    np.testing.assert_allclose(sim[[0, 2]], wide_on_use_scale(w[[0, 2]], True), rtol=1e-6)
    # uk-uk and uk with an unknown language: the scale for one language
    np.testing.assert_allclose(sim[[4, 5]], wide_on_use_scale(w[[4, 5]], False), rtol=1e-6)
    assert not np.allclose(wide_on_use_scale(w[[4, 5]], True), sim[[4, 5]])
    # en-ru, a translation in two covered languages: both encoders, on the multilingual scale
    np.testing.assert_allclose(sim[1], both_on_use_scale(u[[1]], w[[1]])[0], rtol=1e-6)
    # en-en: the multilingual encoder's own cosine
    np.testing.assert_allclose(sim[3], u[3], rtol=1e-6)
    # candidate scores, block and pairwise, read the same values
    scores = candidate_scores(signals, np.arange(6))
    np.testing.assert_allclose(scores[i, j], sim, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cheap_similarity(signals, i, j), sim, rtol=1e-5, atol=1e-6)
    # without wide vectors nothing changes
    plain = passage_signals(texts, languages, use)
    np.testing.assert_allclose(multilingual_similarity(plain, i, j), u, rtol=1e-6)


def test_the_scale_is_monotone_bounded_and_recorded_with_each_run() -> None:
    from compare.analyze import effective_parameters
    from compare.settings import AnalysisSettings

    cosines = np.linspace(0.0, 1.0, 101)
    for cross in (False, True):
        mapped = wide_on_use_scale(cosines, cross)
        assert np.all(np.diff(mapped[(mapped > -1) & (mapped < 1)]) > 0)
        assert mapped.min() >= -1.0 and mapped.max() <= 1.0
    # a translated pair read by both encoders: rises with either cosine, stays bounded
    grid_u, grid_w = np.meshgrid(cosines, cosines)
    both = both_on_use_scale(grid_u.ravel(), grid_w.ravel()).reshape(grid_u.shape)
    inside = (both > -1) & (both < 1)
    # (e5's own cosine is first put on the scale, bounded: flat where that bound is reached)
    assert np.all(np.diff(both, axis=0) >= 0) and both[-1, 50] > both[0, 50]
    assert np.all(np.diff(both, axis=1)[inside[:, 1:] & inside[:, :-1]] > 0)
    assert both.min() >= -1.0 and both.max() <= 1.0
    recorded = effective_parameters(AnalysisSettings())["verifier"]["wide_to_use"]
    assert recorded == {k: list(v) for k, v in scales.WIDE_TO_USE.items()}


# ---------------------------------------------------------------------------- real models


def _talks() -> list[dict[str, str]]:
    return [json.loads(line) for line in TALKS.read_text(encoding="utf-8").splitlines()]


@pytest.mark.real
def test_ukrainian_translations_are_the_same_fact_and_other_claims_are_not() -> None:
    from compare import same_fact

    english, ukrainian = (t["text"].split("\n\n") for t in _talks())
    # The first three paragraphs are translations; the fourth says different things.
    same = same_fact(english[:3], ukrainian[:3])
    other = same_fact(english, ukrainian[1:] + ukrainian[:1])
    last = same_fact(english[3:], ukrainian[3:])
    print(f"\nEN-UK translations {same.round(2)}, shifted {other.round(2)}, last {last.round(2)}")
    # Measured 0.90-0.94 (0.28-0.71 through the multilingual encoder alone); the shifted
    # pairs, other claims about the same talks, 0.01-0.52; the fourth paragraphs 0.06.
    threshold = load_verifier().threshold
    assert (same >= 0.8).all()
    assert (other < threshold).all() and (last < 0.3).all()


@pytest.mark.real
def test_an_english_and_a_ukrainian_report_align_through_the_product_path(tmp_path) -> None:
    from compare.analyze import analyze
    from compare.settings import AnalysisSettings
    from corpus.collect import CollectSettings, collect
    from corpus.store import Store

    with Store(tmp_path / "s.db") as store:
        collect([str(TALKS)], store, CollectSettings())
        run = analyze(store, AnalysisSettings())
    assert run.events["event_id"].nunique() == 1  # one event across the two languages
    assert set(run.events["language"]) == {"en", "uk"}
    p = run.passages.set_index("passage_id")
    pairs = {(p.loc[r.passage_id_a, "text"][:20], p.loc[r.passage_id_b, "text"][:20])
             for r in run.alignments.itertuples() if r.probability >= load_verifier().threshold}
    print(f"\n{len(pairs)} verified EN-UK pairs: {sorted(pairs)}")
    # The three translated paragraphs, and not the fourth (bread prices vs the next round).
    assert len(pairs) == 3
    assert run.provenance["wide_model"] == "e5:multilingual-small"


@pytest.mark.real
@pytest.mark.parametrize("other", ["ru", "de"])
def test_sts_dev_read_through_the_wide_encoder(other: str, monkeypatch) -> None:
    """The wide route on a gold it can be measured on: STS-B dev EN-RU and EN-DE with the
    second language taken out of the multilingual encoder's languages, so e5 reads every
    pair (the first 500 pairs: e5 embeds about 27 sentences/s)."""
    from scipy.stats import spearmanr

    from compare import same_fact
    from compare.training.verifier import read_sts
    from tests.shared_data import need

    stsb = need("stsb")
    monkeypatch.setattr(scales, "USE_LANGUAGES", USE_LANGUAGES - {other})
    english = read_sts(stsb, "en", "dev")[:500]
    second = read_sts(stsb, other, "dev")[:500]
    probability = same_fact([r[0] for r in english], [r[1] for r in second],
                            languages_a=["en"] * 500, languages_b=[other] * 500)
    rho = float(spearmanr(probability, [r[2] for r in english]).statistic)
    print(f"\nSTS-B dev EN-{other.upper()} through e5 (first 500): Spearman {rho:.3f}")
    assert rho >= 0.65  # the cross-language floor of the multilingual encoder's own gate


@pytest.mark.real  # the real encoders
def test_same_fact_embeds_every_text_with_e5_once(monkeypatch) -> None:
    """As ``analyze`` embeds every passage with e5, a ``same_fact`` call does for its texts,
    an English call too, each distinct text once."""
    import compare.embed.embedders as embed
    from compare.embed.scales import WIDE_ENCODER
    from compare.facts.same_fact import same_fact

    real, asked = embed.make_embedder, []

    class Spy:
        def __init__(self, inner) -> None:
            self.inner = inner

        def __getattr__(self, name: str):  # name, version, dim: the inner encoder's
            return getattr(self.inner, name)

        def encode(self, texts):
            asked.extend(texts)
            return self.inner.encode(texts)

    def spying(spec: str = embed.DEFAULT_EMBEDDER):
        made = real(spec)
        return Spy(made) if spec == WIDE_ENCODER else made

    monkeypatch.setattr(embed, "make_embedder", spying)
    english = ("The talks in Istanbul lasted four hours.",
               "Negotiators met for four hours in Istanbul.")
    translated = ("Russia said it would sharply reduce military activity near Kyiv.",
                  "Россия заявила, что резко сократит военную активность под Киевом.")
    alone = same_fact([english[0], english[0]], [english[1], english[1]])
    assert sorted(asked) == sorted(english)  # an English call reads e5 too, each text once
    asked.clear()
    mixed = same_fact([english[0], translated[0]], [english[1], translated[1]])
    assert sorted(asked) == sorted([*english, *translated])
    assert mixed[1] >= load_verifier().threshold and alone[0] >= load_verifier().threshold
