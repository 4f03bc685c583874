"""The Splink settings tracklink builds from its config."""

from conf.config import load_config
from linkage.model import settings


def _levels(cfg, column):
    for comparison in settings(cfg.linkage).comparisons:
        as_dict = comparison.get_comparison("spark").as_dict()
        if as_dict["output_column_name"] == column:
            return as_dict["comparison_levels"]
    raise AssertionError(f"no comparison on {column}")


def test_term_frequency_floor_reaches_the_title_and_artist_exact_levels():
    cfg = load_config(None, ["linkage.tf_minimum_u=0.0002"])
    for column in ("title_norm", "artist_norm"):
        exact = [lvl for lvl in _levels(cfg, column) if lvl.get("tf_adjustment_column")]
        assert [lvl["tf_minimum_u_value"] for lvl in exact] == [0.0002]


def test_without_a_floor_splink_keeps_its_default():
    cfg = load_config(None, ["linkage.tf_minimum_u=null"])
    exact = [lvl for lvl in _levels(cfg, "title_norm") if lvl.get("tf_adjustment_column")]
    assert exact and all(lvl.get("tf_minimum_u_value") is None for lvl in exact)
