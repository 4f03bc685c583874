"""The learned pair model: its features, training, calibration, packaging and rescoring."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conf.config import PairModelConfig
from linkage import FEATURES, PairModel, fit_pair_model, load_pair_model, pair_features, rescore
from runtime.errors import ConfigError

RECORD = {
    "title_norm": "yellow",
    "artist_norm": "coldplay",
    "artist_names": ["coldplay"],
    "album_norm": "parachutes",
    "duration_s": 266.0,
    "year": 2000,
    "isrc_norm": None,
    "track_no": 5,
    "version": None,
}


def _records(spark, rows):
    from pyspark.sql.types import (
        ArrayType,
        DoubleType,
        IntegerType,
        StringType,
        StructField,
        StructType,
    )

    schema = StructType(
        [
            StructField("record_id", StringType()),
            StructField("title_norm", StringType()),
            StructField("artist_norm", StringType()),
            StructField("artist_names", ArrayType(StringType())),
            StructField("album_norm", StringType()),
            StructField("duration_s", DoubleType()),
            StructField("year", IntegerType()),
            StructField("isrc_norm", StringType()),
            StructField("track_no", IntegerType()),
            StructField("version", StringType()),
        ]
    )
    data = [{**RECORD, **row} for row in rows]
    return spark.createDataFrame([[r.get(f.name) for f in schema.fields] for r in data], schema)


def _pairs(spark, ids, weight=8.0):
    return spark.createDataFrame(
        [(left, right, weight, 0.99, ["title_artist"]) for left, right in ids],
        "record_id_l string, record_id_r string, match_weight double, "
        "match_probability double, blocked_by array<string>",
    )


def test_features_measure_the_length_gap_and_the_version(spark):
    records = _records(
        spark,
        [
            {"record_id": "a"},
            {"record_id": "b", "duration_s": 278.0, "album_norm": None},
            {"record_id": "c", "version": "live"},
            {"record_id": "d", "version": "remaster"},
        ],
    )
    rows = {
        (r.record_id_l, r.record_id_r): r
        for r in pair_features(
            _pairs(spark, [("a", "b"), ("a", "c"), ("a", "d")]), records
        ).collect()
    }
    ab, ac, ad = rows[("a", "b")], rows[("a", "c")], rows[("a", "d")]
    assert ab.title_jw == pytest.approx(1.0)
    assert ab.duration_gap == pytest.approx(math.log1p(12.0), rel=1e-5)
    assert ab.duration_within_2s == 0.0 and ac.duration_within_2s == 1.0
    assert ab.album_missing == 1.0 and ac.album_missing == 0.0
    assert ac.version_same == 0.0 and ac.version_tagged == 1.0
    # A remaster is the original recording: same version class, untagged.
    assert ad.version_same == 1.0 and ad.version_tagged == 0.0
    assert ab.splink_weight == pytest.approx(0.8)


def test_pairs_carrying_both_records_values_get_the_same_features(spark):
    """Splink's predictions with matching columns retained carry both
    records' values: the features read them instead of joining the records."""
    from pyspark.sql import functions as F

    from linkage.pair_features import SIDE_COLUMNS, _sides

    records = _records(
        spark,
        [{"record_id": "a"}, {"record_id": "b", "duration_s": 278.0, "version": "live"}],
    )
    pairs = _pairs(spark, [("a", "b")])
    left, right = _sides(records)
    carrying = pairs.join(left, "record_id_l").join(right, "record_id_r")
    carrying = carrying.select(*pairs.columns, *SIDE_COLUMNS)
    joined = pair_features(pairs, records).collect()[0].asDict()
    # No records at all: the values come from the pairs alone.
    carried = pair_features(carrying, records.where(F.lit(False))).collect()[0].asDict()
    assert carried == joined
    assert not set(SIDE_COLUMNS) & set(carried)
    # Some of them only (a feed without ISRCs: Splink compares no ISRC and
    # retains none): the rest come from the records, nothing is duplicated.
    partial = carrying.drop("isrc_norm_l", "isrc_norm_r")
    assert pair_features(partial, records).collect()[0].asDict() == joined


