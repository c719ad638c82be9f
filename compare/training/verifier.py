"""Training the same-fact verifier from the labelled data in ``../shared/data``.

    python -m compare.training [--data ../shared/data] [--out compare/facts/data/verifier.json]
                               [--cache training-embeddings.db] [--wide-scale]

regenerates the shipped artifact (same data, same packages, same kind of CPU; the trees are
seeded). Training data, and nothing else (the ``test`` fold and the held-out sets the tests
report on are never read here):

- the in-domain pairs (:func:`claims_sets`): the claims gold's ``train`` fold and the pairs
  labelled in the project (``compare/training/data``), two outlets' passages inside one real
  event, labelled against ``claims/GUIDELINES.md`` (``same`` and ``contains``: the same fact);
- MSRP *train*: news sentence pairs judged paraphrase or not (English);
- STS benchmark *train*, English and its Russian and German translations: pairs with a gold
  similarity 0-5, labelled "same fact" at 3 or more, in five language combinations (en-en,
  ru-ru, de-de, en-ru, en-de) so the model reads translations and other languages.

The in-domain pairs weigh :data:`IN_DOMAIN_SHARE` of the whole. The model is gradient-boosted
trees (scikit-learn's ``HistGradientBoostingClassifier``, exported to plain node arrays for
:class:`compare.facts.verifier.Trees`); its size is chosen, and its threshold set, by grouped
cross-validation on the in-domain pairs (an event, or an Istanbul anchor article, held out
whole): :func:`fit_verifier`.
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

from compare.embed.scales import MULTILINGUAL_ENCODER, WIDE_ENCODER, reads_minilm
from compare.facts.signals import FEATURES, PassageSignals, pair_features, passage_signals
from compare.facts.verifier import MODEL_FILE

log = logging.getLogger(__name__)

HELD_OUT_EVENTS = ("5", "6", "7", "8", "9")
# Chains that cover more than this share of an event's sentences (3_Lawsuit, "Trump") link
# nearly every sentence and say nothing about the same fact; they are not gold.
UBIQUITOUS_CHAIN_SHARE = 0.40
STS_SAME_FACT = 3.0
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
    (when given) on every text, as ``analyze`` reads an event's passages."""
    english = np.flatnonzero(reads_minilm(languages)).tolist()
    mini = None
    if english:
        encoded = minilm([texts[i] for i in english])
        mini = np.zeros((len(texts), encoded.shape[1]), dtype=np.float32)
        mini[english] = encoded
    vectors = wide(texts) if wide is not None else None
    return passage_signals(texts, languages, use(texts), mini, vectors)


# Labelled sentence pairs are also read in calls of this many pairs: a user's
# ``same_fact(query, candidates)`` reads a few texts, too few for the specific cosine or a
# corpus-wide IDF, and the model must have seen pairs read that way (each source's pairs are
# then read both ways, at half weight each).
SMALL_CALL_PAIRS = 8


def pair_sets(name: str, texts_a: list[str], texts_b: list[str], languages: tuple[str, str],
              labels: np.ndarray, use: Encoder, minilm: Encoder, wide: Encoder | None = None
              ) -> list[PairSet]:
    """The pairs ``(texts_a[k], texts_b[k])`` read in one call (``name``) and in calls of
    :data:`SMALL_CALL_PAIRS` pairs (``name-small``)."""
    n = len(texts_a)
    texts = [*texts_a, *texts_b]
    langs = [languages[0]] * n + [languages[1]] * n
    english = np.flatnonzero(reads_minilm(langs))
    vectors_use = use(texts)
    mini = None
    if len(english):
        encoded = minilm([texts[i] for i in english])
        mini = np.zeros((len(texts), encoded.shape[1]), dtype=np.float32)
        mini[english] = encoded
    vectors_wide = wide(texts) if wide is not None else None

    def features(rows: np.ndarray) -> np.ndarray:
        both = np.concatenate([rows, n + rows])
        signals = passage_signals([texts[k] for k in both], [langs[k] for k in both],
                                  vectors_use[both], None if mini is None else mini[both],
                                  None if vectors_wide is None else vectors_wide[both])
        m = len(rows)
        return pair_features(signals, np.arange(m), m + np.arange(m))

    small = np.vstack([features(np.arange(start, min(start + SMALL_CALL_PAIRS, n)))
                       for start in range(0, n, SMALL_CALL_PAIRS)])
    return [PairSet(name, features(np.arange(n)), labels, languages),
            PairSet(f"{name}-small", small, labels, languages)]


