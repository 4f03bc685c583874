"""Cluster profiles, works, video links and relationships over tiny hand-made clusters."""

from __future__ import annotations

from pyspark.sql import types as T

from conf.config import SemanticsConfig
from linkage import build_relationships, cluster_profiles, group_works, link_videos

SCHEMA = T.StructType(
    [
        T.StructField("record_id", T.StringType()),
        T.StructField("cluster_id", T.StringType()),
        T.StructField("kind_norm", T.StringType()),
        T.StructField("version", T.StringType()),
        T.StructField("title_norm", T.StringType()),
        T.StructField("artist_norm", T.StringType()),
        T.StructField("duration_s", T.DoubleType()),
    ]
)

ROWS = [
    ("r1", "c1", "audio", "original", "yellow", "coldplay", 266.0),
    ("r2", "c1", "audio", "remaster", "yellow", "coldplay", 267.0),
    ("r3", "c2", "audio", "live", "yellow", "coldplay", 301.0),
    ("r4", "c3", "audio", "original", "yellow", "jane doe", 240.0),
    ("r5", "c4", "audio", "original", "other song", "coldplay", 200.0),
    ("v1", "c9", "video", "original", "yellow", "coldplay", 280.0),
]


def _records(spark, rows=ROWS):
    return spark.createDataFrame(rows, SCHEMA)


def _profiles(spark, rows=ROWS, schema=SCHEMA):
    return cluster_profiles(spark.createDataFrame(rows, schema))


def _relations(works):
    return {r.cluster_id: (r.work_id, r.relation) for r in works.collect()}


def test_video_links_to_original_not_live_version(spark):
    links = link_videos(_profiles(spark), SemanticsConfig()).collect()
    assert [(r.video_cluster_id, r.cluster_id) for r in links] == [("c9", "c1")]
    assert links[0].version_match and links[0].same_artist


def test_one_artists_versions_form_a_work_and_a_title_alone_does_not(spark):
    rel = _relations(group_works(_profiles(spark)))
    assert rel["c1"][0] == rel["c2"][0]
    assert rel["c2"][1] == "live"
    # Another artist's "yellow" has nothing but the title in common: its own work
    # (a cover with no tag cannot be told from another song that shares the title).
    assert rel["c3"][0] != rel["c1"][0] and rel["c3"][1] == "original"
    assert rel["c4"][0] != rel["c1"][0]


def test_a_duet_credit_joins_the_lead_artists_work(spark):
    schema = T.StructType(
        [*SCHEMA.fields, T.StructField("artist_names", T.ArrayType(T.StringType()))]
    )
    rows = [
        (*ROWS[0], ["coldplay"]),
        (
            "r7",
            "c7",
            "audio",
            "edit",
            "yellow",
            "coldplay and jane doe",
            200.0,
            ["coldplay", "jane doe"],
        ),
    ]
    rel = _relations(group_works(_profiles(spark, rows, schema)))
    assert rel["c7"] == (rel["c1"][0], "edit")


def test_remaster_is_not_a_new_version(spark):
    # c1 mixes an original and a remaster record; a remaster-only cluster is still the original.
    rows = [*ROWS, ("r6", "c5", "audio", "remaster", "yellow", "coldplay", 266.0)]
    rel = _relations(group_works(_profiles(spark, rows)))
    assert rel["c1"][1] == "original"
    assert rel["c5"] == (rel["c1"][0], "original")


def test_a_profile_takes_each_columns_most_common_value_and_untagged_outvotes_a_stray_tag(spark):
    rows = [
        ("r1", "c1", "audio", None, "yellow", "coldplay", 266.0),
        ("r2", "c1", "audio", None, "yellow", "cold play", 268.0),
        ("r3", "c1", "audio", "live", "yelow", "coldplay", 270.0),
    ]
    (prof,) = _profiles(spark, rows).collect()
    assert (prof.members, prof.title_norm, prof.artist_norm) == (3, "yellow", "coldplay")
    assert (prof.version, prof.duration_s) == ("original", 268.0)
    assert _relations(group_works(_profiles(spark, rows)))["c1"][1] == "original"


def test_work_ids_are_stable_across_calls_and_row_order(spark):
    first = _relations(group_works(_profiles(spark)))
    second = _relations(group_works(_profiles(spark, list(reversed(ROWS)))))
    assert first == second


def test_empty_input_gives_empty_tables(spark):
    empty = _records(spark, [])
    works = group_works(cluster_profiles(empty))
    links = link_videos(cluster_profiles(empty), SemanticsConfig())
    assert works.count() == 0 and links.count() == 0
    assert build_relationships(empty, works, links).count() == 0


def test_relationships_hold_all_three_edge_types(spark):
    records = _records(spark)
    works = group_works(cluster_profiles(records))
    links = link_videos(cluster_profiles(records), SemanticsConfig())
    edges = build_relationships(records, works, links).groupBy("edge").count().collect()
    assert {r.edge: r["count"] for r in edges} == {
        "same_recording": 6,
        "version_of": 4,
        "video_of": 1,
    }


def test_a_channel_credit_and_a_typo_still_link_the_video(spark):
    rows = [
        ("a1", "c1", "audio", "original", "endless ghost", "lonely oceans", 200.0),
        ("a2", "c2", "audio", "original", "miss it down", "jack ward", 180.0),
        # "TheLonelyOceansVEVO - Endless Ghost (Official Video)"
        ("v1", "c8", "video", "original", "endless ghost", "thelonelyoceansvevo", 210.0),
        # "Jack Ward - Mis It Down (Official Video)": a one-letter typo
        ("v2", "c9", "video", "original", "mis it down", "jack ward", 185.0),
    ]
    links = link_videos(_profiles(spark, rows), SemanticsConfig()).collect()
    assert sorted((r.video_cluster_id, r.cluster_id) for r in links) == [("c8", "c1"), ("c9", "c2")]


def test_a_lyric_video_carries_the_original_not_the_acoustic_take(spark):
    rows = [
        ("a1", "c1", "audio", "original", "signal", "ailemus", 199.0),
        ("a2", "c2", "audio", "acoustic", "signal", "ailemus", 185.0),
        ("a3", "c2", "audio", "acoustic", "signal", "ailemus", 185.0),
        ("v1", "c9", "video", "lyric_video", "signal", "ailemus", 198.0),
    ]
    links = link_videos(_profiles(spark, rows), SemanticsConfig()).collect()
    assert [(r.video_cluster_id, r.cluster_id) for r in links] == [("c9", "c1")]
