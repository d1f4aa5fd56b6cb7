"""Atomic file writes: a reader sees the old file or the new one, never half of one.

A write that fails for lack of room (a full disk, a quota, a file-size limit) always surfaces as an
``OSError`` naming the file, whatever library wrote it (safetensors and ``torch.save`` wrap the
operating system's error in their own), and leaves no temp file behind; :func:`no_room` tells it
apart and :func:`write_failure` turns it into a sentence.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # no space, quota exceeded, file size limit


def umask() -> int:
    """The process's umask, read now (from /proc where it can be, without the racy set-and-restore)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give a new file: 0o644 under umask 022."""
    return 0o666 & ~umask()


def folder_mode() -> int:
    """The mode ``mkdir`` would give a new folder: 0o755 under umask 022."""
    return 0o777 & ~umask()


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)``, fsync the result, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _named(exc, path) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, file_mode())  # mkstemp creates 0600 and writers may replace the file: the umask's
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        storage = os_error_of(exc)
        if storage is None or storage.errno is None:
            raise
        raise _named(storage, path) from exc
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


_RUST_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def os_error_of(exc: BaseException) -> OSError | None:
    """The operating system's error behind a failed write: ``exc`` itself, the OSError a library's own
    exception was raised from (torch.save), or the ``(os error N)`` a Rust library names
    (safetensors). None for other failures, including Studio's own errors."""
    from studio.engine.errors import StudioError

    if isinstance(exc, OSError):
        return exc
    if isinstance(exc, StudioError | KeyboardInterrupt | SystemExit):
        return None
    for inner in (exc.__cause__, exc.__context__):
        if isinstance(inner, OSError) and inner.errno in NO_ROOM:
            return inner
    found = _RUST_OS_ERROR.search(str(exc))
    if found and int(found.group(1)) in NO_ROOM:
        number = int(found.group(1))
        return OSError(number, os.strerror(number))
    return None


def no_room(exc: BaseException) -> bool:
    """True when ``exc`` is (or wraps) a write that failed for lack of space, quota or file size."""
    error = os_error_of(exc)
    return error is not None and error.errno in NO_ROOM


def write_failure(exc: OSError) -> str:
    """``the disk is full: cannot write PATH (No space left on device)`` and the like."""
    where = f" {exc.filename}" if exc.filename else ""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full: cannot write{where} ({reason})"
    if exc.errno == errno.EFBIG:
        return f"cannot write{where}: the file grew past the size limit ({reason})"
    return f"cannot write{where} ({reason})"


def _named(exc: OSError, path: Path) -> OSError:
    """``exc`` naming ``path`` (the file meant, not its temp file)."""
    if exc.errno is None:
        return exc
    return OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path))
