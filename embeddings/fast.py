"""tracklink's fast encoder: hashed character n-grams -> EmbeddingBag -> a small
residual MLP -> unit vector.

Cost is one vectorised hashing pass in numpy plus one EmbeddingBag lookup, with
no tokenizer and no attention, so it is much faster than MiniLM on a CPU
(bench/results/encoders.md; docs/blocking.md, "Embedding blocking"). Hashing
uses fixed multipliers in uint64 arithmetic, so the same text gets the same
buckets in every process (Python's `hash()` is salted per process and would
not).
"""

from __future__ import annotations

import io
import json
import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from embeddings.base import l2_normalise

NAME = "fast"
FORMAT = "tracklink-fast-encoder/1"

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_SEP = 0  # U+0000 never occurs in normalised text, so it can mark where a text ends


@dataclass(frozen=True)
class FastEncoderSpec:
    """The architecture; saved with the weights so a file describes itself."""

    buckets: int = 1 << 15
    ngram_sizes: tuple[int, ...] = (2, 3, 4)
    hidden: int = 64
    mlp: int = 128
    dim: int = 64

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ngram_sizes"] = list(self.ngram_sizes)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FastEncoderSpec:
        return cls(**{**d, "ngram_sizes": tuple(d["ngram_sizes"])})


def hashed_ngrams(
    texts: list[str], sizes: tuple[int, ...], buckets: int
) -> tuple[np.ndarray, np.ndarray]:
    """Bucket ids of every character n-gram of " text " for each size, as an
    EmbeddingBag input: (ids, offsets), offsets[i] = where text i's ids start."""
    padded = [f" {t} " if t else "" for t in texts]
    codes = np.frombuffer("\x00".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(
        np.uint64
    )
    is_sep = codes == _SEP
    # text index of every position: separators seen before it
    text_of = np.concatenate(([0], np.cumsum(is_sep)[:-1])).astype(np.int64)
    seps_upto = np.concatenate(([0], np.cumsum(is_sep)))
    all_ids, all_text = [], []
    with np.errstate(over="ignore"):
        for n in sizes:
            m = len(codes) - n + 1
            if m <= 0:
                continue
            starts = np.arange(m)
            clean = seps_upto[starts + n] - seps_upto[starts] == 0
            h = np.full(m, np.uint64(n), dtype=np.uint64)
            for k in range(n):
                h = (h * _MIX) ^ codes[k : k + m]
            h ^= h >> np.uint64(31)
            h *= _MIX2
            h ^= h >> np.uint64(29)
            all_ids.append((h % np.uint64(buckets)).astype(np.int64)[clean])
            all_text.append(text_of[:m][clean])
    if not all_ids:
        return np.zeros(0, dtype=np.int64), np.zeros(len(texts), dtype=np.int64)
    ids = np.concatenate(all_ids)
    owner = np.concatenate(all_text)
    order = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=len(texts))
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    return ids[order], offsets


class FastEncoderModule(nn.Module):
    def __init__(self, spec: FastEncoderSpec) -> None:
        super().__init__()
        self.spec = spec
        self.bag = nn.EmbeddingBag(spec.buckets, spec.hidden, mode="mean")
        self.mlp = nn.Sequential(
            nn.Linear(spec.hidden, spec.mlp), nn.GELU(), nn.Linear(spec.mlp, spec.hidden)
        )
        self.out = nn.Linear(spec.hidden, spec.dim, bias=False)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        h = self.bag(ids, offsets)
        # Residual: the bag alone is already a good n-gram overlap embedding;
        # the MLP learns what to discount (artist n-grams shared by many songs).
        return self.out(h + self.mlp(h))

    def embed(self, texts: list[str]) -> torch.Tensor:
        ids, offsets = hashed_ngrams(texts, self.spec.ngram_sizes, self.spec.buckets)
        return self(torch.from_numpy(ids), torch.from_numpy(offsets))


class FastEncoder:
    """Inference wrapper over trained weights (see `jobs.train_encoder`)."""

    name = NAME

    def __init__(self, module: FastEncoderModule, version: str, batch_size: int = 4096) -> None:
        self.module = module.eval()
        self.version = version
        self.dim = module.spec.dim
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        with torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                parts.append(self.module.embed(texts[i : i + self.batch_size]).numpy())
        vectors = l2_normalise(np.concatenate(parts))
        vectors[[not t for t in texts]] = 0.0
        return vectors


def save_weights(
    module: FastEncoderModule, path: str | Path, version: str, provenance: dict[str, Any]
) -> None:
    """A self-describing weights file; float16 halves it (the committed file
    must stay small) and costs nothing measurable in blocking."""
    state = {k: v.detach().to(torch.float16) for k, v in module.state_dict().items()}
    torch.save(
        {
            "format": FORMAT,
            "version": version,
            "spec": module.spec.as_dict(),
            # plain JSON types only, so that loading can stay weights_only
            "provenance": json.loads(json.dumps(provenance)),
            "state_dict": state,
        },
        str(path),
    )


def load_weights(source: str | Path | bytes) -> tuple[FastEncoderModule, str, dict[str, Any]]:
    """(module, version, provenance) from a weights file path or its bytes."""
    f = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        blob = torch.load(f, map_location="cpu", weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError) as exc:
        raise ValueError(f"not a {FORMAT} weights file: {exc}") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} weights file")
    module = FastEncoderModule(FastEncoderSpec.from_dict(blob["spec"]))
    module.load_state_dict({k: v.to(torch.float32) for k, v in blob["state_dict"].items()})
    return module, blob["version"], blob.get("provenance", {})
