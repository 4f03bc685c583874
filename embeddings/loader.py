"""Build an encoder by name, once per Python process.

Spark reuses its Python workers across tasks, so a module-level cache means a
model is loaded once per worker, not once per batch or per task.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

from embeddings.base import Encoder

ENCODERS = ("fast", "minilm")
_CACHE: dict[tuple, Encoder] = {}


def packaged_weights_name(version: str) -> str:
    return f"weights/fast-{version}.pt"


def _fast_weights(version: str, weights_path: str | None) -> bytes:
    if weights_path:
        p = Path(weights_path)
        if not p.is_file():
            raise FileNotFoundError(f"fast encoder weights not found: {weights_path}")
        return p.read_bytes()
    # pkgutil reads package data from a folder, a wheel or a --py-files zip alike.
    try:
        data = pkgutil.get_data("embeddings", packaged_weights_name(version))
    except FileNotFoundError:
        data = None
    if not data:
        raise FileNotFoundError(
            f"no packaged fast encoder weights for version {version!r} "
            f"(embeddings/{packaged_weights_name(version)})"
        )
    return data


def load_encoder(
    name: str, version: str = "v1", weights_path: str | None = None, batch_size: int = 1024
) -> Encoder:
    """The named encoder (`fast` or `minilm`), cached per process."""
    key = (name, version, weights_path, batch_size)
    if key in _CACHE:
        return _CACHE[key]
    if name == "fast":
        from embeddings.fast import FastEncoder, load_weights

        module, file_version, _ = load_weights(_fast_weights(version, weights_path))
        if not weights_path and file_version != version:
            raise ValueError(f"packaged weights say version {file_version!r}, not {version!r}")
        encoder: Encoder = FastEncoder(module, file_version, batch_size=batch_size)
    elif name == "minilm":
        from embeddings.minilm import MiniLMEncoder

        encoder = MiniLMEncoder(batch_size=batch_size)
    else:
        raise ValueError(f"unknown encoder {name!r}; expected one of {', '.join(ENCODERS)}")
    _CACHE[key] = encoder
    return encoder
