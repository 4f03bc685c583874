"""The learned pair model: its features, training, calibration, packaging and rescoring."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conf.config import PairModelConfig
from conf.errors import ConfigError, InputError
from linkage import (
    DEFAULT_FEATURES,
    FEATURES,
    PairModel,
    fit_pair_model,
    load_pair_model,
    pair_features,
    rescore,
)

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

    from linkage.pair_features import SIDE_COLUMNS, with_sides

    records = _records(
        spark,
        [{"record_id": "a"}, {"record_id": "b", "duration_s": 278.0, "version": "live"}],
    )
    pairs = _pairs(spark, [("a", "b")])
    carrying = with_sides(pairs, records).select(*pairs.columns, *SIDE_COLUMNS)
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
    x = rng.normal(size=(n, len(DEFAULT_FEATURES)))
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
    # A feature this code never had, and one only a retired model read.
    for extra in ("something_new", "title_contained"):
        model.features = (*DEFAULT_FEATURES[:-1], extra)
        with pytest.raises(ConfigError, match=f"{extra}.*retrain.*pair-models-v1-v9"):
            PairModel.from_bytes(model.to_bytes())


def test_training_takes_any_registered_features_in_the_order_given():
    x, y = _separable(400)
    chosen = ("title_jw", "splink_weight")
    model, _ = fit_pair_model(x[:, :2], y, np.arange(len(y)) % 7, epochs=1, features=chosen)
    assert PairModel.from_bytes(model.to_bytes()).features == chosen
    with pytest.raises(ValueError, match="unknown pair features: script_lost"):
        fit_pair_model(x[:, :1], y, np.arange(len(y)) % 7, features=("script_lost",))
    with pytest.raises(ValueError, match="13 columns for 2 features"):
        fit_pair_model(x, y, np.arange(len(y)) % 7, features=chosen)


def test_the_training_job_checks_its_features_and_seeds_before_any_work():
    from jobs.train_pair_model import main

    base = ["--seeds", "1001", "--output", "unused", "--version", "v0"]
    with pytest.raises(InputError, match="unknown title_contained"):
        main([*base, "--features", "splink_weight,title_contained"])
    with pytest.raises(InputError, match="named twice"):
        main([*base, "--features", "splink_weight,splink_weight"])
    with pytest.raises(InputError, match=r"\[2025\] are evaluation seeds"):
        main(["--seeds", "1001,2025", "--output", "unused", "--version", "v0"])


def test_every_feature_is_registered_once_with_a_description():
    for name, feature in FEATURES.items():
        assert feature.name == name and feature.description
    assert set(DEFAULT_FEATURES) <= set(FEATURES)
    assert "title_contained" not in FEATURES and "script_lost" not in FEATURES
    # The packaged default reads the training default, in the same order.
    assert load_pair_model(PairModelConfig().version).features == DEFAULT_FEATURES


def test_missing_weights_are_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="linkage.pair_model.weights_path"):
        load_pair_model("v5", str(tmp_path / "nope.pt"))
    # An unknown version, or a retired one, names what is packaged and how
    # to load any other model's file.
    for version in ("v999", "v1", "v9"):
        with pytest.raises(
            ConfigError,
            match=r"linkage.pair_model.version.*packaged: v5\).*linkage.pair_model.weights_path",
        ):
            load_pair_model(version)


def test_a_model_file_loads_by_weights_path(tmp_path):
    x, y = _separable(400)
    model, _ = fit_pair_model(x, y, np.arange(len(y)) % 7, epochs=1)
    path = tmp_path / "pair-test.pt"
    path.write_bytes(model.to_bytes())
    loaded = load_pair_model("ignored", str(path))
    assert np.allclose(loaded.probability(x[:5]), model.probability(x[:5]))


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


def test_title_padded_needs_the_rest_of_the_title_to_be_the_other_records_values(spark):
    """A title padded with the other record's whole credit, whole release and
    a store genre scores 1, either way round; a longer title of another song
    by the same artist, or one whose extra words only happen to occur in the
    other's credit, scores nothing."""
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
    assert rows[("a", "c")].title_padded == 0.0
    assert rows[("a", "d")].title_padded == pytest.approx(0.5)
    assert rows[("a", "e")].title_padded == 0.0
    assert rows[("a", "a")].title_padded == 0.0
    assert rows[("f", "g")].title_padded == 0.0


