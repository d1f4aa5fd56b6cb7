"""Bounded JSON reading: every JSON document Studio reads from a file or a string it was given.

A document may be at most ``MAX_BYTES`` long and ``MAX_DEPTH`` levels deep; anything else (deeper
nesting would overflow the stack in whatever walks it later, a huge file would fill memory) is refused
with one sentence naming what was read, raised as the caller's ``StudioError`` subclass.

    data = read_json(path, "checkpoint metadata", error=CheckpointError)
    order = parse_json(text, "the tensor order", error=CheckpointError)
    text = dumps_json({"files": names})  # UTF-8 safe, also for names that are not UTF-8
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from studio.engine.errors import StudioError
from studio.engine.filenames import shown_name

MAX_DEPTH = 100  # nesting levels (a spec inside a project inside a sidecar needs fewer than 20)
MAX_BYTES = 256 * 1024 * 1024  # the largest JSON file Studio reads (a big spec is a few MB)
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(text: str | bytes, what: str, *, error: type[StudioError] = StudioError,
               max_depth: int = MAX_DEPTH, max_bytes: int | None = None) -> Any:
    """The value of JSON ``text``; ``error`` with a sentence naming ``what`` if it is not bounded JSON
    (``max_bytes`` defaults to ``MAX_BYTES``)."""
    what, max_bytes = shown_name(what), MAX_BYTES if max_bytes is None else max_bytes
    if len(text) > max_bytes:
        raise error(f"{what} is larger than {_size(max_bytes)}, more than Studio reads as JSON")
    try:
        value = json.loads(text)
    except RecursionError:
        raise error(_too_deep(what, max_depth)) from None
    except UnicodeDecodeError:
        raise error(f"{what} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise error(f"{what} is not valid JSON: {_first_line(exc)}") from None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits())
        raise error(f"{what} holds a number too long to read") from None
    check_depth(value, what, error=error, max_depth=max_depth)
    return value


def read_json(path: str | os.PathLike, what: str | None = None, *,
              error: type[StudioError] = StudioError, max_depth: int = MAX_DEPTH,
              max_bytes: int | None = None) -> Any:
    """The JSON value in the file at ``path`` (``what`` defaults to the path); missing or unreadable
    files raise ``error`` too (``FileNotFoundError`` is kept as the cause for callers that skip them)."""
    path = Path(path)
    what = shown_name(what or str(path))
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise error(f"cannot read {what}: it does not exist") from exc
    except IsADirectoryError:
        raise error(f"cannot read {what}: it is a folder, not a file") from None
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{what} is not UTF-8 text") from None
    return parse_json(text, what, error=error, max_depth=max_depth, max_bytes=max_bytes)


def dumps_json(value: Any, **options: Any) -> str:
    """``json.dumps`` keeping text readable (``ensure_ascii=False``) yet always encodable as UTF-8: lone
    surrogates (names of files that are not UTF-8, see ``studio.engine.filenames``) are written as
    ``\\udcff`` escapes, which read back to the same ``str``."""
    text = json.dumps(value, ensure_ascii=False, **options)
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def check_depth(value: Any, what: str, *, error: type[StudioError] = StudioError,
                max_depth: int = MAX_DEPTH) -> None:
    """``error`` when ``value`` (parsed JSON) nests lists and objects more than ``max_depth`` deep."""
    pending = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            raise error(_too_deep(what, max_depth))
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _too_deep(what: str, max_depth: int) -> str:
    return f"{what} is nested more than {max_depth} levels deep, deeper than anything Studio writes"


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__


def _size(count: int) -> str:
    return f"{count / 2**20:.0f} MiB" if count >= 2**20 else f"{count:,} bytes"
