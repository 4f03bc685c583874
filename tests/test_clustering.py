"""Connected components in Spark."""

from linkage.clustering import cluster_pairs


def test_components_chains_and_singletons(spark):
    ids = spark.createDataFrame([(x,) for x in "abcdefg"], "record_id string")
    pairs = spark.createDataFrame(
        [("a", "b", 0.99), ("b", "c", 0.95), ("c", "d", 0.2), ("e", "f", 0.91), ("d", "g", 0.5)],
        "record_id_l string, record_id_r string, match_probability double",
    )
    result = cluster_pairs(ids, pairs, threshold=0.9)
    got = {r.record_id: (r.cluster_id, r.cluster_size) for r in result.clusters.collect()}
    assert got == {
        "a": ("a", 3),
        "b": ("a", 3),
        "c": ("a", 3),
        "d": ("d", 1),
        "g": ("g", 1),
        "e": ("e", 2),
        "f": ("e", 2),
    }
    assert result.links == 3


def test_long_chain_converges_to_the_smallest_id(spark):
    ids = spark.createDataFrame([(f"{i:02d}",) for i in range(12)], "record_id string")
    pairs = spark.createDataFrame(
        [(f"{i:02d}", f"{i + 1:02d}", 1.0) for i in range(11)],
        "record_id_l string, record_id_r string, match_probability double",
    )
    clusters = cluster_pairs(ids, pairs, threshold=0.5).clusters.collect()
    assert {r.cluster_id for r in clusters} == {"00"}
    assert all(r.cluster_size == 12 for r in clusters)
