"""`studio embed CKPT_OR_RUN [--data DIR] --layer NODE [--method pca|tsne|umap] [--dims 2|3] --out DIR
[--tensorboard]`: features of a layer for a set of images, projected, scored and exported."""

from __future__ import annotations

import sys

from studio.cli.common import print_json


def register(subparsers) -> None:
    from studio.engine.projector.features import REDUCTIONS
    from studio.engine.projector.neighbours import METRICS

    parser = subparsers.add_parser(
        "embed", help="embed images with a layer of a trained model: projection, neighbours, sprites, "
                      "TensorBoard projector files")
    parser.add_argument("checkpoint", metavar="CKPT_OR_RUN",
                        help="checkpoint file or run directory (its best, else latest, checkpoint)")
    parser.add_argument("--data", help="image folder (default: the run's validation split)")
    parser.add_argument("--layer", action="append", metavar="NODE",
                        help="node to take features from, e.g. fc1 or entry_flow_1.sepconv1 (repeat for "
                             "several; default: the layer feeding the output layer, looking through dropout)")
    parser.add_argument("--method", choices=["pca", "tsne", "umap", "none"], default="pca",
                        help="projection (default pca; umap needs pip install studio[umap])")
    parser.add_argument("--dims", type=int, choices=[2, 3], default=2, help="projection dimensions")
    parser.add_argument("--out", required=True, help="folder to write the embedding files into")
    parser.add_argument("--tensorboard", action="store_true",
                        help="also write OUT/tensorboard for `tensorboard --logdir OUT/tensorboard`")
    parser.add_argument("--reduce", choices=REDUCTIONS, default="auto",
                        help="how spatial maps become vectors (auto: global average pool)")
    parser.add_argument("--sprite-size", type=int, default=32, metavar="PX", help="thumbnail size (32)")
    parser.add_argument("--no-sprites", action="store_true", help="skip the sprite atlas")
    parser.add_argument("--neighbours", type=int, default=10, metavar="K",
                        help="neighbours for the label agreement score (10)")
    parser.add_argument("--metric", choices=METRICS, default="cosine", help="neighbour distance")
    parser.add_argument("--perplexity", type=float, default=30.0, help="t-SNE perplexity (30)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the projection (recorded)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run_embed)


def run_embed(args) -> int:
    from studio.engine.projector.job import EmbedJob, run_embed_job

    job = EmbedJob(args.checkpoint, args.out, args.data, tuple(args.layer or ()), args.method, args.dims,
                   args.reduce, None if args.no_sprites else args.sprite_size, args.tensorboard,
                   args.neighbours, args.metric, args.perplexity, args.seed, args.batch_size, args.device)
    bars = _Bars(enabled=not (args.quiet or args.json))
    try:
        summary = run_embed_job(job, bars)
    finally:
        bars.close()
    if args.json:
        print_json(summary.to_dict())
        return 0
    print(f"{summary.points} images ({summary.images}) through {summary.checkpoint}")
    if summary.accuracy is not None:
        print(f"accuracy: {summary.accuracy:.4f}")
    for layer in summary.layers:
        line = f"{layer.layer}: {layer.dim} values per image -> {layer.embedding}"
        if layer.agreement is not None:
            a = layer.agreement
            line += (f"\n  {a.k}-NN label agreement {a.agreement:.3f} (chance {a.chance:.3f}, "
                     f"{a.points} points)")
        if layer.projection:
            line += f"\n  projection -> {layer.projection}"
        if layer.explained_variance:
            line += " (explained variance " + ", ".join(f"{v:.1%}" for v in layer.explained_variance) + ")"
        print(line)
    if summary.sprites:
        print(f"sprites: {summary.sprites}")
    if summary.tensorboard is not None:
        print(f"tensorboard: tensorboard --logdir {summary.tensorboard.directory}")
        if summary.tensorboard.note:
            print(f"  note: {summary.tensorboard.note}")
    for note in summary.notes:
        print(f"warning: {note}", file=sys.stderr)
    return 0


class _Bars:
    """One tqdm bar per stage on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, file=sys.stderr, leave=False, dynamic_ncols=True)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            self.stage = None