def test_roughening_flattens_a_share_of_the_rows_into_the_title(spark):
    from catalog.roughen import GENRE_LISTS, roughen

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
    from catalog.roughen import roughen

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
    length."""
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

    scored = rescore(pairs, records, load_pair_model(PairModelConfig().version)).collect()
    p = {(r.record_id_l, r.record_id_r): r.match_probability for r in scored}
    assert p[("a", "b")] > 0.9
    # Swapped and 65 s apart: less likely the same recording.
    assert p[("a", "c")] < p[("a", "b")]


def test_packaged_model_links_a_record_whose_export_flattened_it_into_the_title(spark):
    """One feed's export appended the credit, the release and a genre to the
    title and left those fields empty: Splink, field by field, sees a long
    title and no credit (a weight of -8 here). The default model, trained
    with flattened rows, links it; it does not link the same artist's other
    song whose title merely begins with this one ("Yellow Submarine")."""
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

    scored = rescore(pairs, records, load_pair_model(PairModelConfig().version)).collect()
    p = {r.record_id_r: r.match_probability for r in scored}
    assert p["b"] > 0.9
    assert p["d"] < 0.5


def test_packaged_model_does_not_link_a_record_an_ascii_only_export_emptied(spark):
    """An ASCII-only export left nothing of a Japanese track's title, credit
    and release; only the numbers agree (Splink's weight -3). The default
    model reads no feature that sees lost text, so it does not link them."""
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
        ],
    )
    pairs = _pairs(spark, [("ja", "lost")], weight=-3.0)
    scored = rescore(pairs, records, load_pair_model(PairModelConfig().version)).collect()
    assert scored[0].match_probability < 0.5


def test_scoring_computes_only_the_features_the_model_reads(spark, monkeypatch):
    """Every registered feature the default model does not name is made to
    fail if computed: scoring must not touch them."""
    # `linkage.pair_features` the attribute is the function; the module's names:
    from linkage.pair_features import _REGISTRY, Feature

    model = load_pair_model(PairModelConfig().version)

    def never():
        raise AssertionError("a feature the model does not read was computed")

    for name, feature in list(FEATURES.items()):
        if name not in model.features:
            monkeypatch.setitem(_REGISTRY, name, Feature(name, feature.description, never))
    records = _records(spark, [{"record_id": "a"}, {"record_id": "b", "duration_s": 280.0}])
    scored = rescore(_pairs(spark, [("a", "b")]), records, model)
    assert 0.0 <= scored.collect()[0].match_probability <= 1.0
    assert not set(FEATURES) & set(scored.columns)
    only = pair_features(_pairs(spark, [("a", "b")]), records, ("album_jw", "splink_weight"))
    assert only.columns[-2:] == ["album_jw", "splink_weight"]


# The packaged default's probabilities for these pairs, as scored before the
# feature registry computed only the model's features: loading and scoring
# must not change them.
V5_PROBABILITIES = {
    ("a", "b", 4.0): 0.8009715839413535,
    ("a", "c", 4.0): 0.16522442107225987,
    ("a", "swapped", -8.0): 0.9998671083164787,
    ("a", "flat", -8.0): 0.9998679404186513,
    ("a", "live", 0.0): 0.7060162561736743,
    ("isrc1", "isrc3", 0.0): 0.6302604175701632,
    ("ja", "lost", -3.0): 0.2277430322392668,
    ("a", "nodur", -3.0): 0.7120060159033282,
    ("a", "packed", 12.0): 0.9999088737719894,
}


def test_packaged_default_scores_as_it_always_has(spark):
    from pyspark.sql import functions as F

    records = _records(
        spark,
        [
            {"record_id": "a"},
            {"record_id": "b"},
            {"record_id": "c", "duration_s": 291.0},
            {"record_id": "swapped", "title_norm": "coldplay", "artist_norm": "yellow"},
            {
                "record_id": "flat",
                "title_norm": "yellow coldplay parachutes pop",
                "artist_norm": None,
                "artist_names": None,
                "album_norm": None,
            },
            {"record_id": "live", "version": "live"},
            {"record_id": "isrc1", "isrc_norm": "gbaye0000001"},
            {"record_id": "isrc3", "isrc_norm": "gbaye0000002", "year": 2011},
            {
                "record_id": "ja",
                "title_norm": "深海の精",
                "artist_norm": "岩崎文紀",
                "artist_names": ["岩崎文紀"],
                "album_norm": "冬盤",
            },
            {
                "record_id": "lost",
                "title_norm": None,
                "artist_norm": None,
                "artist_names": None,
                "album_norm": None,
            },
            {"record_id": "nodur", "duration_s": None, "track_no": None, "year": None},
            {"record_id": "packed", "title_norm": "coldplay yellow", "artist_norm": None},
        ],
    )
    pairs = _pairs(spark, [(left, right) for left, right, _ in V5_PROBABILITIES]).withColumn(
        "match_weight",
        F.create_map(
            *[F.lit(x) for (left, right, w) in V5_PROBABILITIES for x in (f"{left}|{right}", w)]
        )[F.concat_ws("|", "record_id_l", "record_id_r")],
    )
    model = load_pair_model(PairModelConfig().version)
    assert model.features == DEFAULT_FEATURES
    got = {
        (r.record_id_l, r.record_id_r, r.match_weight): r.match_probability
        for r in rescore(pairs, records, model).collect()
    }
    assert got == pytest.approx(V5_PROBABILITIES, abs=1e-6)
