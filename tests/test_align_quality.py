"""Quality gates for alignment and topics on real data (../shared/data) with the real model.

Gold for NewsWCL50 (derived here, nothing is copied into the repo):
- event_mentions.json holds cross-document mention chains of 38 concepts (EVENT, ACTION and MISC
  types; its entity chains were not retrieved). Each mention gives its tokens and a 100-token
  context, which we locate in the article text (whitespace-insensitive match, widened by context
  until unique; 8 of 1,224 mentions sit in text a Fox article repeats and take the first copy),
  then map to our own pysbd sentence containing the mention's first character. The gold's own
  sentence ids index conll sentences we do not have, so spans are the reliable key.
- Two sentences of different outlets in one event are gold aligned when they share a chain,
  except the chains covering > 40 % of their event's sentences (3_Lawsuit, 3_RUS_interference...):
  like "Trump", they link nearly every sentence and say nothing about the same fact.
- The annotation is sparse: ~40 % of sentences carry no mention of these 38 concepts (titles,
  most quotes), so a predicted pair there has no gold either way. Precision is measured on
  predicted pairs whose two sentences both carry a mention; recall over all gold pairs. Stricter
  gold (EVENT/ACTION chains covering <= 20 %) is printed too: its precision is low for both
  methods because true same-fact pairs often share only a MISC or main-event chain.
- Pair recall is small by construction: gold chains link every pair of sentences that mention a
  concept, the aligner keeps a few confident neighbours. "Sentence recall" (gold sentences with
  at least one correct aligned partner) is what a reader sees.

Thresholds are never tuned here: PassageAligner uses DEFAULT_THRESHOLD (from MSRP train);
TF-IDF uses the same rule (lowest threshold with MSRP train precision >= 0.80), computed below.
Events 5-9 are held out (events 0-4 were the dev side); only 5-9 are gated.
"""
from __future__ import annotations

import csv
import itertools
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from compare.align import DEFAULT_THRESHOLD, PassageAligner
from compare.topics import TopicClusterer, topic_terms

pytestmark = pytest.mark.real

DATA = Path(os.environ.get("PARALLAX_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data"))
HELD_OUT_EVENTS = {"5", "6", "7", "8", "9"}
UBIQUITOUS_CHAIN_SHARE = 0.40
# The rule DEFAULT_THRESHOLD was chosen by (compare/align.py): F0.5-maximising on MSRP train.

# Floors: measured values (2 cores, all-MiniLM-L6-v2, pysbd 0.3.4) minus a small margin.
MSRP_TEST_F1_FLOOR = 0.76  # measured 0.783 (TF-IDF baseline 0.747)
NEWSWCL_PRECISION_FLOOR = 0.90  # measured 0.979 (47 annotated pairs: noisy, hence the margin)
NEWSWCL_PAIR_RECALL_FLOOR = 0.010  # measured 0.0122
NEWSWCL_SENTENCE_RECALL_FLOOR = 0.15  # measured 0.173
RECALL_RATIO_FLOOR = 4.0  # measured 6.6x the TF-IDF baseline's pair recall


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not found at {path}: set PARALLAX_SHARED_DATA to ../shared/data")
    return path


@pytest.fixture(scope="module")
def embedder() -> Any:
    from compare.embed import make_embedder

    return make_embedder("st:all-MiniLM-L6-v2")


