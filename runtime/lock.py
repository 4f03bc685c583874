"""One run at a time per output folder.

Two runs writing the same tables would each compute stable ids from the same
previous version and both commit: Delta keeps each table consistent, but the
tables would disagree with each other. A run therefore holds `<output>/_lock`
and a second run stops with a one-line error naming the holder.

What holds the folder is the kernel's lock (`flock`) on that file, not the
file's existence. An existence lock needs someone to decide that a lock left by
a dead process is stale and remove it, and that decision races: two starters
both judge the same file stale, one removes it and creates its own, the other
then removes the new one and both run. A kernel lock is dropped by the kernel
when its holder exits, however it exits, so there is nothing to take over and
no staleness to judge. The file's text (pid, host, run, since) only names the
holder for the error message; it decides nothing.

The file is never removed, only emptied on release. A releasing run that
unlinked it would let a third starter create and lock a new file while a
second still holds the old, unlinked one. For the same reason a starter that
finds, once locked, that the path no longer names the file it locked (someone
deleted it by hand) starts over on the new file.

An earlier tracklink held the folder by the file's existence alone: its text
carries no `lock` field. While such a holder is alive on this host, or when it
was written on another host (whose processes this one cannot see), a run
still refuses, so that upgrading tracklink mid-run cannot let two runs in.

Object stores have no `flock`: there a run holds a lease committed to a Delta
table, `<output>/_lock_table` (runtime/lease.py: put-if-absent commits, a
heartbeat that renews it, expiry of a holder that died), chosen by
`lock.kind` (auto: flock for local and mounted paths, the lease for s3://,
abfss://, gs:// and other stores delta-rs writes). `dbfs:/` is not one of
them: give such an output by its cloud URI to have it guarded, or let the
scheduler serialise its runs (a Databricks job's max_concurrent_runs: 1); a
run there goes on with a warning. Nor does every mounted filesystem lock:
where the kernel refuses `flock`, the run goes on without the lock, with a
warning (`lock.kind: lease` guards such a mount instead).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from conf.config import LockConfig
from runtime.lease import Lease, LeaseTaken
from runtime.paths import is_local
from runtime.progress import get_logger

LOCK_NAME = "_lock"
# Written into the file by a holder of the kernel lock; a record without it is
# from a tracklink that locked by the file's existence.
_KIND = "flock"
# errno of a filesystem that has no flock (some FUSE and network mounts).
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(fd: int) -> dict:
    try:
        size = os.fstat(fd).st_size
        holder = json.loads(os.pread(fd, max(size, 1), 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _same_file(fd: int, path: str) -> bool:
    try:
        on_path = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_path.st_dev, on_path.st_ino) == (mine.st_dev, mine.st_ino)


class OutputInUse(LeaseTaken):
    """Another run holds the output folder."""


# Schemes delta-rs cannot write: no lease there (see the module's docstring).
_NO_LEASE = ("dbfs:",)


@dataclass
class OutputLock:
    output: str
    run_name: str
    cfg: LockConfig = field(default_factory=LockConfig)
    # The locked file's descriptor while held, and the process that locked it.
    _fd: int | None = field(default=None, init=False, repr=False, compare=False)
    _pid: int | None = field(default=None, init=False, repr=False, compare=False)
    # The lease, where the output is held by one (see `kind`).
    _lease: Lease | None = field(default=None, init=False, repr=False, compare=False)
    _run_id: str = field(default="", init=False, repr=False, compare=False)

    @property
    def kind(self) -> str:
        """How this output is held: "flock", "lease" or "none" (runs unguarded)."""
        local = self._local()
        if self.cfg.kind == "lease" or (self.cfg.kind == "auto" and not local):
            if local or not self.output.lower().startswith(_NO_LEASE):
                return "lease"
        return "flock" if local else "none"

    @property
    def run_id(self) -> str:
        return self._run_id

    @run_id.setter
    def run_id(self, value: str) -> None:
        """The run's id once known: a lease names it to a refused starter."""
        self._run_id = value
        if self._lease is not None:
            self._lease.run_id = value

    @property
    def folder(self) -> str:
        """The output as a local path (a file: URI's path)."""
        if self.output.startswith("file:"):
            return urlparse(self.output).path
        return self.output

    @property
    def path(self) -> str:
        return os.path.join(self.folder, LOCK_NAME)

    def _local(self) -> bool:
        return is_local(self.output)

    def acquire(self) -> OutputLock:
        kind = self.kind
        if kind == "lease":
            where = self.folder if self._local() else self.output
            if self._lease is not None:
                raise OutputInUse(f"{where} is already held by this lock")
            lease = Lease(
                where,
                self.run_name,
                self.cfg.lease_s,
                self.cfg.renew_s,
                dict(self.cfg.storage_options),
                refused=OutputInUse,
                run_id=self._run_id,
            )
            self._lease = lease.acquire()
            return self
        if kind == "none":
            get_logger().warning(
                "%s cannot be locked (no flock on an object store, and no lease for this "
                "scheme): runs on it must be serialised by whoever starts them",
                self.output,
            )
            return self
        if self._fd is not None:
            raise OutputInUse(f"{self.path} is already held by this lock")
        os.makedirs(self.folder, exist_ok=True)
        while True:
            # No O_EXCL and no O_TRUNC: the file may exist, and a holder's text stays.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self._holder_of(fd)
                os.close(fd)
                raise OutputInUse(self._busy(holder)) from None
            except OSError as exc:
                os.close(fd)
                if exc.errno not in _NO_LOCKS:
                    raise
                get_logger().warning(
                    "%s cannot be locked on this filesystem (%s): runs on %s must be "
                    "serialised by whoever starts them",
                    self.path,
                    exc.strerror,
                    self.output,
                )
                return self
            if _same_file(fd, self.path):
                break
            # Deleted or replaced after we opened it: the lock we hold guards nothing.
            os.close(fd)
        earlier = _read(fd)
        if self._earlier_tracklink_holds(earlier):
            os.close(fd)
            raise OutputInUse(self._busy(earlier, by_hand=True))
        record = {
            "lock": _KIND,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run": self.run_name,
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode(), 0)
        except OSError:
            os.close(fd)
            raise
        self._fd, self._pid = fd, os.getpid()
        return self

    @staticmethod
    def _earlier_tracklink_holds(record: dict) -> bool:
        if not record or record.get("lock") == _KIND:
            return False
        pid = record.get("pid")
        if record.get("host") != socket.gethostname():
            return True
        return isinstance(pid, int) and pid != os.getpid() and pid_alive(pid)

    @staticmethod
    def _holder_of(fd: int) -> dict:
        # The holder writes its name just after it locks: give it a moment.
        for _ in range(10):
            holder = _read(fd)
            if holder:
                return holder
            time.sleep(0.02)
        return {}

    def _busy(self, h: dict, by_hand: bool = False) -> str:
        line = (
            f"another run is writing to {self.output}: run {h.get('run', '?')} "
            f"(pid {h.get('pid', '?')} on {h.get('host', '?')}, since {h.get('since', '?')})"
        )
        if by_hand:
            line += f"; if that run is gone, delete {self.path}"
        return line

    def release(self) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.release()
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if os.getpid() == self._pid:
            # Emptied, never removed (see the module's docstring); closing unlocks.
            os.ftruncate(fd, 0)
        # A forked child closes only its copy: the parent still holds the lock.
        os.close(fd)

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
