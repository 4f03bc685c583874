"""Blocking: exact keys, MinHash band keys, the union, and the skew guard."""

import numpy as np
import pyarrow as pa
import pytest
from pyspark.sql import functions as F

from blocking import candidate_pairs, guarded_blocks, lsh_threshold
from blocking.candidates import block_pairs, key_pairs, record_blocks
from blocking.exact_keys import exact_keys
from blocking.grouped_keys import group_rows, whole_keys
from blocking.minhash import BandHasher, jaccard_of, jaccards, plausible, shingle_hash, shingles
from blocking.registry import exact_blockers
from catalog.normalise import normalise
from conf.config import MinHashConfig, load_config
from tests.helpers import catalog


def _records(spark, cfg, rows):
    return normalise(catalog(spark, rows), cfg.normalise)


def _pairs(spark, cfg, rows):
    pairs, report = candidate_pairs(_records(spark, cfg, rows), cfg.blocking)
    return {(r.record_id_l, r.record_id_r): set(r.blocked_by) for r in pairs.collect()}, report


@pytest.mark.stage
def test_candidate_pairs_come_back_checkpointed_and_keep_nothing_else(spark):
    cfg = load_config(None, [])
    rows = [
        dict(record_id=f"r{i}", title=t, artists="Neon Islands", duration_ms=200_000 + i)
        for i, t in enumerate(["Glass Harbour", "Glass Harbor", "Glass Harbour (Live)", "Dust"])
    ]
    records = _records(spark, cfg, rows).cache()
    records.count()
    jvm = spark.sparkContext._jsc
    before = set(jvm.getPersistentRDDs().keySet())
    pairs, _ = candidate_pairs(records, cfg.blocking)
    # Only the pairs themselves: the index, key tables and texts blocking
    # kept on the way are released. Compared by id, not by count: Spark's
    # context cleaner may drop RDDs that earlier tests let go of meanwhile.
    assert len(set(jvm.getPersistentRDDs().keySet()) - before) == 1
    # Later stages read the computed pairs, not blocking's joins again.
    plan = pairs._jdf.queryExecution().optimizedPlan().toString()
    assert "Join" not in plan and "Aggregate" not in plan
    assert pairs.count() >= 1


def test_a_local_session_caps_the_plan_text(spark):
    # Every query's SQL event describes its plan; uncapped, the text of
    # blocking's plan slowed every later query of a local run.
    assert spark.conf.get("spark.sql.maxPlanStringLength") == "1000000"


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
    assert shingles("ab", 3) == {" ab", "ab "}
    assert shingles("a", 4) == {" a  "}
    assert shingles(None, 3) == set()


def test_vectorised_signatures_equal_datasketch_minhash():
    from datasketch import MinHash

    cfg = MinHashConfig(bands=8, rows=4)
    texts = ["bohemianrhapsodyqueen", "ab", "x", "Ωμέγαλέξη", "本気にしないて", "intro"]
    signatures = BandHasher(cfg).signatures(texts)
    for text, signature in zip(texts, signatures, strict=True):
        reference = MinHash(num_perm=32, seed=cfg.seed, scheme="affine32", hashfunc=shingle_hash)
        reference.update_batch(sorted(shingles(text, cfg.shingle_size)))
        assert np.array_equal(reference.hashvalues, signature), text


def test_jaccard_of_counts_shared_shingles():
    assert jaccard_of("abc", "abc", 3) == 1.0
    assert jaccard_of("abc", "", 3) == 0.0
    # " abcd " and " abce ": 4 shingles each, " ab", "abc" shared
    assert jaccard_of("abcd", "abce", 3) == pytest.approx(2 / 6)


