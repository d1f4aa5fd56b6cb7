"""One writer per run folder: ``RUN/.lock``, held by the process that trains into it.

    lock = RunLock.acquire(run_dir)   # RunLocked (one sentence naming the owner) when taken
    ...; lock.release()

The lock is an ``flock`` on the file, so the kernel drops it when its process dies however it dies
(SIGKILL, a power cut of another host on a network file system aside); the file records who holds it
(pid, host, start time) for the message a second writer gets. A file left by a process that is gone is
taken over. Where the file system has no ``flock``, a file naming a living process on this host (or
any process on another host) counts as held. Two trainers in one process (the window) exclude each
other too: each acquire opens the file anew.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Any

from studio.engine.errors import StudioError
from studio.engine.jsonio import parse_json

LOCK = ".lock"
NO_FLOCK = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)


class RunLocked(StudioError):
    """Another process is writing the run folder (the message names it)."""


class RunLock:
    """The held lock of one run folder (see :meth:`acquire`)."""

    def __init__(self, directory: Path, fd: int, created_dir: bool) -> None:
        self.directory = directory
        self._fd: int | None = fd
        self._created_dir = created_dir

    @classmethod
    def acquire(cls, directory: str | os.PathLike) -> RunLock:
        """Take the lock of ``directory`` (created if needed) or raise RunLocked at once."""
        directory = Path(directory)
        created = not directory.exists()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / LOCK
        for _ in range(20):  # another process may remove or replace the file between open and flock
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if not _flock(fd, path):
                    raise RunLocked(_owner_sentence(directory, read_owner(directory)))
                if _same_file(fd, path):
                    try:
                        _record_owner(fd)
                    except OSError:  # (a full disk): leave no empty lock file behind
                        path.unlink(missing_ok=True)
                        raise
                    return cls(directory, fd, created)
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        raise RunLocked(f"run folder {directory} is being locked and unlocked by other processes: "
                        "try again")

    @property
    def held(self) -> bool:
        return self._fd is not None

    @property
    def created_dir(self) -> bool:
        """Whether this lock created its folder (all that is in it was written by its holder)."""
        return self._created_dir

    def release(self, discard: bool = False) -> None:
        """Remove the lock file and let go (a run folder left empty by a failed start goes too).
        ``discard``: a folder this lock created goes with everything in it (a run that failed before
        its first step leaves no run behind); a folder that was there before is never touched."""
        if self._fd is None:
            return
        if discard and self._created_dir:
            for entry in list(self.directory.iterdir()) if self.directory.is_dir() else []:
                if entry.name == LOCK:
                    continue
                with contextlib.suppress(OSError):
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry)
                    else:
                        entry.unlink()
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            (self.directory / LOCK).unlink(missing_ok=True)  # while still held: see acquire's retry
        os.close(fd)
        if self._created_dir:
            with contextlib.suppress(OSError):
                self.directory.rmdir()  # only when nothing else was written

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def read_owner(directory: str | os.PathLike) -> dict[str, Any] | None:
    """What ``RUN/.lock`` says about its holder (pid, host, started), None when there is no record."""
    for _ in range(50):  # a holder that has just taken the lock writes its record a moment later
        try:
            text = (Path(directory) / LOCK).read_bytes()
        except OSError:
            return None
        if text:
            try:
                owner = parse_json(text, "the run lock", max_bytes=4096)
            except StudioError:
                return None
            return owner if isinstance(owner, dict) else None
        time.sleep(0.01)
    return None


def _flock(fd: int, path: Path) -> bool:
    """True when this process now holds ``fd``'s lock; False when another one does."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno not in NO_FLOCK:
            raise
    owner = read_owner(path.parent)  # no flock here: believe the record unless its process is gone
    return owner is None or not _alive(owner)


def _same_file(fd: int, path: Path) -> bool:
    """The file locked is still the one at ``path`` (a releasing holder unlinks it before letting go)."""
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _record_owner(fd: int) -> None:
    record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()})
    os.ftruncate(fd, 0)
    os.pwrite(fd, (record + "\n").encode("utf-8"), 0)


def _alive(owner: dict[str, Any]) -> bool:
    pid = owner.get("pid")
    if owner.get("host") != socket.gethostname() or not isinstance(pid, int) or pid <= 0:
        return True  # another host's process cannot be asked
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_sentence(directory: Path, owner: dict[str, Any] | None) -> str:
    if owner is None:
        who = "another process"
    else:
        pid, host, started = owner.get("pid"), owner.get("host"), owner.get("started")
        who = f"pid {pid} on host {host}"
        if isinstance(started, int | float):
            who += f" since {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(started))}"
    return (f"run folder {directory} is being written by {who}: wait for that training to end or stop "
            "it, or train into another folder")
