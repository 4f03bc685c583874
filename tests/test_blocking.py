"""Blocking: exact keys, MinHash band keys, the union, and the skew guard."""

import pytest

from blocking import candidate_pairs, guard_skew, lsh_threshold
from blocking.minhash import BandHasher, shingles
from catalog.normalise import normalise
from conf.config import MinHashConfig, load_config
from tests.helpers import catalog


def _records(spark, cfg, rows):
    return normalise(catalog(spark, rows), cfg.normalise)


def _pairs(spark, cfg, rows):
    pairs, report = candidate_pairs(_records(spark, cfg, rows), cfg.blocking)
    return {(r.record_id_l, r.record_id_r): set(r.blocked_by) for r in pairs.collect()}, report


def test_lsh_threshold_follows_the_s_curve():
    assert lsh_threshold(16, 4) == pytest.approx(0.5)
    assert lsh_threshold(24, 3) < lsh_threshold(16, 4)


def test_band_keys_are_deterministic_and_tolerate_a_typo():
    hasher = BandHasher(MinHashConfig(bands=24, rows=3))
    a = hasher.band_keys("bohemianrhapsodyqueen")
    assert a == BandHasher(MinHashConfig(bands=24, rows=3)).band_keys("bohemianrhapsodyqueen")
    assert set(a) & set(hasher.band_keys("bohemianrhapsodqueen"))
    assert not set(a) & set(hasher.band_keys("stairwaytoheavenledzeppelin"))
    assert hasher.band_keys("") == []


def test_shingles_pad_short_strings():
    assert shingles("ab", 3) == {b" ab", b"ab "}
    assert shingles(None, 3) == set()


def test_typo_variants_become_candidates_and_unrelated_songs_do_not(spark, cfg):
    pairs, _ = _pairs(
        spark,
        cfg,
        [
            {
                "record_id": "a",
                "title": "Bohemian Rhapsody",
                "artists": "Queen",
                "duration_ms": "354000",
            },
            {
                "record_id": "b",
                "title": "Bohemian Rhapsdoy",
                "artists": "Queen",
                "duration_ms": "355",
            },
            {
                "record_id": "c",
                "title": "Stairway to Heaven",
                "artists": "Led Zeppelin",
                "duration_ms": "482000",
            },
        ],
    )
    assert ("a", "b") in pairs
    assert "minhash" in pairs[("a", "b")]
    assert not any("c" in pair for pair in pairs)


def test_exact_keys_report_which_blocker_proposed_a_pair(spark, cfg):
    pairs, _ = _pairs(
        spark,
        cfg,
        [
            {
                "record_id": "1",
                "title": "Intro",
                "artists": "X",
                "isrc": "GBAYE0601498",
                "duration_ms": "60000",
            },
            {
                "record_id": "2",
                "title": "Completely Different",
                "artists": "Y",
                "isrc": "GB-AYE-06-01498",
            },
        ],
    )
    assert pairs == {("1", "2"): {"isrc"}}


def test_audio_and_video_records_are_never_paired(spark, cfg):
    pairs, _ = _pairs(
        spark,
        cfg,
        [
            {"record_id": "1", "title": "Hello", "artists": "Adele", "kind": "audio"},
            {"record_id": "2", "title": "Hello", "artists": "Adele", "kind": "video"},
        ],
    )
    assert pairs == {}


def test_skew_guard_drops_oversized_blocks_and_reports_them(spark):
    cfg = load_config(
        None,
        [
            "blocking.max_block_size=3",
            "blocking.minhash.enabled=false",
            "blocking.exact_keys=[title_artist]",
        ],
    )
    rows = [{"record_id": str(i), "title": "Intro", "artists": "Various"} for i in range(5)]
    rows += [
        {"record_id": "x", "title": "Song", "artists": "A"},
        {"record_id": "y", "title": "Song", "artists": "A"},
    ]
    pairs, report = _pairs(spark, cfg, rows)
    assert pairs == {("x", "y"): {"title_artist"}}
    assert (report.dropped_keys, report.largest_block, report.dropped_memberships) == (1, 5, 5)


def test_guard_skew_keeps_blocks_at_the_limit(spark):
    keys = spark.createDataFrame(
        [(str(i), "audio", "k", "big") for i in range(3)],
        "record_id string, kind_norm string, blocker string, key string",
    )
    kept, report = guard_skew(keys, 3)
    assert kept.count() == 3 and report.dropped_keys == 0
