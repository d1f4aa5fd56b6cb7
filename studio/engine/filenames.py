"""File names as the OS gives them, shown safely.

A name on Linux is any bytes; one that is not UTF-8 (``b'\\xff\\xfe.png'``, left by a camera or another
OS) reaches Python as a ``str`` holding lone surrogates (``'\\udcff\\udcfe.png'``, PEP 383). That
``str`` still opens the file and Studio keeps it as it is for opening, for split files and class names
(JSON writes the surrogates as ``\\udcff`` escapes and reads them back to the same ``str``). It cannot
be encoded as UTF-8, though, so whatever is *shown* (messages, reports, tables, CSV and TSV columns)
goes through :func:`shown_name`: the undecodable bytes as ``\\xff``, control characters escaped.

    shown_name("c0/\\udcff\\udcfe.png") == "c0/\\\\xff\\\\xfe.png"
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

# Characters that would break a one-line message or reorder what is shown: C0/C1 controls, DEL, the
# bidirectional overrides and isolates, zero-width characters and the byte order mark.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_NEEDS_WORK = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def shown_name(name: str | os.PathLike) -> str:
    """``name`` as text fit to show and to encode as UTF-8 (unchanged for ordinary names)."""
    text = os.fspath(name)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not _NEEDS_WORK.search(text):
        return text
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file system decoding makes (one that came from JSON)
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _HIDDEN.sub(lambda match: _escape(match.group()), text)


def is_utf8(name: str | os.PathLike) -> bool:
    """Whether ``name`` encodes as UTF-8 (False for names of files that are not UTF-8)."""
    try:
        os.fspath(name).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escape(char: str) -> str:
    code = ord(char)
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or (
        f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


@contextmanager
def utf8_path(path: str | os.PathLike) -> Iterator[str]:
    """A UTF-8 path to the file at ``path`` while the block runs, for readers that take only UTF-8
    paths (safetensors' Rust core): ``path`` itself when it is UTF-8, else the file opened here and
    named through ``/proc/self/fd`` (Linux); elsewhere the path as it is (the library says why not)."""
    text = os.fspath(path)
    if is_utf8(text) or not os.path.isdir("/proc/self/fd"):
        yield text
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        yield f"/proc/self/fd/{descriptor}"
    finally:
        os.close(descriptor)
