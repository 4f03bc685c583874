"""Works against a truth column: scores, primary works and the title-only
baseline, on cases small enough to check by hand."""

import pytest

from evaluation.works_quality import (
    missed_pairs,
    score_groups,
    title_key,
    title_only_groups,
    works_of_records,
    wrong_pairs,
)

# truth: A = {1, 2, 3, 4}, B = {5, 6}; predicted: x = {1, 2, 5}, y = {3, 4}, z = {6}
SPLIT_AND_MERGED = [
    ("1", "x", "A"),
    ("2", "x", "A"),
    ("3", "y", "A"),
    ("4", "y", "A"),
    ("5", "x", "B"),
    ("6", "z", "B"),
]
RECORDS = "record_id string, work_id string, set_id string"


def test_pairwise_and_bcubed_by_hand(spark):
    s = score_groups(spark.createDataFrame(SPLIT_AND_MERGED, RECORDS), "work_id", "set_id")
    # true pairs: 6 in A + 1 in B; predicted: 3 in x + 1 in y; both: (1,2) and (3,4)
    assert (s.true_pairs, s.predicted_pairs, s.true_positive_pairs) == (7, 4, 2)
    assert s.pairwise_precision == pytest.approx(2 / 4)
    assert s.pairwise_recall == pytest.approx(2 / 7)
    # B-cubed precision |G∩T|/|G|: 1,2 -> 2/3; 5 -> 1/3; 3,4 -> 1; 6 -> 1  => (14/3) / 6
    assert s.bcubed_precision == pytest.approx(7 / 9)
    # B-cubed recall |G∩T|/|T|: 1,2,3,4 -> 2/4; 5 -> 1/2; 6 -> 1/2  => 3 / 6
    assert s.bcubed_recall == pytest.approx(1 / 2)
    assert s.bcubed_f1 == pytest.approx(14 / 23)
    assert s.records == 6


def test_perfect_prediction_scores_one_and_singletons_have_no_pairs(spark):
    rows = [("1", "x", "A"), ("2", "x", "A"), ("3", "y", "B")]
    s = score_groups(spark.createDataFrame(rows, RECORDS), "work_id", "set_id")
    assert (s.pairwise_f1, s.bcubed_precision, s.bcubed_recall) == (1.0, 1.0, 1.0)
    assert (s.true_pairs, s.predicted_pairs) == (1, 1)


def test_null_truth_or_group_makes_a_record_its_own_group(spark):
    rows = [("1", "x", "A"), ("2", "x", None), ("3", None, "A")]
    s = score_groups(spark.createDataFrame(rows, RECORDS), "work_id", "set_id")
    # predicted pairs: (1,2), not true (2 has no truth); true pairs: (1,3), not predicted
    assert (s.true_pairs, s.predicted_pairs, s.true_positive_pairs) == (1, 1, 0)
    # B-cubed precision: 1 -> 1/2, 2 -> 1/2, 3 -> 1; recall: 1 -> 1/2, 2 -> 1, 3 -> 1/2
    assert s.bcubed_precision == pytest.approx(2 / 3)
    assert s.bcubed_recall == pytest.approx(2 / 3)


CLUSTERS = "record_id string, cluster_id string, set_id string"


def test_a_medley_counts_once_under_its_primary_work_and_videos_are_left_out(spark):
    clusters = spark.createDataFrame(
        [
            ("r1", "c1", "A"),
            ("r2", "c1", "A"),
            ("r3", "c2", "A"),
            ("r4", "c3", "A"),  # a video: no works row
            ("r5", "c4", "B"),  # a medley of B then A
        ],
        CLUSTERS,
    )
    works = spark.createDataFrame(
        [("w1", "c1", True), ("w1", "c2", True), ("w2", "c4", True), ("w1", "c4", False)],
        "work_id string, cluster_id string, primary boolean",
    )
    got = works_of_records(clusters, works)
    assert got.columns == ["record_id", "cluster_id", "set_id", "work_id"]
    assert sorted((r.record_id, r.work_id) for r in got.collect()) == [
        ("r1", "w1"),
        ("r2", "w1"),
        ("r3", "w1"),
        ("r5", "w2"),
    ]
    s = score_groups(got, "work_id", "set_id")
    assert s.records == 4 and s.pairwise_precision == 1.0 and s.pairwise_recall == 1.0