def _separable(n=4000, seed=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(np.float64)
    x = rng.normal(size=(n, len(FEATURES)))
    x[:, 0] += 3 * (2 * y - 1)
    return x, y


def test_training_separates_and_calibrates_and_survives_a_round_trip():
    x, y = _separable()
    groups = np.arange(len(y)) % 97
    model, metrics = fit_pair_model(x, y, groups, epochs=40, provenance={"trained_on": "test"})
    p = model.probability(x)
    assert ((p >= 0.5) == (y == 1)).mean() > 0.95
    assert metrics["holdout_log_loss"] < 0.2
    again = PairModel.from_bytes(model.to_bytes())
    assert np.allclose(again.probability(x), p)
    assert again.provenance["trained_on"] == "test"


def test_a_model_for_other_features_is_refused():
    x, y = _separable(400)
    model, _ = fit_pair_model(x, y, np.arange(len(y)) % 7, epochs=1)
    model.features = (*FEATURES, "something_new")
    with pytest.raises(ValueError, match="retrain"):
        PairModel.from_bytes(model.to_bytes())


def test_missing_weights_are_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="linkage.pair_model.weights_path"):
        load_pair_model("v1", str(tmp_path / "nope.pt"))
    with pytest.raises(ConfigError, match="linkage.pair_model.version"):
        load_pair_model("v999")


def test_packaged_model_tells_a_version_by_its_length(spark):
    """Same title, artist and album: the same length is one recording; 25 s
    apart (a live take whose tag the feed dropped) is not."""
    records = _records(
        spark,
        [{"record_id": "a"}, {"record_id": "b"}, {"record_id": "c", "duration_s": 291.0}],
    )
    default = PairModelConfig().version
    scored = rescore(_pairs(spark, [("a", "b"), ("a", "c")]), records, load_pair_model(default))
    assert "splink_probability" in scored.columns
    p = {(r.record_id_l, r.record_id_r): r.match_probability for r in scored.collect()}
    assert p[("a", "b")] > 0.9
    assert p[("a", "c")] < p[("a", "b")]


def test_features_see_text_in_the_wrong_field(spark):
    """Title and credit swapped, or the credit packed into the title: the
    per-field similarities miss them; the crossed and all-text ones do not."""
    records = _records(
        spark,
        [
            {"record_id": "a"},
            {"record_id": "b", "title_norm": "coldplay", "artist_norm": "yellow"},
            {"record_id": "c", "title_norm": "coldplay yellow", "artist_norm": None},
            {"record_id": "d", "title_norm": "fix you", "album_norm": "x and y"},
        ],
    )
    pairs = _pairs(spark, [("a", "b"), ("a", "c"), ("a", "d")])
    rows = {(r.record_id_l, r.record_id_r): r for r in pair_features(pairs, records).collect()}
    swapped, packed, other = rows[("a", "b")], rows[("a", "c")], rows[("a", "d")]
    assert swapped.title_jw < 0.7 and swapped.artist_jw < 0.7
    assert swapped.crossed_title_artist > 0.3
    # Pooled, the words are the same (1); by field, only the album's (1 of 5).
    assert swapped.text_moved == pytest.approx(0.8)
    # Pooled, the same words; by field, the title's and the album's of 4.
    assert packed.text_moved == pytest.approx(0.5)
    # The same credit is not a crossed field; it agrees pooled and by field alike.
    assert other.crossed_title_artist == 0.0
    assert other.text_moved == 0.0


def test_title_contained_sees_a_title_with_other_columns_appended(spark):
    """One feed's export appended the credit, the release and a genre to the
    title: every word of the plain title is among the other record's words,
    while the titles agree on one word of four."""
    records = _records(
        spark,
        [
            {"record_id": "a"},
            {
                "record_id": "b",
                "title_norm": "yellow coldplay parachutes pop",
                "artist_norm": None,
                "album_norm": None,
            },
            {"record_id": "c", "title_norm": "fix you"},
        ],
    )
    pairs = _pairs(spark, [("a", "b"), ("a", "c"), ("a", "a")])
    rows = {(r.record_id_l, r.record_id_r): r for r in pair_features(pairs, records).collect()}
    assert rows[("a", "b")].title_contained == pytest.approx(0.75)
    # Titles that share nothing, and equal titles, score nothing.
    assert rows[("a", "c")].title_contained == 0.0
    assert rows[("a", "a")].title_contained == 0.0


