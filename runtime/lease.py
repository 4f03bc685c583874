"""A run's hold on an output that is not a local path: a lease in a Delta table.

An object store has no `flock`, but a Delta commit is put-if-absent: version
N+1 of a table's log is written only if no one wrote it first, and delta-rs
reports the loser's commit as failed (with `max_commit_retries=0` it does not
retry on top of the winner). The lease table, `<output>/_lock_table`, holds one
row, the newest lease: state (held or released), the holder's run name and
run id, host, pid, since, expires_at. Every change overwrites that row in one
commit based on the version its writer read:

- acquire: read version N; if its row is held by someone else and not yet
  expired, refuse naming the holder; else commit our row as N+1. Of starters
  racing from the same N exactly one commit lands; the others refuse, naming
  the winner.
- renew: a heartbeat thread commits the row again with a later expires_at
  every `renew_s`, only while the newest row is still ours. A holder whose
  process or driver dies stops renewing and its lease expires `lease_s` after
  the last renewal; the next starter takes over (and says so).
- release: commit the row as released.

A holder that finds its lease taken (it could not renew within `lease_s`: a
paused driver, a lost network) has lost the output: it logs that and calls
`on_lost`, by default interrupting the main thread so the run stops before it
commits over the new holder's tables.

Expiry compares the writer's clock with the reader's: keep `lease_s` far
above the clock skew between drivers (NTP keeps it under a second).

Storage, as delta-rs 1.x writes it (docs: delta-io.github.io/delta-rs,
"Writing to S3", and its issue #4464 that removed the DynamoDB log store):
- S3: put-if-absent is S3's conditional write (`If-None-Match`, on AWS since
  August 2024), delta-rs's default for s3://; no locking provider (DynamoDB)
  exists or is needed any more. Credentials as for any delta-rs write
  (AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile or the
  instance's role) in `lock.storage_options` or the environment. An
  S3-compatible store without conditional writes needs
  `AWS_S3_ALLOW_UNSAFE_RENAME=true` to write at all, which makes every commit
  blind: the lease refuses such options. For MinIO, R2 and the like set
  `conditional_put: etag` (and AWS_ENDPOINT_URL, AWS_ALLOW_HTTP as needed).
- Azure (abfss://, az://) and GCS (gs://): put-if-absent is native;
  credentials (AZURE_STORAGE_ACCOUNT_NAME / _KEY, a service principal,
  GOOGLE_SERVICE_ACCOUNT) as delta-rs documents them.
- A local path (when forced with `lock.kind: lease`): delta-rs renames
  without replacing, so the same holds there; this is how the tests race it.
"""

from __future__ import annotations

import _thread
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

from conf.errors import ConfigError, EnvironmentProblem, InputError
from runtime.progress import get_logger

LEASE_TABLE = "_lock_table"
HELD, RELEASED = "held", "released"

_TIME = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema(
    [
        ("state", pa.string()),
        ("holder", pa.string()),
        ("run_id", pa.string()),
        ("token", pa.string()),
        ("host", pa.string()),
        ("pid", pa.int64()),
        ("since", _TIME),
        ("expires_at", _TIME),
    ]
)
# Old log entries and overwritten rows are of no use to anyone after a day.
_TABLE_PROPERTIES = {
    "delta.logRetentionDuration": "interval 1 days",
    "delta.deletedFileRetentionDuration": "interval 1 hours",
}
_UNSAFE = "AWS_S3_ALLOW_UNSAFE_RENAME"


