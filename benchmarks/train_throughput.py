"""Training throughput: Studio on an image folder vs plain PyTorch loops, measured in one run.

Three loops train the same compiled small_cnn with the same batch size, optimizer and torch threads
on the same PNG folder (the demo's Fashion-MNIST by default):

  studio      Trainer on the folder (decode once into the uint8 cache, batches gathered from it)
  imagefolder torchvision ImageFolder + DataLoader (the usual plain loop)
  in-memory   the plain loop fed from pre-decoded, normalised float tensors (the data costs nothing)

Prints images/s per epoch, the mean from epoch 2 on, and the ratios (targets: studio >= 1.3x
imagefolder, >= 0.97x in-memory). Rounds alternate the loops to spread the noise of a shared machine;
the best epoch (2 and later) of all rounds is printed too, as timeit's best-of-N: on a busy machine it
is the figure least disturbed by other processes. ``--clock cpu`` divides by this process's CPU time
instead of wall time (the ImageFolder loop then runs without workers, whose CPU time is elsewhere):
the cost of each loop's work, whatever else the machine is doing.

    python benchmarks/train_throughput.py [--data DIR] [--epochs 3] [--batch-size 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from figures import Figures, add_json_option

from studio.engine.compiler import compile_spec
from studio.engine.demo import demo_data_dir
from studio.engine.templates import create_template
from studio.engine.training import EpochEvent, StateEvent, TrainConfig, Trainer

CLOCK = time.perf_counter  # or time.process_time (--clock cpu)


def make_model(classes: int, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return compile_spec(create_template("small_cnn", num_classes=classes), device="cpu")


def plain_loop(model: torch.nn.Module, batches, epochs: int) -> list[float]:
    """images/s per epoch of a textbook loop over ``batches()`` (an iterable factory)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    rates = []
    for _ in range(epochs):
        start, seen = CLOCK(), 0
        for x, y in batches():
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            seen += len(y)
        rates.append(seen / (CLOCK() - start))
    return rates


def imagefolder_rates(root: Path, classes: int, epochs: int, batch: int, workers: int) -> list[float]:
    from torchvision import datasets, transforms

    transform = transforms.Compose([transforms.Grayscale(1), transforms.ToTensor(),
                                    transforms.Normalize((0.286,), (0.353,))])
    dataset = datasets.ImageFolder(str(root), transform=transform)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers,
                                         persistent_workers=workers > 0)
    rates = plain_loop(make_model(classes), lambda: loader, epochs)
    if loader._iterator is not None:  # persistent workers would live on into the next measurement
        loader._iterator._shutdown_workers()
    return rates


