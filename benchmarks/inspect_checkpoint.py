"""Listing a 500-tensor checkpoint and the statistics of one tensor vs loading the whole file.

    .venv/bin/python benchmarks/inspect_checkpoint.py

Listing reads only the safetensors header; one tensor's statistics read only that tensor.
"""

from __future__ import annotations

import argparse
import tempfile
import timeit
from pathlib import Path

import torch
from figures import Figures, add_json_option
from safetensors.torch import load_file, save_file

from studio.engine.checkpoints.inspector import CheckpointInspector


def list_and_one_stat(path: Path) -> None:
    with CheckpointInspector(path) as ckpt:
        assert len(ckpt.entries) == 500
        ckpt.stats("layer250.weight")


def list_only(path: Path) -> None:
    with CheckpointInspector(path) as ckpt:
        assert len(ckpt.entries) == 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.safetensors"
        save_file({f"layer{i}.weight": torch.randn(256, 256) for i in range(500)}, str(path))
        size = path.stat().st_size
        t_list = min(timeit.repeat(lambda: list_only(path), number=1, repeat=5))
        t_one = min(timeit.repeat(lambda: list_and_one_stat(path), number=1, repeat=5))
        t_base = min(timeit.repeat(lambda: load_file(str(path)), number=1, repeat=5))
    print(f"file: 500 tensors, {size / 1e6:.0f} MB")
    print(f"list names/shapes/dtypes       : {t_list * 1e3:8.2f} ms")
    print(f"list + statistics of one tensor: {t_one * 1e3:8.2f} ms")
    print(f"baseline safetensors load_file : {t_base * 1e3:8.2f} ms")
    print(f"ratio list / baseline: {t_list / t_base:.3f}; list+stat / baseline: {t_one / t_base:.3f}")
    figures = Figures("inspect_checkpoint")
    for name, value in (("list 500 tensors", t_list), ("list + statistics of one tensor", t_one)):
        figures.add(name, value * 1e3, "ms", baseline=t_base * 1e3, baseline_name="safetensors load_file",
                    target="ratio < 1", passed=value < t_base)
    figures.write(args.json)


if __name__ == "__main__":
    main()
