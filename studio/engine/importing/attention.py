"""``nn.MultiheadAttention`` called as self-attention -> Studio's ``multi_head_attention``.

The module is a leaf of the trace; its call maps when query, key and value are one tensor
(batch first, no masks) and only the attention output, ``[0]`` of what it returns, is used
(torchvision ViT's ``self_attention(x, x, x, need_weights=False)[0]``). The weights keep their names
(``in_proj_weight``, ``in_proj_bias``, ``out_proj.weight``, ``out_proj.bias``). Anything else is
Unmappable, saying what differs.
"""

from __future__ import annotations

import operator
from typing import Any, Protocol

import torch.fx
from torch import nn

from studio.engine.importing.errors import Unmappable
from studio.engine.importing.leaves import Mapping

NAMES = ("query", "key", "value", "key_padding_mask", "need_weights", "attn_mask",
         "average_attn_weights", "is_causal")


class Values(Protocol):
    def value(self, arg: Any) -> Any: ...
    def is_tensor(self, arg: Any) -> bool: ...
    def shape(self, node: Any) -> tuple[int, ...]: ...


def is_attention(module: nn.Module) -> bool:
    return type(module) is nn.MultiheadAttention


def map_attention(node: torch.fx.Node, module: nn.MultiheadAttention,
                  values: Values) -> tuple[Mapping, torch.fx.Node]:
    """The layer of a call of ``module`` and the tensor it attends over."""
    given = dict(zip(NAMES, node.args, strict=False)) | dict(node.kwargs)
    query, key, value = (given.get(name) for name in ("query", "key", "value"))
    if not (query is key is value) or not values.is_tensor(query):
        raise Unmappable("query, key and value are different tensors (Studio's multi_head_attention is "
                         "self-attention: the same tensor three times)")
    for name in ("key_padding_mask", "attn_mask"):
        if values.value(given.get(name)) is not None:
            raise Unmappable(f"it is called with {name} (Studio's multi_head_attention takes no mask)")
    if values.value(given.get("is_causal", False)):
        raise Unmappable("it is causal (Studio's multi_head_attention attends to every token)")
    if not module.batch_first:
        raise Unmappable("batch_first is False: its input is [tokens, batch, dim] (Studio's "
                         "multi_head_attention takes the batch first)")
    if not module._qkv_same_embed_dim or module.in_proj_bias is None or module.bias_k is not None \
            or module.add_zero_attn:
        raise Unmappable("it has separate key/value sizes, no bias, bias_k/bias_v or add_zero_attn "
                         "(Studio's multi_head_attention has one in_proj_weight and in_proj_bias)")
    if len(values.shape(query)) != 3:
        raise Unmappable(f"its input is {list(values.shape(query))} (Studio's multi_head_attention "
                         "takes [batch, tokens, dim])")
    for user in node.users:
        if user.target is not operator.getitem or user.args[1] not in (0, 1):
            raise Unmappable(f"its result is used whole ({user.name}): Studio's multi_head_attention "
                             "gives the attention output, [0]")
    assert isinstance(query, torch.fx.Node)  # (a recorded tensor is a node's value)
    return ("multi_head_attention", {"num_heads": module.num_heads, "dropout": float(module.dropout)}), \
        query


def attention_output(node: torch.fx.Node, attention: set[torch.fx.Node]) -> torch.fx.Node | None:
    """The attention call when ``node`` is ``[0]`` of one (its output); Unmappable for ``[1]``."""
    if node.target is not operator.getitem or node.args[0] not in attention:
        return None
    if node.args[1] != 0:
        raise Unmappable("it uses the attention weights ([1] of nn.MultiheadAttention's result; Studio's "
                         "multi_head_attention gives the attention output only)")
    source = node.args[0]
    assert isinstance(source, torch.fx.Node)
    return source
