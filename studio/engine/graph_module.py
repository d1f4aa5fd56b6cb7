"""The ``nn.Module`` a spec compiles to: named child modules run in topological order.

Children are registered under their node ids, so state_dict keys read like the canvas
(``conv1.weight``, ``entry_flow_1.sepconv1.depthwise.weight``). The forward loop is a precomputed
list of steps, so it costs a few microseconds per layer over a hand-written module. Merge modules
(``takes_list = True``) get their inputs as one list, a signature TorchScript can script.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Step:
    """Run ``module`` (or a shared one) on the outputs of ``sources``, then ``post`` if any."""

    node_id: str
    module_name: str  # the registered child to call (another node's for shared weights)
    sources: list[str]
    post: Callable[[torch.Tensor], torch.Tensor] | None = None


class GraphModule(nn.Module):
    """A compiled graph: the model itself, or one use of a block inside it."""

    spec_name: str  # the model's name, set by compile_spec on the whole model

    def __init__(self, modules: dict[str, nn.Module], steps: list[Step], input_ids: list[str],
                 outputs: dict[str, str]) -> None:
        super().__init__()
        for name, module in modules.items():
            self.add_module(name, module)
        self.steps = steps
        self.input_ids = list(input_ids)
        self.outputs = dict(outputs)  # output name -> node id producing it
        self.regularizers: list[tuple[str, float, float]] = []  # (parameter name, l1, l2)
        self.block_name: str | None = None  # the block definition this graph is a use of
        self.block_args: dict = {}  # and the parameter values of that use
        self._calls = [(s.node_id, modules[s.module_name], s.sources, s.post,
                        getattr(modules[s.module_name], "takes_list", False)) for s in steps]

    @property
    def output_names(self) -> list[str]:
        return list(self.outputs)

    def _bind_inputs(self, args: tuple, kwargs: dict) -> dict[str, torch.Tensor]:
        if len(args) > len(self.input_ids):
            raise TypeError(f"model takes {len(self.input_ids)} inputs ({', '.join(self.input_ids)}), "
                            f"got {len(args)}")
        values = dict(zip(self.input_ids, args, strict=False))
        values.update(kwargs)
        missing = [name for name in self.input_ids if name not in values]
        if missing:
            raise TypeError(f"missing model input(s): {', '.join(missing)}")
        return values

    def _run(self, values: dict[str, torch.Tensor], wanted: set[str] | None = None) -> None:
        for node_id, module, sources, post, takes_list in self._calls:
            inputs = [values[source] for source in sources]
            out = module(inputs) if takes_list else module(*inputs)
            values[node_id] = post(out) if post is not None else out
            if wanted is not None and wanted.issubset(values):
                return

    def forward(self, *args, **kwargs):
        """One tensor for a single output, else a dict of output name -> tensor."""
        values = self._bind_inputs(args, kwargs)
        self._run(values)
        if len(self.outputs) == 1:
            return values[next(iter(self.outputs.values()))]
        return {name: values[node] for name, node in self.outputs.items()}

    def forward_nodes(self, *args, nodes: Iterable[str], **kwargs) -> dict[str, torch.Tensor]:
        """Outputs of the named top-level nodes (stops as soon as all are computed)."""
        wanted = set(nodes)
        known = set(self.input_ids) | {step.node_id for step in self.steps}
        unknown = wanted - known
        if unknown:
            raise KeyError(f"no node(s) named {', '.join(sorted(unknown))}")
        values = self._bind_inputs(args, kwargs)
        self._run(values, wanted)
        return {name: values[name] for name in wanted}

    def regularization_loss(self) -> torch.Tensor:
        """Sum of the per-layer L1 (l1 * sum|w|) and L2 (l2 * sum(w^2) / 2) penalties."""
        total = None
        params = dict(self.named_parameters())
        for name, l1, l2 in self.regularizers:
            weight = params[name]
            term = weight.new_zeros(())
            if l1:
                term = term + l1 * weight.abs().sum()
            if l2:
                term = term + 0.5 * l2 * weight.pow(2).sum()
            total = term if total is None else total + term
        if total is None:
            first = next(self.parameters(), None)
            return torch.zeros((), device=first.device if first is not None else None)
        return total
