"""The template registry: functions that build a spec, registered by name with keyword arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from studio.engine.errors import SpecError
from studio.engine.spec.model import ModelSpec


@dataclass(frozen=True, kw_only=True)
class Template:
    """A named spec builder; ``input_shape`` is its default per-sample input shape."""

    name: str
    help: str
    input_shape: tuple[int, ...]
    build: Callable[..., ModelSpec]


_TEMPLATES: dict[str, Template] = {}


def template(*, name: str, help: str, input_shape: tuple[int, ...]):
    """Decorator registering ``build(num_classes, input_shape) -> ModelSpec`` as template ``name``
    (a name may be registered once)."""
    def register(build: Callable[..., ModelSpec]) -> Callable[..., ModelSpec]:
        if name in _TEMPLATES:
            raise ValueError(f"cannot register template {name!r}: a template of that name is already "
                             "registered (each needs its own name)")
        _TEMPLATES[name] = Template(name=name, help=help, input_shape=tuple(input_shape), build=build)
        return build
    return register


def list_templates() -> list[Template]:
    """Every registered template, in registration order."""
    return list(_TEMPLATES.values())


def create_template(name: str, num_classes: int = 10,
                    input_shape: tuple[int, ...] | list[int] | None = None) -> ModelSpec:
    """The spec of template ``name`` for ``num_classes`` classes and the given input shape."""
    if name not in _TEMPLATES:
        raise SpecError(f"unknown template '{name}' (known: {', '.join(sorted(_TEMPLATES))})")
    entry = _TEMPLATES[name]
    if num_classes < 1:
        raise SpecError("num_classes must be at least 1")
    shape = tuple(input_shape) if input_shape is not None else entry.input_shape
    spec = entry.build(num_classes=num_classes, input_shape=shape)
    spec.meta["template"] = name
    return spec