@pytest.mark.parametrize("size", [2, 3, 4])
def test_batched_jaccards_equal_the_one_pair_reference(size):
    texts = [
        "abc",
        "abcd",
        "abce",
        "",
        None,
        "a",
        "aaaa",
        "sky" * 9,
        "rainsky",
        "sigur rós",
        "日本語の歌",
        "😀dance",
        "dance😀",
        "ü€x",
        "x",
    ]
    left = [a for a in texts for _ in texts]
    right = [b for _ in texts for b in texts]
    expected = [jaccard_of(a, b, size) for a, b in zip(left, right, strict=True)]
    assert jaccards(left, right, size).tolist() == expected
    # A text beyond the BMP must not bend its batch-mates' figures.
    assert jaccards(["😀ab", "abcd"], ["😀ab", "abce"], size)[1] == jaccard_of("abcd", "abce", size)


@pytest.mark.stage
def test_minhash_pairs_below_the_jaccard_floor_are_dropped(spark):
    rows = [
        {"record_id": "a", "title": "Bohemian Rhapsody", "artists": "Queen"},
        {"record_id": "b", "title": "Bohemian Rhapsdoy", "artists": "Queen"},
        {"record_id": "c", "title": "Bohemian Rhapsody Live Aid Intro", "artists": "Queens Choir"},
    ]
    loose = load_config(
        None,
        ["blocking.exact_keys=[]", "blocking.minhash.bands=64", "blocking.minhash.rows=1"],
    )
    pairs_loose, _ = _pairs(spark, loose, rows)
    assert {("a", "c"), ("a", "b")} <= set(pairs_loose)
    floored = load_config(
        None,
        [
            "blocking.exact_keys=[]",
            "blocking.minhash.bands=64",
            "blocking.minhash.rows=1",
            "blocking.minhash.similarity_floor=0.6",
        ],
    )
    pairs_floored, _ = _pairs(spark, floored, rows)
    assert ("a", "b") in pairs_floored
    assert ("a", "c") not in pairs_floored


def test_plausible_needs_the_title_or_the_length_once_the_text_is_similar():
    cfg = MinHashConfig(similarity_floor=0.4, title_floor=0.2, max_duration_gap_s=5)
    artist = "stybreijonandthesuns"
    # One artist's two songs: the long artist name carries the text over the floor.
    assert jaccard_of("sky" + artist, "rain" + artist, 3) >= 0.4
    assert not plausible("sky" + artist, "rain" + artist, "sky", "rain", 160.0, 241.0, cfg)
    # ... unless their lengths agree, or one length is unknown.
    assert plausible("sky" + artist, "rain" + artist, "sky", "rain", 160.0, 163.0, cfg)
    assert plausible("sky" + artist, "rain" + artist, "sky", "rain", None, 241.0, cfg)
    # A typo keeps enough of the title even when the lengths disagree.
    assert plausible("sky" + artist, "skyy" + artist, "sky", "skyy", 160.0, 241.0, cfg)
    # Below the text floor nothing else counts.
    assert not plausible("sky" + artist, "sky" + "queen", "sky", "sky", 160.0, 160.0, cfg)


@pytest.mark.stage
def test_one_artists_other_songs_are_not_minhash_pairs(spark):
    artist = "Stybreijon and the Suns"
    rows = [
        {"record_id": "a", "title": "Sky", "artists": artist, "duration_ms": "160000"},
        {"record_id": "b", "title": "Rain", "artists": artist, "duration_ms": "241000"},
        {"record_id": "c", "title": "Skyy", "artists": artist, "duration_ms": "161000"},
    ]
    only_minhash = [
        "blocking.exact_keys=[]",
        "blocking.minhash.bands=64",
        "blocking.minhash.rows=1",
    ]
    pairs, _ = _pairs(spark, load_config(None, only_minhash), rows)
    assert ("a", "c") in pairs
    assert ("a", "b") not in pairs and ("b", "c") not in pairs
    off = only_minhash + ["blocking.minhash.title_floor=0"]
    pairs_off, _ = _pairs(spark, load_config(None, off), rows)
    assert ("a", "b") in pairs_off


