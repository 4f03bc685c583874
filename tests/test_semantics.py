"""Cluster profiles, works, video links and relationships over tiny hand-made clusters."""

from __future__ import annotations

from pyspark.sql import types as T

from conf.config import SemanticsConfig
from linkage import build_relationships, cluster_profiles, group_works, link_videos
from linkage.works import TieMember, WorkMember, rows_of_work, ties_of_key

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


def _title_works(rows, prolific=frozenset(), specific=False):
    """One title key's profiles (cluster_id, lead artist, version, records,
    writers, first year) through `ties_of_key` and `rows_of_work`:
    cluster_id -> (work_id, relation, confidence)."""
    members = [TieMember(c, True, lead, w, None, specific) for c, lead, _, _, w, _ in rows]
    parent = {r[0]: r[0] for r in rows}

    def find(c):
        while parent[c] != c:
            c = parent[c]
        return c

    for a, b in ties_of_key(members, prolific):
        parent[max(find(a), find(b))] = min(find(a), find(b))
    works = {}
    for r in rows:
        works.setdefault(find(r[0]), []).append(WorkMember(*r, False))
    out = [row for w, ms in works.items() for row in rows_of_work(w, ms, prolific)]
    return {cluster: (work, relation, confidence) for work, cluster, relation, confidence, _ in out}


def test_a_cover_joins_the_song_through_a_shared_writer():
    works = _title_works(
        [
            ("c1", "coldplay", "original", 4, ["chris martin", "jonny buckland"], 2000),
            ("c2", "coldplay", "live", 1, None, 2003),
            ("c3", "jane doe", "original", 1, ["chris martin"], 2011),
            # Same title, another artist, another writer: another song.
            ("c4", "john roe", "original", 2, ["someone else"], 2001),
        ]
    )
    assert works["c1"][0] == works["c2"][0] == works["c3"][0] != works["c4"][0]
    assert [works[c][1] for c in ("c1", "c2", "c3", "c4")] == [
        "original",
        "live",
        "cover",
        "original",
    ]
    assert works["c3"][2] < works["c1"][2] < works["c4"][2] == 1.0


def test_the_writing_artist_is_the_original_even_with_fewer_clusters():
    works = _title_works(
        [
            ("c1", "jane doe", "original", 1, ["jane doe"], 1990),
            ("c2", "big band", "original", 3, ["jane doe"], 1985),
            ("c3", "big band", "remix", 1, None, 1986),
        ]
    )
    assert [works[c][1] for c in ("c1", "c2", "c3")] == ["original", "cover", "remix"]


def test_a_typo_in_the_artist_is_no_cover_and_an_unknown_artist_is_none_either():
    works = _title_works(
        [
            ("c1", "coldplay", "original", 3, None, 2000),
            ("c2", "coldpaly", "original", 1, None, 2000),
            ("c3", "", "original", 1, ["chris martin"], None),
            ("c4", "coldplay", "acoustic", 1, ["chris martin"], 2004),
        ]
    )
    assert len({w for w, _, _ in works.values()}) == 1
    assert [works[c][1] for c in ("c1", "c2", "c3", "c4")] == [
        "original",
        "original",
        "original",
        "acoustic",
    ]


def test_profiles_carry_the_commonest_writer_credit_and_the_first_year_into_works(spark):
    schema = T.StructType(
        [
            *SCHEMA.fields,
            T.StructField("writer_names", T.ArrayType(T.StringType())),
            T.StructField("year", T.IntegerType()),
        ]
    )
    both = ["chris martin", "guy berryman"]
    rows = [
        ("r1", "c1", "audio", None, "yellow", "coldplay", 266.0, both, 2001),
        ("r2", "c1", "audio", None, "yellow", "coldplay", 266.0, both, 2000),
        ("r3", "c1", "audio", None, "yellow", "coldplay", 266.0, [], 2003),
        # A record of another song wrongly in c1: its writers are outvoted.
        ("r4", "c1", "audio", None, "yellow", "coldplay", 266.0, ["someone else"], 2004),
        ("r5", "c2", "audio", None, "yellow", "jane doe", 250.0, ["guy berryman"], 2012),
        ("r6", "c3", "audio", None, "yellow", "john roe", 250.0, [], None),
        ("r7", "c4", "audio", None, "yellow", "jim poe", 250.0, ["someone else"], 2015),
    ]
    profiles = _profiles(spark, rows, schema)
    c1 = profiles.where("cluster_id = 'c1'").collect()[0]
    assert (c1.writers, c1.first_year) == (both, 2000)
    rel = _relations(group_works(profiles))
    assert rel["c2"] == (rel["c1"][0], "cover")
    for other in ("c3", "c4"):
        assert rel[other][0] != rel["c1"][0] and rel[other][1] == "original"


