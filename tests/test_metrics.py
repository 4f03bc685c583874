"""Pairwise and B-cubed scores on a case small enough to check by hand."""

import pytest

from evaluation.metrics import score_clusters


def test_pairwise_and_bcubed_by_hand(spark):
    # truth: {1,2,3} {4,5}; predicted: {1,2} {3,4,5}
    truth = spark.createDataFrame(
        [("1", "A"), ("2", "A"), ("3", "A"), ("4", "B"), ("5", "B")],
        "record_id string, truth_id string",
    )
    pred = spark.createDataFrame(
        [("1", "x"), ("2", "x"), ("3", "y"), ("4", "y"), ("5", "y")],
        "record_id string, cluster_id string",
    )
    s = score_clusters(pred, truth)
    # true pairs: 3 + 1 = 4; predicted: 1 + 3 = 4; both: (1,2) and (4,5) = 2
    assert (s.true_pairs, s.predicted_pairs, s.true_positive_pairs) == (4, 4, 2)
    assert s.pairwise_precision == pytest.approx(0.5)
    assert s.pairwise_recall == pytest.approx(0.5)
    # B-cubed precision: 1,2 -> 1; 3 -> 1/3; 4,5 -> 2/3  => (2 + 1/3 + 4/3) / 5
    assert s.bcubed_precision == pytest.approx((2 + 1 / 3 + 4 / 3) / 5)
    # B-cubed recall: 1,2 -> 2/3; 3 -> 1/3; 4,5 -> 1  => (4/3 + 1/3 + 2) / 5
    assert s.bcubed_recall == pytest.approx((4 / 3 + 1 / 3 + 2) / 5)


def test_records_missing_from_the_prediction_count_as_missed(spark):
    truth = spark.createDataFrame([("1", "A"), ("2", "A")], "record_id string, truth_id string")
    pred = spark.createDataFrame([("1", "x")], "record_id string, cluster_id string")
    s = score_clusters(pred, truth)
    assert s.pairwise_recall == 0.0 and s.true_pairs == 1