@pytest.mark.stage
def test_a_common_title_at_one_length_needs_the_texts_to_agree(spark):
    """A pair only `title_duration` proposed is kept when title+artist reach
    `text_floor`, or when a record has no artist to compare."""
    rows = [
        {"record_id": "a", "title": "Intro", "artists": "Stybreijon and the Suns"},
        {"record_id": "b", "title": "Intro", "artists": "Kalmavoq Trellis"},
        {"record_id": "c", "title": "Intro", "artists": "Stybreijon and the Sun"},
        {"record_id": "d", "title": "Intro", "artists": ""},
    ]
    rows = [{**r, "duration_ms": "60000"} for r in rows]
    only_title_duration = ["blocking.exact_keys=[title_duration]", "blocking.minhash.enabled=false"]
    pairs, _ = _pairs(spark, load_config(None, only_title_duration), rows)
    assert set(pairs) == {("a", "c"), ("a", "d"), ("b", "d"), ("c", "d")}
    assert pairs[("a", "c")] == {"title_duration"}
    floor_off = only_title_duration + ["blocking.text_floor=0"]
    pairs_off, _ = _pairs(spark, load_config(None, floor_off), rows)
    assert ("a", "b") in pairs_off and len(pairs_off) == 6


@pytest.mark.stage
def test_release_position_pairs_records_whose_text_shares_nothing(spark, cfg):
    pairs, _ = _pairs(
        spark,
        cfg,
        [
            # one feed blanked the non-Latin title and artist
            {
                "record_id": "1",
                "title": "分裂",
                "artists": "王菲",
                "album": "Fuzao",
                "track_number": "4",
                "duration_ms": "243000",
                "release_year": "1997",
            },
            {
                "record_id": "2",
                "title": "004",
                "album": "Fuzao",
                "track_number": "04",
                "duration_ms": "243.4",
                "release_year": "1997",
            },
        ],
    )
    assert pairs[("1", "2")] >= {"album_track_duration", "track_year_duration"}


@pytest.mark.stage
def test_a_blanked_record_pairs_by_position_and_length_alone(spark):
    """A feed that blanked the text and the year: `track_duration` pairs it
    with the record at its position and length to the second, not with the
    one a few seconds longer, and a crowded block goes to the skew guard."""
    base = {"title": "分裂", "artists": "王菲", "album": "Fuzao", "release_year": "1997"}
    rows = [
        {"record_id": "1", **base, "track_number": "4", "duration_ms": "243000"},
        {"record_id": "2", "title": "004", "track_number": "04", "duration_ms": "243.4"},
        {"record_id": "3", "title": "004", "track_number": "4", "duration_ms": "246"},
    ]
    only = ["blocking.exact_keys=[track_duration]", "blocking.minhash.enabled=false"]
    pairs, _ = _pairs(spark, load_config(None, only), rows)
    assert set(pairs) == {("1", "2")}
    crowd = [
        {"record_id": f"c{i}", "title": "004", "track_number": "4", "duration_ms": "243.2"}
        for i in range(5)
    ]
    pairs, report = _pairs(spark, load_config(None, only), rows + crowd)
    assert not pairs
    assert report.dropped_keys >= 1


@pytest.mark.stage
def test_text_in_another_field_pairs_records_of_one_length(spark):
    """One feed filed the track title as the credit and the release title as
    the title: no key that reads a field as itself pairs it; `text_duration`
    does, and only at the same length."""
    rows = [
        {
            "record_id": "a",
            "title": "Exalted Above Thrones",
            "artists": "Naglfar",
            "album": "Vittra",
            "duration_ms": "376000",
        },
        {
            "record_id": "b",
            "title": "Vittra",
            "artists": "Exalted Above Thrones",
            "duration_ms": "376.08",
        },
        {
            "record_id": "c",
            "title": "Vittra",
            "artists": "Exalted Above Thrones",
            "duration_ms": "290000",
        },
    ]
    others = [
        "isrc",
        "title_artist",
        "title_duration",
        "artist_duration",
        "album_track_duration",
        "track_year_duration",
    ]
    without = [f"blocking.exact_keys=[{','.join(others)}]", "blocking.minhash.enabled=false"]
    pairs, _ = _pairs(spark, load_config(None, without), rows)
    assert ("a", "b") not in pairs
    with_key = [
        f"blocking.exact_keys=[{','.join(others)},text_duration]",
        "blocking.minhash.enabled=false",
    ]
    pairs, _ = _pairs(spark, load_config(None, with_key), rows)
    assert pairs[("a", "b")] == {"text_duration"}
    assert ("a", "c") not in pairs
    # b and c share their text, not their length: other keys pair them.
    assert "text_duration" not in pairs[("b", "c")]