def test_title_padded_needs_the_rest_of_the_title_to_be_the_other_records_values(spark):
    """A title padded with the other record's whole credit, whole release and
    a store genre scores 1, either way round; a longer title of another song
    by the same artist, or one whose extra words only happen to occur in the
    other's credit, scores nothing, though `title_contained` sees both."""
    records = _records(
        spark,
        [
            {"record_id": "a"},
            {
                "record_id": "b",
                "title_norm": "yellow coldplay parachutes pop",
                "artist_norm": None,
                "album_norm": None,
            },
            {"record_id": "c", "title_norm": "yellow submarine"},
            # Half the words after the title are the release's: half the score.
            {"record_id": "d", "title_norm": "yellow parachutes lemon"},
            {"record_id": "e", "title_norm": "fix you"},
            # "coldplay" alone is a word of the credit, not the credit.
            {"record_id": "f", "artist_norm": "coldplay and friends"},
            {"record_id": "g", "title_norm": "yellow coldplay", "artist_norm": "x"},
        ],
    )
    pairs = _pairs(
        spark,
        [("a", "b"), ("b", "a"), ("a", "c"), ("a", "d"), ("a", "e"), ("a", "a"), ("f", "g")],
    )
    rows = {(r.record_id_l, r.record_id_r): r for r in pair_features(pairs, records).collect()}
    assert rows[("a", "b")].title_padded == pytest.approx(1.0)
    assert rows[("b", "a")].title_padded == pytest.approx(1.0)
    assert rows[("a", "c")].title_contained > 0.4
    assert rows[("a", "c")].title_padded == 0.0
    assert rows[("a", "d")].title_padded == pytest.approx(0.5)
    assert rows[("a", "e")].title_padded == 0.0
    assert rows[("a", "a")].title_padded == 0.0
    assert rows[("f", "g")].title_contained > 0.4
    assert rows[("f", "g")].title_padded == 0.0


def test_script_lost_sees_non_latin_text_an_ascii_export_lost(spark):
    """A record whose title, credit and release an ASCII-only export turned
    into "?" (normalised: nothing) against the same track in its script
    scores 1; what the export kept (a number) must be all that is left of
    the other's value. Nothing is explained where the other record is Latin,
    where this record holds other text (a transliteration), or where both
    have the script."""
    records = _records(
        spark,
        [
            {
                "record_id": "ja",
                "title_norm": "深海の精",
                "artist_norm": "岩崎文紀",
                "artist_names": ["岩崎文紀"],
                "album_norm": "冬盤 2",
            },
            {"record_id": "lost", "title_norm": None, "artist_norm": None, "album_norm": "2"},
            # The release kept nothing where "2" was left: two fields of three.
            {"record_id": "lost2", "title_norm": None, "artist_norm": None, "album_norm": None},
            {"record_id": "latin", "title_norm": None, "artist_norm": None, "album_norm": None},
            {"record_id": "ru", "title_norm": "кино", "artist_norm": None, "album_norm": None},
            {"record_id": "kino", "title_norm": "kino", "artist_norm": None, "album_norm": None},
            {"record_id": "plain"},
            # Both exports appended a genre list: Latin words either side.
            {
                "record_id": "ja_pop",
                "title_norm": "深海の精 pop",
                "artist_norm": None,
                "album_norm": None,
            },
            {"record_id": "lost_pop", "title_norm": "pop", "artist_norm": None, "album_norm": None},
        ],
    )
    pairs = _pairs(
        spark,
        [
            ("ja", "lost"),
            ("lost", "ja"),
            ("ja", "lost2"),
            ("latin", "plain"),
            ("ru", "kino"),
            ("ja", "ja"),
            ("ja_pop", "lost_pop"),
        ],
    )
    rows = {(r.record_id_l, r.record_id_r): r for r in pair_features(pairs, records).collect()}
    assert rows[("ja", "lost")].script_lost == pytest.approx(1.0)
    assert rows[("lost", "ja")].script_lost == pytest.approx(1.0)
    assert rows[("ja", "lost2")].script_lost == pytest.approx(2 / 3)
    assert rows[("latin", "plain")].script_lost == 0.0
    assert rows[("ru", "kino")].script_lost == 0.0
    assert rows[("ja", "ja")].script_lost == 0.0
    assert rows[("ja_pop", "lost_pop")].script_lost == 0.0