def msrp_pairs(data: Path, use: Encoder, minilm: Encoder, wide: Encoder | None = None
               ) -> list[PairSet]:
    """MSRP train, paraphrase = the same fact."""
    rows = read_msrp(data / "msrp" / "msr_paraphrase_train.txt")
    return pair_sets("msrp-train", [r[1] for r in rows], [r[2] for r in rows], ("en", "en"),
                     np.array([r[0] for r in rows]), use, minilm, wide)


def sts_pairs(data: Path, use: Encoder, minilm: Encoder, split: str = "train",
              wide: Encoder | None = None) -> list[PairSet]:
    """STS-B pairs in each combination of :data:`STS_COMBOS`, labelled same fact from
    :data:`STS_SAME_FACT`."""
    files = {lang: read_sts(data / "stsb", lang, split) for lang in ("en", "ru", "de")}
    labels = np.array([r[2] >= STS_SAME_FACT for r in files["en"]], dtype=int)
    out = []
    for left, right in STS_COMBOS:
        out += pair_sets(f"stsb-{split}-{left}-{right}", [r[0] for r in files[left]],
                         [r[1] for r in files[right]], (left, right), labels, use, minilm, wide)
    return out


def newswcl_links(data: Path, use: Encoder, minilm: Encoder, wide: Encoder | None,
                  verifier: Any, events: tuple[str, ...] = HELD_OUT_EVENTS
                  ) -> dict[str, float]:
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
        signals = signals_for(texts, ["en"] * len(texts), use, minilm, wide)
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


def _round(values: Any) -> Any:
    if isinstance(values, np.ndarray | list | tuple):
        return [_round(v) for v in values]
    return float(f"{float(values):.6g}")


# ---------------------------------------------------------------------------- the claims


def claims_sets(data: Path, cache: Path | None = None) -> tuple[PairSet, np.ndarray]:
    """The in-domain pairs: the claims gold's ``train`` fold (sampled and product-link pairs)
    and the pairs labelled in the project (``compare/training/data``, all ``train``), ``same``
    and ``contains`` labelled the same fact.

    Each pair is read twice: inside its whole event (:func:`compare.training.claims.event_passages`:
    every passage of the event's articles), as ``analyze`` reads two passages of one event; and
    with only the event's labelled passages, as a ``same_fact`` call on a list of pairs reads
    them (:func:`compare.training.claims.score_same_fact`). The model learns both views.

    Returns:
        The pairs (both views, one after the other), and per pair the group cross-validation
        holds out whole (:func:`compare.training.pair_model.claims_group`: an event, or an
        Istanbul anchor article; one group holds both views of a pair).
    """
    from compare.facts.same_fact import text_signals
    from compare.training.claims import (
        LABELLED,
        event_passages,
        labelled_passages,
        read_claims,
        read_labelled_pool,
    )
    from compare.training.pair_model import claims_group, read_anchor_articles
    from corpus.store import Store

    gold = data / "claims" / "pairs.jsonl"
    pairs = read_claims(gold, fold="train") + read_labelled_pool(LABELLED, data)
    anchors = read_anchor_articles([gold, *LABELLED])
    store = Store(cache) if cache is not None else None
    views = []
    for reading in (event_passages(pairs, data), labelled_passages(pairs)):
        features = np.zeros((len(pairs), len(FEATURES)))
        for event in reading:
            signals = text_signals(event.texts, event.languages, store)
            features[event.rows] = pair_features(signals, event.a, event.b)
        views.append(features)
    labels = np.array([p.is_same_fact for p in pairs], dtype=int)
    groups = np.array(["/".join(claims_group(p, anchors)) for p in pairs], dtype=object)
    return (PairSet("claims", np.vstack(views), np.concatenate([labels, labels])),
            np.concatenate([groups, groups]))


# ---------------------------------------------------------------------------- fitting


