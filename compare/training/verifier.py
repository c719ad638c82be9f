"""Training the same-fact verifier from the labelled data in ``../shared/data``.

    python -m compare.training [--data ../shared/data] [--out compare/facts/data/verifier.json]
                               [--cache training-embeddings.db] [--wide-scale]

regenerates the shipped artifact byte for byte (same data, same packages, same kind of CPU: on
another, the encoders' floating-point sums can move a coefficient's sixth significant digit;
docs/evaluation.md#fact-links--verifier). Training data, and nothing else (the held-out sets
the tests report on are never read here):

- MSRP *train*: news sentence pairs judged paraphrase or not (English);
- STS benchmark *train*, English and its Russian and German translations: pairs with a gold
  similarity 0-5, labelled "same fact" at 3 or more ("roughly equivalent, some important
  information differs": the same fact told with different details, which the product then
  marks), in five language combinations (en-en, ru-ru, de-de, en-ru, en-de) so the model
  learns translations;
- NewsWCL50 *dev* events 0-4: the matcher's own candidate pairs inside an event, labelled by
  the cross-document mention chains (:func:`newswcl_gold`): the hard negatives of real use
  (a neighbouring claim about the same person, background shared by every article).

Weights: MSRP and STS weigh the same (each STS language combination a fifth of STS);
NewsWCL50 weighs three times as much, because its pairs are the only ones drawn the way the
matcher meets pairs in use (candidates inside one event). The model is a logistic regression
on standardised features (``compare.facts.signals.FEATURES``); its coefficients are rounded to 6
significant digits, so the JSON is stable across runs.

For pairs in one language other than English the pooled model's log-odds are then rescaled on
the STS-B train pairs in such a language (:func:`fit_other_calibration`).

The translation head (``compare.facts.signals.TRANSLATION_FEATURES``) is fitted after it, on every
candidate pair of the NewsWCL50 dev events, to reproduce the fitted verifier's own probability
from the signals a translated pair keeps (the specific cosine, shared names and numbers, length):
no labelled translated pair inside an event exists to learn from, and in English the verifier
reads wording a translation loses, so its judgement is the target and the head learns how much
of it the language-free signals carry.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from compare.embed.scales import MULTILINGUAL_ENCODER, WIDE_ENCODER, needs_wide, reads_minilm
from compare.facts.match import candidate_pairs
from compare.facts.signals import (
    FEATURES,
    TRANSLATION_FEATURES,
    PassageSignals,
    pair_features,
    passage_signals,
    translation_features,
)
from compare.facts.verifier import MODEL_FILE, Verifier, english_pairs

log = logging.getLogger(__name__)

DEV_EVENTS = ("0", "1", "2", "3", "4")
HELD_OUT_EVENTS = ("5", "6", "7", "8", "9")
# Chains that cover more than this share of an event's sentences (3_Lawsuit, "Trump") link
# nearly every sentence and say nothing about the same fact; they are not gold.
UBIQUITOUS_CHAIN_SHARE = 0.40
STS_SAME_FACT = 3.0
SOURCE_WEIGHTS = {"msrp": 1.0, "stsb": 1.0, "newswcl50": 3.0}
STS_COMBOS = (("en", "en"), ("ru", "ru"), ("de", "de"), ("en", "ru"), ("en", "de"))
Encoder = Callable[[list[str]], np.ndarray]


# ---------------------------------------------------------------------------- readers


def read_msrp(path: Path) -> list[tuple[int, str, str]]:
    """MSRP rows as (label, sentence 1, sentence 2)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return [(int(r[0]), r[3], r[4]) for r in rows]


def read_sts(folder: Path, language: str, split: str) -> list[tuple[str, str, float]]:
    """STS benchmark rows of one language file as (sentence 1, sentence 2, score 0-5)."""
    with (folder / f"stsb-{language}-{split}.csv").open(encoding="utf-8", newline="") as handle:
        return [(r[0], r[1], float(r[2])) for r in csv.reader(handle)]