@pytest.mark.stage
def test_text_in_another_field_pairs_records_at_one_position(spark):
    """A feed with no lengths that filed the track title as the credit: no
    key with a length pairs it, nor any key that reads a field as itself;
    `text_track` does, and only at the same track number."""
    rows = [
        {
            "record_id": "a",
            "title": "Exalted Above Thrones",
            "artists": "Naglfar",
            "album": "Vittra",
            "track_number": "3",
            "duration_ms": "376000",
        },
        {
            "record_id": "b",
            "title": "Vittra",
            "artists": "Exalted Above Thrones",
            "track_number": "03",
        },
        {
            "record_id": "c",
            "title": "Vittra",
            "artists": "Exalted Above Thrones",
            "track_number": "7",
        },
    ]
    others = [
        "isrc",
        "title_artist",
        "title_duration",
        "artist_duration",
        "album_track_duration",
        "track_year_duration",
        "text_duration",
    ]
    without = [f"blocking.exact_keys=[{','.join(others)}]", "blocking.minhash.enabled=false"]
    pairs, _ = _pairs(spark, load_config(None, without), rows)
    assert ("a", "b") not in pairs
    with_key = [
        f"blocking.exact_keys=[{','.join(others)},text_track]",
        "blocking.minhash.enabled=false",
    ]
    pairs, _ = _pairs(spark, load_config(None, with_key), rows)
    assert pairs[("a", "b")] == {"text_track"}
    assert ("a", "c") not in pairs
    assert "text_track" not in pairs[("b", "c")]


@pytest.mark.stage
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


@pytest.mark.stage
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


@pytest.mark.stage
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
    # (Not "Various Artists": that is no credit, so it makes no title_artist key.)
    rows = [{"record_id": str(i), "title": "Intro", "artists": "Anon"} for i in range(5)]
    rows += [
        {"record_id": "x", "title": "Song", "artists": "A"},
        {"record_id": "y", "title": "Song", "artists": "A"},
    ]
    pairs, report = _pairs(spark, cfg, rows)
    assert pairs == {("x", "y"): {"title_artist"}}
    assert (report.dropped_keys, report.largest_block, report.dropped_memberships) == (1, 5, 5)


def test_a_blocker_cap_drops_only_that_blockers_blocks(spark):
    keys = spark.createDataFrame(
        [(str(i), "audio", b, "k") for i in range(3) for b in ("track_year_duration", "isrc")],
        "record_id string, kind_norm string, blocker string, key string",
    )
    blocks, report = guarded_blocks(keys, "record_id", 3, caps={"track_year_duration": 2})
    assert {r.blocker for r in blocks.collect()} == {"isrc"}
    assert (report.dropped_keys, report.largest_block) == (1, 3)


def test_the_skew_guard_keeps_blocks_at_the_limit(spark):
    keys = spark.createDataFrame(
        [(str(i), "audio", "k", "big") for i in range(3)],
        "record_id string, kind_norm string, blocker string, key string",
    )
    blocks, report = guarded_blocks(keys, "record_id", 3)
    assert [r.members for r in blocks.collect()] == [["0", "1", "2"]]
    assert report.dropped_keys == 0


def _keys(spark, rows):
    return spark.createDataFrame(
        rows, "record_id string, kind_norm string, blocker string, key string"
    )


