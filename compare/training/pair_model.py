"""A pair model (cross-encoder) for the claims gold (issue 24): multilingual-e5-small reads two
passages together and says whether they state the same fact.

The base is :func:`compare.embed.e5_torch.load_e5_torch`, frozen. Trained: low-rank adapters
(LoRA, rank 8) on the attention query and value of the top :data:`LORA_LAYERS` layers, and a
linear head on the mean-pooled last hidden state (e5's own pooling). Only the top layers carry
adapters so that the backward pass stops there: on CPU this nearly halves a training step.

Input: ``<s> query: A </s></s> query: B </s>``, each side cut to :data:`MAX_SIDE_TOKENS`
content tokens (XLM-R's pair format, e5's symmetric-task prefix). The order of the two sides is
drawn at random in training; at inference the score is the mean of (A, B) and (B, A).

Training data (binary cross-entropy, one pass): the claims gold's train fold less a held-out
share of its events (sampled and product-link pairs; ``same``/``contains`` = 1), weighted
:data:`CLAIMS_WEIGHT`; MSRP train (paraphrase = 1); STS-B train (gold >= 4 = 1, <= 2 = 0, the
rest skipped) in EN-EN, RU-RU, DE-DE and the translated EN-RU, EN-DE combinations. The held-out
events choose the threshold (best F1); the test fold is read once, by ``evaluate``.

``--with-labelled-pool`` adds the pairs labelled in the project
(:func:`compare.training.claims.read_labelled_pool`, train fold only), weighted as the shared
gold's, and holds out whole groups of both (:func:`split_claims_by_group`): events for BASIL
and NewsWCL50, anchor articles for Istanbul (one event, split so in its test fold too), so that
the threshold is chosen on cross-language pairs as well. ``--length-batches`` batches pairs of
similar length (less padding); ``--decay-by-time`` lets the learning rate reach zero when the
time budget runs out before the data does.

Commands (artifacts under ``--out``, nothing into the repository)::

    python -m compare.training.pair_model probe              # pairs/s, train and inference
    python -m compare.training.pair_model train              # sized for ~2 pairs/s, 33 min
    python -m compare.training.pair_model evaluate           # the test fold, once
    python -m compare.training.pair_model train --out /work/tmp/pairmodel2 \\
        --with-labelled-pool --length-batches --decay-by-time   # the second try
    python -m compare.training.pair_model evaluate-blend --out /work/tmp/pairmodel2

``evaluate-blend`` (after ``evaluate``; no model is run) blends the saved pair-model scores
with the plain e5 cosine: both are put on one scale by the held-out pairs (the pair model's
logit and the cosine, each z-scored by the held-out sampled pairs' mean and deviation), the
blend is ``w * pair + (1 - w) * cosine`` with ``w`` in {0, 0.1, ..., 1} chosen by held-out AP,
once for all pairs and once per language kind (same, cross), and every scorer links from the
threshold of its best held-out F1. The test fold is read only for the figures.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from compare.training.claims import (
    LABELLED,
    SAMPLED_DATASETS,
    ClaimPair,
    evaluate,
    read_claims,
    read_labelled_pool,
)
from compare.training.verifier import read_msrp, read_sts

log = logging.getLogger(__name__)

DATA = Path("../shared/data")
OUT = Path("/work/tmp/pairmodel")
MAX_SIDE_TOKENS = 96          # content tokens kept per passage (claims passages: p99 85)
LORA_RANK = 8
LORA_ALPHA = 16
LORA_LAYERS = 6               # top layers with adapters (of 12)
CLAIMS_WEIGHT = 3.0           # in-domain pairs weigh this much more than MSRP/STS pairs
HELD_OUT_SHARE = 0.2          # share of the claims train events kept for the threshold
POOL_HELD_OUT_SHARE = 0.15    # share of each dataset's groups kept with the labelled pool
LENGTH_WINDOW = 32            # batches per window sorted by length (--length-batches)
STS_SAME, STS_DIFFERENT = 4.0, 2.0
STS_COMBOS = (("en", "en"), ("ru", "ru"), ("de", "de"), ("en", "ru"), ("en", "de"))
SEED = 13


@dataclass(frozen=True)
class TrainPair:
    """Two texts, whether they state the same fact, the loss weight and where they come from."""

    text_a: str
    text_b: str
    label: int
    weight: float
    source: str


# ---------------------------------------------------------------------------- model


def _lora_linear(base: Any, rank: int, alpha: int) -> Any:
    """``base`` (a frozen ``nn.Linear``) plus a trainable low-rank update ``B @ A``, B zero."""
    import torch
    from torch import nn

    class LoRALinear(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base = base
            self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
            self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
            nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
            self.scale = alpha / rank

        def forward(self, x: Any) -> Any:
            return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scale

    return LoRALinear()


def build_pair_model(layers: int = LORA_LAYERS, rank: int = LORA_RANK) -> Any:
    """The e5 base (deep-copied, frozen) with adapters on the top ``layers`` layers' query and
    value, and a linear head on the mean-pooled pair.

    Returns:
        A ``torch.nn.Module`` with ``forward(ids, mask) -> logits`` and ``tokenizer``.
    """
    import copy

    import torch
    from torch import nn

    from compare.embed.e5_torch import load_e5_torch

    e5 = load_e5_torch()
    bert = copy.deepcopy(e5.model).requires_grad_(False)
    blocks = bert.encoder.layer
    for block in blocks[len(blocks) - layers:]:
        att = block.attention.self
        att.query = _lora_linear(att.query, rank, LORA_ALPHA)
        att.value = _lora_linear(att.value, rank, LORA_ALPHA)

    class PairModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.dropout = nn.Dropout(0.1)
            self.head = nn.Linear(bert.config.hidden_size, 1)
            self.tokenizer = e5.tokenizer

        def forward(self, ids: Any, mask: Any) -> Any:
            hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1)
            return self.head(self.dropout(pooled)).squeeze(-1)

    torch.manual_seed(SEED)
    return PairModel()


def trainable_state(model: Any) -> dict[str, Any]:
    """The adapter and head weights only (what training changes)."""
    names = {n for n, p in model.named_parameters() if p.requires_grad}
    return {k: v.detach().clone() for k, v in model.state_dict().items() if k in names}


def pair_ids(tokenizer: Any, a: str, b: str) -> list[int]:
    """``<s> query: a </s></s> query: b </s>``, each side cut to :data:`MAX_SIDE_TOKENS`."""
    left = tokenizer.content_ids(f"query: {a}")[:MAX_SIDE_TOKENS]
    right = tokenizer.content_ids(f"query: {b}")[:MAX_SIDE_TOKENS]
    return [tokenizer.bos, *left, tokenizer.eos, tokenizer.eos, *right, tokenizer.eos]


def _batch(seqs: Sequence[list[int]], pad: int) -> tuple[Any, Any]:
    import torch

    longest = max(map(len, seqs))
    ids = torch.full((len(seqs), longest), pad, dtype=torch.long)
    mask = torch.zeros((len(seqs), longest), dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, :len(seq)] = torch.tensor(seq)
        mask[row, :len(seq)] = 1
    return ids, mask


def score_pairs(model: Any, pairs: Sequence[tuple[str, str]], symmetric: bool = True,
                batch_size: int = 32) -> np.ndarray:
    """Probability that each pair states one fact (mean of both orders when ``symmetric``).

    Returns:
        ``(len(pairs),)`` float64 in [0, 1], in the pairs' order.
    """
    import torch

    tok = model.tokenizer
    seqs = [pair_ids(tok, a, b) for a, b in pairs]
    if symmetric:
        seqs += [pair_ids(tok, b, a) for a, b in pairs]
    logits = np.zeros(len(seqs))
    order = sorted(range(len(seqs)), key=lambda k: len(seqs[k]))
    model.eval()
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            rows = order[s:s + batch_size]
            ids, mask = _batch([seqs[k] for k in rows], tok.pad)
            logits[rows] = model(ids, mask).double().numpy()
    probs = 1.0 / (1.0 + np.exp(-logits))
    n = len(pairs)
    return (probs[:n] + probs[n:]) / 2 if symmetric else probs


# ---------------------------------------------------------------------------- data


def split_claims_by_event(pairs: Sequence[ClaimPair], share: float = HELD_OUT_SHARE,
                          seed: int = SEED) -> tuple[list[ClaimPair], list[ClaimPair]]:
    """(fit, held-out): a seeded ``share`` of the (dataset, event)s is held out whole."""
    events = sorted({(p.dataset.removesuffix("-links"), p.event_id) for p in pairs})
    random.Random(seed).shuffle(events)
    held = set(events[:round(share * len(events))])
    fit = [p for p in pairs if (p.dataset.removesuffix("-links"), p.event_id) not in held]
    out = [p for p in pairs if (p.dataset.removesuffix("-links"), p.event_id) in held]
    return fit, out


def read_anchor_articles(paths: Sequence[Path]) -> dict[str, str]:
    """``pair_id`` -> the article of side ``a`` (the anchor's) of each pair in ``paths`` (claims
    ``pairs.jsonl`` and the labelled pool's files; :class:`ClaimPair` does not keep it)."""
    anchors = {}
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    anchors[str(row["pair_id"])] = str(row["a"]["article_id"])
    return anchors


def claims_group(pair: ClaimPair, anchors: dict[str, str]) -> tuple[str, str]:
    """The unit held out whole: the anchor article for Istanbul's sampled pairs (one event, its
    test fold is split by anchor article), else the (dataset, event)."""
    if pair.dataset == "istanbul":
        return pair.dataset, anchors[pair.pair_id]
    return pair.dataset.removesuffix("-links"), pair.event_id


def split_claims_by_group(pairs: Sequence[ClaimPair], anchors: dict[str, str],
                          share: float = POOL_HELD_OUT_SHARE, seed: int = SEED
                          ) -> tuple[list[ClaimPair], list[ClaimPair]]:
    """(fit, held-out): in each dataset of the test fold's kinds (BASIL, NewsWCL50, Istanbul
    and their product links) a seeded ``share`` of its groups (:func:`claims_group`) is held out
    whole, at least one where the dataset has two or more; the other datasets (the
    presidencies' releases) are all fitted on."""
    by_dataset: dict[str, set[tuple[str, str]]] = {}
    for p in pairs:
        if p.dataset.removesuffix("-links") in SAMPLED_DATASETS:
            by_dataset.setdefault(p.dataset, set()).add(claims_group(p, anchors))
    held: set[tuple[str, str]] = set()
    for dataset in sorted(by_dataset):
        groups = sorted(by_dataset[dataset])
        random.Random(f"{seed}-{dataset}").shuffle(groups)
        count = max(round(share * len(groups)), 1 if len(groups) > 1 else 0)
        held.update(groups[:count])
    fit = [p for p in pairs if claims_group(p, anchors) not in held]
    out = [p for p in pairs if claims_group(p, anchors) in held]
    return fit, out


def batch_by_length(pairs: Sequence[TrainPair], batch_size: int, window: int = LENGTH_WINDOW,
                    seed: int = SEED) -> list[TrainPair]:
    """``pairs`` reordered so that each batch holds pairs of similar length (by characters):
    each window of ``window`` batches is sorted by length and cut into batches, and the batches
    are shuffled. Less padding, the same pairs."""
    size = batch_size * window
    batches: list[list[TrainPair]] = []
    for start in range(0, len(pairs), size):
        part = sorted(pairs[start:start + size], key=lambda p: len(p.text_a) + len(p.text_b))
        batches += [part[k:k + batch_size] for k in range(0, len(part), batch_size)]
    random.Random(seed).shuffle(batches)
    return [p for batch in batches for p in batch]


def training_pairs(claims: Sequence[ClaimPair], data: Path, msrp: int, sts_per_combo: int,
                   seed: int = SEED) -> list[TrainPair]:
    """Claims pairs (all given), a seeded sample of ``msrp`` MSRP train pairs and of
    ``sts_per_combo`` decided STS-B train pairs per language combination, shuffled."""
    rng = random.Random(seed)
    out = [TrainPair(p.text_a, p.text_b, int(p.is_same_fact), CLAIMS_WEIGHT, "claims")
           for p in claims]
    rows = read_msrp(data / "msrp" / "msr_paraphrase_train.txt")
    out += [TrainPair(a, b, y, 1.0, "msrp") for y, a, b in rng.sample(rows, min(msrp, len(rows)))]
    files = {lang: read_sts(data / "stsb", lang, "train") for lang in ("en", "ru", "de")}
    decided = [k for k, r in enumerate(files["en"]) if r[2] >= STS_SAME or r[2] <= STS_DIFFERENT]
    for left, right in STS_COMBOS:
        for k in rng.sample(decided, min(sts_per_combo, len(decided))):
            out.append(TrainPair(files[left][k][0], files[right][k][1],
                                 int(files["en"][k][2] >= STS_SAME), 1.0, f"sts-{left}-{right}"))
    rng.shuffle(out)
    return out


def file_hashes(data: Path, pool: bool = False) -> dict[str, str]:
    """sha256 of each data file the model reads (with ``pool``, the labelled pool's files too;
    their texts come from the datasets, which :func:`read_labelled_pool` checks span by span)."""
    names = ["claims/pairs.jsonl", "msrp/msr_paraphrase_train.txt",
             *(f"stsb/stsb-{lang}-train.csv" for lang in ("en", "ru", "de"))]
    hashes = {n: hashlib.sha256((data / n).read_bytes()).hexdigest() for n in names}
    if pool:
        hashes.update({p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in LABELLED})
    return hashes


# ---------------------------------------------------------------------------- training


def train_pair_model(model: Any, pairs: Sequence[TrainPair], seconds: float, batch_size: int = 16,
                     lr: float = 1e-3, decay_by_time: bool = False) -> dict[str, Any]:
    """One pass of weighted binary cross-entropy (AdamW, linear warm-up and decay), stopped
    early when ``seconds`` run out; the side order of each pair drawn at random. With
    ``decay_by_time`` the decay follows whichever of steps and seconds is further along, so the
    rate reaches zero by the time budget's end.

    Returns:
        ``{"steps", "pairs_seen", "seconds", "pairs_per_s", "stopped_early"}``.
    """
    import torch

    rng = random.Random(SEED)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = math.ceil(len(pairs) / batch_size)
    warm = max(1, steps // 20)
    start = time.monotonic()

    def factor(s: int) -> float:
        done = max(s, steps * (time.monotonic() - start) / seconds) if decay_by_time else s
        return min((s + 1) / warm, max(0.0, (steps - done) / max(1, steps - warm)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    tok, seen, running = model.tokenizer, 0, 0.0
    model.train()
    for step in range(steps):
        chunk = pairs[step * batch_size:(step + 1) * batch_size]
        seqs = [pair_ids(tok, *((p.text_a, p.text_b) if rng.random() < 0.5
                                else (p.text_b, p.text_a))) for p in chunk]
        ids, mask = _batch(seqs, tok.pad)
        y = torch.tensor([float(p.label) for p in chunk])
        w = torch.tensor([p.weight for p in chunk])
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(
            model(ids, mask), y, reduction="none") * w).sum() / w.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        seen += len(chunk)
        value = float(loss.detach())
        running = 0.95 * running + 0.05 * value if step else value
        elapsed = time.monotonic() - start
        if step % 10 == 0 or step == steps - 1:
            log.info("step %d/%d pairs %d loss %.4f %.1f s %.2f pairs/s lr %.2e", step + 1, steps,
                     seen, running, elapsed, seen / elapsed, sched.get_last_lr()[0])
        if elapsed > seconds:
            log.warning("time budget spent at step %d of %d", step + 1, steps)
            break
    elapsed = time.monotonic() - start
    return {"steps": step + 1, "pairs_seen": seen, "seconds": round(elapsed, 1),
            "pairs_per_s": round(seen / elapsed, 2), "stopped_early": seen < len(pairs)}


def best_f1_threshold(gold: np.ndarray, scores: np.ndarray) -> float:
    """The score threshold that maximises F1 (ties: the highest threshold)."""
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(gold[order])
    k = np.arange(1, len(order) + 1)
    f1 = 2 * hits / (k + gold.sum())
    best = int(np.flatnonzero(f1 == f1.max())[0])
    return float(scores[order][best])


# ---------------------------------------------------------------------------- commands


def probe(data: Path, seconds: float = 30.0) -> dict[str, float]:
    """Pairs/s of a training step and of symmetric inference on claims-like pairs."""
    model = build_pair_model()
    claims = read_claims(data / "claims" / "pairs.jsonl", fold="train")
    fit, _ = split_claims_by_event(claims)
    pairs = training_pairs(fit, data, msrp=200, sts_per_combo=40)
    run = train_pair_model(model, pairs, seconds=seconds)
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds / 2:
        score_pairs(model, [(p.text_a, p.text_b) for p in pairs[n:n + 32]])
        n += 32
    return {"train_pairs_per_s": run["pairs_per_s"],
            "infer_pairs_per_s": round(n / (time.monotonic() - start), 2)}


def _claims_counts(pairs: Sequence[ClaimPair], pool_ids: set[str]) -> dict[str, int]:
    """Pairs, same-fact pairs and cross-language pairs by origin (gold or pool) and dataset."""
    counts: dict[str, int] = {}
    for p in pairs:
        name = f"{'pool' if p.pair_id in pool_ids else 'gold'}:{p.dataset}"
        cross = p.language_kind == "cross"
        keys = [name, *[f"{name}:same_fact"] * p.is_same_fact, *[f"{name}:cross"] * cross,
                *[f"{name}:cross_same_fact"] * (cross and p.is_same_fact)]
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def train_command(data: Path, out: Path, minutes: float, msrp: int, sts: int,
                  with_pool: bool = False, length_batches: bool = False,
                  decay_by_time: bool = False) -> dict[str, Any]:
    """Train on the claims train fold less its held-out events plus MSRP/STS, choose the
    threshold on the held-out events, save the adapter, head and figures under ``out``.

    With ``with_pool`` the labelled pool joins the claims train fold, and whole groups of both
    are held out (:func:`split_claims_by_group`) instead of a share of all events.
    """
    import torch

    out.mkdir(parents=True, exist_ok=True)
    gold_path = data / "claims" / "pairs.jsonl"
    claims = read_claims(gold_path, fold="train")
    pool_ids: set[str] = set()
    if with_pool:
        pool = read_labelled_pool(LABELLED, data)
        pool_ids = {p.pair_id for p in pool}
        claims += pool
        fit, held = split_claims_by_group(claims, read_anchor_articles([gold_path, *LABELLED]))
    else:
        fit, held = split_claims_by_event(claims)
    pairs = training_pairs(fit, data, msrp=msrp, sts_per_combo=sts)
    batch_size = 16
    if length_batches:
        pairs = batch_by_length(pairs, batch_size)
    counts: dict[str, int] = {}
    for p in pairs:
        counts[p.source] = counts.get(p.source, 0) + 1
    fit_counts, held_counts = _claims_counts(fit, pool_ids), _claims_counts(held, pool_ids)
    log.info("training pairs %s, held-out claims pairs %d", counts, len(held))
    log.info("fit claims %s", fit_counts)
    log.info("held-out claims %s", held_counts)
    model = build_pair_model()
    run = train_pair_model(model, pairs, seconds=minutes * 60, batch_size=batch_size,
                           decay_by_time=decay_by_time)
    torch.save(trainable_state(model), out / "adapter.pt")
    start = time.monotonic()
    scores = score_pairs(model, [(p.text_a, p.text_b) for p in held])
    infer = len(held) / (time.monotonic() - start)
    sampled = [k for k, p in enumerate(held) if p.source == "sampled"]
    gold = np.array([held[k].is_same_fact for k in sampled])
    threshold = best_f1_threshold(gold, scores[sampled])
    np.save(out / "held_out_scores.npy", scores)
    meta = {"counts": counts, "held_out_pairs": len(held), "run": run,
            "infer_pairs_per_s": round(infer, 2), "threshold": threshold,
            "held_out": evaluate(held, scores, threshold), "hashes": file_hashes(data, with_pool),
            "claims_fit": fit_counts, "claims_held_out": held_counts,
            "config": {"lora_rank": LORA_RANK, "lora_alpha": LORA_ALPHA,
                       "lora_layers": LORA_LAYERS, "max_side_tokens": MAX_SIDE_TOKENS,
                       "claims_weight": CLAIMS_WEIGHT, "seed": SEED, "msrp": msrp,
                       "sts_per_combo": sts, "minutes": minutes, "with_labelled_pool": with_pool,
                       "held_out_share": POOL_HELD_OUT_SHARE if with_pool else HELD_OUT_SHARE,
                       "length_batches": length_batches, "decay_by_time": decay_by_time}}
    (out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return meta


def evaluate_command(data: Path, out: Path) -> dict[str, Any]:
    """The test fold, read once: the saved model at the held-out threshold, and the plain e5
    cosine on the same pairs (read at as many links as the model makes)."""
    import torch

    from compare.training.claims import score_e5_cosine, threshold_for_links

    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    model = build_pair_model()
    model.load_state_dict(torch.load(out / "adapter.pt"), strict=False)
    test = read_claims(data / "claims" / "pairs.jsonl", fold="test")
    scores = score_pairs(model, [(p.text_a, p.text_b) for p in test])
    figures = evaluate(test, scores, meta["threshold"])
    links = figures["sampled"]["overall"]["linked"]
    cosine = score_e5_cosine(test)
    sampled = np.array([p.source == "sampled" for p in test])
    base = evaluate(test, cosine, threshold_for_links(cosine[sampled], links))
    result = {"pair_model": figures, "e5_cosine": base}
    (out / "test.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    np.save(out / "test_scores.npy", scores)
    return result


BLEND_WEIGHTS = tuple(k / 10 for k in range(11))


def held_out_claims(data: Path, with_pool: bool) -> list[ClaimPair]:
    """The held-out claims pairs of :func:`train_command`, in its order (the order of its
    ``held_out_scores.npy``)."""
    gold_path = data / "claims" / "pairs.jsonl"
    claims = read_claims(gold_path, fold="train")
    if with_pool:
        claims += read_labelled_pool(LABELLED, data)
        return split_claims_by_group(claims, read_anchor_articles([gold_path, *LABELLED]))[1]
    return split_claims_by_event(claims)[1]


def _logit(probs: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def _zscore(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``values`` less the mean of ``reference``, over its standard deviation."""
    return (values - reference.mean()) / (reference.std() or 1.0)


def choose_blend_weight(gold: np.ndarray, pair: np.ndarray, cosine: np.ndarray,
                        weights: Sequence[float] = BLEND_WEIGHTS) -> tuple[float, dict[str, float]]:
    """The weight ``w`` whose ``w * pair + (1 - w) * cosine`` has the best AP on ``gold`` (ties:
    the first in ``weights``), and the AP of each weight."""
    from sklearn.metrics import average_precision_score

    aps = {f"{w:.1f}": float(average_precision_score(gold, w * pair + (1 - w) * cosine))
           for w in weights}
    best = max(aps.values())
    return next(w for w in weights if aps[f"{w:.1f}"] == best), aps


def evaluate_blend_command(data: Path, out: Path) -> dict[str, Any]:
    """Blend the saved pair-model scores (``held_out_scores.npy``, ``test_scores.npy``) with the
    e5 cosine: weights and thresholds chosen on the held-out pairs, figures on the test fold.
    The cosines' vectors are kept in ``out / "e5-cosine.store"``; the result goes to
    ``out / "blend.json"``.

    Raises:
        ValueError: the data files changed since training, or the saved scores do not match
            the pairs in number.
    """
    from compare.training.claims import score_e5_cosine

    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    with_pool = bool(meta["config"]["with_labelled_pool"])
    if file_hashes(data, with_pool) != meta["hashes"]:
        raise ValueError("the data files differ from those the model was trained on")
    held = held_out_claims(data, with_pool)
    test = read_claims(data / "claims" / "pairs.jsonl", fold="test")
    pair_held = np.load(out / "held_out_scores.npy")
    pair_test = np.load(out / "test_scores.npy")
    if pair_held.shape != (len(held),) or pair_test.shape != (len(test),):
        raise ValueError(f"saved scores {pair_held.shape}, {pair_test.shape} do not match "
                         f"{len(held)} held-out and {len(test)} test pairs")
    cache = out / "e5-cosine.store"
    cos_held, cos_test = score_e5_cosine(held, cache=cache), score_e5_cosine(test, cache=cache)
    np.save(out / "e5_cosine_held_out.npy", cos_held)
    np.save(out / "e5_cosine_test.npy", cos_test)

    rows = np.array([p.source == "sampled" and p.usable for p in held])
    gold = np.array([p.is_same_fact for p in held])[rows]
    kinds_held = np.array([p.language_kind for p in held])
    kinds_test = np.array([p.language_kind for p in test])
    ref_pair, ref_cos = _logit(pair_held)[rows], cos_held[rows]
    z = {"held": (_zscore(_logit(pair_held), ref_pair), _zscore(cos_held, ref_cos)),
         "test": (_zscore(_logit(pair_test), ref_pair), _zscore(cos_test, ref_cos))}

    weight, grid = choose_blend_weight(gold, z["held"][0][rows], z["held"][1][rows])
    kind_weights: dict[str, float] = {}
    kind_grids: dict[str, dict[str, float]] = {}
    for kind in ("same", "cross"):
        sel = kinds_held[rows] == kind
        kind_weights[kind], kind_grids[kind] = choose_blend_weight(
            gold[sel], z["held"][0][rows][sel], z["held"][1][rows][sel])

    def blends(part: str, kinds: np.ndarray) -> dict[str, np.ndarray]:
        zp, zc = z[part]
        w_kind = np.array([kind_weights[k] for k in kinds])
        return {"blend": weight * zp + (1 - weight) * zc,
                "blend_by_language": w_kind * zp + (1 - w_kind) * zc}

    scores_held = {"pair_model": pair_held, "e5_cosine": cos_held, **blends("held", kinds_held)}
    scores_test = {"pair_model": pair_test, "e5_cosine": cos_test, **blends("test", kinds_test)}
    result: dict[str, Any] = {"weight": weight, "weights_by_language": kind_weights,
                              "held_out_ap_by_weight": grid,
                              "held_out_ap_by_weight_and_language": kind_grids,
                              "held_out": {}, "test": {}}
    for name, values in scores_held.items():
        threshold = best_f1_threshold(gold, values[rows])
        result["held_out"][name] = evaluate(held, values, threshold)
        result["test"][name] = evaluate(test, scores_test[name], threshold)
    (out / "blend.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """``probe``, ``train``, ``evaluate`` or ``evaluate-blend`` (see the module docstring)."""
    import torch

    parser = argparse.ArgumentParser(prog="python -m compare.training.pair_model")
    parser.add_argument("command", choices=("probe", "train", "evaluate", "evaluate-blend"))
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--minutes", type=float, default=33.0, help="training time budget")
    parser.add_argument("--msrp", type=int, default=700, help="MSRP train pairs sampled")
    parser.add_argument("--sts", type=int, default=330, help="STS-B pairs per combination")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--with-labelled-pool", action="store_true",
                        help="add the project's labelled pairs; hold out groups of every dataset")
    parser.add_argument("--length-batches", action="store_true",
                        help="batch pairs of similar length (less padding)")
    parser.add_argument("--decay-by-time", action="store_true",
                        help="let the learning rate reach zero at the end of --minutes")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True, warn_only=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.command == "probe":
        result: dict[str, Any] = probe(args.data)
    elif args.command == "train":
        result = train_command(args.data, args.out, args.minutes, args.msrp, args.sts,
                               args.with_labelled_pool, args.length_batches, args.decay_by_time)
    elif args.command == "evaluate":
        result = evaluate_command(args.data, args.out)
    else:
        result = evaluate_blend_command(args.data, args.out)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