def split_sentences(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, text) of each pysbd sentence, paragraph by paragraph (the NewsWCL50 gold's
    own sentence unit, independent of the product's passage splitter)."""
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    position = 0
    for paragraph in text.split("\n\n"):
        offset = text.index(paragraph, position)
        position = offset + len(paragraph)
        for span in segmenter.segment(paragraph):
            stripped = span.sent.strip()
            if stripped:
                start = offset + span.start + len(span.sent) - len(span.sent.lstrip())
                yield start, start + len(stripped), stripped


def _locate(mention: dict[str, Any], squashed: str, keep: list[int]) -> int:
    """Character offset of a mention in its article, found by its tokens and context."""
    tokens, context = mention["tokens_text"], mention["mention_context"]
    n = len(tokens)
    hits_in_context = [i for i in range(len(context) - n + 1) if context[i: i + n] == tokens]
    at = min(hits_in_context, key=lambda i: abs(i - 100))  # the context is 100 tokens each side
    for width in (12, 6, 3, 0):
        left = "".join(t for t in context[max(0, at - width): at] if t != "\n")
        right = "".join(t for t in context[at + n: at + n + width] if t != "\n")
        pattern = re.sub(r"\s+", "", left + "".join(tokens) + right)
        hits = [m.start() for m in re.finditer(re.escape(pattern), squashed)]
        if len(hits) == 1 or (width == 0 and hits):
            return keep[hits[0] + len(re.sub(r"\s+", "", left))]
    raise ValueError(f"mention {mention['mention_id']} not found in its article")


@dataclass
class NewsWCL:
    """NewsWCL50 sentences with their mention chains."""

    sentences: list[dict[str, Any]]  # doc, event, outlet, start, end, text
    chains: dict[str, set[int]]  # chain -> sentence indices
    types: dict[str, str]  # chain -> mention type


def read_newswcl(folder: Path) -> NewsWCL:
    """NewsWCL50's sentences and the sentence sets of its cross-document mention chains.

    Mentions are located in the article text by their tokens and context (whitespace-free
    match widened until unique; 8 of 1,224 sit in text a Fox article repeats and take the
    first copy) and mapped to the sentence holding their first character.
    """
    articles = [json.loads(line) for line in (folder / "articles.jsonl").open(encoding="utf-8")]
    mentions = json.loads((folder / "event_mentions.json").read_text(encoding="utf-8"))
    sents: list[dict[str, Any]] = []
    for art in articles:
        for start, end, text in split_sentences(art["text"]):
            sents.append({"doc": art["id"], "event": art["event_id"],
                          "outlet": art["outlet_name"], "start": start, "end": end,
                          "text": text})
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sents):
        by_doc[s["doc"]].append(i)
    texts = {a["id"]: a["text"] for a in articles}
    chains: dict[str, set[int]] = defaultdict(set)
    for m in mentions:
        text = texts[m["conll_doc_key"]]
        keep = [i for i, ch in enumerate(text) if not ch.isspace()]
        char = _locate(m, "".join(text[i] for i in keep), keep)
        sent = next(i for i in by_doc[m["conll_doc_key"]]
                    if sents[i]["start"] <= char < sents[i]["end"])
        chains[m["coref_chain"]].add(sent)
    return NewsWCL(sents, dict(chains), {m["coref_chain"]: m["mention_type"] for m in mentions})


def newswcl_gold(data: NewsWCL, types: frozenset[str] = frozenset({"EVENT", "ACTION", "MISC"}),
                 max_share: float = UBIQUITOUS_CHAIN_SHARE) -> set[tuple[int, int]]:
    """Gold same-fact pairs: sentences of different articles sharing a chain of ``types`` that
    covers at most ``max_share`` of its event's sentences."""
    per_event: dict[str, int] = defaultdict(int)
    for s in data.sentences:
        per_event[s["event"]] += 1
    gold = set()
    for chain, members in data.chains.items():
        event = data.sentences[next(iter(members))]["event"]
        if data.types[chain] in types and len(members) / per_event[event] <= max_share:
            gold |= {(a, b) for a, b in itertools.combinations(sorted(members), 2)
                     if data.sentences[a]["doc"] != data.sentences[b]["doc"]}
    return gold


# ---------------------------------------------------------------------------- labelled pairs


@dataclass
class PairSet:
    """Labelled pairs of one source: features, labels and the source's name."""

    name: str
    features: np.ndarray
    labels: np.ndarray
    languages: tuple[str, str] = ("en", "en")  # of the first and the second passages


def default_encoders(cache: Path | None = None) -> tuple[Encoder, Encoder]:
    """(multilingual encoder, MiniLM) as functions of a list of texts, through the product's
    embedding path; ``cache`` is a store file that keeps the vectors between runs."""
    from compare.embed.embedders import embed_texts, make_embedder
    from corpus.store import Store

    use, minilm = make_embedder(MULTILINGUAL_ENCODER), make_embedder()
    store = Store(cache) if cache is not None else None
    return (lambda texts: embed_texts(texts, use, store),
            lambda texts: embed_texts(texts, minilm, store))