def test_guarded_blocks_pair_each_blocks_members_once_and_report_the_dropped(spark):
    rows = [(r, "audio", "title_artist", "a") for r in ("1", "2", "3", "1")]
    rows += [(str(i), "audio", "title_artist", "big") for i in range(10, 14)]
    rows += [("9", "audio", "title_artist", "alone")]
    blocks, report = guarded_blocks(_keys(spark, rows), "record_id", 4)
    # At a limit of 4 both blocks are kept: a block's size counts its rows.
    assert (report.dropped_keys, report.largest_block) == (0, 0)
    pairs = {(r.record_id_l, r.record_id_r) for r in block_pairs(blocks, "record_id").collect()}
    assert pairs == {("1", "2"), ("1", "3"), ("2", "3")} | {
        (a, b) for a in ("10", "11", "12", "13") for b in ("10", "11", "12", "13") if a < b
    }
    blocks, report = guarded_blocks(_keys(spark, rows), "record_id", 3)
    assert (report.dropped_keys, report.dropped_memberships, report.largest_block) == (2, 8, 4)
    assert report.examples == ["title_artist:a (4)", "title_artist:big (4)"]
    assert block_pairs(blocks, "record_id").count() == 0


def test_guarded_blocks_weigh_rows_by_the_records_they_stand_for(spark):
    texts = spark.createDataFrame(
        [("t1", "audio", "minhash", "b", 2), ("t2", "audio", "minhash", "b", 2)],
        "tid string, kind_norm string, blocker string, key string, records long",
    )
    _, report = guarded_blocks(texts, "tid", 3, weight="records")
    assert (report.dropped_keys, report.largest_block) == (1, 4)
    blocks, report = guarded_blocks(texts, "tid", 4, weight="records")
    assert report.dropped_keys == 0
    assert [(r.tid_l, r.tid_r) for r in block_pairs(blocks, "tid").collect()] == [("t1", "t2")]


def test_long_members_are_grouped_as_sparks_set_aggregate_groups_them(spark):
    """64-bit members (record and text hashes) are grouped by numpy per
    partition (`blocking.grouped_keys`), others by Spark's `collect_set`:
    both give the same blocks and the same report, repeats, weights and caps
    included."""
    rows = [(m, "audio", "title_artist", "a", 1) for m in (3, 1, 2, 1)]
    rows += [(m, "audio", "title_artist", "big", 1) for m in range(10, 15)]
    rows += [(m, "audio", "track_year_duration", "capped", 1) for m in (20, 21, 22)]
    rows += [(30, "audio", "isrc", "alone", 1), (30, "audio", "isrc", "alone", 1)]
    rows += [(40, "audio", "minhash", "heavy", 3), (41, "audio", "minhash", "heavy", 2)]
    rows += [(m, "video", "title_artist", "a", 1) for m in (50, 51)]
    schema = "m long, kind_norm string, blocker string, key string, w long"
    longs = spark.createDataFrame(rows, schema).repartition(3)
    strings = longs.withColumn("m", F.col("m").cast("string"))
    caps = {"track_year_duration": 2}

    def grouped(keys):
        blocks, report = guarded_blocks(keys, "m", 4, weight="w", caps=caps)
        members = sorted((r.blocker, [int(m) for m in r.members]) for r in blocks.collect())
        return members, report

    by_numpy, by_spark = grouped(longs), grouped(strings)
    assert by_numpy == by_spark
    members, report = by_numpy
    assert members == [
        ("title_artist", [1, 2, 3]),
        ("title_artist", [50, 51]),
    ]
    assert report.examples == [
        "title_artist:big (5)",
        "minhash:heavy (5)",
        "track_year_duration:capped (3)",
    ]