def load_tensors(root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole folder decoded and normalised once (outside the timed loops)."""
    from torchvision import datasets, transforms

    transform = transforms.Compose([transforms.Grayscale(1), transforms.ToTensor(),
                                    transforms.Normalize((0.286,), (0.353,))])
    dataset = datasets.ImageFolder(str(root), transform=transform)
    return torch.stack([dataset[i][0] for i in range(len(dataset))]), torch.tensor(dataset.targets)


def memory_rates(tensors: tuple[torch.Tensor, torch.Tensor], classes: int, epochs: int,
                 batch: int) -> list[float]:
    images, labels = tensors

    def batches():
        order = torch.randperm(len(labels))
        for lo in range(0, len(order), batch):
            index = order[lo:lo + batch]
            yield images[index], labels[index]

    return plain_loop(make_model(classes), batches, epochs)


def studio_rates(root: Path, epochs: int, batch: int) -> tuple[list[float], float]:
    rates: list[float] = []
    config = TrainConfig.from_dict({"data": {"root": str(root), "val_split": 0.0}, "epochs": epochs,
                                    "batch_size": batch, "log_every": 10, "device": "cpu"})
    classes = len([p for p in root.iterdir() if p.is_dir()])

    marks: list[float] = []

    def on_event(event) -> None:
        if isinstance(event, StateEvent) and event.state == "running":
            marks.append(CLOCK())
        if isinstance(event, EpochEvent):
            marks.append(CLOCK())
            rates.append(round(event.images_per_s * event.seconds) / (marks[-1] - marks[-2]))

    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(create_template("small_cnn", num_classes=classes), config, run_dir=run_dir,
                          callbacks=on_event)
        start = time.perf_counter()
        if not trainer.prepare():
            raise SystemExit(f"studio could not prepare: {trainer.result.reason}")
        prepare = time.perf_counter() - start
        result = trainer.run()
        if result.status != "finished":
            raise SystemExit(f"studio training failed: {result.reason}")
    return rates, prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=demo_data_dir())
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the ImageFolder loop")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="divide by wall time, or by this process's CPU time (workers forced to 0)")
    add_json_option(parser)
    args = parser.parse_args()
    if args.clock == "cpu":
        global CLOCK
        CLOCK = time.process_time
        args.workers = 0
    torch.set_num_threads(args.threads)
    classes = len([p for p in args.data.iterdir() if p.is_dir()])
    count = sum(1 for _ in args.data.rglob("*.png"))
    print(f"{count} PNG images in {classes} classes ({args.data}), batch {args.batch_size}, "
          f"{args.threads} torch threads, {args.epochs} epochs, {args.rounds} rounds, "
          f"torch {torch.__version__}, {args.clock} clock")
    tensors = load_tensors(args.data)
    results: dict[str, list[list[float]]] = {"studio": [], "imagefolder": [], "in-memory": []}
    for r in range(args.rounds):
        rates, prepare = studio_rates(args.data, args.epochs, args.batch_size)
        results["studio"].append(rates)
        print(f"round {r + 1}: studio prepare (scan + decode once) {prepare:.2f} s")
        results["imagefolder"].append(imagefolder_rates(args.data, classes, args.epochs, args.batch_size,
                                                         args.workers))
        results["in-memory"].append(memory_rates(tensors, classes, args.epochs, args.batch_size))
    for name, runs in results.items():
        print(f"{name:<12} images/s per round and epoch: " + " | ".join(" ".join(f"{v:5.0f}" for v in run)
                                                                      for run in runs))
    later: dict[str, float] = {}
    best: dict[str, float] = {}
    first = 1 if args.epochs > 1 else 0
    for name, runs in results.items():
        per_epoch = [statistics.median(run[e] for run in runs) for e in range(args.epochs)]
        later[name] = statistics.mean(per_epoch[first:])
        best[name] = max(rate for run in runs for rate in run[first:])
        shown = "  ".join(f"{v:7.0f}" for v in per_epoch)
        print(f"{name:<12} images/s per epoch (median of rounds): {shown}   epochs 2+: {later[name]:7.0f}"
              f"   best epoch 2+: {best[name]:7.0f}")
    for label, values in (("best", best), ("median", later)):  # median last: the recorded figures
        vs_folder = values["studio"] / values["imagefolder"]
        vs_memory = values["studio"] / values["in-memory"]
        print(f"{label:>6}: studio / imagefolder+DataLoader({args.workers} workers) {vs_folder:.2f}x "
              f"(target >= 1.3x), studio / in-memory tensors {vs_memory:.2f}x (target >= 0.97x)")
    figures = Figures("train_throughput")
    name, rate = "training small_cnn on the demo folder", later["studio"]
    figures.add(name, rate, "images/s", baseline=later["imagefolder"],
                baseline_name=f"ImageFolder + DataLoader ({args.workers} workers)", target="ratio >= 1.3",
                passed=vs_folder >= 1.3)
    figures.add(name, rate, "images/s", baseline=later["in-memory"],
                baseline_name="pre-decoded in-memory tensors", target="ratio >= 0.97",
                passed=vs_memory >= 0.97)
    figures.write(args.json)


if __name__ == "__main__":
    main()