def wide_encoder(cache: Path | None = None) -> Encoder:
    """The wide encoder (e5) as a function of a list of texts, like :func:`default_encoders`."""
    from compare.embed.embedders import embed_texts, make_embedder
    from corpus.store import Store

    wide, store = make_embedder(WIDE_ENCODER), Store(cache) if cache is not None else None
    return lambda texts: embed_texts(texts, wide, store)


def signals_for(texts: list[str], languages: list[str], use: Encoder,
                minilm: Encoder, wide: Encoder | None = None) -> PassageSignals:
    """Signals of ``texts``, with MiniLM run on the English ones only, and the wide encoder
    on every text where the pairs read it (:func:`compare.embed.scales.needs_wide`)."""
    english = np.flatnonzero(reads_minilm(languages)).tolist()
    mini = None
    if english:
        encoded = minilm([texts[i] for i in english])
        mini = np.zeros((len(texts), encoded.shape[1]), dtype=np.float32)
        mini[english] = encoded
    vectors = wide(texts) if wide is not None and needs_wide(languages) else None
    return passage_signals(texts, languages, use(texts), mini, vectors)


def msrp_pairs(data: Path, use: Encoder, minilm: Encoder) -> PairSet:
    rows = read_msrp(data / "msrp" / "msr_paraphrase_train.txt")
    texts = [r[1] for r in rows] + [r[2] for r in rows]
    signals = signals_for(texts, ["en"] * len(texts), use, minilm)
    n = len(rows)
    return PairSet("msrp-train", pair_features(signals, np.arange(n), n + np.arange(n)),
                   np.array([r[0] for r in rows]))


def sts_pairs(data: Path, use: Encoder, minilm: Encoder, split: str = "train",
              wide: Encoder | None = None) -> list[PairSet]:
    """STS-B pairs in each combination of :data:`STS_COMBOS`, labelled same fact from
    :data:`STS_SAME_FACT`; the translated ones read both encoders when ``wide`` is given."""
    files = {lang: read_sts(data / "stsb", lang, split) for lang in ("en", "ru", "de")}
    out = []
    for left, right in STS_COMBOS:
        a, b = files[left], files[right]
        texts = [r[0] for r in a] + [r[1] for r in b]
        languages = [left] * len(a) + [right] * len(b)
        signals = signals_for(texts, languages, use, minilm, wide)
        n = len(a)
        out.append(PairSet(f"stsb-{split}-{left}-{right}",
                           pair_features(signals, np.arange(n), n + np.arange(n)),
                           np.array([r[2] >= STS_SAME_FACT for r in files["en"]], dtype=int),
                           (left, right)))
    return out


def _event_candidates(wcl: NewsWCL, events: tuple[str, ...], use: Encoder, minilm: Encoder
                      ) -> Iterator[tuple[list[int], PassageSignals, np.ndarray]]:
    """Per NewsWCL50 event: its sentences' indices, their signals and the matcher's candidate
    pairs ``i < j`` (indices into the event's sentences)."""
    for event in events:
        idx = [i for i, s in enumerate(wcl.sentences) if s["event"] == event]
        texts = [wcl.sentences[i]["text"] for i in idx]
        signals = signals_for(texts, ["en"] * len(texts), use, minilm)
        pairs, _ = candidate_pairs(signals, [wcl.sentences[i]["outlet"] for i in idx])
        yield idx, signals, np.unique(np.sort(pairs, axis=1), axis=0)


def newswcl_pairs(data: Path, use: Encoder, minilm: Encoder,
                  events: tuple[str, ...] = DEV_EVENTS) -> PairSet:
    """The matcher's candidate pairs in NewsWCL50 ``events``, labelled by the gold chains
    (only pairs whose two sentences both carry a mention are judged)."""
    wcl = read_newswcl(data / "newswcl50")
    gold = newswcl_gold(wcl)
    annotated = set().union(*wcl.chains.values())
    features, labels = [], []
    for idx, signals, pairs in _event_candidates(wcl, events, use, minilm):
        judged = [k for k, (a, b) in enumerate(pairs) if idx[a] in annotated
                  and idx[b] in annotated and wcl.sentences[idx[a]]["doc"]
                  != wcl.sentences[idx[b]]["doc"]]
        pairs = pairs[judged]
        features.append(pair_features(signals, pairs[:, 0], pairs[:, 1]))
        labels += [int((idx[a], idx[b]) in gold) for a, b in pairs]
    return PairSet("newswcl50-dev", np.vstack(features), np.array(labels))