def test_a_keys_rows_are_grouped_whole_across_batches_and_summed_once_over():
    """Sorted key rows arrive in batches: a key reaching past a batch waits
    for the next, and one over its limit waits as a single summed row."""
    rows = [(1, 5), (1, 6), (2, 5), (2, 6), (2, 7), (3, 8)] + [(4, m) for m in range(9)]
    # Not null where Spark says so: a summed row must keep the schema.
    longs = ("key_id", "_member", "_weight", "_limit")
    schema = pa.schema(
        [
            pa.field(n, pa.int64() if n in longs else pa.string(), nullable=n not in longs)
            for n in ("key_id", "blocker", "key", "_member", "_weight", "_limit")
        ]
    )
    table = pa.table(
        [
            [k for k, _ in rows],
            ["b"] * len(rows),
            [f"k{k}" for k, _ in rows],
            [m for _, m in rows],
            [1] * len(rows),
            [4] * len(rows),
        ],
        schema=schema,
    )
    batches = table.to_batches(max_chunksize=2)
    wholes = list(whole_keys(batches))
    for whole in wholes:
        held = set(whole.column("key_id").to_pylist())
        assert all(
            k not in held
            for other in wholes
            if other is not whole
            for k in other.column("key_id").to_pylist()
        )
    # Key 4's nine rows never wait together: past its limit they are one row.
    assert max(w.num_rows for w in wholes) <= 2 + 2
    grouped = pa.concat_tables(group_rows(w) for w in wholes).to_pylist()
    assert grouped == [
        {"key_id": 1, "blocker": "b", "block_size": 2, "key": None, "members": [5, 6]},
        {"key_id": 2, "blocker": "b", "block_size": 3, "key": None, "members": [5, 6, 7]},
        {"key_id": 4, "blocker": "b", "block_size": 9, "key": "k4", "members": None},
    ]


def test_every_blockers_keys_are_computed_once_for_their_pairs(spark, cfg):
    # A self-join of the keys computed them once per side: Spark reuses no
    # shuffle across the two sides of a checkpointed input.
    records = _records(spark, cfg, [{"record_id": "1", "title": "Song", "artists": "A"}])
    two = {k: v for k, v in exact_blockers(cfg.blocking).items() if k in ("isrc", "title_artist")}
    keys = exact_keys(records.localCheckpoint(), two)
    blocks, _ = record_blocks(keys, 100)
    plan = key_pairs(blocks)._jdf.queryExecution().optimizedPlan().toString()
    # Each blocker's keys read the records once.
    assert plan.count("LogicalRDD") == 2


def test_a_title_with_appended_values_pairs_by_its_first_words_and_length(spark):
    """An export appended the credit and genre words to one feed's title:
    `title_head_duration` pairs it with the plain record by the title's first
    words and the length; a record of another length or another start is
    not proposed."""
    rows = [
        {
            "record_id": "1",
            "title": "The Tin Man",
            "artists": "Kenny Chesney",
            "duration_ms": "205",
        },
        {
            "record_id": "2",
            "title": "The Tin Man Kenny Chesney Country , Music , Urban Cowboy",
            "duration_ms": "206",
        },
        {
            "record_id": "3",
            "title": "The Tin Man",
            "artists": "Kenny Chesney",
            "duration_ms": "240",
        },
        {"record_id": "4", "title": "Tin Man", "artists": "Kenny Chesney", "duration_ms": "205"},
        {"record_id": "5", "title": "Firefly", "artists": "Ed Sheeran", "duration_ms": "269"},
        {"record_id": "6", "title": "Firefly Ed Sheeran Singer/Songwriter", "duration_ms": "269"},
    ]
    only = ["blocking.exact_keys=[title_head_duration]", "blocking.minhash.enabled=false"]
    pairs, _ = _pairs(spark, load_config(None, only), rows)
    assert set(pairs) == {("1", "2"), ("5", "6")}
    assert pairs[("1", "2")] == {"title_head_duration"}


@pytest.mark.stage
def test_title_head_pairs_of_two_credited_records_meet_the_text_floor(spark):
    """The key lets the artist differ, so two credited records it alone
    proposes need `text_floor`: two artists' songs that start alike and run
    as long are not candidates."""
    rows = [
        {
            "record_id": "1",
            "title": "Love Me Tender",
            "artists": "Elvis Presley",
            "duration_ms": "170",
        },
        {"record_id": "2", "title": "Love Me Do", "artists": "The Beatles", "duration_ms": "171"},
    ]
    only = ["blocking.exact_keys=[title_head_duration]", "blocking.minhash.enabled=false"]
    pairs, _ = _pairs(spark, load_config(None, only), rows)
    assert not pairs
    pairs, _ = _pairs(spark, load_config(None, [*only, "blocking.text_floor=0"]), rows)
    assert set(pairs) == {("1", "2")}
