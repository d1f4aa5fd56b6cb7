"""Import time of torchvision's ResNet-50 (`studio model import`'s engine call) and its node count
folded into blocks vs flat.

    .venv/bin/python benchmarks/model_import.py [--threads N] [--size 224] [--json PATH]

An import runs the model three times on its seeded batch of two (once to record the shapes, then
the original and the compiled spec to compare them), so the baseline is torchvision's own forward
of the same batch three times: the ratio is what tracing, mapping, folding, compiling and carrying
the weights add to that. Building ResNet-50 itself is printed too (not part of the import's time:
the source is loaded first). The best of a few runs each; target < 3 s.
"""

from __future__ import annotations

import argparse
import timeit

import torch
import torchvision
from figures import Figures, add_json_option

from studio.engine.importing import ImportResult, import_model
from studio.engine.importing.api import BATCH

REPEAT = 3
TARGET_S = 3.0


def best(run) -> float:
    return min(timeit.repeat(run, number=1, repeat=REPEAT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    shape = (3, args.size, args.size)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    batch = torch.randn(BATCH, *shape)

    def forwards() -> None:
        with torch.no_grad():
            for _ in range(3):
                model(batch)

    t_build = best(lambda: torchvision.models.resnet50(weights=None))
    t_forward = best(forwards)
    results: dict[bool, ImportResult] = {}
    t_import: dict[bool, float] = {}
    for flat in (False, True):
        def once(flat: bool = flat) -> None:
            results[flat] = import_model(model, shape, flat=flat)
        t_import[flat] = best(once)
    folded, unfolded = results[False], results[True]
    assert folded.verified() and unfolded.verified(), (folded.max_diff, unfolded.max_diff)
    print(f"ResNet-50, input {list(shape)}, batch {BATCH}, {args.threads} thread(s), best of {REPEAT}")
    print(f"import, folded into blocks : {t_import[False]:6.2f} s  {folded.node_count:4d} nodes, "
          f"{len(folded.spec.blocks)} blocks, max |diff| {folded.max_diff:.2g}")
    print(f"import, flat (--flat)      : {t_import[True]:6.2f} s  {unfolded.node_count:4d} nodes")
    print(f"baseline: torchvision's forward x3 : {t_forward:6.2f} s  (ratio import / baseline "
          f"{t_import[False] / t_forward:.2f})")
    print(f"building torchvision.models.resnet50(): {t_build:6.2f} s (not in the import's time)")
    print(f"target < {TARGET_S:g} s: {'met' if t_import[False] < TARGET_S else 'NOT met'}")
    figures = Figures("model_import")
    figures.add("ResNet-50 import (folded)", t_import[False], "s", baseline=t_forward,
                baseline_name="torchvision forward x3, same batch", target=f"< {TARGET_S:g} s",
                passed=t_import[False] < TARGET_S)
    figures.add("ResNet-50 import (flat)", t_import[True], "s", baseline=t_forward,
                baseline_name="torchvision forward x3, same batch")
    figures.add("ResNet-50 nodes, folded vs flat", folded.node_count, "nodes", baseline=unfolded.node_count,
                baseline_name="flat import")
    figures.add("ResNet-50 construction (reference)", t_build, "s")
    figures.write(args.json)


if __name__ == "__main__":
    main()
