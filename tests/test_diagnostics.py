"""The threshold curve and the worst-errors table on a hand-made example."""

import os

from evaluation.diagnostics import plot_curve, threshold_curve, worst_errors


def _example(spark):
    # truth: {a, b, c} one entity, {d} and {e} alone -> 3 true pairs
    truth = spark.createDataFrame(
        [("a", "T1"), ("b", "T1"), ("c", "T1"), ("d", "T2"), ("e", "T3")],
        "record_id string, truth_id string",
    )
    # scored candidates: a-b true (0.95), a-c true (0.40), a-d false (0.97), d-e false (0.10);
    # b-c is a true pair blocking never proposed
    pairs = spark.createDataFrame(
        [("a", "b", 0.95), ("a", "c", 0.40), ("a", "d", 0.97), ("d", "e", 0.10)],
        "record_id_l string, record_id_r string, match_probability double",
    )
    clusters = spark.createDataFrame(
        [(r, f"title {r}", "artist") for r in "abcde"],
        "record_id string, title string, artists string",
    )
    return pairs, truth, clusters


def test_curve_counts_links_above_each_threshold_against_all_true_pairs(spark):
    pairs, truth, _ = _example(spark)
    curve = threshold_curve(pairs, truth, steps=10).set_index("threshold")
    assert curve.loc[0.9].links == 2 and curve.loc[0.9].true_links == 1
    assert curve.loc[0.9].precision == 0.5 and abs(curve.loc[0.9].recall - 1 / 3) < 1e-9
    assert curve.loc[0.3].links == 3 and abs(curve.loc[0.3].recall - 2 / 3) < 1e-9
    assert curve.loc[0.0].links == 4  # never above 2/3: b-c was never proposed
    assert curve.recall.max() < 0.67


def test_worst_errors_list_the_confident_false_merge_and_the_unproposed_pair(spark, tmp_path):
    pairs, truth, clusters = _example(spark)
    errors = worst_errors(pairs, clusters, truth, threshold=0.9)
    false = errors[errors.error == "false_merge"]
    missed = errors[errors.error == "missed_pair"]
    assert list(zip(false.record_id_l, false.record_id_r, strict=True)) == [("a", "d")]
    assert set(zip(missed.record_id_l, missed.record_id_r, strict=True)) == {("a", "c"), ("b", "c")}
    assert missed[missed.record_id_r == "c"].title_l.notna().all()
    png = plot_curve(threshold_curve(pairs, truth, steps=10), str(tmp_path / "c.png"), 0.9, "t")
    assert os.path.getsize(png) > 1000
