"""Frozen dataclasses from plain JSON values: defaults for missing keys, clear errors for wrong ones."""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any

from studio.engine.errors import StudioError


class ConfigError(StudioError):
    """A training configuration value that cannot be used (the message names the key)."""


def from_plain(cls: type, data: Any, where: str = "config") -> Any:
    """Build dataclass ``cls`` from dict ``data``; nested dataclasses, tuples and ``from_value``
    classmethods are followed; unknown keys raise ConfigError with a suggestion."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a JSON object, not {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    values = {}
    for key, value in data.items():
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(names)})"
            raise ConfigError(f"unknown {where} key '{key}'{hint}")
        values[key] = _convert(hints[key], value, f"{where}.{key}")
    try:
        return cls(**values)
    except StudioError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def to_plain(value: Any) -> Any:
    """JSON values of a dataclass tree (tuples become lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def _convert(hint: Any, value: Any, where: str) -> Any:
    options = [a for a in typing.get_args(hint) if a is not type(None)] if _is_union(hint) else [hint]
    if value is None:
        if type(None) in typing.get_args(hint) or hint is Any:
            return None
        raise ConfigError(f"{where} must not be null")
    for option in options:
        origin = typing.get_origin(option) or option
        if isinstance(origin, type) and dataclasses.is_dataclass(origin):
            if hasattr(origin, "from_value"):
                return origin.from_value(value)
            return from_plain(origin, value, where)
        if origin is tuple:
            if not isinstance(value, list | tuple):
                continue
            args = typing.get_args(option)
            inner = args[0] if args else Any
            return tuple(_convert(inner, v, f"{where}[]") for v in value)
        if origin is bool and isinstance(value, bool):
            return value
        if origin is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if origin is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if origin is str and isinstance(value, str):
            return value
        if origin is Any:
            return value
    raise ConfigError(f"{where} has the wrong type: {value!r}")


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)
