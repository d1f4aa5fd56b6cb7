"""The weights of the model being edited: compiled from the document's spec when first needed.

Restores apply to it; it remembers which tensors were restored (and from where), which parameters
are frozen, and the restore steps taken, so the canvas can mark those layers and "Fine-tune from
here" can hand the same steps (``TrainConfig.init``) to a new training run. After an edit of the
spec the model is rebuilt on next use, keeping every tensor whose name and shape did not change.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, QTimer, Signal

from studio.engine.checkpoints.marks import canvas_marks
from studio.engine.checkpoints.restore import RestoreResult, freeze, restore
from studio.engine.compiler import compile_spec
from studio.engine.errors import StudioError
from studio.engine.graph_module import GraphModule
from studio.engine.spec.io import spec_hash
from studio.engine.spec.model import ModelSpec, SpecEvent
from studio.engine.training.config import InitConfig


class LiveModel(QObject):
    """``module()`` is the model; ``restored``/``frozen``/``steps`` describe what was done to it."""

    sigChanged = Signal()  # weights restored, frozen or reset: marks to redraw

    def __init__(self, spec: ModelSpec, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._module: GraphModule | None = None
        self._hash: str | None = None
        self.restored: dict[str, str] = {}  # model tensor -> "checkpoint file: tensor" it came from
        self.steps: list[InitConfig] = []  # the restores applied, replayable by a trainer
        self.busy = False  # a worker is writing into the module: leave it alone
        self._rebuild = QTimer(self)  # after edits, carry restored weights over (marks follow)
        self._rebuild.setSingleShot(True)
        self._rebuild.setInterval(300)
        self._rebuild.timeout.connect(self._rebuild_now)
        spec.subscribe(self._on_event)

    def _on_event(self, event: SpecEvent) -> None:
        if event.kind == "reset":  # another project or file: its weights start fresh
            self._rebuild.stop()
            if self._module is not None or self.restored:
                self.reset()
        elif event.kind != "node_moved" and self.restored:
            self._rebuild.start()

    def _rebuild_now(self) -> None:
        if self.busy:
            self._rebuild.start()
            return
        with contextlib.suppress(StudioError):  # a half-edited graph: rebuild when it is next used
            self.module()

    def module(self) -> GraphModule:
        """The model (built now if the spec changed since; SpecError when it does not compile)."""
        current = spec_hash(self.spec)
        if self._module is None or current != self._hash:
            previous = self._module
            model = compile_spec(self.spec, device="cpu")
            if previous is not None:
                kept = restore(model, previous.state_dict())
                frozen = [n for n, p in previous.named_parameters() if not p.requires_grad]
                freeze(model, [name for name in frozen if name in kept.restored])
                self.restored = {k: v for k, v in self.restored.items() if k in kept.restored}
            self._module, self._hash = model, current
            if previous is not None:
                self.sigChanged.emit()
        return self._module

    @property
    def frozen(self) -> set[str]:
        """Names of the parameters that do not train (requires_grad off)."""
        if self._module is None:
            return set()
        return {name for name, param in self._module.named_parameters() if not param.requires_grad}

    def record(self, result: RestoreResult, step: InitConfig) -> None:
        """Remember a restore that was applied to :meth:`module` (called on the GUI thread)."""
        sources = {entry.name: entry.source for entry in result.plan.of_status("restore")}
        for name in result.restored:
            self.restored[name] = f"{step.checkpoint}: {sources.get(name, name)}"
        self.steps.append(step)
        self.sigChanged.emit()

    def reset(self) -> None:
        """Forget the weights: the next use compiles fresh ones."""
        self._module, self._hash = None, None
        self.restored, self.steps = {}, []
        self.sigChanged.emit()

    def node_marks(self, block: str | None = None) -> dict[str, tuple[str, ...]]:
        """Node id -> marks for the canvas of graph ``block`` (None: the model): "restored" (some
        tensor restored), "frozen" (all its parameters frozen). Inside a block a mark covers the
        block's uses: "restored 1/3" when only one of its three uses was restored."""
        return self.all_marks().get(block, {})

    def all_marks(self) -> dict[str | None, dict[str, tuple[str, ...]]]:
        """:meth:`node_marks` of every graph at once (block name -> node id -> marks)."""
        if self._module is None:  # (nothing restored either: a restore builds the module)
            return {}
        return canvas_marks(self._module, self.restored)
