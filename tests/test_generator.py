"""The generated catalogue: exact size, deterministic, truth that makes sense."""

from catalog.generator import OUTPUT_COLUMNS, generate_catalog, generate_work


def test_a_work_is_the_same_every_time_and_differs_by_seed():
    assert generate_work(1, 5, 100) == generate_work(1, 5, 100)
    assert generate_work(1, 5, 100) != generate_work(2, 5, 100)


def test_exact_record_count_and_deterministic_across_partitionings(spark):
    a = generate_catalog(spark, 700, seed=3)
    b = generate_catalog(spark, 700, seed=3, partitions=3)
    assert a.columns == OUTPUT_COLUMNS
    assert a.count() == 700
    assert sorted(map(tuple, a.collect())) == sorted(map(tuple, b.collect()))


def test_truth_hierarchy_videos_and_noise(spark):
    rows = generate_catalog(spark, 3000, seed=11).toPandas()
    # an entity belongs to one recording and a recording to one work
    assert (rows.groupby("true_entity_id").true_recording_id.nunique() == 1).all()
    assert (rows.groupby("true_recording_id").true_work_id.nunique() == 1).all()
    videos = rows[rows.true_entity_id.str.startswith("vid")]
    assert len(videos) > 0 and (videos.true_entity_id != videos.true_recording_id).all()
    assert set(rows.true_version) >= {"original", "live", "remix"}
    assert rows.title.str.contains(" - ", regex=False).any()  # packed titles
    assert rows.artists.isna().any() and rows.isrc.isna().any()
    assert rows.source.nunique() == 5
    # many records share an entity: there is something to resolve
    assert rows.true_entity_id.nunique() < 0.7 * len(rows)