# The in-domain pairs weigh this much of the whole; MSRP and STS-B share the rest equally
# (each STS language combination a fifth of STS): they teach sentences outside news events
# and the languages the claims do not hold (docs/evaluation.md#fact-links--verifier).
IN_DOMAIN_SHARE = 0.75
# Gradient-boosted trees: small, regularised, and few enough to score an event's candidates
# in milliseconds; iterations and leaf size chosen by grouped cross-validation on the
# in-domain pairs (:func:`choose_trees`).
TREE_GRID = {"max_iter": (150, 300), "min_samples_leaf": (20, 40)}
TREE_FIXED = {"learning_rate": 0.05, "max_leaf_nodes": 15, "l2_regularization": 1.0}
CV_FOLDS = 5
SEED = 0


def _weights(sets: list[PairSet]) -> np.ndarray:
    """Per pair: the in-domain set shares :data:`IN_DOMAIN_SHARE` of the total weight, MSRP
    and STS-B the rest equally, each STS-B language combination a fifth of STS-B."""
    families: dict[str, list[PairSet]] = defaultdict(list)
    for s in sets:
        families[s.name.split("-")[0]].append(s)
    outside = [f for f in families if f != "claims"]
    share = {"claims": IN_DOMAIN_SHARE if outside else 1.0,
             **{f: (1 - IN_DOMAIN_SHARE) / len(outside) for f in outside}}
    weights = [np.full(len(s.labels), share[s.name.split("-")[0]]
                       / (len(families[s.name.split("-")[0]]) * len(s.labels))) for s in sets]
    w = np.concatenate(weights)
    return w * len(w) / w.sum()


def _trees(**params: Any) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**TREE_FIXED, **params, random_state=SEED)


def out_of_fold(claims: PairSet, groups: np.ndarray, others: list[PairSet],
                **params: Any) -> np.ndarray:
    """Each in-domain pair's probability from a model fitted without its group's fold (the
    other sets always fitted on)."""
    from sklearn.model_selection import GroupKFold

    out = np.zeros(len(claims.labels))
    for fit, held in GroupKFold(CV_FOLDS).split(claims.features, claims.labels, groups):
        part = PairSet("claims", claims.features[fit], claims.labels[fit])
        sets = [part, *others]
        model = _trees(**params).fit(np.vstack([s.features for s in sets]),
                                     np.concatenate([s.labels for s in sets]),
                                     sample_weight=_weights(sets))
        out[held] = model.predict_proba(claims.features[held])[:, 1]
    return out


def choose_trees(claims: PairSet, groups: np.ndarray, others: list[PairSet]
                 ) -> tuple[dict[str, Any], np.ndarray, list[dict[str, Any]]]:
    """The :data:`TREE_GRID` setting with the best out-of-fold average precision on the
    in-domain pairs, its out-of-fold probabilities, and every setting's figure."""
    from sklearn.metrics import average_precision_score

    tried = []
    best: tuple[float, dict[str, Any], np.ndarray] | None = None
    for values in itertools.product(*TREE_GRID.values()):
        params = dict(zip(TREE_GRID, values, strict=True))
        oof = out_of_fold(claims, groups, others, **params)
        ap = float(average_precision_score(claims.labels, oof))
        tried.append({**params, "ap": _round(ap)})
        log.info("trees %s: out-of-fold AP %.3f", params, ap)
        if best is None or ap > best[0]:
            best = (ap, params, oof)
    assert best is not None
    return best[1], best[2], tried


def choose_threshold(labels: np.ndarray, probability: np.ndarray, beta: float = 0.5) -> float:
    """The probability cut with the best F-beta on out-of-fold probabilities (beta 0.5: a
    wrong link shown costs more than a link missed; docs/evaluation.md#same_fact-threshold),
    rounded to two decimals."""
    best = (-1.0, 0.5)
    for cut in np.round(np.arange(0.2, 0.96, 0.01), 2):
        linked = probability >= cut
        hits = float((linked & (labels == 1)).sum())
        p, r = hits / max(linked.sum(), 1), hits / max(labels.sum(), 1)
        score = (1 + beta**2) * p * r / max(beta**2 * p + r, 1e-12)
        best = max(best, (score, float(cut)))
    return best[1]


