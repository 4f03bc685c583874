"""Undo what a run that died left behind, before the next run starts.

A run's commit point is its row in `runs` (see `storage.delta.DeltaStore`).
A run killed inside its commit step leaves some tables with versions that no
finished run recorded; readers already skip them, and this module makes the
tables themselves agree again:

* a table whose newest versions were written by runs that never finished is
  restored (Delta RESTORE, a new version) to the newest version a finished run
  (or a restore) wrote; one that no finished run ever wrote is removed;
* folders of staged files that no finished run committed are deleted;
* MLflow runs of this output left RUNNING by a killed process are marked KILLED.

It runs under the output's lock, so no other run can be writing.
"""

from __future__ import annotations

from collections.abc import Callable

from runtime.tracking import RunTracker
from storage.delta import DeltaStore

# Every table a resolve run writes (`runs` is its commit point, one commit).
RUN_TABLES = (
    "clusters",
    "pairs",
    "quarantine",
    "cluster_events",
    "records",
    "block_keys",
    "model",
    "works",
    "video_links",
    "relationships",
)


def roll_back_unfinished(
    store: DeltaStore, note: Callable[..., None], finished: set[str] | None = None
) -> dict[str, int | None]:
    """Restore every table to its last finished run's state; returns
    table -> the version restored to (None: removed) for each table changed.
    `finished`: the run ids in `runs` (read when not given)."""
    finished = store.committed_run_ids() if finished is None else finished
    changed: dict[str, int | None] = {}
    for table in RUN_TABLES:
        if store.latest_version(table) is None:
            continue
        commits = store.commits(table)
        keep = next(
            (v for v, meta in commits if meta.get("run_id") in finished or "run_id" not in meta),
            None,
        )
        dead = sorted(
            {m["run_id"] for v, m in commits if "run_id" in m and (keep is None or v > keep)}
        )
        if keep == commits[0][0]:
            continue
        if keep is None:
            store.drop(table)
            note("%s: written only by run(s) that never finished (%s): removed", table, dead)
        else:
            store.restore(table, keep, {"rolled_back": dead})
            note(
                "%s: versions %d-%d of run(s) that never finished (%s) rolled back to version %d",
                table,
                keep + 1,
                commits[0][0],
                ", ".join(dead),
                keep,
            )
        changed[table] = keep
    return changed


def remove_unfinished_files(
    store: DeltaStore, current_run: str, finished: set[str], note: Callable[..., None]
) -> int:
    """Delete staged folders of runs that never finished; returns how many."""
    removed = 0
    for table in RUN_TABLES:
        folders = [
            (run, folder)
            for run, folder in store.staged_folders(table)
            if run != current_run and run not in finished
        ]
        if not folders:
            continue
        # A guard: never a folder the table's current version reads from
        # (a table a dead run staged but never created has no version).
        live = ""
        if store.latest_version(table) is not None:
            live = "\n".join(store.files(table))
        for _, folder in folders:
            if folder.rstrip("/") + "/" not in live:
                store.remove_folder(folder)
                removed += 1
    if removed:
        note("removed %d folder(s) of files staged by runs that never finished", removed)
    return removed


def recover(store: DeltaStore, tracker: RunTracker, note: Callable[..., None]) -> None:
    """Everything above, logged; a no-op on an output whose last run finished."""
    finished = store.committed_run_ids()
    roll_back_unfinished(store, note, finished)
    remove_unfinished_files(store, tracker.run_id, finished, note)
    killed = tracker.mark_abandoned_runs()
    if killed:
        note("MLflow run(s) left running by a killed process marked KILLED: %s", ", ".join(killed))
