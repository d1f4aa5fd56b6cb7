"""What the window asks the projector for, as plain values (they cross to the worker thread): a
:class:`ProjectionRequest` (model, images, layer, thumbnails, comparison) and its :class:`MethodChoice`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHOD_TITLES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP", "custom": "Custom axes"}


@dataclass(frozen=True)
class MethodChoice:
    """A projection method with its options (engine keyword arguments) and, for custom axes, the ends
    of each axis: ``axes[i] = (from, to)`` class names or search queries."""

    method: str = "pca"
    dims: int = 2
    options: dict[str, Any] = field(default_factory=dict)
    axis_kind: str = "classes"
    axes: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        name = METHOD_TITLES[self.method]
        if self.method == "custom":
            return f"{name}: " + "; ".join(f"{a} → {b}" for a, b in self.axes)
        return f"{name} {self.dims}-D"


@dataclass(frozen=True)
class ProjectionRequest:
    """Everything a projection job needs.

    ``checkpoint`` is a checkpoint file, or None for the live model; ``data`` a folder, or None for
    the run's validation split; ``compare`` a second checkpoint of the same run (or None).
    """

    run_dir: str | None
    checkpoint: str | None
    data: str | None
    layer: str
    method: MethodChoice
    cell: int = 32
    compare: str | None = None
    compare_mode: str = "side"