class LeaseTaken(InputError):
    """Another run holds the output's lease (runtime.lock.OutputInUse derives from it)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _interrupt_main() -> None:
    _thread.interrupt_main()


@dataclass
class Lease:
    """The lease on `output` for the run `holder` (see the module's docstring)."""

    output: str
    holder: str
    lease_s: float = 600.0
    renew_s: float = 60.0
    storage_options: dict[str, str] = field(default_factory=dict)
    # Called from the heartbeat thread when the lease is lost.
    on_lost: Callable[[], None] = _interrupt_main
    # Which error a refused starter raises (runtime.lock passes OutputInUse).
    refused: type[InputError] = LeaseTaken
    # The run's id, once known: written with the next renewal.
    run_id: str = ""
    token: str | None = field(default=None, init=False)
    lost: bool = field(default=False, init=False)
    _since: datetime | None = field(default=None, init=False, repr=False)
    _pid: int | None = field(default=None, init=False, repr=False)
    _renewed: float = field(default=0.0, init=False, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _beat: threading.Thread | None = field(default=None, init=False, repr=False)
    _mutex: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        unsafe = self.storage_options.get(_UNSAFE) or os.environ.get(_UNSAFE)
        if str(unsafe).lower() == "true":
            raise ConfigError(
                f"bad config: {_UNSAFE}=true makes every Delta commit blind, so the lease on "
                f"{self.output} could not exclude a second run; use a store with conditional "
                "writes (AWS S3 has them; MinIO and R2: conditional_put=etag)"
            )

    @property
    def uri(self) -> str:
        return f"{self.output.rstrip('/')}/{LEASE_TABLE}"

    # -- the table

    def _load(self):
        """The lease table at its newest version (created empty if missing)."""
        from deltalake import DeltaTable
        from deltalake.exceptions import CommitFailedError, TableNotFoundError

        try:
            return DeltaTable(self.uri, storage_options=self.storage_options or None)
        except TableNotFoundError:
            pass
        except Exception as exc:  # noqa: BLE001 - delta-rs: credentials, an unknown scheme
            raise self._unreachable(exc) from None
        try:
            DeltaTable.create(
                self.uri,
                SCHEMA,
                mode="ignore",
                configuration=_TABLE_PROPERTIES,
                storage_options=self.storage_options or None,
            )
        except CommitFailedError:
            pass  # another starter created it first: the same empty table
        except Exception as exc:  # noqa: BLE001
            raise self._unreachable(exc) from None
        return DeltaTable(self.uri, storage_options=self.storage_options or None)

    def _unreachable(self, exc: Exception) -> EnvironmentProblem:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return EnvironmentProblem(
            f"cannot hold {self.output}: its lease table {self.uri} is not reachable ({first}); "
            "set lock.storage_options (credentials, region), or lock.kind=flock to run unguarded"
        )

    @staticmethod
    def _newest(dt) -> dict | None:
        rows = dt.to_pyarrow_table().to_pylist()
        return max(rows, key=lambda r: r["expires_at"]) if rows else None

    def _commit(self, dt, state: str, expires: datetime) -> bool:
        """Our row as the version after `dt`'s; False if someone else wrote that version."""
        from deltalake import CommitProperties, write_deltalake
        from deltalake.exceptions import CommitFailedError

        row = {
            "state": state,
            "holder": self.holder,
            "run_id": self.run_id,
            "token": self.token,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": self._since,
            "expires_at": expires,
        }
        try:
            write_deltalake(
                dt,
                pa.Table.from_pylist([row], schema=SCHEMA),
                mode="overwrite",
                commit_properties=CommitProperties(
                    max_commit_retries=0, custom_metadata={"tracklink_lease": state}
                ),
            )
        except CommitFailedError:
            return False
        return True

    def _is_ours(self, row: dict | None) -> bool:
        return row is not None and row["token"] == self.token and row["state"] == HELD

    # -- acquire, renew, release

    def acquire(self) -> Lease:
        if self.token is not None:
            raise self.refused(f"{self.uri} is already held by this lease")
        dt = self._load()
        newest = self._newest(dt)
        now = _now()
        if newest is not None and newest["state"] == HELD and newest["expires_at"] > now:
            raise self.refused(self._busy(newest))
        self.token, self._since, self._pid = uuid.uuid4().hex, now, os.getpid()
        won = self._commit(dt, HELD, now + _seconds(self.lease_s))
        if won:
            # A second look: the newest row must be ours, whatever delta-rs did.
            won = self._is_ours(self._newest(self._load()))
        if not won:
            self.token = None
            winner = self._newest(self._load())
            raise self.refused(self._busy(winner or {}, raced=True))
        if newest is not None and newest["state"] == HELD:
            get_logger().warning(
                "%s: took over the lease of run %s (pid %s on %s), expired at %s",
                self.output,
                newest["holder"],
                newest["pid"],
                newest["host"],
                _text(newest["expires_at"]),
            )
        self._renewed = time.monotonic()
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name="tracklink-lease", daemon=True)
        self._beat.start()
        return self

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.renew_s):
            if not self.renew():
                return

    def renew(self) -> bool:
        """Extend the lease by `lease_s` from now; False once it is lost."""
        with self._mutex:
            if self.token is None or self.lost:
                return False
            try:
                dt = self._load()
                if not self._is_ours(self._newest(dt)):
                    return self._lose(self._newest(dt))
                if self._commit(dt, HELD, _now() + _seconds(self.lease_s)):
                    self._renewed = time.monotonic()
                    return True
                newest = self._newest(self._load())
                if not self._is_ours(newest):
                    return self._lose(newest)
            except Exception as exc:  # noqa: BLE001 - a store that is briefly unreachable
                get_logger().warning("%s: could not renew the lease (%s)", self.output, exc)
            if time.monotonic() - self._renewed > self.lease_s:
                return self._lose(None)
            return True

    def _lose(self, taker: dict | None) -> bool:
        self.lost = True
        by = f"run {taker['holder']} (pid {taker['pid']} on {taker['host']})" if taker else "no one"
        get_logger().error(
            "%s: this run's lease lapsed and is now held by %s: stopping before it writes",
            self.output,
            by,
        )
        self.on_lost()
        return False

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None and self._beat is not threading.current_thread():
            self._beat.join()
        self._beat = None
        with self._mutex:
            token, lost = self.token, self.lost
            if token is None or lost or os.getpid() != self._pid:
                # Never held, taken over, or a forked child's copy: nothing of ours to release.
                self.token = None
                return
            for _ in range(3):
                dt = self._load()
                if not self._is_ours(self._newest(dt)):
                    break
                if self._commit(dt, RELEASED, _now()):
                    self._tidy(dt)
                    break
            self.token = None

    def _tidy(self, dt) -> None:
        # Each commit leaves the overwritten row's file behind; drop the old ones.
        try:
            dt.update_incremental()
            dt.vacuum(retention_hours=1, enforce_retention_duration=False, dry_run=False)
        except Exception as exc:  # noqa: BLE001 - tidying is optional
            get_logger().info("%s: lease table not vacuumed (%s)", self.output, exc)

    def _busy(self, h: dict, raced: bool = False) -> str:
        line = (
            f"another run is writing to {self.output}: run {h.get('holder', '?')} "
            f"(run id {h.get('run_id') or '?'}, pid {h.get('pid', '?')} on {h.get('host', '?')}, "
            f"since {_text(h.get('since'))}; lease until {_text(h.get('expires_at'))})"
        )
        if raced:
            line += "; it started at the same moment and won"
        return line

    def __enter__(self) -> Lease:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _seconds(s: float):
    from datetime import timedelta

    return timedelta(seconds=s)


def _text(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t is not None else "?"
