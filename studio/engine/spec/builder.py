"""A small fluent helper for writing specs in Python (templates, tests, scripts).

    b = SpecBuilder("lenet")
    x = b.input("image", [1, 32, 32])
    x = b.layer("conv1", "conv2d", x, out_channels=6, kernel_size=5, padding="valid")
    b.output("logits", x)
    spec = b.build()
"""

from __future__ import annotations

from typing import Any

from studio.engine.spec.layout import apply_layout
from studio.engine.spec.model import BlockDef, Edge, Graph, ModelSpec, Node, Scope
from studio.engine.spec.resolve import substitute


class GraphBuilder:
    """Adds nodes and edges to one graph; each method returns the new node's id."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def input(self, node_id: str, shape: list[int] | None = None) -> str:
        return self._add(node_id, "input", [], {"shape": list(shape)} if shape is not None else {})

    def output(self, node_id: str, source: str) -> str:
        return self._add(node_id, "output", [source], {})

    def layer(self, node_id: str, layer_type: str, source: str | list[str], *, repeat: int = 1,
              stack: list[dict[str, Any]] | None = None, share: str | None = None, **args: Any) -> str:
        sources = source if isinstance(source, list) else [source]
        return self._add(node_id, layer_type, sources, args, repeat=repeat, stack=stack, share=share)

    def block(self, node_id: str, block: str, source: str | list[str], *, repeat: int = 1,
              **params: Any) -> str:
        sources = source if isinstance(source, list) else [source]
        return self._add(node_id, "block", sources, {"block": block, **params}, repeat=repeat)

    def defaults(self, layers: list[str], **args: Any) -> None:
        self.graph.defaults.append(Scope(list(layers), args))

    def _add(self, node_id: str, layer_type: str, sources: list[str], args: dict[str, Any], **extra) -> str:
        if node_id in self.graph.nodes:
            raise ValueError(f"duplicate node id {node_id!r}")
        self.graph.nodes[node_id] = Node(node_id, layer_type, args, **extra)
        if layer_type == "block" or len(sources) <= 1:
            ports = self._ports_for(layer_type, args, sources)
        else:
            ports = [f"x{i}" for i in range(len(sources))]
            if len(sources) != 2:
                self.graph.nodes[node_id].args.setdefault("inputs", len(sources))
        for port, src in zip(ports, sources, strict=True):
            self.graph.edges.append(Edge(src, node_id, port))
        return node_id

    def _ports_for(self, layer_type: str, args: dict[str, Any], sources: list[str]) -> list[str]:
        if layer_type == "block":
            return [f"__block_port_{i}" for i in range(len(sources))]  # fixed up in SpecBuilder.build
        return ["x"] * len(sources)


class SpecBuilder(GraphBuilder):
    """Builds a :class:`ModelSpec`; ``new_block`` gives a builder for a reusable block's graph."""

    def __init__(self, name: str) -> None:
        self.spec = ModelSpec(name)
        super().__init__(self.spec.graph)

    def new_block(self, name: str, help: str = "", **params: Any) -> GraphBuilder:
        block = BlockDef(name, dict(params), Graph(), help)
        self.spec.blocks[name] = block
        return GraphBuilder(block.graph)

    def build(self) -> ModelSpec:
        """Finish: name block ports after the blocks' input nodes and lay every graph out."""
        owners = [(self.spec.graph, {}), *((b.graph, b.params) for b in self.spec.blocks.values())]
        for graph, params in owners:
            fixed = []
            for edge in graph.edges:
                if edge.port.startswith("__block_port_"):
                    node = graph.nodes[edge.dst]
                    block = self.spec.blocks[substitute(node.args["block"], params)]
                    edge = Edge(edge.src, edge.dst, block.input_ids[int(edge.port.rsplit("_", 1)[1])])
                fixed.append(edge)
            graph.edges = fixed
            apply_layout(graph)
        return self.spec
