"""Incremental runs against a full run on the same records, and the safety of
the output folder: locks, killed runs, idempotent re-runs."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from catalog.generator import generate_catalog
from conf.errors import InputError
from jobs import resolve as resolve_job
from runtime.lock import LOCK_NAME, OutputInUse, OutputLock
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

RECORDS = 600
SETTINGS = ["--set", "spark.shuffle_partitions=2"]


def _table(out, name, version=None) -> pd.DataFrame:
    return DeltaTable(os.path.join(out, name), version=version).to_pandas()


def _resolve(*argv) -> None:
    assert resolve_job.main([*argv, *SETTINGS]) == 0


@pytest.fixture(scope="module")
def catalog_split(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("incr_input")
    everything = generate_catalog(spark, RECORDS, seed=21).toPandas()
    increment = everything.sample(frac=0.1, random_state=3)
    paths = {}
    for name, df in (
        ("all", everything),
        ("base", everything.drop(increment.index)),
        ("increment", increment),
    ):
        paths[name] = str(folder / f"{name}.parquet")
        df.to_parquet(paths[name], index=False)
    return paths


@pytest.fixture(scope="module")
def outputs(catalog_split, tmp_path_factory):
    root = tmp_path_factory.mktemp("incr_out")
    full, incr = str(root / "full"), str(root / "incr")
    _resolve("--input", catalog_split["all"], "--output", full)
    _resolve("--input", catalog_split["base"], "--output", incr)
    _resolve("--mode", "incremental", "--input", catalog_split["increment"], "--output", incr)
    return {"full": full, "incr": incr}


def _pairs_in_clusters(df: pd.DataFrame) -> set[tuple[str, str]]:
    pairs = set()
    for ids in df.groupby("cluster_id").record_id.apply(sorted):
        pairs |= {(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]}
    return pairs


def test_incremental_result_agrees_with_a_full_run(outputs):
    full = _table(outputs["full"], "clusters")
    incr = _table(outputs["incr"], "clusters")
    assert sorted(incr.record_id) == sorted(full.record_id)
    p_full, p_incr = _pairs_in_clusters(full), _pairs_in_clusters(incr)
    tp = len(p_full & p_incr)
    f1 = 2 * tp / (len(p_full) + len(p_incr))
    assert len(p_incr) > 50  # something was linked at all
    assert f1 >= 0.98


def _record_works(out: str) -> pd.DataFrame:
    """`record_id`, `cluster_id` (its work) of every record in a work."""
    clusters = _table(out, "clusters")[["record_id", "cluster_id"]]
    works = _table(out, "works")[["cluster_id", "work_id"]]
    return clusters.merge(works, on="cluster_id")[["record_id", "work_id"]].rename(
        columns={"work_id": "cluster_id"}
    )


def test_an_increment_rewrites_works_video_links_and_relationships_as_a_full_run_would(outputs):
    runs = _table(outputs["incr"], "runs")
    incr_run = runs[runs["mode"] == "incremental"].run_id.iloc[0]
    for table in ("works", "video_links", "relationships"):
        assert DeltaTable(os.path.join(outputs["incr"], table)).version() == 1
        rows = _table(outputs["incr"], table)
        assert set(rows.run_id) <= {incr_run}
        assert len(rows) > 0 or table == "video_links"
    # every resolved record has its same_recording edge, new ones included
    edges = _table(outputs["incr"], "relationships")
    same = edges[edges.edge == "same_recording"]
    assert set(same.src) == set(_table(outputs["incr"], "clusters").record_id)
    p_full = _pairs_in_clusters(_record_works(outputs["full"]))
    p_incr = _pairs_in_clusters(_record_works(outputs["incr"]))
    assert len(p_full) > 50
    assert 2 * len(p_full & p_incr) / (len(p_full) + len(p_incr)) >= 0.98


def test_clusters_that_gained_no_member_keep_their_ids_and_rows(outputs, catalog_split):
    before = _table(outputs["incr"], "clusters", version=0)
    after = _table(outputs["incr"], "clusters")
    new_ids = set(pd.read_parquet(catalog_split["increment"]).record_id)
    joined = before.merge(after, on="record_id", suffixes=("_b", "_a"))
    gained = set(after[after.record_id.isin(new_ids)].cluster_id)
    untouched = joined[~joined.cluster_id_a.isin(gained)]
    assert len(untouched) > 0.5 * len(before)
    assert (untouched.cluster_id_a == untouched.cluster_id_b).all()
    # ...and their rows were not rewritten: they still carry the base run's id
    assert (untouched.run_id_a == untouched.run_id_b).all()
    # every input row is accounted for: resolved, or quarantined by one of the runs
    quarantined = _table(outputs["incr"], "quarantine")
    assert len(after) + len(quarantined) == RECORDS


def test_change_data_feed_shows_exactly_the_merged_rows(outputs):
    after = _table(outputs["incr"], "clusters")
    runs = _table(outputs["incr"], "runs")
    incr_run = runs[runs["mode"] == "incremental"].run_id.iloc[0]
    rewritten = set(after[after.run_id == incr_run].record_id)
    cdf = DeltaTable(os.path.join(outputs["incr"], "clusters")).load_cdf(starting_version=1)
    changes = pa.table(cdf.read_all()).to_pandas()
    changed = set(changes[changes._change_type.isin(["insert", "update_postimage"])].record_id)
    assert rewritten and changed == rewritten


def test_commits_carry_run_id_mode_and_counts(outputs):
    history = DeltaTable(os.path.join(outputs["incr"], "clusters")).history()
    latest = history[0]["tracklink"]
    assert latest["mode"] == "incremental" and latest["rows_in"] > 0 and latest["run_id"]


@pytest.fixture
def copy_of_incr(outputs, tmp_path):
    out = str(tmp_path / "copy")
    shutil.copytree(outputs["incr"], out)
    return out


def test_rerunning_an_increment_is_idempotent(copy_of_incr, catalog_split):
    before = _table(copy_of_incr, "clusters")
    _resolve(
        "--mode", "incremental", "--input", catalog_split["increment"], "--output", copy_of_incr
    )
    after = _table(copy_of_incr, "clusters")
    assert after.record_id.is_unique and len(after) == len(before)
    merged = before.merge(after, on="record_id")
    assert (merged.cluster_id_x == merged.cluster_id_y).all()
    assert _table(copy_of_incr, "records").record_id.is_unique
    pairs = _table(copy_of_incr, "pairs")
    assert not pairs.duplicated(["record_id_l", "record_id_r"]).any()
    keys = _table(copy_of_incr, "block_keys")
    assert not keys.duplicated(["record_id", "blocker", "key"]).any()


def test_a_changed_record_replaces_its_old_version(copy_of_incr, catalog_split, tmp_path):
    base = pd.read_parquet(catalog_split["base"])
    clusters = _table(copy_of_incr, "clusters")
    in_groups = clusters[clusters.cluster_size > 1].record_id
    changed = base[base.record_id.isin(in_groups)].head(1).copy()
    changed["title"] = "Zyxwvut Qqqrrr"
    # A new title alone may still be the same recording (its ISRC says so,
    # and the pair model believes the ISRC): make it another recording.
    changed["isrc"] = None
    path = str(tmp_path / "update.parquet")
    changed.to_parquet(path, index=False)
    _resolve("--mode", "incremental", "--input", path, "--output", copy_of_incr)

    rid = changed.record_id.iloc[0]
    after = _table(copy_of_incr, "clusters")
    row = after[after.record_id == rid].iloc[0]
    assert row.title == "Zyxwvut Qqqrrr" and row.cluster_size == 1
    assert after.record_id.is_unique
    keys = _table(copy_of_incr, "block_keys")
    title_keys = keys[(keys.record_id == rid) & (keys.blocker == "title_artist")].key
    assert len(title_keys) == 1 and "zyxwvut" in title_keys.iloc[0]
    pairs = _table(copy_of_incr, "pairs")
    mine = pairs[(pairs.record_id_l == rid) | (pairs.record_id_r == rid)]
    assert not mine.linked.any()


def test_incremental_needs_a_full_run_first(catalog_split, tmp_path):
    with pytest.raises(InputError, match="needs the tables of a full run"):
        resolve_job.main(
            [
                "--mode",
                "incremental",
                "--input",
                catalog_split["increment"],
                "--output",
                str(tmp_path),
            ]
        )


def test_a_second_run_on_a_busy_output_fails_cleanly(catalog_split, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = tmp_path / LOCK_NAME
        lock.write_text(
            f'{{"pid": {holder.pid}, "host": "{socket.gethostname()}", "run": "other"}}'
        )
        with pytest.raises(OutputInUse, match="another run is writing"):
            resolve_job.main(["--input", catalog_split["base"], "--output", str(tmp_path)])
        assert not (tmp_path / "clusters").exists()
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone: its lock is stale and the next run takes it over
    with OutputLock(str(tmp_path), "next"):
        assert json.loads(lock.read_text())["run"] == "next"
    # released: the file stays (see runtime/lock.py), naming no holder
    assert lock.read_text() == ""


STARTERS = 4
TRIALS = 40


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _starter(index, output, start, tried, done, holding, overlaps, won) -> None:
    """One of STARTERS processes: in each trial, try the lock at the same
    moment as the others and, if it got it, hold it until all have tried."""
    for trial in range(TRIALS):
        start.wait(timeout=20)
        lock = OutputLock(output, f"starter {index}")
        try:
            lock.acquire()
        except OutputInUse:
            tried.wait(timeout=20)
        else:
            with holding.get_lock():
                holding.value += 1
                if holding.value > 1:
                    overlaps.value += 1
            won[trial * STARTERS + index] = 1
            tried.wait(timeout=20)
            with holding.get_lock():
                holding.value -= 1
            lock.release()
        done.wait(timeout=20)


def test_starters_racing_for_a_stale_or_missing_lock_let_exactly_one_in(tmp_path):
    ctx = multiprocessing.get_context("fork")
    output = str(tmp_path)
    path = tmp_path / LOCK_NAME
    dead = _dead_pid()
    here = socket.gethostname()
    # What a trial starts from: a dead holder's record written by this
    # tracklink or by one that locked by the file's existence (the race this
    # guards against: both starters judge it stale), no file, an empty file.
    crashed = {"lock": "flock", "pid": dead, "host": here, "run": "crashed"}
    crashed_before_upgrade = {"pid": dead, "host": here, "run": "crashed before the upgrade"}
    starts = [crashed, crashed_before_upgrade, None, crashed, crashed_before_upgrade, ""]
    start, done = ctx.Barrier(STARTERS + 1), ctx.Barrier(STARTERS + 1)
    tried = ctx.Barrier(STARTERS)
    holding, overlaps = ctx.Value("i", 0), ctx.Value("i", 0)
    won = ctx.Array("i", TRIALS * STARTERS)
    starters = [
        ctx.Process(target=_starter, args=(i, output, start, tried, done, holding, overlaps, won))
        for i in range(STARTERS)
    ]
    for p in starters:
        p.start()
    try:
        for trial in range(TRIALS):
            state = starts[trial % len(starts)]
            if state is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(state if isinstance(state, str) else json.dumps(state))
            start.wait(timeout=20)
            done.wait(timeout=20)
            winners = won[trial * STARTERS : (trial + 1) * STARTERS]
            assert sum(winners) == 1, f"trial {trial} from {state!r}: winners {winners}"
            assert overlaps.value == 0, f"two holders at once by trial {trial}"
    finally:
        for p in starters:
            p.join(timeout=20)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in starters)


def _hold_until_killed(output, ready) -> None:
    OutputLock(output, "doomed").acquire()
    ready.set()
    time.sleep(60)


def test_a_lock_held_by_a_killed_process_is_free_for_the_next_run(tmp_path):
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_until_killed, args=(str(tmp_path), ready))
    holder.start()
    try:
        assert ready.wait(timeout=20)
        with pytest.raises(
            OutputInUse,
            match=rf"another run is writing to .*: run doomed \(pid {holder.pid} on ",
        ):
            OutputLock(str(tmp_path), "second").acquire()
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(timeout=20)
    assert holder.exitcode == -signal.SIGKILL
    # its record is still in the file, but the kernel dropped its lock
    assert json.loads((tmp_path / LOCK_NAME).read_text())["run"] == "doomed"
    with OutputLock(str(tmp_path), "next"):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["run"] == "next"
        with pytest.raises(OutputInUse, match="run next"):
            OutputLock(str(tmp_path), "third").acquire()


def test_a_file_uri_output_is_locked_at_its_path(tmp_path):
    with OutputLock(f"file://{tmp_path}", "uri"):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["run"] == "uri"
        with pytest.raises(OutputInUse, match="run uri"):
            OutputLock(str(tmp_path), "plain").acquire()


def test_a_live_holder_from_an_earlier_tracklink_is_refused(tmp_path):
    """A record without the `lock` field was written by a tracklink that held
    the folder by the file's existence: a live holder on this host, or any on
    another host, keeps the folder; a dead one on this host does not."""
    path = tmp_path / LOCK_NAME
    live = {"pid": os.getppid(), "host": socket.gethostname(), "run": "old"}
    for record in (live, {**live, "host": "elsewhere", "pid": _dead_pid()}):
        path.write_text(json.dumps(record))
        with pytest.raises(OutputInUse, match=r"run old .*if that run is gone, delete"):
            OutputLock(str(tmp_path), "new").acquire()
        assert json.loads(path.read_text()) == record
    path.write_text(json.dumps({**live, "pid": _dead_pid()}))
    with OutputLock(str(tmp_path), "new"):
        assert json.loads(path.read_text())["run"] == "new"


def test_a_run_killed_while_writing_leaves_every_table_at_its_previous_version(
    catalog_split, tmp_path
):
    out = str(tmp_path / "out")
    _resolve("--input", catalog_split["base"], "--output", out)
    tables = [
        "clusters",
        "pairs",
        "quarantine",
        "cluster_events",
        "records",
        "block_keys",
        "model",
        "runs",
    ]
    before = {t: DeltaTable(os.path.join(out, t)).version() for t in tables}
    rows_before = len(_table(out, "clusters"))

    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    env.pop("PYSPARK_GATEWAY_PORT", None)
    cmd = [
        sys.executable,
        "-m",
        "jobs.resolve",
        "--input",
        catalog_split["all"],
        "--output",
        out,
        *SETTINGS,
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "write ..." in line:
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert any("write ..." in s for s in seen), "".join(seen[-20:])
    time.sleep(0.5)
    after = {t: DeltaTable(os.path.join(out, t)).version() for t in tables}
    assert after == before
    assert len(_table(out, "clusters")) == rows_before
    # the killed run's lock is stale: the next run proceeds and commits
    _resolve("--input", catalog_split["all"], "--output", out)
    assert DeltaTable(os.path.join(out, "clusters")).version() == before["clusters"] + 1


def test_show_reads_history_and_any_version(outputs, capsys):
    from storage.versions import history, select

    hist = history(outputs["incr"], "clusters")
    assert list(hist.sort_values("version")["mode"]) == ["full", "incremental"]
    base = select(outputs["incr"], "clusters", 0)
    assert len(base) < len(select(outputs["incr"], "clusters", None))
    rid = base.record_id.iloc[0]
    members = select(outputs["incr"], "clusters", 0, record_id=rid)
    assert rid in set(members.record_id) and members.cluster_id.nunique() == 1
    with pytest.raises(InputError, match="no version 9"):
        select(outputs["incr"], "clusters", 9)


def test_incremental_refuses_the_embedding_blocker(outputs, catalog_split):
    from conf.errors import ConfigError

    argv = [
        "--mode",
        "incremental",
        "--input",
        catalog_split["increment"],
        "--output",
        outputs["incr"],
    ]
    with pytest.raises(ConfigError, match="blocking.embedding.enabled"):
        resolve_job.main([*argv, "--set", "blocking.embedding.enabled=true"])
