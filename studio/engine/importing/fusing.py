"""Runs of converted entries that are one Studio layer, merged before folding.

Adaptive pooling to 1x1 then a flatten is one global pooling node (the pool's id). A convolution
whose kernel is its stride (no padding, dilation or groups), reshaped to [D, N] and permuted (or
transposed) to [N, D], is one patch embedding (torchvision ViT's ``_process_input``: conv_proj,
reshape, permute): the convolution's id, its weights under ``conv_proj.``.
"""

from __future__ import annotations

from collections import Counter

from studio.engine.importing.entries import Entry

GLOBAL_POOLS = {"adaptive_avg_pool2d": "global_avg_pool", "adaptive_max_pool2d": "global_max_pool"}
Names = dict[str, list[str]]  # original weight name -> the spec name's parts


def fuse(entries: dict[str, Entry], output_sources: list[str], names: Names) -> None:
    """Merge in place; ``output_sources`` and ``names`` follow."""
    _fold_global_pools(entries, output_sources)
    _fold_patch_embeddings(entries, output_sources, names)


def _consumers(entries: dict[str, Entry], output_sources: list[str]) -> Counter:
    consumers = Counter(source for entry in entries.values() for source in entry.sources)
    consumers.update(output_sources)
    return consumers


def _rename(entries: dict[str, Entry], output_sources: list[str], renamed: dict[str, str]) -> None:
    for entry in entries.values():
        entry.sources = [renamed.get(s, s) for s in entry.sources]
    output_sources[:] = [renamed.get(s, s) for s in output_sources]


def _fold_global_pools(entries: dict[str, Entry], output_sources: list[str]) -> None:
    consumers = _consumers(entries, output_sources)
    renamed: dict[str, str] = {}
    for entry in list(entries.values()):
        if entry.type != "flatten":
            continue
        pool = entries[entry.sources[0]]
        if pool.type in GLOBAL_POOLS and pool.args["output_size"] == [1, 1] and consumers[pool.id] == 1:
            pool.type, pool.args = GLOBAL_POOLS[pool.type], {}
            renamed[entry.id] = pool.id
            del entries[entry.id]
    _rename(entries, output_sources, renamed)


def _patchify(entry: Entry) -> bool:
    args = entry.args
    return (entry.type == "conv2d" and entry.share is None and args["kernel_size"] == args["stride"]
            and args["padding"] in ([0, 0], "valid") and args["dilation"] == [1, 1] and args["groups"] == 1)


def _fold_patch_embeddings(entries: dict[str, Entry], output_sources: list[str], names: Names) -> None:
    consumers = _consumers(entries, output_sources)
    users: dict[str, list[Entry]] = {}
    for entry in entries.values():
        for source in entry.sources:
            users.setdefault(source, []).append(entry)
    renamed: dict[str, str] = {}
    for conv in list(entries.values()):
        if not _patchify(conv) or consumers[conv.id] != 1 or len(users.get(conv.id, [])) != 1:
            continue
        flat = users[conv.id][0]
        if flat.type != "reshape" or len(flat.args["shape"]) != 2 or \
                flat.args["shape"][0] != conv.args["out_channels"] or consumers[flat.id] != 1 or \
                len(users.get(flat.id, [])) != 1:
            continue  # ([D, H, W] -> [D, N] is the flatten of each channel: nothing else has D first)
        swap = users[flat.id][0]
        if not (swap.type == "permute" and swap.args["dims"] == [1, 0] or swap.type == "transpose"
                and sorted((swap.args["dim0"], swap.args["dim1"])) == [0, 1]):
            continue
        conv.type = "patch_embedding"
        conv.args = {"embed_dim": conv.args["out_channels"], "patch_size": conv.args["kernel_size"],
                     "bias": conv.args["bias"]}
        for parts in names.values():
            if parts[0] == conv.id:
                parts[1:] = ["conv_proj", *parts[1:]]
        renamed[swap.id] = conv.id
        del entries[flat.id], entries[swap.id]
    _rename(entries, output_sources, renamed)