def newswcl_translation_pairs(data: Path, use: Encoder, minilm: Encoder, verifier: Verifier,
                              events: tuple[str, ...] = DEV_EVENTS
                              ) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate pair of NewsWCL50 ``events``: its translation-head features and the
    ``verifier``'s probability (the head's target)."""
    wcl = read_newswcl(data / "newswcl50")
    features, target = [], []
    for _, signals, pairs in _event_candidates(wcl, events, use, minilm):
        i, j = pairs[:, 0], pairs[:, 1]
        pooled = pair_features(signals, i, j)
        features.append(translation_features(signals, i, j, pooled))
        target.append(verifier.probability(pooled, english_pairs(signals, i, j)))
    return np.vstack(features), np.concatenate(target)


def newswcl_links(data: Path, use: Encoder, minilm: Encoder, verifier: Any,
                  events: tuple[str, ...] = HELD_OUT_EVENTS) -> dict[str, float]:
    """Link precision and sentence recall on NewsWCL50 ``events``.

    A *link* is what the side by side shows: for each sentence and each other outlet, its
    candidate there with the highest probability, kept when the probability reaches the
    verifier's threshold. Precision is over links whose two sentences both carry a mention
    (elsewhere the gold says nothing); sentence recall is the share of gold sentences with at
    least one correct link.

    ``sentence_ceiling`` is the recall no ranking could pass at this threshold: the share of
    gold sentences with a gold partner whose probability reaches it (every gold pair scored,
    candidate or not). Recall below it means links lost to candidates or ranking; recall at it
    means only the probabilities of gold pairs hold recall back.
    """
    from compare.facts.match import SameFactMatcher, best_links
    from compare.facts.verifier import pair_probability

    wcl = read_newswcl(data / "newswcl50")
    gold = {p for p in newswcl_gold(wcl) if wcl.sentences[p[0]]["event"] in events}
    annotated = set().union(*wcl.chains.values())
    links: set[tuple[int, int]] = set()
    reachable: set[int] = set()
    for event in events:
        idx = [i for i, s in enumerate(wcl.sentences) if s["event"] == event]
        texts = [wcl.sentences[i]["text"] for i in idx]
        outlets = [wcl.sentences[i]["outlet"] for i in idx]
        signals = signals_for(texts, ["en"] * len(texts), use, minilm)
        matcher = SameFactMatcher().fit(signals, outlets, verifier)
        for k in best_links(matcher.pairs_, matcher.probability_, outlets):
            if matcher.probability_[k] >= matcher.threshold_:
                a, b = matcher.pairs_[k]
                links.add((idx[int(a)], idx[int(b)]))
        position = {sentence: k for k, sentence in enumerate(idx)}
        pairs = sorted(p for p in gold if p[0] in position and p[1] in position)
        if pairs:
            i = np.array([position[a] for a, _ in pairs])
            j = np.array([position[b] for _, b in pairs])
            sure = pair_probability(signals, i, j, verifier) >= matcher.threshold_
            reachable |= {s for pair, ok in zip(pairs, sure, strict=True) if ok for s in pair}
    judged = {p for p in links if p[0] in annotated and p[1] in annotated}
    hits = judged & gold
    gold_sentences = {i for p in gold for i in p}
    return {"links": len(links), "judged": len(judged),
            "precision": len(hits) / max(len(judged), 1),
            "sentence_recall": len({i for p in hits for i in p}) / max(len(gold_sentences), 1),
            "sentence_ceiling": len(reachable) / max(len(gold_sentences), 1)}


# ---------------------------------------------------------------------------- fitting


# Rows of STS-B train read to put the wide encoder on the multilingual encoder's scale: enough
# for two parameters per kind of pair, few because e5 is the slowest encoder.
WIDE_SCALE_ROWS = 1000


def wide_scale(data: Path, use: Encoder, wide: Encoder, rows: int = WIDE_SCALE_ROWS
               ) -> dict[str, tuple[float, float]]:
    """``compare.embed.scales.WIDE_TO_USE``: per kind of pair ("same" language, "cross"), the
    ``(a, b)`` that give e5 cosines the mean and spread of the multilingual encoder's cosines
    over the first ``rows`` pairs of STS-B train (same: en-en, ru-ru, de-de; cross: en-ru,
    en-de), so the verifier reads ``a * e5 + b`` where the multilingual encoder does not know
    a language; and for "both", the ``(a, b)`` that give the mean of the two encoders' cosines
    of a translated pair the multilingual encoder's mean and spread."""
    files = {lang: read_sts(data / "stsb", lang, "train")[:rows] for lang in ("en", "ru", "de")}
    cosines: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {
        "same": ([], []), "cross": ([], [])}
    for left, right in STS_COMBOS:
        a, b = [r[0] for r in files[left]], [r[1] for r in files[right]]
        kind = "same" if left == right else "cross"
        for encoder, out in ((use, cosines[kind][0]), (wide, cosines[kind][1])):
            out.append(np.einsum("ij,ij->i", encoder(a), encoder(b)).astype(np.float64))
    scale = {}
    for kind, (u, w) in cosines.items():
        uu, ww = np.concatenate(u), np.concatenate(w)
        slope = uu.std() / ww.std()
        scale[kind] = (float(f"{slope:.4g}"), float(f"{uu.mean() - slope * ww.mean():.4g}"))
    # "both": the mean of the two encoders' cosines of a translated pair (e5's on the scale
    # just measured), given the multilingual encoder's mean and spread in its turn.
    uu, ww = np.concatenate(cosines["cross"][0]), np.concatenate(cosines["cross"][1])
    slope_cross, offset_cross = scale["cross"]
    mean = (uu + np.clip(slope_cross * ww + offset_cross, -1.0, 1.0)) / 2
    slope = uu.std() / mean.std()
    scale["both"] = (float(f"{slope:.4g}"), float(f"{uu.mean() - slope * mean.mean():.4g}"))
    return scale


