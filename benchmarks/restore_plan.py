"""Restore planning time for a ResNet-50-sized state_dict vs plain ``load_state_dict(strict=False)``.

    .venv/bin/python benchmarks/restore_plan.py

The plan reads only names and shapes (checkpoint header + the model's state_dict), with a
DataParallel prefix to strip, two regex rewrites and an exclude scope, as a real fine-tune would.
"""

from __future__ import annotations

import argparse
import tempfile
import timeit
from pathlib import Path

import torch
import torchvision
from figures import Figures, add_json_option

from studio.engine.checkpoints.mapping import NameMapping
from studio.engine.checkpoints.plan import plan_restore
from studio.engine.checkpoints.reader import open_checkpoint
from studio.engine.checkpoints.selection import Selection
from studio.engine.checkpoints.weights_file import write_weights

RUNS = {"number": 1, "repeat": 20}  # timeit: the best of 20 single runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = torchvision.models.resnet50(weights=None)
    state = model.state_dict()
    mapping = NameMapping(strip_prefixes=("module.",),
                          rewrites=((r"^backbone\.", ""), (r"\.gamma$", ".weight")))
    selection = Selection(exclude=("fc",))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "resnet50.safetensors"
        write_weights(path, {f"module.{k}": v for k, v in state.items()})
        reader = open_checkpoint(path)
        plan = plan_restore(model, reader, selection, mapping)
        assert plan.counts["restore"] == len(state) - 2, plan.summary()
        t_plan = min(timeit.repeat(lambda: plan_restore(model, reader, selection, mapping), **RUNS))
        t_open_plan = min(timeit.repeat(lambda: plan_restore(model, path, selection, mapping), **RUNS))
        loaded = {k: v.clone() for k, v in state.items()}  # a checkpoint in memory, not the model itself
        t_base = min(timeit.repeat(lambda: model.load_state_dict(loaded, strict=False), **RUNS))
    print(f"ResNet-50 state_dict: {len(state)} tensors, {sum(v.numel() for v in state.values()):,} values")
    print(f"plan (open reader)              : {t_plan * 1e3:7.2f} ms")
    print(f"plan (incl. opening the file)   : {t_open_plan * 1e3:7.2f} ms")
    print(f"baseline load_state_dict(strict=False): {t_base * 1e3:7.2f} ms")
    print(f"ratio plan / baseline: {t_plan / t_base:.2f} (with file open: {t_open_plan / t_base:.2f})")
    print(f"target < 50 ms: {'met' if t_open_plan < 0.05 else 'NOT met'}")
    figures = Figures("restore_plan")
    figures.add("ResNet-50 restore plan (reader open)", t_plan * 1e3, "ms", baseline=t_base * 1e3,
                baseline_name="load_state_dict(strict=False)")
    figures.add("ResNet-50 restore plan (incl. opening the file)", t_open_plan * 1e3, "ms",
                baseline=t_base * 1e3, baseline_name="load_state_dict(strict=False)", target="< 50 ms",
                passed=t_open_plan < 0.05)
    figures.write(args.json)


if __name__ == "__main__":
    main()