def test_a_prolific_writer_ties_a_title_only_with_a_second_shared_writer():
    rows = [
        ("c1", "lea pehain", "original", 3, ["eva cedraiboul"], 2001),
        ("c2", "frozen rains", "original", 2, ["eva cedraiboul", "nina wright"], 2005),
        ("c3", "jane doe", "original", 1, ["eva cedraiboul", "nina wright"], 2010),
    ]
    alone = _title_works(rows)
    assert len({w for w, _, _ in alone.values()}) == 1
    work = {c: w for c, (w, _, _) in _title_works(rows, frozenset({"eva cedraiboul"})).items()}
    # c2 and c3 share two writers: still one song; c1 shares only the prolific one.
    assert work["c2"] == work["c3"] != work["c1"]


def test_semantic_metrics_count_record_pairs_links_and_kinds(spark):
    from evaluation.semantics import evaluate_semantics

    records = spark.createDataFrame(
        [
            ("r1", "c1", "audio", "t1", "w1", "original"),
            ("r2", "c1", "audio", "t1", "w1", "original"),
            ("r3", "c2", "audio", "t2", "w1", "live"),
            ("r4", "c3", "audio", "t3", "w2", "original"),
            ("v1", "c9", "video", "t1", "w1", "original"),
            ("v2", "c8", "video", "t3", "w2", "original"),
        ],
        "record_id string, cluster_id string, kind_norm string, true_recording_id string, "
        "true_work_id string, true_version string",
    )
    works = spark.createDataFrame(
        [("W", "c1", "original", 1.0), ("W", "c2", "live", 1.0), ("W", "c3", "cover", 1.0)],
        "work_id string, cluster_id string, relation string, confidence double",
    )
    links = spark.createDataFrame(
        [("c9", "c1"), ("c8", "c2")], "video_cluster_id string, cluster_id string"
    )
    m = evaluate_semantics(records, works, links)
    # Work pairs: 6 predicted (r1..r4 in one work), 3 true (r1, r2, r3), all 3 found.
    assert (m["works_precision"], m["works_recall"]) == (0.5, 1.0)
    # c9 -> c1 is right, c8 -> c2 is wrong (c8 carries t3, held by c3).
    assert (m["video_precision"], m["video_recall"]) == (0.5, 0.5)
    # c3 is an original, not a cover.
    assert m["relation_accuracy"] == 2 / 3


# --- works by title: covers without credits, title variants, medleys ---------------

RARE_SCHEMA = (
    "record_id string, cluster_id string, kind_norm string, version string, "
    "title string, title_norm string, artist_norm string, duration_s double, "
    "writer_names array<string>"
)
# Titles whose words each appear once: the catalogue around the songs under test,
# so that the title model has something to compare with.
_FILLER = (
    "amber falcon, brisk meadow, copper lantern, dusky orchard, ember quarry, "
    "frosted willow, gilded harbor, hazel tundra, ivory beacon, jagged summit, "
    "kindred valley, lunar thicket, marble cavern, nimble sparrow, opal canyon, "
    "pewter lagoon, quiet monsoon, russet prairie, sable fjord, tawny glacier, "
    "umbra, vesper, wander, xenon, yonder, zephyr, aurora, boulder, cinder, drizzle"
).split(", ")


def _catalogue(spark, songs):
    """Records (record_id, cluster_id, title, artist, seconds, writers) of the
    songs under test, one record per cluster, plus the filler titles."""
    rows = [
        (f"f{i}", f"z{i:02d}", "audio", None, t, t, f"artist {i}", 200.0, [])
        for i, t in enumerate(_FILLER)
    ]
    rows += [
        (r, c, "audio", None, title, _norm(title), artist, secs, writers)
        for r, c, title, artist, secs, writers in songs
    ]
    return spark.createDataFrame(rows, RARE_SCHEMA)


def _norm(title):
    from catalog.text import parse_title

    return parse_title(title).title


def _works_of(spark, songs, **settings):
    works = group_works(cluster_profiles(_catalogue(spark, songs)), SemanticsConfig(**settings))
    return works.where("cluster_id not like 'z%'").collect()


def _primary(works):
    return {r.cluster_id: r.work_id for r in works if r.primary}


def test_covers_of_a_rare_title_join_one_work_without_credits_and_a_common_word_does_not(spark):
    songs = [
        ("r1", "c1", "I Ain't Living Long Like This", "gary stewart", 180.0, []),
        ("r2", "c2", "I Ain't Livin' Long Like This", "emmylou harris", 190.0, []),
        ("r3", "c3", "Ain't Living Long Like This", "waylon jennings", 175.0, []),
        # Same rare title, twice the length: not the same song by its title alone.
        ("r4", "c4", "I Ain't Living Long Like This", "long jam band", 420.0, []),
    ]
    # "Home": a word in many of the catalogue's titles; one song each.
    songs += [
        (f"h{i}", f"h{i}", f"Home {w}", f"poet {i}", 200.0, []) for i, w in enumerate(_FILLER[:8])
    ]
    songs += [
        ("r5", "c5", "Home", "crosby", 200.0, []),
        ("r6", "c6", "Home", "bublé", 200.0, []),
    ]
    work = _primary(_works_of(spark, songs))
    assert work["c1"] == work["c2"] == work["c3"] != work["c4"]
    assert work["c5"] != work["c6"]
    # Switched off, performers of one title tie only through artist or writer.
    off = _primary(_works_of(spark, songs, title_ties=False))
    assert len({off[c] for c in ("c1", "c2", "c3")}) == 3