def _weights(sets: list[PairSet]) -> np.ndarray:
    """Per pair, its source's weight (``SOURCE_WEIGHTS``) shared out over the source's pairs
    (and an STS language combination's share of STS)."""
    families: dict[str, list[PairSet]] = defaultdict(list)
    for s in sets:
        families[s.name.split("-")[0]].append(s)
    weights = []
    for s in sets:
        name = s.name.split("-")[0]
        share = SOURCE_WEIGHTS.get(name, 1.0) / (len(families[name]) * len(s.labels))
        weights.append(np.full(len(s.labels), share))
    w = np.concatenate(weights)
    return w * len(w) / w.sum()


def _round(values: Any) -> Any:
    if isinstance(values, np.ndarray | list | tuple):
        return [_round(v) for v in values]
    return float(f"{float(values):.6g}")


def fit_minilm_calibration(sets: list[PairSet], c: float = 1.0) -> dict[str, float]:
    """MiniLM's cosine alone as a calibrated probability: a logistic regression on the English
    pairs (the sets where MiniLM is read: MSRP, STS-B en-en, NewsWCL50 dev), source-weighted
    among themselves. The verifier reads it beside the pooled model (``Verifier.probability``)."""
    from sklearn.linear_model import LogisticRegression

    column = FEATURES.index("minilm")
    english = [s for s in sets if (s.features[:, column] != 0).any()]
    x = np.concatenate([s.features[:, column] for s in english])[:, None]
    y = np.concatenate([s.labels for s in english])
    model = LogisticRegression(C=c, max_iter=1000).fit(x, y, sample_weight=_weights(english))
    return {"coef": _round(model.coef_[0][0]), "intercept": _round(model.intercept_[0])}


def fit_other_calibration(sets: list[PairSet], verifier: Verifier, c: float = 1.0
                          ) -> dict[str, float]:
    """The pooled model's log-odds rescaled for pairs in one language other than English
    (``Verifier.other_calibration``): a logistic regression of the labels on the log-odds over
    the labelled pairs in such a language (STS-B train RU-RU and DE-DE).

    Without MiniLM the pooled model is unsure of these pairs, so two Russian outlets were
    linked less often than a Russian and an English one. The map is monotone: rankings
    (Spearman) do not move, only how many pairs reach the threshold (docs/evaluation.md#sts-b).
    """
    from sklearn.linear_model import LogisticRegression

    other = [s for s in sets if s.languages[0] == s.languages[1] != "en"]
    z = np.concatenate([verifier.log_odds(s.features) for s in other])[:, None]
    y = np.concatenate([s.labels for s in other])
    model = LogisticRegression(C=c, max_iter=1000).fit(z, y)
    return {"coef": _round(model.coef_[0][0]), "intercept": _round(model.intercept_[0]),
            "pairs": len(y)}