def _read_msrp(path: Path) -> list[tuple[int, str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return [(int(r[0]), r[3], r[4]) for r in rows]


def _prf(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float, float]:
    predicted = scores >= threshold
    tp = float((predicted & (labels == 1)).sum())
    precision, recall = tp / max(predicted.sum(), 1), tp / max((labels == 1).sum(), 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def _tfidf_vectorizer(texts: list[str]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True).fit(texts)


def _pair_cosines(vectorizer: Any, rows: list[tuple[int, str, str]]) -> np.ndarray:
    a = vectorizer.transform([r[1] for r in rows])
    b = vectorizer.transform([r[2] for r in rows])
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


@pytest.fixture(scope="module")
def tfidf_threshold() -> float:
    """The TF-IDF baseline's threshold, chosen on MSRP train by the aligner's rule."""
    train = _read_msrp(_need(DATA / "msrp" / "msr_paraphrase_train.txt"))
    vectorizer = _tfidf_vectorizer([t for r in train for t in r[1:]])
    labels = np.array([r[0] for r in train])
    return _threshold_max_f05(_pair_cosines(vectorizer, train), labels)


def _threshold_max_f05(scores: np.ndarray, labels: np.ndarray) -> float:
    """The threshold (on a 0.01 grid) maximising F0.5 on a labelled split."""
    best, chosen = -1.0, 0.0
    for threshold in np.round(np.arange(0.05, 1.0, 0.01), 2):
        p, r, _ = _prf(scores, labels, float(threshold))
        f05 = 1.25 * p * r / (0.25 * p + r) if p + r else 0.0
        if f05 > best:
            best, chosen = f05, float(threshold)
    return chosen


def test_default_threshold_follows_its_rule(embedder: Any) -> None:
    """DEFAULT_THRESHOLD is what the documented rule gives on MSRP train, not a hand pick."""
    train = _read_msrp(_need(DATA / "msrp" / "msr_paraphrase_train.txt"))
    a, b = embedder.encode([r[1] for r in train]), embedder.encode([r[2] for r in train])
    chosen = _threshold_max_f05((a * b).sum(axis=1), np.array([r[0] for r in train]))
    assert abs(chosen - DEFAULT_THRESHOLD) <= 0.01


def test_msrp_test_f1(embedder: Any, tfidf_threshold: float) -> None:
    train = _read_msrp(_need(DATA / "msrp" / "msr_paraphrase_train.txt"))
    test = _read_msrp(_need(DATA / "msrp" / "msr_paraphrase_test.txt"))
    labels = np.array([r[0] for r in test])
    a, b = embedder.encode([r[1] for r in test]), embedder.encode([r[2] for r in test])
    p, r, f1 = _prf((a * b).sum(axis=1), labels, DEFAULT_THRESHOLD)
    vectorizer = _tfidf_vectorizer([t for row in train for t in row[1:]])
    tp, tr, tf1 = _prf(_pair_cosines(vectorizer, test), labels, tfidf_threshold)
    print(f"\nMSRP test  MiniLM@{DEFAULT_THRESHOLD}: P={p:.3f} R={r:.3f} F1={f1:.3f}"
          f"  | TF-IDF@{tfidf_threshold}: P={tp:.3f} R={tr:.3f} F1={tf1:.3f}"
          f"  | F1 ratio {f1 / max(tf1, 1e-9):.2f}")
    assert f1 >= MSRP_TEST_F1_FLOOR


# ---- NewsWCL50: sentences, gold from mention chains ------------------------------------------

def _split_sentences(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, text) of each pysbd sentence, paragraph by paragraph."""
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
    hits_in_context = [i for i in range(len(context) - n + 1) if context[i : i + n] == tokens]
    at = min(hits_in_context, key=lambda i: abs(i - 100))  # the context is 100 tokens each side
    for width in (12, 6, 3, 0):
        left = "".join(t for t in context[max(0, at - width) : at] if t != "\n")
        right = "".join(t for t in context[at + n : at + n + width] if t != "\n")
        pattern = re.sub(r"\s+", "", left + "".join(tokens) + right)
        hits = [m.start() for m in re.finditer(re.escape(pattern), squashed)]
        if len(hits) == 1 or (width == 0 and hits):
            return keep[hits[0] + len(re.sub(r"\s+", "", left))]
    raise AssertionError(f"mention {mention['mention_id']} not found in its article")


@pytest.fixture(scope="module")
def newswcl(embedder: Any) -> dict[str, Any]:
    folder = _need(DATA / "newswcl50")
    articles = [json.loads(line) for line in (folder / "articles.jsonl").open(encoding="utf-8")]
    mentions = json.loads((folder / "event_mentions.json").read_text(encoding="utf-8"))
    sents: list[dict[str, Any]] = []
    for art in articles:
        for start, end, text in _split_sentences(art["text"]):
            sents.append({"doc": art["id"], "event": art["event_id"], "outlet": art["outlet_name"],
                          "start": start, "end": end, "text": text})
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
    return {"sents": sents, "chains": chains, "types": {m["coref_chain"]: m["mention_type"]
            for m in mentions}, "embeddings": embedder.encode([s["text"] for s in sents])}


def _gold(data: dict[str, Any], types: set[str], max_share: float) -> set[tuple[int, int]]:
    sents, per_event = data["sents"], defaultdict(int)
    for s in sents:
        per_event[s["event"]] += 1
    gold = set()
    for chain, members in data["chains"].items():
        event = sents[next(iter(members))]["event"]
        if data["types"][chain] in types and len(members) / per_event[event] <= max_share:
            gold |= {(a, b) for a, b in itertools.combinations(sorted(members), 2)
                     if sents[a]["doc"] != sents[b]["doc"]}
    return gold


def _align_events(data: dict[str, Any], events: set[str], kind: str, threshold: float
                  ) -> set[tuple[int, int]]:
    pairs = set()
    for event in sorted(events):
        idx = [i for i, s in enumerate(data["sents"]) if s["event"] == event]
        if kind == "tfidf":  # the baseline: TF-IDF fitted on the event's own sentences
            texts = [data["sents"][i]["text"] for i in idx]
            matrix = _tfidf_vectorizer(texts).transform(texts).toarray().astype(np.float32)
        else:
            matrix = data["embeddings"][idx]
        aligner = PassageAligner(threshold=threshold).fit(
            matrix, [data["sents"][i]["outlet"] for i in idx])
        pairs |= {(idx[a], idx[b]) for a, b in aligner.pairs_.tolist()}
    return pairs


def _scores(pred: set[tuple[int, int]], gold: set[tuple[int, int]], annotated: set[int]
            ) -> dict[str, float]:
    judged = {p for p in pred if p[0] in annotated and p[1] in annotated}
    hits = judged & gold
    gold_sents = {i for p in gold for i in p}
    return {"n": len(judged), "P": len(hits) / max(len(judged), 1),
            "R": len(hits) / max(len(gold), 1),
            "sentR": len({i for p in hits for i in p}) / max(len(gold_sents), 1)}


def test_newswcl50_alignment_beats_tfidf(newswcl: dict[str, Any], tfidf_threshold: float) -> None:
    annotated = set().union(*newswcl["chains"].values())
    golds = {"main": _gold(newswcl, {"EVENT", "ACTION", "MISC"}, UBIQUITOUS_CHAIN_SHARE),
             "strict": _gold(newswcl, {"EVENT", "ACTION"}, 0.20)}
    results = {}
    for split, events in (("dev 0-4", {"0", "1", "2", "3", "4"}), ("held-out 5-9",
                                                                    HELD_OUT_EVENTS)):
        pred = {"MiniLM": _align_events(newswcl, events, "st", DEFAULT_THRESHOLD),
                "TF-IDF": _align_events(newswcl, events, "tfidf", tfidf_threshold)}
        for (gold_name, gold), (method, pairs) in itertools.product(golds.items(), pred.items()):
            in_split = {p for p in gold if newswcl["sents"][p[0]]["event"] in events}
            s = _scores(pairs, in_split, annotated)
            results[split, gold_name, method] = s
            print(f"\nNewsWCL50 {split:13s} gold={gold_name:6s} {method:6s}: judged pairs={s['n']:4d}"
                  f" P={s['P']:.3f} R={s['R']:.4f} sentence R={s['sentR']:.3f}", end="")
    ours, base = results["held-out 5-9", "main", "MiniLM"], results["held-out 5-9", "main", "TF-IDF"]
    ratio = ours["R"] / max(base["R"], 1e-9)
    print(f"\nheld-out pair-recall ratio MiniLM / TF-IDF = {ratio:.2f}")
    assert ours["P"] >= NEWSWCL_PRECISION_FLOOR
    assert ours["R"] >= NEWSWCL_PAIR_RECALL_FLOOR
    assert ours["sentR"] >= NEWSWCL_SENTENCE_RECALL_FLOOR
    assert ratio >= RECALL_RATIO_FLOOR


# ---- Istanbul: the Kyiv/Chernihiv announcement ----------------------------------------------

@pytest.fixture(scope="module")
def istanbul(embedder: Any) -> dict[str, Any]:
    """Sentences of the Istanbul slice and the seed article, their topics, and the sentences
    reporting Russia's announcement (29 March 2022) that it would cut military activity near
    Kyiv and Chernihiv (Censor.net, the President of Ukraine, Global Research)."""
    records = []
    for name in ("ukraine/istanbul_2022.jsonl", "istanbul/seed_article.jsonl"):
        lines = _need(DATA / name).read_text(encoding="utf-8").splitlines()
        records += [json.loads(line) for line in lines if line.strip()]
    texts, outlets = [], []
    for rec in records:
        for _, _, text in _split_sentences(rec["text"]):
            texts.append(text)
            outlets.append(rec["outlet"])
    labels = TopicClusterer().fit(embedder.encode(texts), outlets).labels_
    about = [i for i, t in enumerate(texts)
             if re.search(r"Kyiv|Kiev", t) and "Chernihiv" in t
             and re.search(r"reduc|scal|cut|withdraw", t, re.IGNORECASE)]
    assert len({outlets[i] for i in about}) >= 3, "fixture lost the Kyiv/Chernihiv reports"
    return {"texts": texts, "outlets": outlets, "labels": labels, "about": about}


@pytest.mark.xfail(strict=True, reason=(
    "known gap: all-MiniLM-L6-v2 puts the Kyiv/Chernihiv reports of Censor.net, the Ukrainian "
    "president's address and the seed's Fomin quote at cosine 0.43-0.58, below the topic "
    "threshold chosen on NewsWCL50 dev; an anchor-name hybrid joined them (3 sources) but cost "
    "NewsWCL50 dev precision and recall, so it was not adopted"))
def test_istanbul_kyiv_chernihiv_announcement_is_one_topic(istanbul: dict[str, Any]) -> None:
    _, outlets, labels, about = (istanbul[k] for k in ("texts", "outlets", "labels", "about"))
    topic = max(set(labels[about].tolist()), key=lambda t: (labels[about] == t).sum())
    members = np.flatnonzero(labels == topic)
    assert len({outlets[i] for i in members}) >= 3
    assert (labels[about] == topic).sum() >= 0.6 * len(about)
    assert len(members) <= 3 * len(about)  # a fact, not the whole event


def test_istanbul_kyiv_chernihiv_announcement_is_shared_across_sources(
    istanbul: dict[str, Any],
) -> None:
    """What holds today (the gate below the one-topic goal above). Measured with the defaults:
    the 6 sentences fall into 3 topics: Medinsky's "de-escalation" (3 Censor.net sentences + a
    Reuters headline), Zelensky's "reduce hostilities" / "alleged withdrawal" (2 president.gov.ua
    + 2 Global Research sentences on Western reactions), and the seed's long quote of the
    ministry's statement, alone."""
    texts, outlets, labels, about = (istanbul[k] for k in ("texts", "outlets", "labels", "about"))
    terms = topic_terms(texts, labels)
    shared = []
    for i in about:
        members = np.flatnonzero(labels == labels[i])
        sources = sorted({outlets[j] for j in members})
        shared.append(len(sources) >= 2)
        print(f"\nIstanbul topic {labels[i]} ({len(members)} passages, {sources}, "
              f"{terms[int(labels[i])][:4]}): {texts[i][:70]}", end="")
    assert sum(shared) >= 0.75 * len(about)
    assert len(set(labels[about].tolist())) <= 3
    biggest = max(set(labels[about].tolist()), key=lambda t: (labels == t).sum())
    assert (labels == biggest).sum() <= 3 * len(about)  # a fact, not the whole event
