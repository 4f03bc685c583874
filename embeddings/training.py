"""Contrastive training of the fast encoder (run by `jobs.train_encoder`):
positive pairs are two records of one recording; batches are filled artist by
artist, and a batch's other pairs, less those of the same song, are negatives."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from catalog.normalise import normalise_values
from catalog.schema import VALUE_COLUMNS, RawValues
from conf.config import NormaliseConfig
from embeddings.base import embedded_text


def catalogue_texts(raw: pd.DataFrame, cfg: NormaliseConfig) -> pd.DataFrame:
    """`text` (what the encoders embed), recording, work and artist of each record."""
    rows = [
        normalise_values(RawValues(*v), cfg)
        for v in zip(*(raw[c] for c in VALUE_COLUMNS), strict=True)
    ]
    return pd.DataFrame(
        {
            "text": [embedded_text(r[0], r[1]) for r in rows],
            "artist": [r[1] or "" for r in rows],
            "recording": raw["true_recording_id"].to_numpy(),
            "work": raw["true_work_id"].to_numpy(),
        }
    )


def positive_pairs(df: pd.DataFrame) -> pd.DataFrame:
    """Every pair of distinct records of one recording, with non-empty texts."""
    df = df[df["text"] != ""].reset_index(drop=True)
    left, right = [], []
    for idx in df.groupby("recording").indices.values():
        for i in range(len(idx)):
            for j in range(i + 1, len(idx)):
                left.append(idx[i])
                right.append(idx[j])
    a, b = df.loc[left].reset_index(drop=True), df.loc[right].reset_index(drop=True)
    return pd.DataFrame({"a": a["text"], "b": b["text"], "work": a["work"], "artist": a["artist"]})


def artist_batches(pairs: pd.DataFrame, batch_size: int, rng: np.random.Generator) -> list:
    """Index batches that keep an artist's pairs together (hard negatives)."""
    artists = pairs["artist"].unique()
    rank = dict(zip(artists, rng.permutation(len(artists)), strict=True))
    key = pairs["artist"].map(rank).to_numpy() + rng.random(len(pairs))
    order = np.argsort(key, kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def seed_torch(seed: int) -> None:
    """Same seed, same weights: one thread (summation order) and torch's
    deterministic kernels."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def train_epochs(
    module,
    pairs: pd.DataFrame,
    epochs: int,
    batch_size: int,
    lr: float,
    temperature: float,
    seed: int,
) -> Iterator[tuple[int, float]]:
    """Train `module` in place on positive pairs (`a`, `b`, `work`, `artist`);
    yields (epoch, mean loss) after each epoch."""
    import torch
    from torch.nn.functional import cross_entropy, normalize

    rng = np.random.default_rng(seed)
    optimiser = torch.optim.Adam(module.parameters(), lr=lr)
    works = pd.factorize(pairs["work"])[0]
    a_texts, b_texts = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    for epoch in range(epochs):
        module.train()
        losses = []
        for idx in artist_batches(pairs, batch_size, rng):
            a = normalize(module.embed(a_texts[idx].tolist()), dim=1)
            b = normalize(module.embed(b_texts[idx].tolist()), dim=1)
            logits = a @ b.T / temperature
            w = torch.from_numpy(works[idx])
            same_song = (w[:, None] == w[None, :]) & ~torch.eye(len(idx), dtype=torch.bool)
            logits = logits.masked_fill(same_song, float("-inf"))
            target = torch.arange(len(idx))
            loss = (cross_entropy(logits, target) + cross_entropy(logits.T, target)) / 2
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        yield epoch, float(np.mean(losses))


def validation_metrics(encoder, df: pd.DataFrame, floor: float, seed: int) -> dict[str, float]:
    """On held-out generated records: how close true pairs are, and how close
    random and same-artist pairs are."""
    pairs = positive_pairs(df)
    a, b = encoder.encode(pairs["a"].tolist()), encoder.encode(pairs["b"].tolist())
    pos = (a * b).sum(1)
    rng = np.random.default_rng(seed)
    texts = df.loc[df["text"] != "", "text"].to_numpy()
    i, j = rng.integers(0, len(texts), 5000), rng.integers(0, len(texts), 5000)
    ra, rb = encoder.encode(texts[i].tolist()), encoder.encode(texts[j].tolist())
    neg = (ra * rb).sum(1)
    return {
        "val_pos_cos_mean": float(pos.mean()),
        "val_pos_above_floor": float((pos >= floor).mean()),
        "val_random_cos_mean": float(neg.mean()),
        "val_random_above_floor": float((neg >= floor).mean()),
    }
