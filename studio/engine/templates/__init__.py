"""Built-in model templates: functions that build a spec, registered by name.

    spec = create_template("resnet18", num_classes=20)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from studio.engine.errors import SpecError
from studio.engine.spec.model import ModelSpec


@dataclass(frozen=True)
class Template:
    """A named spec builder; ``input_shape`` is its default per-sample input shape."""

    name: str
    help: str
    input_shape: tuple[int, ...]
    build: Callable[..., ModelSpec]


_TEMPLATES: dict[str, Template] = {}


def template(name: str, help: str, input_shape: tuple[int, ...]):
    """Decorator registering ``build(num_classes, input_shape) -> ModelSpec`` as a template."""
    def register(build: Callable[..., ModelSpec]) -> Callable[..., ModelSpec]:
        _TEMPLATES[name] = Template(name, help, tuple(input_shape), build)
        return build
    return register


def list_templates() -> list[Template]:
    _load()
    return list(_TEMPLATES.values())


def create_template(name: str, num_classes: int = 10,
                    input_shape: tuple[int, ...] | list[int] | None = None) -> ModelSpec:
    """The spec of template ``name`` for ``num_classes`` classes and the given input shape."""
    _load()
    if name not in _TEMPLATES:
        raise SpecError(f"unknown template '{name}' (known: {', '.join(sorted(_TEMPLATES))})")
    entry = _TEMPLATES[name]
    if num_classes < 1:
        raise SpecError("num_classes must be at least 1")
    shape = tuple(input_shape) if input_shape is not None else entry.input_shape
    spec = entry.build(num_classes=num_classes, input_shape=shape)
    spec.meta["template"] = name
    return spec


def _load() -> None:
    if not _TEMPLATES:
        import studio.engine.templates.catalog  # noqa: F401