def test_roughening_writes_a_share_of_works_in_another_script(spark):
    """Every record of a chosen work is in one script, its version tag left
    as it is; an ASCII-only export delivers a share of them again with "?"
    where letters were, keeping the length and the track number and
    dropping the ISRC."""
    from jobs.train_pair_model import ASCII_COPY_SUFFIX, ASCII_SOURCE, roughen

    tags = ("", " (Live)", " - Remastered 2011")
    rows = [
        (
            str(i),
            f"w{i // 3}",
            "label",
            f"Song {i // 3}{tags[i % 3]}",
            f"Zoë {i // 3}",
            "Album",
            "200000",
            "7",
            "X1",
        )
        for i in range(6000)
    ]
    catalogue = spark.createDataFrame(
        rows,
        "record_id string, true_work_id string, source string, title string, artists string, "
        "album string, duration_ms string, track_number string, isrc string",
    )
    out = roughen(catalogue, 5, 0.0, 0.0, scripts=0.2, ascii_loss=0.5).toPandas()
    copy = out.record_id.str.endswith(ASCII_COPY_SUFFIX)
    originals, copies = out[~copy].set_index("record_id"), out[copy]
    assert len(originals) == 6000
    i = originals.index.astype(int)
    tag = pd.Series([tags[k % 3] for k in i], index=originals.index)
    latin = originals.title == "Song " + (i // 3).astype(str) + tag
    scripted = originals.title.str.contains(r"[^\x00-\x7F]", regex=True)
    assert (latin ^ scripted).all()
    # The song's words are in the script, its tag is not.
    song = (
        originals[scripted].title.str.removesuffix(" (Live)").str.removesuffix(" - Remastered 2011")
    )
    assert not song.str.contains("[A-Za-z]").any()
    assert (originals[scripted].title.str.endswith(" (Live)") == (tag[scripted] == " (Live)")).all()
    # Whole works are written in a script, never one record of three.
    by_work = scripted.groupby(originals.true_work_id).agg(["min", "max"])
    assert (by_work["min"] == by_work["max"]).all()
    assert 0.15 < by_work["min"].mean() < 0.25
    assert not originals[scripted].artists.str.contains("[A-Za-z]").any()
    # Copies: about half the scripted records, the song's letters lost, the
    # length and number kept, from the export's own source, without an ISRC.
    assert 0.4 < len(copies) / scripted.sum() < 0.6
    of = originals.loc[copies.record_id.str.removesuffix(ASCII_COPY_SUFFIX)]
    assert scripted.loc[of.index].all()
    assert (copies.title.str.replace("?", "", regex=False).str.split(" ").str[0] == "").all()
    assert (copies.duration_ms == "200000").all() and (copies.track_number == "7").all()
    assert (copies.source == ASCII_SOURCE).all() and copies.isrc.isna().all()
    # Nothing changes when the share is zero.
    assert roughen(catalogue, 5, 0.0, 0.0).exceptAll(catalogue).count() == 0


def test_roughening_flattens_a_share_of_the_rows_into_the_title(spark):
    from jobs.train_pair_model import GENRE_LISTS, roughen

    rows = [(str(i), f"song {i}", f"artist {i}", f"album {i}", "200000") for i in range(3000)]
    catalogue = spark.createDataFrame(
        rows, "record_id string, title string, artists string, album string, duration_ms string"
    )
    out = {r.record_id: r for r in roughen(catalogue, 5, 0.0, 0.0, flatten=0.4).collect()}
    flat = 0
    for i in range(3000):
        r = out[str(i)]
        if r.title == f"song {i}":
            assert (r.artists, r.album) == (f"artist {i}", f"album {i}")
            continue
        flat += 1
        rest = r.title.removeprefix(f"song {i}").strip()
        # What moved left its field; nothing else changed.
        if r.artists is None:
            rest = rest.removeprefix(f"artist {i}").strip()
        if r.album is None:
            rest = rest.removeprefix(f"album {i}").strip()
        assert rest == "" or rest in GENRE_LISTS, r.title
        assert r.duration_ms == "200000"
    assert 1050 < flat < 1350
    assert sum(out[str(i)].artists is None for i in range(3000)) > 400


def test_roughening_misfiles_a_share_of_the_records(spark):
    from jobs.train_pair_model import roughen

    rows = [(str(i), f"song {i}", f"artist {i}", f"album {i}", "200000") for i in range(3000)]
    catalogue = spark.createDataFrame(
        rows, "record_id string, title string, artists string, album string, duration_ms string"
    )
    out = {r.record_id: r for r in roughen(catalogue, 5, 0.0, 0.0, misfile=0.3).collect()}
    swapped = packed = shifted = clean = 0
    for i in range(3000):
        r = out[str(i)]
        if (r.title, r.artists, r.album) == (f"artist {i}", f"song {i}", f"album {i}"):
            swapped += 1
        elif (r.title, r.artists, r.album) == (f"artist {i} song {i}", None, f"album {i}"):
            packed += 1
        elif (r.title, r.artists, r.album) == (f"album {i}", f"song {i}", None):
            shifted += 1
        else:
            assert (r.title, r.artists, r.album) == (f"song {i}", f"artist {i}", f"album {i}")
            clean += 1
    # 10% each, give or take sampling.
    for n in (swapped, packed, shifted):
        assert 220 < n < 380
    assert 1900 < clean < 2300
    # Nothing misfiled when the share is zero.
    same = roughen(catalogue, 5, 0.0, 0.0, misfile=0.0)
    assert same.exceptAll(catalogue).count() == 0


def test_packaged_model_links_a_record_whose_feed_swapped_title_and_credit(spark):
    """Splink, comparing field by field, sees a different title and a
    different artist (a weight of about -6 here); the default model, trained
    with misfiled fields, links the pair on its crossed text, album and
    length, where v1 (trained without them) does not."""
    records = _records(
        spark,
        [
            {"record_id": "a"},
            {"record_id": "b", "title_norm": "coldplay", "artist_norm": "yellow"},
            {
                "record_id": "c",
                "title_norm": "coldplay",
                "artist_norm": "yellow",
                "duration_s": 201.0,
            },
        ],
    )
    pairs = _pairs(spark, [("a", "b"), ("a", "c")], weight=-6.0)

    def probabilities(version):
        scored = rescore(pairs, records, load_pair_model(version)).collect()
        return {(r.record_id_l, r.record_id_r): r.match_probability for r in scored}

    new, old = probabilities(PairModelConfig().version), probabilities("v1")
    assert new[("a", "b")] > 0.9 > old[("a", "b")]
    # Swapped and 65 s apart: less likely the same recording.
    assert new[("a", "c")] < new[("a", "b")]


def test_packaged_model_links_a_record_whose_export_flattened_it_into_the_title(spark):
    """One feed's export appended the credit, the release and a genre to the
    title and left those fields empty: Splink, field by field, sees a long
    title and no credit (a weight of -8 here). The default model, trained
    with flattened rows, links it; it does not link the same artist's other
    song whose title merely begins with this one ("Yellow Submarine"). (It
    would also link a flattened row 36 s off in length, where v3 did not:
    README "Pair model v5".)"""
    flat = {
        "title_norm": "yellow coldplay parachutes pop",
        "artist_norm": None,
        "artist_names": None,
        "album_norm": None,
    }
    records = _records(
        spark,
        [
            {"record_id": "a"},
            {"record_id": "b", **flat},
            {"record_id": "d", "title_norm": "yellow submarine"},
        ],
    )
    pairs = _pairs(spark, [("a", "b"), ("a", "d")], weight=-8.0)

    def probabilities(version):
        scored = rescore(pairs, records, load_pair_model(version)).collect()
        return {r.record_id_r: r.match_probability for r in scored}

    p = probabilities(PairModelConfig().version)
    assert p["b"] > 0.9
    assert p["d"] < 0.5


def test_packaged_v9_links_a_record_an_ascii_only_export_emptied(spark):
    """An ASCII-only export left nothing of a Japanese track's title, credit
    and release; the numbers agree. v9 links it where v5 does not; it does
    not link the same blank record to a Latin one, nor a copy 30 s off in
    length (Splink's weight -3 in all three). v9 is packaged, not the
    default (README "Pair model v9")."""
    blank = {"title_norm": None, "artist_norm": None, "artist_names": None, "album_norm": None}
    records = _records(
        spark,
        [
            {
                "record_id": "ja",
                "title_norm": "深海の精",
                "artist_norm": "岩崎文紀",
                "artist_names": ["岩崎文紀"],
                "album_norm": "冬盤",
            },
            {"record_id": "lost", **blank},
            {"record_id": "lost_far", **blank, "duration_s": 296.0},
            {"record_id": "latin"},
        ],
    )
    pairs = _pairs(spark, [("ja", "lost"), ("ja", "lost_far"), ("latin", "lost")], weight=-3.0)

    def probabilities(version):
        scored = rescore(pairs, records, load_pair_model(version)).collect()
        return {(r.record_id_l, r.record_id_r): r.match_probability for r in scored}

    v9, v5 = probabilities("v9"), probabilities("v5")
    assert v9[("ja", "lost")] > 0.9 > 0.5 > v5[("ja", "lost")]
    assert v9[("latin", "lost")] < 0.5
    assert v9[("ja", "lost_far")] < 0.9