def fit_translation_head(features: np.ndarray, target: np.ndarray, threshold: float,
                         c: float = 1.0) -> dict[str, Any]:
    """The translation head, as the artifact's field.

    A logistic regression of the head's features on the verifier's probability (each pair
    counts as "same" with weight p and "not" with weight 1 - p). Fitted so, it estimates the
    verifier's probability and, reading less, rarely reaches the threshold (its estimates
    gather near the mean): its intercept is then shifted so that it says ``threshold`` at the
    cut where its links agree best (F1) with the verifier's own links at ``threshold``.
    """
    from scipy.special import logit
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([features, features])
    y = np.concatenate([np.ones(len(features)), np.zeros(len(features))])
    weight = np.concatenate([target, 1.0 - target])
    model = LogisticRegression(C=c, max_iter=1000).fit(x, y, sample_weight=weight)
    estimate = model.predict_proba(features)[:, 1]
    links = target >= threshold
    agreement = []
    for cut in np.unique(np.round(estimate, 3)):
        kept = estimate >= cut
        both = float((kept & links).sum())
        agreement.append((2 * both / max(kept.sum() + links.sum(), 1), float(cut)))
    f1, cut = max(agreement)
    return {"features": list(TRANSLATION_FEATURES), "coef": _round(model.coef_[0]),
            "intercept": _round(model.intercept_[0] + logit(threshold) - logit(cut)),
            "pairs": len(features), "agreement_cut": _round(cut),
            "agreement_f1": _round(f1)}


def file_hashes(data: Path) -> dict[str, str]:
    """SHA-256 of every training file, keyed by its path under ``data``."""
    names = ["msrp/msr_paraphrase_train.txt", "newswcl50/articles.jsonl",
             "newswcl50/event_mentions.json"] + [f"stsb/stsb-{lang}-train.csv"
                                                 for lang in ("en", "ru", "de")]
    return {n: hashlib.sha256((data / n).read_bytes()).hexdigest() for n in names}


def fit_verifier(sets: list[PairSet], c: float = 1.0) -> dict[str, Any]:
    """A logistic regression on the pooled, source-weighted pairs, as the artifact's fields."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([s.features for s in sets])
    y = np.concatenate([s.labels for s in sets])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=1000).fit((x - mean) / scale, y,
                                                       sample_weight=_weights(sets))
    return {"features": list(FEATURES), "mean": _round(mean), "scale": _round(scale),
            "coef": _round(model.coef_[0]), "intercept": _round(model.intercept_[0]),
            "training_pairs": {s.name: {"pairs": len(s.labels),
                                        "same_fact": int(s.labels.sum())} for s in sets}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parents[1] / "facts" / "data" / MODEL_FILE)
    parser.add_argument("--cache", type=Path, default=None,
                        help="a store file keeping the embeddings between runs (optional)")
    parser.add_argument("--wide-scale", action="store_true",
                        help="print compare.embed.scales.WIDE_TO_USE as measured (wide_scale) and stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    use, minilm = default_encoders(args.cache)
    if args.wide_scale:
        print(wide_scale(args.data, use, wide_encoder(args.cache)))
        return
    sets = [msrp_pairs(args.data, use, minilm),
            *sts_pairs(args.data, use, minilm, wide=wide_encoder(args.cache)),
            newswcl_pairs(args.data, use, minilm)]
    fitted = {**fit_verifier(sets), "minilm_calibration": fit_minilm_calibration(sets),
              **THRESHOLDS}
    fitted["other_calibration"] = fit_other_calibration(sets, Verifier.from_dict(fitted))
    head = fit_translation_head(*newswcl_translation_pairs(
        args.data, use, minilm, Verifier.from_dict(fitted)), threshold=THRESHOLDS["threshold"])
    artifact = {**fitted, "translation_head": head, "training_data": file_hashes(args.data)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)


# threshold: probability from which a pair is the same fact, 0.7 rather than 0.5 because inside
#   an event most candidates are different claims about one subject; measured on MSRP test and
#   NewsWCL50 held-out links (docs/evaluation.md#same_fact-threshold).
# closest_floor: below it an outlet's nearest passage is shown as "not reported": the verifier
#   has seen almost no same-fact pair there (docs/evaluation.md#same_fact-threshold).
THRESHOLDS: dict[str, Any] = {"threshold": 0.7, "closest_floor": 0.1}


if __name__ == "__main__":
    main()
