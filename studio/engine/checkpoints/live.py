"""The model being edited, with its weights: compiled from copies of the canvas spec, restored into,
frozen, and copied out for other work (a projection, an export, a comparison).

After an edit the model is compiled again and every tensor whose name and shape did not change keeps
its value (restored ones stay restored, frozen ones frozen). Restores are remembered (which tensor came
from which checkpoint, the steps as ``InitConfig``) so the canvas can mark those layers and a new
training run can replay them.

One lock guards the module and its bookkeeping: a restore writes under it and a copy is taken under
it, so a projection never sees half-restored weights. A compile runs outside the lock (it is slow and
touches nothing shared) and only the swap to the new module holds it. Every method may run in any
thread; the GUI runs the slow ones (``build``, ``restore``, ``snapshot``, ``weights``) in Jobs.

    live = LiveModel()
    live.build(spec.copy())                                  # a spec no one edits meanwhile
    live.restore(plan, "best.safetensors", InitConfig("best.safetensors", freeze=True))
    snapshot = live.snapshot(spec.copy())                    # (spec, a copy of the module)
    live.state().marks                                       # graph -> node id -> NodeMark
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import torch

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.checkpoints.marks import Marks, canvas_marks
from studio.engine.checkpoints.plan import RestorePlan
from studio.engine.checkpoints.reader import CheckpointSource
from studio.engine.checkpoints.restore import Progress, RestoreResult, apply_plan, freeze, restore
from studio.engine.compiler import compile_spec
from studio.engine.graph_module import GraphModule
from studio.engine.spec.io import spec_hash
from studio.engine.spec.model import ModelSpec
from studio.engine.training.config import InitConfig

Shapes = dict[str, tuple[int, ...]]


@dataclass(frozen=True, eq=False)
class LiveSnapshot:
    """The model as it was at one moment: its spec and a copy of its module (shared with no one)."""

    spec: ModelSpec
    module: GraphModule


@dataclass(frozen=True, eq=False)
class LiveState:
    """What the live model is now, as plain values (for the GUI thread): ``shapes`` of its tensors
    (empty before the first build), the canvas ``marks``, the restore ``steps``, the ``frozen``
    parameters and ``restored`` tensors (tensor -> "checkpoint: checkpoint tensor")."""

    shapes: Shapes = field(default_factory=dict)
    marks: Marks = field(default_factory=dict)
    steps: tuple[InitConfig, ...] = ()
    frozen: frozenset[str] = frozenset()
    restored: dict[str, str] = field(default_factory=dict)
    version: int = 0  # counts the changes: a state of a lower version is older


class LiveModel:
    """The edited model's weights and what restores did to them (thread-safe)."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._lock = threading.RLock()
        self._module: GraphModule | None = None
        self._hash: str | None = None  # spec_hash of the spec the module was compiled from
        self._restored: dict[str, tuple[str, str]] = {}  # model tensor -> (checkpoint, its tensor)
        self._steps: list[InitConfig] = []
        self._version = 0

    # ---- building ---------------------------------------------------------------------------------
    def build(self, spec: ModelSpec) -> LiveState:
        """Compile ``spec`` unless the module is of it already, keeping every tensor whose name and shape
        did not change (SpecError when it does not compile). ``spec`` must not change meanwhile."""
        self._build(spec, spec_hash(spec))
        return self.state()

    def _build(self, spec: ModelSpec, digest: str) -> None:
        with self._lock:
            if self._module is not None and self._hash == digest:
                return
        model = compile_spec(spec, device=self.device)  # outside the lock: restores and copies go on
        with self._lock:
            previous = self._module
            if previous is not None and self._hash == digest:
                return  # built by another thread meanwhile
            if previous is not None:
                kept = restore(model, previous.state_dict())
                frozen = [n for n, p in previous.named_parameters() if not p.requires_grad]
                freeze(model, [name for name in frozen if name in kept.restored])
                self._restored = {k: v for k, v in self._restored.items() if k in kept.restored}
            self._module, self._hash = model, digest
            self._version += 1

    def _current(self, spec: ModelSpec, take: Callable[[GraphModule], object]):
        """``take(module)`` under the lock, with the module built from ``spec``."""
        digest = spec_hash(spec)
        while True:
            self._build(spec, digest)
            with self._lock:
                if self._hash == digest and self._module is not None:  # (else rebuilt meanwhile: again)
                    return take(self._module)

    def snapshot(self, spec: ModelSpec) -> LiveSnapshot:
        """``spec`` with a copy of its module (built first if needed), for work in another thread."""
        return self._current(spec, lambda module: LiveSnapshot(spec, copy.deepcopy(module)))

    def weights(self, spec: ModelSpec) -> dict[str, torch.Tensor]:
        """A copy of the state_dict of ``spec``'s module (built first if needed)."""
        return self._current(spec, lambda module: {name: value.detach().clone()
                                                   for name, value in module.state_dict().items()})

    # ---- restoring --------------------------------------------------------------------------------
    def restore(self, plan: RestorePlan, source: CheckpointSource, step: InitConfig,
                progress: Progress | None = None) -> RestoreResult:
        """Apply ``plan`` (made for the module as built) from ``source`` and remember ``step``; nothing
        changes when a tensor cannot be read. ``step.freeze`` freezes what was restored."""
        with self._lock:
            if self._module is None:
                raise CheckpointError("the model is not built yet: plan the restore again")
            result = apply_plan(self._module, plan, source, freeze=step.freeze, progress=progress)
            sources = {entry.name: entry.source for entry in result.plan.of_status("restore")
                       if entry.source is not None}  # (a planned restore always names one)
            for name in result.restored:
                self._restored[name] = (step.checkpoint, sources.get(name, name))
            self._steps.append(step)
            self._version += 1
        return result

    def reset(self) -> LiveState:
        """Forget the weights and restores: the next build compiles fresh ones (another project)."""
        with self._lock:
            self._module, self._hash = None, None
            self._restored, self._steps = {}, []
            self._version += 1
            return LiveState(version=self._version)

    # ---- reading ----------------------------------------------------------------------------------
    def module(self) -> GraphModule | None:
        """The module as last built (None before): it changes under a restore, so copy it (``snapshot``)
        for work in another thread."""
        with self._lock:
            return self._module

    def state(self) -> LiveState:
        """The shapes, marks, steps, frozen and restored tensors now."""
        with self._lock:
            module = self._module
            if module is None:
                return LiveState(steps=tuple(self._steps), version=self._version)
            restored = {name: checkpoint for name, (checkpoint, _) in self._restored.items()}
            return LiveState({name: tuple(t.shape) for name, t in module.state_dict().items()},
                             canvas_marks(module, restored), tuple(self._steps),
                             frozenset(n for n, p in module.named_parameters() if not p.requires_grad),
                             {name: f"{ckpt}: {tensor}" for name, (ckpt, tensor) in self._restored.items()},
                             self._version)


class LiveWeights(Mapping[str, torch.Tensor]):
    """The live model's weights for ``spec``, copied when first read (in the thread that reads them, a
    Job's): a checkpoint source to hand to an export or a comparison without compiling anything where
    it is handed over."""

    def __init__(self, live: LiveModel, spec: ModelSpec) -> None:
        self.live, self.spec = live, spec
        self._tensors: dict[str, torch.Tensor] | None = None

    def _loaded(self) -> dict[str, torch.Tensor]:
        if self._tensors is None:
            self._tensors = self.live.weights(self.spec)
        return self._tensors

    def __getitem__(self, name: str) -> torch.Tensor:
        return self._loaded()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())
