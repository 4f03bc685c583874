"""Labels, picking pairs to label, the labelling session, figures against
labels, training on them and promoting a model: the parts, on small
hand-made inputs (`tests/test_learn_from_labels_e2e.py` runs the jobs)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from conf.config import LabellingConfig, TrainingConfig, load_config
from conf.errors import InputError
from evaluation.golden import judged_against_clusters, score_pairs
from labelling.console import Session, side_by_side
from labelling.importer import as_label_rows, pairs_from_clusters, pairs_from_file
from labelling.selection import WAYS, _interleave, _shares, pick_pairs
from labelling.table import (
    LABELS,
    append_labels,
    current_labels,
    label_rows,
    ordered,
)
from linkage.from_labels import best_threshold, in_holdout
from linkage.registry import champion_version, promotion, running_model
from storage.delta import DeltaStore


def _pairs(rows: list[tuple]) -> set[tuple]:
    return {tuple(r) for r in rows}


def _collect(df, *columns) -> set[tuple]:
    return {tuple(r[c] for c in columns) for r in df.collect()}


# --- importing judged pairs -------------------------------------------------


def test_every_label_spelling_becomes_match_non_match_or_unsure(spark):
    spellings = {
        "match": "match",
        "1": "match",
        "1.0": "match",
        "TRUE": "match",
        " yes ": "match",
        "y": "match",
        "non_match": "non_match",
        "non-match": "non_match",
        "NonMatch": "non_match",
        "0": "non_match",
        "0.0": "non_match",
        "false": "non_match",
        "No": "non_match",
        "n": "non_match",
        "unsure": "unsure",
    }
    rows = [(f"a{i:02d}", f"b{i:02d}", spelt) for i, spelt in enumerate(spellings)]
    df = spark.createDataFrame(rows, "id_l string, id_r string, label string")
    got = {r.record_id_l: r.label for r in pairs_from_file(df, "golden.csv").collect()}
    assert got == {f"a{i:02d}": label for i, label in enumerate(spellings.values())}


def test_numeric_labels_and_record_id_column_names_are_read(spark):
    df = spark.createDataFrame(
        [("r1", "r2", 1), ("r1", "r3", 0)], "record_id_l string, record_id_r string, label int"
    )
    got = _collect(pairs_from_file(df, "golden.parquet"), "record_id_l", "record_id_r", "label")
    assert got == {("r1", "r2", "match"), ("r1", "r3", "non_match")}


def test_an_unknown_label_spelling_is_an_input_error_naming_it(spark):
    df = spark.createDataFrame(
        [("r1", "r2", "match"), ("r1", "r3", "Maybe")], "id_l string, id_r string, label string"
    )
    with pytest.raises(InputError, match=r"golden\.csv.*found 'maybe'"):
        pairs_from_file(df, "golden.csv")


def test_a_pairs_file_without_id_columns_says_which_it_needs(spark):
    df = spark.createDataFrame([("r1", "r2", "match")], "left string, right string, label string")
    with pytest.raises(InputError, match=r"needs columns id_l, id_r, label \(has: left, right"):
        pairs_from_file(df, "golden.csv")


def test_a_pair_naming_one_record_twice_is_refused(spark):
    df = spark.createDataFrame(
        [("r1", "r2", "match"), ("r3", "r3", "match")], "id_l string, id_r string, label string"
    )
    with pytest.raises(InputError, match="1 pairs name one record twice"):
        pairs_from_file(df, "golden.csv")


def test_a_pair_judged_both_ways_in_one_file_is_refused(spark):
    df = spark.createDataFrame(
        [("r1", "r2", "match"), ("r2", "r1", "no"), ("r3", "r4", "yes")],
        "id_l string, id_r string, label string",
    )
    with pytest.raises(InputError, match="1 pairs are labelled twice with different labels"):
        pairs_from_file(df, "golden.csv")


def test_imported_pairs_are_ordered_and_each_pair_kept_once(spark):
    df = spark.createDataFrame(
        [("r2", "r1", "match"), ("r1", "r2", "yes"), ("r9", "r3", "no"), ("r3", "r9", "0")],
        "id_l string, id_r string, label string",
    )
    got = pairs_from_file(df, "golden.csv").collect()
    assert sorted((r.record_id_l, r.record_id_r, r.label) for r in got) == [
        ("r1", "r2", "match"),
        ("r3", "r9", "non_match"),
    ]
    assert ordered("r9", "r3") == ("r3", "r9") == ordered("r3", "r9")


# --- a golden cluster column --------------------------------------------------


def _golden(spark):
    # g1 = {r1, r2, r3}, g2 = {r4}, g3 = {r5}; r6 names no cluster.
    return spark.createDataFrame(
        [("r1", "g1"), ("r2", "g1"), ("r3", "g1"), ("r4", "g2"), ("r5", "g3"), ("r6", None)],
        "record_id string, truth string",
    )


def test_a_cluster_column_gives_every_pair_within_a_cluster_as_a_match(spark):
    got = _collect(
        pairs_from_clusters(_golden(spark), None, "truth"), "record_id_l", "record_id_r", "label"
    )
    assert got == {("r1", "r2", "match"), ("r1", "r3", "match"), ("r2", "r3", "match")}


def test_a_cluster_column_gives_non_matches_only_across_clusters_among_candidates(spark):
    candidates = spark.createDataFrame(
        [
            ("r1", "r4"),  # across g1 and g2: a non-match
            ("r4", "r5"),  # across g2 and g3: a non-match
            ("r1", "r2"),  # within g1: a match, not a non-match
            ("r5", "r6"),  # r6 has no cluster: not judged
        ],
        "record_id_l string, record_id_r string",
    )
    pairs = pairs_from_clusters(_golden(spark), candidates, "truth")
    got = _collect(pairs, "record_id_l", "record_id_r", "label")
    assert {p for p in got if p[2] == "non_match"} == {
        ("r1", "r4", "non_match"),
        ("r4", "r5", "non_match"),
    }
    # (r2, r5) crosses two clusters too, but blocking never proposed it.
    assert {p for p in got if p[2] == "match"} == {
        ("r1", "r2", "match"),
        ("r1", "r3", "match"),
        ("r2", "r3", "match"),
    }
    assert pairs.count() == len(got)


def test_a_missing_cluster_column_is_an_input_error_naming_the_columns(spark):
    with pytest.raises(InputError, match=r"--cluster-column cid: no such column \(has: record_id"):
        pairs_from_clusters(_golden(spark), None, "cid")


def test_a_cluster_column_grouping_hundreds_of_records_is_refused(spark):
    rows = [(f"r{i:04d}", "everything") for i in range(201)]
    golden = spark.createDataFrame(rows, "record_id string, truth string")
    with pytest.raises(InputError, match="1 clusters have more than 200 records"):
        pairs_from_clusters(golden, None, "truth")


def test_pairs_naming_unknown_records_are_counted_not_imported(spark):
    records = spark.createDataFrame(
        [("r1", "Yellow", "Coldplay", "e1"), ("r2", "Yellow", "Coldplay", "e1")],
        "record_id string, title string, artists string, true_entity_id string",
    )
    pairs = spark.createDataFrame(
        [("r1", "r2", "match"), ("r1", "zz", "non_match"), ("qq", "r2", "non_match")],
        "record_id_l string, record_id_r string, label string",
    )
    imported = as_label_rows(pairs, records, "ana", "golden.csv", "run-1")
    assert (imported.pairs, imported.matches, imported.unknown_records) == (1, 1, 2)
    assert sorted(imported.examples) == ["qq~r2", "r1~zz"]
    [row] = imported.rows.collect()
    assert (row.record_id_l, row.record_id_r, row.label) == ("r1", "r2", "match")
    assert (row.labeller, row.origin, row.picked_by, row.run_id) == (
        "ana",
        "imported",
        "golden.csv",
        "run-1",
    )
    # The labeller sees the record's values, never the ground truth it passed through.
    assert json.loads(row.values_l) == {"title": "Yellow", "artists": "Coldplay"}


# --- the labels table -----------------------------------------------------------


def _judgement(left: str, right: str, label: str, at: str, **extra) -> dict:
    return {
        "record_id_l": left,
        "record_id_r": right,
        "label": label,
        "labeller": "ana",
        "labelled_at": at,
        "origin": "active",
        "picked_by": "random",
        "run_id": "run-1",
        **extra,
    }


def test_current_labels_keeps_each_pairs_latest_judgement(spark, tmp_path):
    store = DeltaStore(spark, str(tmp_path), "auto")
    assert current_labels(store) is None
    first = [
        _judgement("r1", "r2", "match", "2026-01-01T10:00:00.000001+00:00"),
        # Appended first but judged later: labelled_at decides, not the append order.
        _judgement("r1", "r3", "unsure", "2026-01-03T10:00:00.000000+00:00"),
    ]
    second = [
        _judgement("r1", "r2", "non_match", "2026-01-01T10:00:00.000002+00:00"),
        _judgement("r1", "r3", "match", "2026-01-02T10:00:00.000000+00:00"),
        _judgement("r2", "r3", "match", "2026-01-02T10:00:00.000000+00:00"),
    ]
    assert append_labels(store, label_rows(spark, first), "label").version == 0
    assert append_labels(store, label_rows(spark, second), "label").version == 1
    # Every judgement stays in the table...
    assert store.read(LABELS).count() == 5
    # ...and the latest of each pair is its label.
    got = _collect(current_labels(store), "record_id_l", "record_id_r", "label")
    assert got == {("r1", "r2", "non_match"), ("r1", "r3", "unsure"), ("r2", "r3", "match")}
    # An earlier version of the table gives the labels as they were then.
    then = _collect(current_labels(store, version=0), "record_id_l", "record_id_r", "label")
    assert then == {("r1", "r2", "match"), ("r1", "r3", "unsure")}


@pytest.mark.parametrize(
    "row",
    [
        _judgement("r2", "r1", "match", "2026-01-01T00:00:00+00:00"),
        _judgement("r1", "r1", "match", "2026-01-01T00:00:00+00:00"),
        _judgement("r1", "r2", "yes", "2026-01-01T00:00:00+00:00"),
        _judgement("r1", "r2", None, "2026-01-01T00:00:00+00:00"),
        _judgement(None, "r2", "match", "2026-01-01T00:00:00+00:00"),
    ],
    ids=["unordered", "one-record", "unknown-label", "no-label", "no-id"],
)
def test_the_labels_table_refuses_unordered_pairs_and_unknown_labels(spark, tmp_path, row):
    store = DeltaStore(spark, str(tmp_path), "auto")
    with pytest.raises(ValueError, match="ordered pairs"):
        append_labels(store, label_rows(spark, [row]), "label")
    assert store.version(LABELS) is None


# --- picking the pairs worth labelling ------------------------------------------

THRESHOLD = 0.9


def _scored(spark):
    """Candidate pairs of a run: a cluster of four (a1-a4) held by three
    links, a cluster of two (b1, b2), and 30 pairs of singletons at every
    probability below the threshold."""
    rows = [
        ("a1", "a2", 0.99, 0.98),
        ("a1", "a3", 0.95, 0.60),
        ("a2", "a4", 0.92, 0.90),
        ("a3", "x1", 0.40, 0.41),  # from the large cluster, not a link
        ("b1", "b2", 0.91, 0.95),  # a link, in a cluster of two
    ]
    rows += [(f"s{i:02d}", f"t{i:02d}", i / 34, (33 - i) / 34) for i in range(30)]
    pairs = spark.createDataFrame(
        rows,
        "record_id_l string, record_id_r string, match_probability double, "
        "splink_probability double",
    )
    sizes = [("a1", 4), ("a2", 4), ("a3", 4), ("a4", 4), ("b1", 2), ("b2", 2), ("x1", 1)]
    sizes += [(f"s{i:02d}", 1) for i in range(30)] + [(f"t{i:02d}", 1) for i in range(30)]
    clusters = spark.createDataFrame(sizes, "record_id string, cluster_size int")
    return pairs, clusters


def _keys(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(frame.record_id_l, frame.record_id_r, strict=True))


def test_picked_pairs_are_unlabelled_distinct_and_no_more_than_asked(spark):
    pairs, clusters = _scored(spark)
    # The pairs nearest the threshold and the weakest link are labelled already.
    done = [("a2", "a4"), ("b1", "b2"), ("a1", "a3"), ("s29", "t29"), ("s28", "t28")]
    labelled = spark.createDataFrame(done, "record_id_l string, record_id_r string")
    picked = pick_pairs(pairs, clusters, labelled, THRESHOLD, LabellingConfig(), n=12)
    assert len(picked) == 12
    assert not set(_keys(picked)) & set(done)
    assert len(set(_keys(picked))) == 12
    assert set(picked.picked_by) <= set(WAYS)
    # Without the labels, the pair nearest the threshold is shown first.
    fresh = pick_pairs(pairs, clusters, None, THRESHOLD, LabellingConfig(), n=12)
    assert _keys(fresh)[0] == ("b1", "b2")


def test_picking_again_offers_the_same_pairs(spark):
    pairs, clusters = _scored(spark)
    first = pick_pairs(pairs, clusters, None, THRESHOLD, LabellingConfig(), n=10)
    again = pick_pairs(pairs, clusters, None, THRESHOLD, LabellingConfig(), n=10)
    pd.testing.assert_frame_equal(first, again)


def test_a_random_share_in_the_mix_brings_random_pairs(spark):
    pairs, clusters = _scored(spark)
    half = LabellingConfig(mix={"near_threshold": 0.5, "random": 0.5})
    picked = pick_pairs(pairs, clusters, None, THRESHOLD, half, n=6)
    assert picked.picked_by.value_counts().to_dict() == {"near_threshold": 3, "random": 3}
    # Round robin: the random pairs are mixed in, not left to the end.
    assert list(picked.picked_by[:2]) == ["near_threshold", "random"]
    none = LabellingConfig(mix={"near_threshold": 1.0})
    assert set(pick_pairs(pairs, clusters, None, THRESHOLD, none, n=6).picked_by) == {
        "near_threshold"
    }


def test_weak_edges_are_only_links_inside_large_clusters_weakest_first(spark):
    pairs, clusters = _scored(spark)
    weak = LabellingConfig(mix={"weak_edge": 1.0}, large_cluster=3)
    picked = pick_pairs(pairs, clusters, None, THRESHOLD, weak, n=5)
    weak_edges = picked[picked.picked_by == "weak_edge"]
    # (b1, b2) is a link in a cluster of two; (a3, x1) is no link.
    assert _keys(weak_edges) == [("a2", "a4"), ("a1", "a3"), ("a1", "a2")]
    # The weak edges ran out: the other ways fill the batch.
    assert len(picked) == 5
    # Without clusters there are no weak edges to show.
    unclustered = pick_pairs(pairs, None, None, THRESHOLD, weak, n=5)
    assert "weak_edge" not in set(unclustered.picked_by)


def test_shares_split_a_batch_by_the_mix_and_add_up_to_it():
    cfg = LabellingConfig()  # 0.4 / 0.2 / 0.2 / 0.2
    assert _shares(cfg, 20) == {
        "near_threshold": 8,
        "disagreement": 4,
        "weak_edge": 4,
        "random": 4,
    }
    seven = _shares(cfg, 7)
    assert sum(seven.values()) == 7
    # 2.8 / 1.4 / 1.4 / 1.4: the largest remainder (0.8) is served first.
    assert seven["near_threshold"] == 3
    unnormalised = LabellingConfig(mix={"near_threshold": 3.0, "random": 1.0})
    assert _shares(unnormalised, 8) == {
        "near_threshold": 6,
        "disagreement": 0,
        "weak_edge": 0,
        "random": 2,
    }


def test_a_way_short_of_pairs_leaves_its_share_to_the_others():
    def frame(keys):
        return pd.DataFrame(
            [(a, b, 0.5, 0.5) for a, b in keys],
            columns=["record_id_l", "record_id_r", "match_probability", "splink_probability"],
        )

    frames = {
        "near_threshold": frame([("a", "b"), ("a", "c"), ("a", "d"), ("a", "e")]),
        # One pair, and near_threshold picked it too: shown once.
        "random": frame([("a", "b")]),
    }
    out = _interleave(frames, {"near_threshold": 2, "random": 2}, 4)
    assert _keys(out) == [("a", "b"), ("a", "c"), ("a", "d"), ("a", "e")]
    assert list(out.picked_by) == ["near_threshold"] * 4


# --- the labelling session ------------------------------------------------------


def test_side_by_side_marks_differing_fields_and_one_sided_ones():
    left = {"title": "Yellow", "artists": "Coldplay", "album": "Parachutes", "year": 2000}
    right = {
        "title": " yellow",
        "artists": "Coldplay",
        "album": None,
        "year": 2001,
        "isrc_norm": "GBAYE0000351",
        "version": None,
    }
    lines = side_by_side(json.dumps(left), json.dumps(right))
    # title differs only in case and spacing: the same; version is on neither side: not shown.
    assert [line[0] for line in lines] == [" ", " ", "-", "*", "-"]
    assert [re.split(r"\s+", line[2:].strip())[0] for line in lines] == [
        "title",
        "artists",
        "album",
        "year",
        "isrc_norm",
    ]
    assert "2000" in lines[3] and "2001" in lines[3]
    assert side_by_side(None, None) == []


def test_side_by_side_shortens_long_values():
    long = "x" * 80
    [line] = side_by_side(json.dumps({"title": long}), json.dumps({"title": "short"}))
    assert "x" * 35 + "~" in line and "x" * 36 not in line


def _batch(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id_l": [f"l{i}" for i in range(n)],
            "record_id_r": [f"r{i}" for i in range(n)],
            "match_probability": [0.5] * n,
            "splink_probability": [None] * n,
            "picked_by": ["near_threshold"] * n,
            "values_l": [json.dumps({"title": f"song {i}"}) for i in range(n)],
            "values_r": [json.dumps({"title": f"song {i}!"}) for i in range(n)],
        }
    )


class _Keys:
    """Scripted key presses; the prompts and what was said are kept."""

    def __init__(self, *keys: str | BaseException) -> None:
        self.keys = list(keys)
        self.said: list[str] = []

    def ask(self, prompt: str) -> str:
        if not self.keys:
            raise AssertionError("the session asked for more keys than the test gave")
        key = self.keys.pop(0)
        if isinstance(key, BaseException):
            raise key
        return key

    def say(self, text: str) -> None:
        self.said.append(text)

    def shown(self) -> list[str]:
        """The pairs shown, in order (`l0~r0`)."""
        return [
            m.group(1) + "~" + m.group(2)
            for m in (re.match(r"\[\d+/\d+\] (\S+)  ~  (\S+)", s) for s in self.said)
            if m
        ]


def test_back_asks_the_previous_pair_again_and_the_later_answer_is_its_label(spark, tmp_path):
    store = DeltaStore(spark, str(tmp_path), "auto")
    writes: list[list[dict]] = []

    def write(rows):
        writes.append(rows)
        append_labels(store, label_rows(spark, rows), "label")

    keys = _Keys("m", "b", "n", "u", "m")
    counts = Session(_batch(3), write, "ana", "run-1", ask=keys.ask, say=keys.say).run()
    # b at l1~r1 goes back to l0~r0; answered again, on to l1~r1.
    assert keys.shown() == ["l0~r0", "l1~r1", "l0~r0", "l1~r1", "l2~r2"]
    # The session counts each pair's last answer...
    assert counts == {"match": 1, "non_match": 1, "unsure": 1}
    # ...and the table keeps both judgements of l0~r0, the later one its label.
    assert [r["label"] for rows in writes for r in rows] == [
        "match",
        "non_match",
        "unsure",
        "match",
    ]
    got = _collect(current_labels(store), "record_id_l", "record_id_r", "label")
    assert got == {("l0", "r0", "non_match"), ("l1", "r1", "unsure"), ("l2", "r2", "match")}
    row = store.read(LABELS).where("label = 'unsure'").first()
    assert (row.labeller, row.origin, row.picked_by, row.run_id) == (
        "ana",
        "active",
        "near_threshold",
        "run-1",
    )
    assert json.loads(row.values_r) == {"title": "song 1!"}


def test_quitting_writes_the_answers_given_so_far():
    writes: list[list[dict]] = []
    keys = _Keys("m", "n", "q")
    counts = Session(_batch(4), writes.append, "ana", None, ask=keys.ask, say=keys.say).run()
    assert counts == {"match": 1, "non_match": 1, "unsure": 0}
    assert [[(r["record_id_l"], r["label"]) for r in rows] for rows in writes] == [
        [("l0", "match"), ("l1", "non_match")]
    ]
    assert keys.shown() == ["l0~r0", "l1~r1", "l2~r2"]


def test_a_session_cut_short_by_an_error_still_writes_its_answers():
    writes: list[list[dict]] = []
    keys = _Keys("m", "u", KeyboardInterrupt())
    session = Session(_batch(4), writes.append, "ana", None, ask=keys.ask, say=keys.say)
    with pytest.raises(KeyboardInterrupt):
        session.run()
    assert [[r["label"] for r in rows] for rows in writes] == [["match", "unsure"]]


def test_answers_are_written_every_flush_every_answers_and_at_the_end():
    writes: list[list[dict]] = []
    keys = _Keys("m", "n", "u", "m", "n")
    session = Session(
        _batch(5), writes.append, "ana", None, ask=keys.ask, say=keys.say, flush_every=2
    )
    session.run()
    assert [[r["record_id_l"] for r in rows] for rows in writes] == [
        ["l0", "l1"],
        ["l2", "l3"],
        ["l4"],
    ]


def test_a_key_that_is_no_answer_asks_the_same_pair_again():
    writes: list[list[dict]] = []
    keys = _Keys("x", "", "Match", "q")
    Session(_batch(2), writes.append, "ana", None, ask=keys.ask, say=keys.say).run()
    assert keys.shown() == ["l0~r0", "l0~r0", "l0~r0", "l1~r1"]
    assert any("m = match" in s for s in keys.said)
    # "Match" is read by its first key.
    assert [[(r["record_id_l"], r["label"]) for r in rows] for rows in writes] == [
        [("l0", "match")]
    ]


# --- figures against labels -----------------------------------------------------


def test_score_pairs_counts_precision_recall_and_f1():
    y = np.array([1, 1, 1, 1, 0, 0])
    predicted = np.array([1, 1, 0, 0, 1, 0])  # tp 2, fp 1, fn 2
    s = score_pairs(y, predicted, resamples=200, seed=0)
    assert (s.pairs, s.matches) == (6, 4)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(1 / 2)
    assert s.f1 == pytest.approx(4 / 7)


def test_score_pairs_intervals_hold_the_point_and_narrow_with_more_labels():
    y = np.array([1, 1, 1, 1, 0, 0, 1, 0, 1, 0])
    predicted = np.array([1, 1, 0, 1, 1, 0, 1, 0, 0, 0])
    small = score_pairs(y, predicted, resamples=1000, seed=0)
    large = score_pairs(np.tile(y, 40), np.tile(predicted, 40), resamples=1000, seed=0)
    for s in (small, large):
        for point, (low, high) in (
            (s.precision, s.precision_ci),
            (s.recall, s.recall_ci),
            (s.f1, s.f1_ci),
        ):
            assert low <= point <= high
    assert (large.precision, large.recall, large.f1) == pytest.approx(
        (small.precision, small.recall, small.f1)
    )

    def width(ci):
        return ci[1] - ci[0]

    assert width(large.precision_ci) < width(small.precision_ci) / 3
    assert width(large.recall_ci) < width(small.recall_ci) / 3
    assert width(large.f1_ci) < width(small.f1_ci) / 3
    flat = large.as_dict()
    assert flat["f1_ci_low"] <= flat["f1"] <= flat["f1_ci_high"]


def test_score_pairs_with_no_predicted_match_has_full_precision_and_no_recall():
    s = score_pairs(np.array([1, 0, 1]), np.array([0, 0, 0]), resamples=100)
    assert (s.precision, s.recall, s.f1) == (1.0, 0.0, 0.0)


def test_judged_pairs_are_predicted_matches_when_the_run_put_them_in_one_cluster(spark):
    labels = label_rows(
        spark,
        [
            _judgement("r1", "r2", "match", "t"),
            _judgement("r1", "r3", "non_match", "t"),
            _judgement("r2", "r9", "match", "t"),  # r9 is in no cluster of the run
            _judgement("r3", "r4", "unsure", "t"),
        ],
    )
    clusters = spark.createDataFrame(
        [("r1", "c1"), ("r2", "c1"), ("r3", "c1"), ("r4", "c2")],
        "record_id string, cluster_id string",
    )
    pairs = spark.createDataFrame(
        [("r1", "r2", 0.97)], "record_id_l string, record_id_r string, match_probability double"
    )
    judged = judged_against_clusters(labels, clusters, pairs).toPandas()
    got = {
        (r.record_id_l, r.record_id_r): (r.label, r.predicted, r.match_probability)
        for r in judged.itertuples()
    }
    assert got.keys() == {("r1", "r2"), ("r1", "r3"), ("r2", "r9")}
    assert got[("r1", "r2")] == ("match", True, 0.97)
    assert got[("r1", "r3")][:2] == ("non_match", True)
    assert got[("r2", "r9")][:2] == ("match", False)
    assert np.isnan(got[("r1", "r3")][2])


# --- training on labels -----------------------------------------------------------


def _ids(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id_l": [f"r{i:06d}" for i in range(start, start + n)],
            "record_id_r": [f"s{i:06d}" for i in range(start, start + n)],
        }
    )


def test_a_pair_stays_on_its_side_of_the_holdout_as_labels_are_added():
    before = _ids(2000)
    held = pd.Series(in_holdout(before, 0.3), index=before.record_id_l)
    assert 0.25 < held.mean() < 0.35
    # More labels, in another order: every earlier pair keeps its side.
    after = pd.concat([_ids(1000, start=5000), before]).sample(frac=1.0, random_state=1)
    held_after = pd.Series(in_holdout(after, 0.3), index=after.record_id_l.to_numpy())
    assert (held_after.reindex(held.index) == held).all()


def test_best_threshold_keeps_the_preferred_one_when_it_is_among_the_best():
    y = np.array([1] * 100 + [0] * 100)
    p = np.concatenate([np.linspace(0.6, 0.99, 100), np.linspace(0.01, 0.4, 100)])
    # Every threshold in (0.4, 0.6] separates the labels perfectly.
    assert best_threshold(y, p, 0.0, prefer=0.5) == pytest.approx(0.5)


def test_best_threshold_moves_to_the_best_f1_nearest_the_preferred_one():
    y = np.array([1] * 100 + [0] * 100)
    p = np.concatenate([np.linspace(0.6, 0.99, 100), np.linspace(0.01, 0.4, 100)])
    # At 0.9 three quarters of the matches are lost: the labels say otherwise.
    # The near-best (F1 within one match's worth, 0.01) thresholds run from
    # just above 0.4 to the second-lowest match, 0.6039; that is the nearest.
    t = best_threshold(y, p, 0.0, prefer=0.9)
    assert t == pytest.approx(0.6039)
    # Preferring one below them, the lowest of them: at 0.3961 two
    # non-matches are linked, F1 200/202, still within 0.01 of the best.
    assert best_threshold(y, p, 0.0, prefer=0.2) == pytest.approx(0.3961)
    # A wider tolerance (F1 0.9) reaches further towards the preferred
    # threshold: to the 19th-lowest match, 18 of the 100 lost.
    wide = best_threshold(y, p, 0.1, prefer=0.9)
    assert wide == pytest.approx(0.6709)
    assert 2 * ((p >= wide) & (y == 1)).sum() / ((p >= wide).sum() + 100) >= 0.9


def test_best_threshold_without_a_labelled_match_is_the_preferred_one():
    assert best_threshold(np.zeros(5, dtype=int), np.linspace(0, 1, 5), 0.0, prefer=0.8) == 0.8


# --- promotion ----------------------------------------------------------------------


def _figures(f1: float, precision: float) -> dict[str, float]:
    return {"f1": f1, "precision": precision, "recall": 0.9}


def test_a_challenger_with_lower_or_equal_f1_is_not_promoted():
    cfg = TrainingConfig()
    better, why = promotion(_figures(0.95, 1.0), _figures(0.96, 0.99), cfg, "v5")
    assert not better
    assert why == "F1 0.9500 is not above v5's 0.9600"
    assert not promotion(_figures(0.96, 1.0), _figures(0.96, 0.99), cfg, "v5")[0]


def test_a_challenger_losing_more_precision_than_allowed_is_not_promoted():
    cfg = TrainingConfig(max_precision_loss=0.002)
    better, why = promotion(_figures(0.97, 0.990), _figures(0.96, 0.995), cfg, "champion")
    assert not better
    assert why.startswith("precision 0.9900 is more than 0.002 below champion's 0.9950")
    # The same challenger, allowed to lose 0.01 of precision.
    loose = TrainingConfig(max_precision_loss=0.01)
    assert promotion(_figures(0.97, 0.990), _figures(0.96, 0.995), loose, "champion")[0]


def test_a_challenger_with_a_real_gain_is_promoted():
    better, why = promotion(
        _figures(0.97, 0.994), _figures(0.96, 0.995), TrainingConfig(), "champion"
    )
    assert better
    assert why == "F1 0.9700 > 0.9600 and precision 0.9940 vs 0.9950 (champion)"


def test_a_gain_below_min_f1_gain_is_not_promoted():
    cfg = TrainingConfig(min_f1_gain=0.02)
    better, why = promotion(_figures(0.97, 1.0), _figures(0.96, 1.0), cfg, "champion")
    assert not better and why.endswith("by more than 0.02")
    assert promotion(_figures(0.99, 1.0), _figures(0.96, 1.0), cfg, "champion")[0]


def test_an_output_without_a_registry_runs_the_packaged_model(tmp_path):
    cfg = load_config(None, [])
    assert champion_version(cfg, str(tmp_path)) is None
    running = running_model(cfg, str(tmp_path))
    assert running.version is None
    assert running.name == cfg.linkage.pair_model.version
    assert running.threshold == cfg.clustering.threshold
    # Asking did not create an MLflow store in the output.
    assert not (tmp_path / "mlruns").exists()


@pytest.mark.parametrize(
    "mix",
    [
        {"near_threshold": 0, "disagreement": 0, "weak_edge": 0, "random": 0},
        {"near_threshold": 2, "random": -1},
    ],
    ids=["all-zero", "negative"],
)
def test_a_labelling_mix_without_a_positive_share_is_a_config_error(mix):
    from conf.errors import ConfigError

    overrides = [f"labelling.mix={json.dumps(mix)}"]
    with pytest.raises(ConfigError, match=r"labelling\b.*\bmix: "):
        load_config(None, overrides)


@pytest.mark.parametrize(
    ("output", "local"),
    [
        ("out/resolved", True),
        ("/data/out", True),
        ("file:///data/out", True),
        ("s3://bucket/out", False),
        ("dbfs:/mnt/out", False),
    ],
)
def test_files_beside_the_tables_go_under_a_local_output_or_a_temporary_folder(output, local):
    from runtime.paths import side_folder

    folder = side_folder(output, "_reports", "run-1")
    assert folder.endswith("/_reports/run-1")
    if local:
        assert folder.startswith(output.removeprefix("file://"))
    else:
        assert "://" not in folder and not folder.startswith("dbfs:")
