"""The typed config: defaults, overrides, and errors that name the key."""

import pytest

from conf.config import load_config
from conf.errors import ConfigError


def test_packaged_config_loads_and_matches_the_defaults():
    cfg = load_config()
    assert cfg.clustering.threshold == 0.9
    assert "minhash" not in cfg.blocking.exact_keys
    assert cfg.blocking.minhash.bands * cfg.blocking.minhash.rows > 0


def test_set_overrides_parse_values_as_yaml():
    cfg = load_config(
        None,
        [
            "clustering.threshold=0.95",
            "blocking.minhash.enabled=false",
            "blocking.exact_keys=[isrc]",
        ],
    )
    assert cfg.clustering.threshold == 0.95
    assert cfg.blocking.minhash.enabled is False
    assert cfg.blocking.exact_keys == ["isrc"]


def test_unknown_key_is_an_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"blocking\.minhash\.bandz: unknown key"):
        load_config(None, ["blocking.minhash.bandz=4"])


def test_bad_value_is_an_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"clustering\.threshold"):
        load_config(None, ["clustering.threshold=1.5"])


def test_an_unknown_blocker_is_an_error_naming_the_key_and_the_known_ones():
    from blocking import check_blocking

    cfg = load_config(None, ["blocking.exact_keys=[isrc, nonsense]"])
    with pytest.raises(
        ConfigError, match=r"blocking\.exact_keys\.1: unknown blocker 'nonsense'.*isrc"
    ):
        check_blocking(cfg.blocking)
    cfg = load_config(None, ["blocking.block_size_caps={isbn: 5}"])
    with pytest.raises(ConfigError, match=r"blocking\.block_size_caps\.isbn: unknown blocker"):
        check_blocking(cfg.blocking)


def test_a_blockers_own_cap_applies_unless_the_config_overrides_it():
    from blocking import block_size_caps

    assert block_size_caps(load_config().blocking)["title_head_duration"] == 50
    cfg = load_config(None, ["blocking.block_size_caps={title_head_duration: 20}"])
    assert block_size_caps(cfg.blocking)["title_head_duration"] == 20


def test_fixed_m_must_be_probabilities_that_sum_to_one():
    with pytest.raises(ConfigError, match="fixed_m"):
        load_config(None, ["linkage.fixed_m={version_class: [0.5, 0.2]}"])


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "nope.yaml"))


def test_malformed_set_is_a_config_error():
    with pytest.raises(ConfigError, match="key=value"):
        load_config(None, ["clustering.threshold"])


def test_fingerprint_changes_with_the_config():
    assert load_config().fingerprint() == load_config().fingerprint()
    assert (
        load_config().fingerprint() != load_config(None, ["clustering.threshold=0.8"]).fingerprint()
    )
