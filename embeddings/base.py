"""The encoder interface: text in, unit-length float32 vectors out."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """Anything blocking can embed with. `encode` returns shape (len(texts), dim),
    float32, every row L2-normalised (an empty text gives a zero row), so a dot
    product is the cosine similarity."""

    name: str
    version: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; all-zero rows stay zero instead of becoming NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def embedded_text(title_norm: str | None, artist_norm: str | None) -> str:
    """The string both encoders embed: normalised title, then main artist."""
    return " ".join(part for part in (title_norm, artist_norm) if part)
