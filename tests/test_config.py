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


def test_crossed_year_bounds_are_refused_but_equal_ones_kept():
    with pytest.raises(
        ConfigError, match=r"^bad config: normalise\.min_year: 2031 is above max_year 2030"
    ):
        load_config(None, ["normalise.min_year=2031"])
    # Both bounds are kept: equal bounds keep one year.
    assert load_config(None, ["normalise.min_year=2030"]).normalise.min_year == 2030
    with pytest.raises(ConfigError, match=r"^bad config: normalise\.min_duration_s: 20000"):
        load_config(None, ["normalise.min_duration_s=20000"])


@pytest.mark.parametrize(
    ("assignment", "key"),
    [
        ("linkage.u_max_pairs=.inf", "linkage.u_max_pairs"),
        ("linkage.u_max_pairs=.nan", "linkage.u_max_pairs"),
        ("normalise.max_duration_s=.inf", "normalise.max_duration_s"),
        ("clustering.threshold=.nan", "clustering.threshold"),
        ("semantics.title_tie_max_chance=.inf", "semantics.title_tie_max_chance"),
        ("labelling.mix={random: .nan}", "labelling.mix.random"),
        ("training.anchor_weights=[100, .inf]", "training.anchor_weights.1"),
        ("progress.heartbeat_s=.inf", "progress.heartbeat_s"),
    ],
    ids=lambda v: v.split("=")[0] if "=" in v else "",
)
def test_inf_and_nan_are_refused_naming_the_key(assignment, key):
    with pytest.raises(ConfigError, match=rf"^bad config: {key}: Input should be a finite number"):
        load_config(None, [assignment])


def test_a_config_under_which_no_blocker_runs_is_refused():
    from blocking import check_blocking

    none_on = ["blocking.exact_keys=[]", "blocking.minhash.enabled=false"]
    cfg = load_config(None, none_on)
    with pytest.raises(
        ConfigError, match=r"^bad config: blocking: no blocker is on.*input\.embeddings"
    ):
        check_blocking(cfg.blocking, cfg.input.embeddings)
    # Vector columns are a blocker of their own, unless switched off.
    with_vectors = load_config(None, [*none_on, "input.embeddings=[audio]"])
    check_blocking(with_vectors.blocking, with_vectors.input.embeddings)
    off = load_config(
        None, [*none_on, "input.embeddings=[audio]", "blocking.vectors.enabled=false"]
    )
    with pytest.raises(ConfigError, match=r"blocking\.vectors\.enabled is false"):
        check_blocking(off.blocking, off.input.embeddings)
    # Any one blocker is enough.
    for one in ("blocking.exact_keys=[isrc]", "blocking.embedding.enabled=true"):
        check_blocking(load_config(None, [*none_on, one]).blocking, [])


def test_check_config_refuses_no_blocker_before_a_session():
    from pipeline import check_config

    cfg = load_config(
        None,
        [
            "blocking.exact_keys=[]",
            "blocking.minhash.enabled=false",
            "blocking.vectors.enabled=false",
        ],
    )
    with pytest.raises(ConfigError, match=r"^bad config: blocking: no blocker is on"):
        check_config(cfg)


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        (
            ["blocking.embedding.enabled=true", "blocking.embedding.weights_path=MISSING"],
            r"^bad config: blocking\.embedding\.weights_path: no such file .*missing\.pt",
        ),
        (
            ["blocking.embedding.enabled=true", "blocking.embedding.version=v999"],
            r"^bad config: blocking\.embedding\.version: no packaged fast encoder 'v999'",
        ),
        (
            ["linkage.pair_model.weights_path=MISSING"],
            r"^bad config: linkage\.pair_model\.weights_path: no such file .*missing\.pt",
        ),
        (
            ["linkage.pair_model.weights_path=NOT_A_MODEL"],
            r"^bad config: linkage\.pair_model\.weights_path: .*not-a-model\.pt is not a pair model",
        ),
        (["linkage.pair_model.version=v999"], r"linkage\.pair_model\.version: .*'v999'"),
    ],
    ids=[
        "embedding-weights-missing",
        "embedding-version-unknown",
        "pair-model-weights-missing",
        "pair-model-weights-not-a-model",
        "pair-model-version-unknown",
    ],
)
def test_a_weights_file_that_is_not_there_is_refused_at_start(tmp_path, assignments, message):
    from pipeline import check_config

    not_a_model = tmp_path / "not-a-model.pt"
    not_a_model.write_text("not weights")
    paths = {"MISSING": str(tmp_path / "missing.pt"), "NOT_A_MODEL": str(not_a_model)}
    for placeholder, path in paths.items():
        assignments = [a.replace(placeholder, path) for a in assignments]
    with pytest.raises(ConfigError, match=message):
        check_config(load_config(None, assignments))


def test_the_weights_of_what_is_switched_off_are_not_checked(tmp_path):
    from pipeline import check_config

    missing = str(tmp_path / "missing.pt")
    check_config(
        load_config(
            None,
            [
                f"blocking.embedding.weights_path={missing}",
                "linkage.pair_model.enabled=false",
                f"linkage.pair_model.weights_path={missing}",
            ],
        )
    )


def test_a_vector_column_name_the_stored_model_could_not_hold_is_refused():
    from pipeline.run import check_config

    with pytest.raises(ConfigError, match=r"input.embeddings: 'audio\.vec'"):
        check_config(load_config(None, ["input.embeddings=[audio.vec]"]))
