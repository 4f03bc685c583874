"""Stable cluster ids across runs: kept, merged, split, born and retired."""

from linkage.stable_ids import assign_stable_ids


def _components(spark, groups):
    rows = [(rid, min(g)) for g in groups for rid in g]
    return spark.createDataFrame(rows, "record_id string, component string")


def _ids(result):
    return {r.record_id: r.cluster_id for r in result.clusters.collect()}


def _events(result):
    return {(r.cluster_id, r.event, r.related_id) for r in result.events.collect()}


def test_first_run_ids_are_new_and_deterministic(spark):
    comps = _components(spark, [["a", "b"], ["c"]])
    first = assign_stable_ids(comps, None, 0)
    again = assign_stable_ids(comps, None, 0)
    assert _ids(first) == _ids(again)
    ids = _ids(first)
    assert ids["a"] == ids["b"] != ids["c"] and ids["a"].startswith("c")
    assert {e[1] for e in _events(first)} == {"new"}


def test_unchanged_clusters_keep_their_ids_and_make_no_events(spark):
    comps = _components(spark, [["a", "b"], ["c"]])
    first = _ids(assign_stable_ids(comps, None, 0))
    prev = spark.createDataFrame(list(first.items()), "record_id string, cluster_id string")
    second = assign_stable_ids(comps, prev, 1)
    assert _ids(second) == first
    assert _events(second) == set()


def test_merge_split_growth_birth_and_retirement(spark):
    prev_groups = {"A": ["a1", "a2", "a3"], "B": ["b1"], "C": ["c1", "c2", "c3", "c4"], "D": ["d1"]}
    prev = spark.createDataFrame(
        [(r, cid) for cid, g in prev_groups.items() for r in g],
        "record_id string, cluster_id string",
    )
    # A and B merge; C splits 3 + 1; a new record joins nobody; d1 is gone.
    now = _components(spark, [["a1", "a2", "a3", "b1"], ["c1", "c2", "c3"], ["c4"], ["n1"]])
    result = assign_stable_ids(now, prev, 5)
    ids = _ids(result)
    assert ids["b1"] == ids["a1"] == "A"  # the larger side keeps its id
    assert ids["c1"] == "C"  # the larger part of a split keeps the id
    assert ids["c4"] not in prev_groups and ids["n1"] not in prev_groups
    events = _events(result)
    assert ("B", "merged", "A") in events
    assert ("A", "grew", None) in events
    assert ("C", "shrank", None) in events
    assert (ids["c4"], "split", "C") in events
    assert (ids["n1"], "new", None) in events
    assert ("D", "retired", None) in events
