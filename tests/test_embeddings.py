"""Encoders, SimHash band keys, embedding blocking and the encoder trainer."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from blocking import (
    band_collision_probability,
    candidate_pairs,
    describe_minhash,
    embed_records,
    embedding_pairs,
    simhash_threshold,
)
from blocking.embedding import hyperplanes, simhash_band_keys
from catalog.generator import RESERVED_SEEDS
from catalog.normalise import normalise
from conf.config import load_config
from conf.errors import ConfigError, InputError
from embeddings import load_encoder
from embeddings.fast import (
    FastEncoder,
    FastEncoderModule,
    FastEncoderSpec,
    hashed_ngrams,
    load_weights,
    save_weights,
)
from tests.conftest import ROOT
from tests.helpers import catalog

NEAR = ["bohemian rhapsody queen", "bohemian rhapsdoy queen", "bohemianrhapsody queen"]
FAR = ["stairway to heaven led zeppelin", "hey jude beatles", "intro various"]


@pytest.fixture(scope="module")
def fast():
    return load_encoder("fast")


@pytest.fixture(scope="module")
def minilm():
    return load_encoder("minilm")


def _cos(encoder, a, b):
    va, vb = encoder.encode([a, b])
    return float(va @ vb)


@pytest.mark.parametrize("name", ["fast", "minilm"])
def test_encoders_return_unit_float32_rows_and_zero_for_empty_text(name, fast, minilm):
    encoder = {"fast": fast, "minilm": minilm}[name]
    out = encoder.encode(NEAR + FAR + [""])
    assert out.dtype == np.float32 and out.shape == (7, encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(out[:-1], axis=1), 1.0, atol=1e-5)
    assert not out[-1].any()
    np.testing.assert_array_equal(out, encoder.encode(NEAR + FAR + [""]))
    # a text's vector does not depend on the batch it came in (up to float rounding)
    np.testing.assert_allclose(out[:3], encoder.encode(NEAR), atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.dim)


@pytest.mark.parametrize("name", ["fast", "minilm"])
def test_a_typo_stays_closer_than_another_song(name, fast, minilm):
    encoder = {"fast": fast, "minilm": minilm}[name]
    near = min(_cos(encoder, NEAR[0], other) for other in NEAR[1:])
    far = max(_cos(encoder, NEAR[0], other) for other in FAR)
    # MiniLM's subword tokens make typos costly (0.62 vs 0.47 here); the fast
    # encoder's character n-grams do not.
    assert near > far + (0.2 if name == "fast" else 0.1)


def test_fast_encoder_separates_typos_from_other_songs_at_the_configured_floor(fast):
    floor = load_config().blocking.embedding.similarity_floor
    assert all(_cos(fast, NEAR[0], other) >= floor for other in NEAR[1:])
    assert all(_cos(fast, NEAR[0], other) < floor for other in FAR)
    # same artist, different song: the pair blocking must not propose
    assert _cos(fast, "bohemian rhapsody queen", "somebody to love queen") < floor


def test_encoders_are_loaded_once_per_process():
    assert load_encoder("fast") is load_encoder("fast")
    assert load_encoder("minilm") is load_encoder("minilm")


def test_packaged_weights_describe_themselves(fast):
    assert (fast.name, fast.version, fast.dim) == ("fast", "v1", 64)
    weights = ROOT / "embeddings" / "weights" / "fast-v1.pt"
    assert weights.stat().st_size <= 5_000_000
    _, version, provenance = load_weights(weights)
    assert version == "v1"
    used = {int(s) for s in provenance["seeds"].split(",")} | {provenance["validation_seed"]}
    assert not RESERVED_SEEDS & used


def test_minilm_without_its_extra_names_the_extra(monkeypatch):
    """The MiniLM encoder's packages are an extra: without them, the driver's
    check and the encoder itself say which install brings them."""
    from embeddings import minilm

    minilm.require()  # installed here (the dev extra pulls in minilm)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ConfigError, match=r"sentence-transformers.*tracklink\[minilm\]"):
        minilm.require()
    with pytest.raises(ConfigError, match=r"tracklink\[minilm\]"):
        minilm.MiniLMEncoder()


def test_unknown_encoder_or_weights_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="unknown encoder"):
        load_encoder("bert")
    with pytest.raises(FileNotFoundError, match="version 'v0'"):
        load_encoder("fast", version="v0")
    with pytest.raises(FileNotFoundError, match="not found"):
        load_encoder("fast", weights_path=str(tmp_path / "missing.pt"))
    (tmp_path / "junk.pt").write_bytes(b"not torch")
    with pytest.raises(ValueError, match="not a tracklink-fast-encoder"):
        load_encoder("fast", weights_path=str(tmp_path / "junk.pt"))


def test_weights_round_trip_through_a_file(tmp_path):
    import torch

    torch.manual_seed(3)
    module = FastEncoderModule(FastEncoderSpec(buckets=256, hidden=8, mlp=16, dim=8))
    path = tmp_path / "tiny.pt"
    save_weights(module, path, "t1", {"seeds": "5"})
    loaded, version, provenance = load_weights(path)
    assert (version, provenance, loaded.spec) == ("t1", {"seeds": "5"}, module.spec)
    # stored as float16: equal to the original within half precision
    a = FastEncoder(module, "t1").encode(NEAR)
    b = FastEncoder(loaded, "t1").encode(NEAR)
    np.testing.assert_allclose(a, b, atol=5e-3)
    save_weights(loaded, tmp_path / "again.pt", "t1", {"seeds": "5"})
    np.testing.assert_array_equal(
        FastEncoder(load_weights(tmp_path / "again.pt")[0], "t1").encode(NEAR), b
    )


def test_ngram_hashing_is_the_same_in_another_process():
    texts = ["héllo wörld", "", "a", "bohemian rhapsody queen"]
    ids, offsets = hashed_ngrams(texts, (2, 3, 4), 1 << 15)
    code = (
        "from embeddings.fast import hashed_ngrams; "
        f"ids, off = hashed_ngrams({texts!r}, (2, 3, 4), 1 << 15); "
        "print(ids.tolist(), off.tolist())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == f"{ids.tolist()} {offsets.tolist()}"
    # " a " has two 2-grams and one 3-gram; "" has none
    assert np.diff(np.append(offsets, len(ids))).tolist()[1:3] == [0, 3]


def test_simhash_keys_depend_only_on_seed_and_vector():
    v = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    v[2] = 0
    a = simhash_band_keys(v, hyperplanes(16, 4, 8, seed=1), 4, 8)
    assert a == simhash_band_keys(v, hyperplanes(16, 4, 8, seed=1), 4, 8)
    assert a != simhash_band_keys(v, hyperplanes(16, 4, 8, seed=2), 4, 8)
    assert len(a[0]) == 4 and a[2] == []


def test_simhash_s_curve():
    assert band_collision_probability(1.0, 16, 12) == pytest.approx(1.0)
    at = band_collision_probability(simhash_threshold(16, 12), 16, 12)
    assert at == pytest.approx(1 - (1 - 1 / 16) ** 16)
    assert band_collision_probability(0.3, 16, 12) < 0.05


def test_embedding_config_is_validated():
    cfg = load_config(None, ["blocking.embedding.enabled=true"]).blocking.embedding
    assert cfg.enabled and cfg.encoder == "fast"
    with pytest.raises(ConfigError, match="blocking.embedding.encoder"):
        load_config(None, ["blocking.embedding.encoder=bert"])
    with pytest.raises(ConfigError, match="blocking.embedding.similarity_floor"):
        load_config(None, ["blocking.embedding.similarity_floor=1.5"])
    with pytest.raises(ConfigError, match="blocking.embedding.band: unknown key"):
        load_config(None, ["blocking.embedding.band=3"])
    for name in ("local.yaml", "cluster.yaml"):
        load_config(str(ROOT / "conf" / name))


ROWS = [
    {"record_id": "a", "title": "Bohemian Rhapsody", "artists": "Queen"},
    {"record_id": "b", "title": "Bohemian Rhapsdoy", "artists": "Queen"},
    {"record_id": "c", "title": "Somebody to Love", "artists": "Queen"},
    {"record_id": "d", "title": "Stairway to Heaven", "artists": "Led Zeppelin"},
    {"record_id": "e", "title": "Bohemian Rhapsody", "artists": "Queen", "kind": "video"},
]


def _embedding_cfg(extra=()):
    return load_config(
        None,
        [
            "blocking.embedding.enabled=true",
            "blocking.minhash.enabled=false",
            "blocking.exact_keys=[]",
            *extra,
        ],
    )


def test_embedding_blocker_pairs_a_typo_and_nothing_else(spark):
    cfg = _embedding_cfg()
    records = normalise(catalog(spark, ROWS), cfg.normalise)
    pairs, report = embedding_pairs(records, cfg.blocking.embedding, cfg.blocking.max_block_size)
    got = {(r.record_id_l, r.record_id_r): r.cosine for r in pairs.collect()}
    assert set(got) == {("a", "b")}
    assert got[("a", "b")] >= cfg.blocking.embedding.similarity_floor
    assert report.dropped_keys == 0


@pytest.mark.stage
def test_union_names_the_embedding_blocker(spark):
    cfg = load_config(None, ["blocking.embedding.enabled=true"])
    records = normalise(catalog(spark, ROWS[:2]), cfg.normalise)
    pairs, _ = candidate_pairs(records, cfg.blocking)
    (row,) = pairs.collect()
    assert (row.record_id_l, row.record_id_r) == ("a", "b")
    assert set(row.blocked_by) == {"embedding", "minhash"}
    assert row.blocked_by == sorted(row.blocked_by)
    assert "embedding (fast) 24 bands x 12 bits" in describe_minhash(cfg.blocking)


def test_the_floor_removes_pairs_that_share_a_band(spark):
    # one bit per band: almost every pair collides, only the floor decides
    cfg = _embedding_cfg(["blocking.embedding.bits_per_band=1", "blocking.embedding.bands=2"])
    records = normalise(catalog(spark, ROWS[:4]), cfg.normalise)
    pairs, _ = embedding_pairs(records, cfg.blocking.embedding, cfg.blocking.max_block_size)
    assert {(r.record_id_l, r.record_id_r) for r in pairs.collect()} == {("a", "b")}


def test_embedding_band_keys_are_the_same_on_every_run(spark):
    cfg = _embedding_cfg()
    records = normalise(catalog(spark, ROWS), cfg.normalise)

    def keys():
        rows = embed_records(records, cfg.blocking.embedding).collect()
        return {r.record_id: tuple(r["keys"]) for r in rows}

    first = keys()
    assert first == keys()
    assert first["a"] == first["e"]  # same text; kind keeps them apart later


def test_embedding_skew_guard_drops_oversized_band_keys(spark):
    cfg = _embedding_cfg(["blocking.max_block_size=2"])
    rows = [{"record_id": str(i), "title": "Intro", "artists": "Various"} for i in range(4)]
    records = normalise(catalog(spark, rows), cfg.normalise)
    pairs, report = embedding_pairs(records, cfg.blocking.embedding, cfg.blocking.max_block_size)
    assert pairs.count() == 0
    assert report.dropped_keys == cfg.blocking.embedding.bands and report.largest_block == 4


def test_training_is_deterministic_and_pulls_pairs_together():
    from embeddings.training import seed_torch, train_epochs

    pairs = pd.DataFrame(
        {
            "a": ["bohemian rhapsody queen", "hey jude beatles", "yesterday beatles"] * 4,
            "b": ["bohemian rhapsdoy queen", "hey judе beatles", "yesterdy beatles"] * 4,
            "work": ["w1", "w2", "w3"] * 4,
            "artist": ["queen", "beatles", "beatles"] * 4,
        }
    )

    def trained():
        seed_torch(0)
        module = FastEncoderModule(FastEncoderSpec(buckets=512, hidden=16, mlp=16, dim=16))
        losses = [loss for _, loss in train_epochs(module, pairs, 3, 6, 0.01, 0.05, 0)]
        return module, losses

    (m1, l1), (m2, l2) = trained(), trained()
    assert l1 == l2 and l1[-1] < l1[0]
    for (k, v), w in zip(m1.state_dict().items(), m2.state_dict().values(), strict=True):
        assert torch_equal(v, w), k


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a, b))


def test_trainer_refuses_evaluation_seeds():
    from jobs.train_encoder import main

    with pytest.raises(InputError, match="reserved"):
        main(["--seeds", "1001,99", "--validation-seed", "1003", "--output", "x"])
    # One list for both trainers (catalog.generator.RESERVED_SEEDS).
    with pytest.raises(InputError, match="reserved"):
        main(["--seeds", "1001", "--validation-seed", "2025", "--output", "x"])
    with pytest.raises(InputError, match="differ"):
        main(["--seeds", "1001", "--validation-seed", "1001", "--output", "x"])