def export_trees(model: Any) -> dict[str, Any]:
    """A fitted ``HistGradientBoostingClassifier``'s trees as :class:`Trees`' fields (numeric
    splits only; the raw thresholds it predicts with)."""
    roots: list[int] = []
    feature: list[int] = []
    threshold: list[float] = []
    missing: list[int] = []
    left: list[int] = []
    right: list[int] = []
    leaf: list[int] = []
    value: list[float] = []
    for (predictor,) in model._predictors:
        nodes, base = predictor.nodes, len(feature)
        roots.append(base)
        for node in nodes:
            is_leaf = bool(node["is_leaf"])
            feature.append(int(node["feature_idx"]))
            threshold.append(float(node["num_threshold"]))
            missing.append(int(node["missing_go_to_left"]))
            left.append(base + int(node["left"]) if not is_leaf else -1)
            right.append(base + int(node["right"]) if not is_leaf else -1)
            leaf.append(int(is_leaf))
            value.append(float(node["value"]) if is_leaf else 0.0)
    return {"baseline": float(np.ravel(model._baseline_prediction)[0]), "roots": roots,
            "feature": feature, "threshold": threshold, "missing_left": missing, "left": left,
            "right": right, "leaf": leaf, "value": value}


def file_hashes(data: Path) -> dict[str, str]:
    """SHA-256 of every training file, keyed by its path under ``data`` (the labelled pool's
    files by their name; their texts come from the datasets, checked span by span)."""
    from compare.training.claims import LABELLED

    names = ["claims/pairs.jsonl", "msrp/msr_paraphrase_train.txt",
             *(f"stsb/stsb-{lang}-train.csv" for lang in ("en", "ru", "de"))]
    hashes = {n: hashlib.sha256((data / n).read_bytes()).hexdigest() for n in names}
    hashes.update({p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in LABELLED})
    return hashes


def fit_verifier(claims: PairSet, groups: np.ndarray, others: list[PairSet]) -> dict[str, Any]:
    """The artifact: trees chosen and thresholded by grouped cross-validation on the in-domain
    pairs, then fitted on every pair."""
    from sklearn.metrics import average_precision_score

    params, oof, tried = choose_trees(claims, groups, others)
    threshold = choose_threshold(claims.labels, oof)
    sets = [claims, *others]
    model = _trees(**params).fit(np.vstack([s.features for s in sets]),
                                 np.concatenate([s.labels for s in sets]),
                                 sample_weight=_weights(sets))
    linked = oof >= threshold
    hits = int((linked & (claims.labels == 1)).sum())
    return {"features": list(FEATURES), "trees": export_trees(model),
            "threshold": threshold, "closest_floor": CLOSEST_FLOOR,
            "parameters": {**TREE_FIXED, **params, "in_domain_share": IN_DOMAIN_SHARE},
            "cross_validation": {
                "folds": CV_FOLDS, "tried": tried,
                "ap": _round(average_precision_score(claims.labels, oof)),
                "precision": _round(hits / max(int(linked.sum()), 1)),
                "recall": _round(hits / max(int(claims.labels.sum()), 1))},
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
                        help="print compare.embed.scales.WIDE_TO_USE as measured (wide_scale) "
                             "and stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    use, minilm = default_encoders(args.cache)
    if args.wide_scale:
        print(wide_scale(args.data, use, wide_encoder(args.cache)))
        return
    wide = wide_encoder(args.cache)
    others = [*msrp_pairs(args.data, use, minilm, wide),
              *sts_pairs(args.data, use, minilm, wide=wide)]
    claims, groups = claims_sets(args.data, args.cache)
    artifact = {**fit_verifier(claims, groups, others),
                "training_data": file_hashes(args.data)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(artifact, sort_keys=True) + "\n", encoding="utf-8")
    log.info("wrote %s: threshold %s, out-of-fold %s", args.out, artifact["threshold"],
             artifact["cross_validation"])


# Below this probability an outlet's nearest passage is shown as "not reported": the verifier
# has seen almost no same-fact pair there (docs/evaluation.md#same_fact-threshold).
CLOSEST_FLOOR = 0.1


if __name__ == "__main__":
    main()