def test_unrelated_writer_credits_on_a_rare_title_keep_its_songs_apart(spark):
    songs = [
        ("r1", "c1", "Crimson Tidewater Lullaby", "ann", 200.0, ["ann west"]),
        ("r2", "c2", "Crimson Tidewater Lullaby", "bob", 200.0, ["bob north"]),
        # No credit: it could be either song, so the title alone ties it to neither.
        ("r3", "c3", "Crimson Tidewater Lullaby", "cat", 200.0, []),
        ("r4", "c4", "Crimson Tidewater Lullaby", "dee", 200.0, ["bob north"]),
    ]
    work = _primary(_works_of(spark, songs))
    assert work["c2"] == work["c4"]
    assert len({work["c1"], work["c2"], work["c3"]}) == 3


def test_title_variants_meet_and_a_medley_belongs_to_each_of_its_songs(spark):
    songs = [
        ("r1", "c1", "The Girl from Ipanema", "astrud gilberto", 200.0, []),
        ("r2", "c2", "Girl From Ipanema", "amy winehouse", 190.0, []),
        ("r3", "c3", "(Feels Like) Heaven", "fiction factory", 210.0, []),
        ("r4", "c4", "Feels Like Heaven", "urban cookie", 215.0, []),
        ("r5", "c5", "Mammy Blue", "pop tops", 200.0, []),
        ("r6", "c6", "Mamy Blue", "nicoletta", 205.0, []),
        ("r7", "c7", "Girl from Ipanema / Feels Like Heaven", "lounge trio", 400.0, []),
    ]
    works = _works_of(spark, songs)
    work = _primary(works)
    assert work["c1"] == work["c2"] == work["c7"]
    assert work["c3"] == work["c4"] != work["c1"]
    assert work["c5"] == work["c6"]
    medley = sorted((r.work_id, r.relation, r.primary) for r in works if r.cluster_id == "c7")
    assert medley == sorted([(work["c1"], "medley", True), (work["c3"], "medley", False)])
    assert {r.relation for r in works if r.cluster_id in ("c2", "c4")} == {"cover"}


def test_a_medley_is_a_medley_of_edge_to_its_later_songs(spark):
    songs = [
        ("r1", "c1", "Because", "beatles", 160.0, []),
        ("r2", "c2", "Come Together", "beatles", 260.0, []),
        ("r3", "c3", "Because / Come Together", "beatles", 420.0, []),
    ]
    records = _catalogue(spark, songs)
    works = group_works(cluster_profiles(records))
    edges = build_relationships(
        records, works, link_videos(cluster_profiles(records), SemanticsConfig())
    )
    out = {(r.src, r.edge) for r in edges.where("src = 'c3'").collect()}
    assert out == {("c3", "version_of"), ("c3", "medley_of")}


def test_works_are_the_same_whether_components_are_found_on_the_driver_or_in_spark(spark):
    songs = [
        ("r1", "c1", "The Girl from Ipanema", "astrud gilberto", 200.0, []),
        ("r2", "c2", "Girl From Ipanema", "amy winehouse", 190.0, []),
        ("r3", "c3", "Girl from Ipanema (Garota de Ipanema)", "stan getz", 205.0, []),
        ("r4", "c4", "Garota de Ipanema", "joao gilberto", 195.0, []),
        ("r5", "c5", "Mammy Blue", "pop tops", 200.0, []),
        ("r6", "c6", "Mamy Blue", "nicoletta", 205.0, []),
    ]
    on_driver = _works_of(spark, songs)
    in_spark = _works_of(spark, songs, driver_components_max_edges=0)
    assert sorted(on_driver) == sorted(in_spark)
    # A chain through a bracketed title: c1 - c3 by the title, c3 - c4 by its bracket.
    work = _primary(in_spark)
    assert work["c1"] == work["c2"] == work["c3"] == work["c4"] != work["c5"] == work["c6"]


def test_credits_sharing_only_a_prolific_writer_are_not_proof_of_two_songs():
    # Each credit names the band's singer, prolific elsewhere; c3 has no credit.
    prolific = frozenset({"chloe"})
    members = [
        TieMember("c1", True, "chloe", ["chloe", "angels"], 177.0, True),
        TieMember("c2", True, "chloe", ["chloe", "noemie ross"], 180.0, True),
        TieMember("c3", True, "stices", None, 160.0, True),
    ]
    tied = {b for _, b in ties_of_key(members, prolific)}
    assert tied == {"c2", "c3"}
