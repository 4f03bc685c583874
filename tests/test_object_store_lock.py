"""The lease that holds an object-store output (runtime/lease.py), raced and
expired for real on the local filesystem: delta-rs commits there with the same
put-if-absent rule as on S3, Azure or GCS, and `lock.kind: lease` forces it."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest
from deltalake import DeltaTable

from conf.config import LockConfig
from conf.errors import ConfigError
from runtime.lease import HELD, LEASE_TABLE, RELEASED, Lease
from runtime.lock import OutputInUse, OutputLock

LEASE = LockConfig(kind="lease", lease_s=60, renew_s=20)
STARTERS = 4
TRIALS = 12


def _newest(output: str) -> dict:
    (row,) = DeltaTable(os.path.join(output, LEASE_TABLE)).to_pyarrow_table().to_pylist()
    return row


def _starter(index, output, start, tried, done, holding, overlaps, won, refusals) -> None:
    """One of STARTERS processes: in each trial, take the lease at the same
    moment as the others and, if it got it, hold it until all have tried."""
    for trial in range(TRIALS):
        start.wait(timeout=60)
        lock = OutputLock(output, f"starter {index}", LEASE)
        try:
            lock.acquire()
        except OutputInUse as exc:
            if "another run is writing to" in str(exc) and "run starter " in str(exc):
                # Under its lock: losers refused at the same moment would
                # otherwise lose one another's increments.
                with refusals.get_lock():
                    refusals.value += 1
            tried.wait(timeout=60)
        else:
            with holding.get_lock():
                holding.value += 1
                if holding.value > 1:
                    overlaps.value += 1
            won[trial * STARTERS + index] = 1
            tried.wait(timeout=60)
            with holding.get_lock():
                holding.value -= 1
            lock.release()
        done.wait(timeout=60)


def test_starters_racing_for_a_lease_let_exactly_one_in_and_name_it(tmp_path):
    # spawn, not fork: delta-rs's runtime threads do not survive a fork.
    ctx = multiprocessing.get_context("spawn")
    output = str(tmp_path / "out")
    start, done = ctx.Barrier(STARTERS + 1), ctx.Barrier(STARTERS + 1)
    tried = ctx.Barrier(STARTERS)
    holding, overlaps = ctx.Value("i", 0), ctx.Value("i", 0)
    refusals = ctx.Value("i", 0)
    won = ctx.Array("i", TRIALS * STARTERS)
    args = (output, start, tried, done, holding, overlaps, won, refusals)
    starters = [ctx.Process(target=_starter, args=(i, *args)) for i in range(STARTERS)]
    for p in starters:
        p.start()
    try:
        for trial in range(TRIALS):
            # The first trial races to create the table itself; every later
            # one starts from the previous winner's release.
            start.wait(timeout=120)
            done.wait(timeout=60)
            winners = won[trial * STARTERS : (trial + 1) * STARTERS]
            assert sum(winners) == 1, f"trial {trial}: winners {winners}"
            assert overlaps.value == 0, f"two holders at once by trial {trial}"
            assert _newest(output)["state"] == RELEASED
    finally:
        for p in starters:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in starters)
    # every loser was refused with the holder named
    assert refusals.value == TRIALS * (STARTERS - 1)


def _hold_until_killed(output, ready) -> None:
    lock = OutputLock(output, "doomed", LockConfig(kind="lease", lease_s=3, renew_s=0.5))
    lock.acquire()
    lock.run_id = "run-doomed"
    ready.set()
    time.sleep(120)


def test_a_dead_holders_lease_expires_and_the_next_run_takes_it_over(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    output = str(tmp_path / "out")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_until_killed, args=(output, ready))
    holder.start()
    try:
        assert ready.wait(timeout=60)
        time.sleep(1.5)  # past a renewal: the run id is in the table
        with pytest.raises(
            OutputInUse,
            match=rf"another run is writing to .*: run doomed \(run id run-doomed, pid {holder.pid} on ",
        ):
            OutputLock(output, "second", LEASE).acquire()
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(timeout=20)
    assert holder.exitcode == -signal.SIGKILL
    killed_at = time.monotonic()
    # Still held right after the kill: nothing but expiry frees a lease.
    with pytest.raises(OutputInUse, match="run doomed"):
        OutputLock(output, "third", LEASE).acquire()
    time.sleep(max(0.0, 3.2 - (time.monotonic() - killed_at)))
    with OutputLock(output, "next", LEASE):
        row = _newest(output)
        assert (row["holder"], row["state"], row["pid"]) == ("next", HELD, os.getpid())
        with pytest.raises(OutputInUse, match="run next"):
            OutputLock(output, "fourth", LEASE).acquire()
    assert _newest(output)["state"] == RELEASED


def test_a_holder_that_keeps_renewing_keeps_the_output_past_its_first_expiry(tmp_path):
    output = str(tmp_path)
    cfg = LockConfig(kind="lease", lease_s=1.0, renew_s=0.2)
    with OutputLock(output, "long run", cfg):
        first = _newest(output)["expires_at"]
        time.sleep(2.0)
        with pytest.raises(OutputInUse, match="run long run"):
            OutputLock(output, "eager", cfg).acquire()
        assert _newest(output)["expires_at"] > first
    # released: the next run starts at once, no expiry to wait for
    with OutputLock(output, "after", cfg):
        assert _newest(output)["holder"] == "after"


def test_a_holder_whose_lease_lapsed_learns_it_lost_and_does_not_release_the_new_one(tmp_path):
    output = str(tmp_path)
    lost = []
    # renew_s far beyond lease_s: a holder that stalled and could not renew in time
    stalled = Lease(output, "stalled", lease_s=0.5, renew_s=100, on_lost=lambda: lost.append(1))
    stalled.acquire()
    time.sleep(0.7)
    with OutputLock(output, "successor", LEASE):
        assert stalled.renew() is False and stalled.lost and lost == [1]
        stalled.release()
        with pytest.raises(OutputInUse, match="run successor"):
            OutputLock(output, "third", LEASE).acquire()


def test_a_store_without_conditional_writes_is_refused():
    with pytest.raises(ConfigError, match="AWS_S3_ALLOW_UNSAFE_RENAME=true makes every"):
        Lease("s3://bucket/out", "run", storage_options={"AWS_S3_ALLOW_UNSAFE_RENAME": "true"})


@pytest.mark.parametrize(
    ("output", "kind", "held_by"),
    [
        ("/data/out", "auto", "flock"),
        ("file:///data/out", "auto", "flock"),
        ("s3://bucket/out", "auto", "lease"),
        ("abfss://c@acct.dfs.core.windows.net/out", "auto", "lease"),
        ("gs://bucket/out", "auto", "lease"),
        ("dbfs:/mnt/out", "auto", "none"),
        ("/data/out", "lease", "lease"),
        ("s3://bucket/out", "flock", "none"),
    ],
)
def test_how_each_output_is_held(output, kind, held_by):
    assert OutputLock(output, "run", LockConfig(kind=kind)).kind == held_by
