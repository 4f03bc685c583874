"""The model learns from a bounded uniform sample; scoring covers everything."""

from linkage.scoring import training_sample


def test_small_inputs_are_used_whole(spark):
    records = spark.range(500).withColumnRenamed("id", "record_id")
    sample = training_sample(records, 1000, seed=1)
    assert sample.rows is records
    assert sample.records == 500


def test_large_inputs_are_sampled_to_about_the_limit_and_reproducibly(spark):
    records = spark.range(20_000).withColumnRenamed("id", "record_id")
    sample = training_sample(records, 2_000, seed=1)
    first = {r.record_id for r in sample.rows.collect()}
    second = {r.record_id for r in training_sample(records, 2_000, seed=1).rows.collect()}
    assert 1_600 < len(first) < 2_400
    assert sample.records == len(first)
    assert first == second


def test_u_is_sampled_per_record_between_splinks_default_and_the_cap():
    from conf.config import LinkageConfig
    from linkage.scoring import u_sample_pairs

    cfg = LinkageConfig(u_max_pairs=1e7, u_pairs_per_record=100)
    assert u_sample_pairs(cfg, 19_268) == 1_926_800
    assert u_sample_pairs(cfg, 2_000) == 1e6  # never under Splink's own default
    assert u_sample_pairs(cfg, 200_000) == 1e7  # the cap holds
    assert u_sample_pairs(cfg, None) == 1e7  # unknown size: the cap