def test_works_without_a_primary_column_are_all_primary(spark):
    clusters = spark.createDataFrame([("r1", "c1", "A"), ("r2", "c2", "A")], CLUSTERS)
    works = spark.createDataFrame([("w1", "c1"), ("w1", "c2")], "work_id string, cluster_id string")
    assert sorted(r.work_id for r in works_of_records(clusters, works).collect()) == ["w1", "w1"]


def test_a_null_primary_counts_as_primary(spark):
    clusters = spark.createDataFrame([("r1", "c1", "A")], CLUSTERS)
    works = spark.createDataFrame(
        [("w1", "c1", None)], "work_id string, cluster_id string, primary boolean"
    )
    assert [r.work_id for r in works_of_records(clusters, works).collect()] == ["w1"]


def test_title_key_drops_brackets_case_and_punctuation():
    assert title_key("Laura (What's He Got That I Ain't Got)") == "laura"
    assert title_key("Don't Stop Me Now!") == "dont stop me now"
    assert title_key("YESTERDAY [Live]") == "yesterday"
    assert title_key("Because / Come Together") == "because come together"
    assert title_key("(Untitled)") is None
    assert title_key(None) is None


def test_title_only_baseline_groups_equal_keys(spark):
    df = spark.createDataFrame(
        [
            ("1", "Yesterday", "A"),
            ("2", "yesterday (Remastered 2009)", "A"),
            ("3", "Ieri", "A"),
            ("4", "Yesterday!", "B"),
        ],
        "record_id string, title string, set_id string",
    )
    grouped = title_only_groups(df, "title")
    keys = {r.record_id: r.title_group for r in grouped.collect()}
    assert keys == {"1": "yesterday", "2": "yesterday", "3": "ieri", "4": "yesterday"}
    s = score_groups(grouped, "title_group", "set_id")
    # predicted: (1,2) (1,4) (2,4); true: (1,2) (1,3) (2,3)
    assert (s.true_pairs, s.predicted_pairs, s.true_positive_pairs) == (3, 3, 1)


TITLED = "record_id string, work_id string, set_id string, title string"


def test_missed_and_wrong_pairs_are_counted_by_title_pair(spark):
    df = spark.createDataFrame(
        [
            ("1", "x", "A", "Yesterday"),
            ("2", "x", "A", "Yesterday"),
            ("3", "y", "A", "Ieri"),
            ("4", "x", "B", "Yesterday"),
        ],
        TITLED,
    )
    missed = [tuple(r) for r in missed_pairs(df, "work_id", "set_id", "title").collect()]
    wrong = [tuple(r) for r in wrong_pairs(df, "work_id", "set_id", "title").collect()]
    assert missed == [("Ieri", "Yesterday", 2)]
    assert wrong == [("Yesterday", "Yesterday", 2)]


def test_missed_and_wrong_pairs_add_up_to_the_scores(spark):
    df = spark.createDataFrame([(*row, f"t{int(row[0]) % 3}") for row in SPLIT_AND_MERGED], TITLED)
    s = score_groups(df, "work_id", "set_id")
    missed = missed_pairs(df, "work_id", "set_id", "title").toPandas()["pairs"].sum()
    wrong = wrong_pairs(df, "work_id", "set_id", "title").toPandas()["pairs"].sum()
    assert missed == s.true_pairs - s.true_positive_pairs
    assert wrong == s.predicted_pairs - s.true_positive_pairs


def test_records_without_truth_are_never_missed_pairs(spark):
    df = spark.createDataFrame(
        [("1", "x", None, "a"), ("2", "y", None, "a"), ("3", "x", None, "a")], TITLED
    )
    assert missed_pairs(df, "work_id", "set_id", "title").count() == 0
    # but sharing a predicted group with them is wrong: (1,3)
    assert [tuple(r) for r in wrong_pairs(df, "work_id", "set_id", "title").collect()] == [
        ("a", "a", 1)
    ]
