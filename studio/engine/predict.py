"""Predictions on new, unlabelled images: a run's checkpoint (or a Studio ONNX export) on files or a
folder, decoded and normalised exactly as the run decodes its own images (the run's recorded input
size, channels, resize mode and normalisation), so a row equals ``studio eval``'s prediction.

    source = open_predictor("runs/demo")                      # best checkpoint, else the newest
    source = open_predictor("model.onnx", run="runs/demo")    # an ONNX export with its run's settings
    rows = predict(source, image_paths("new_photos/"), top_k=3)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from studio.engine.checkpoints.errors import CheckpointError
from studio.engine.compiler import compile_spec
from studio.engine.data import BatchLoader, DataConfig, Normalization, load_images, resolve_normalization
from studio.engine.data.dataset import Subset
from studio.engine.data.labels import natural_key
from studio.engine.data.scan import IMAGE_EXTENSIONS
from studio.engine.errors import StudioError
from studio.engine.filenames import shown_name
from studio.engine.runs import RunReader
from studio.engine.runs.locate import locate_checkpoint
from studio.engine.training.config import TrainConfig
from studio.engine.training.device import choose_device
from studio.engine.training.losses import bind_losses
from studio.engine.training.session import input_shape_of

Progress = Callable[[str, int, int], None]  # (stage, done, total)
Infer = Callable[[torch.Tensor], torch.Tensor]  # normalised batch -> logits


@dataclass(frozen=True)
class PredictionRow:
    """One image: its ``top`` classes with their softmax probabilities, best first; ``skipped`` the
    reason when the file could not be decoded (then ``top`` is empty)."""

    path: str
    top: tuple[tuple[str, float], ...] = ()
    skipped: str = ""

    @property
    def prediction(self) -> str:
        return self.top[0][0] if self.top else ""

    @property
    def confidence(self) -> float | None:
        return self.top[0][1] if self.top else None


@dataclass(eq=False)
class Predictor:
    """A model and the way its run reads images: ``infer`` maps a normalised batch to logits."""

    infer: Infer
    class_names: tuple[str, ...]
    shape: tuple[int, int, int]
    data: DataConfig
    normalization: Normalization | None  # None: the run recorded none (the images' own statistics)
    device: torch.device
    name: str


def open_predictor(target: str | os.PathLike, *, run: str | os.PathLike | None = None,
                   device: str = "auto") -> Predictor:
    """A run folder (its best checkpoint, else its newest), a checkpoint of a run, or an ``.onnx``
    export (its run given as ``run``). StudioError in one sentence for anything else."""
    path = Path(target).expanduser()
    if not path.exists():
        raise StudioError(f"{shown_name(path)} does not exist")
    if path.is_file() and path.suffix.lower() == ".onnx":
        return _onnx_predictor(path, run, device)
    try:
        store, info, run_dir = locate_checkpoint(path, prefer="best")
    except CheckpointError as exc:
        raise StudioError(f"{exc} (give a run folder, a checkpoint of a run or a Studio .onnx "
                          "export)") from None
    settings = _RunSettings(run_dir) if run_dir is not None else None
    spec = store.load_spec(info) or (settings.reader.spec() if settings else None)
    if spec is None or settings is None:
        raise StudioError(f"checkpoint {info.name} is not inside a run folder: its classes and preprocessing "
                          "are unknown")
    setup = choose_device(device, amp="off", channels_last="off")
    model = compile_spec(spec, device=setup.device)
    try:
        model.load_state_dict(store.load_weights(info))
    except RuntimeError as exc:
        raise StudioError(f"checkpoint {info.name} does not fit its model: "
                          f"{str(exc).splitlines()[0]}") from None
    model.eval()
    output = bind_losses(settings.config.losses, model.output_names)[0].output if model.output_names else None

    def infer(x: torch.Tensor) -> torch.Tensor:
        out = model(x)
        return out[output] if isinstance(out, dict) else out

    return Predictor(infer, settings.class_names(()), input_shape_of(spec),
                     settings.config.data, settings.normalization, setup.device, str(info.path))


class _RunSettings:
    """What a run recorded about its data: config, class names, normalisation."""

    def __init__(self, run_dir: Path) -> None:
        self.reader = RunReader(run_dir)
        self.config = TrainConfig.from_dict(self.reader.config() or {})
        self.report = self.reader.data_report() or {}
        norm = self.report.get("normalization")
        self.normalization = Normalization(tuple(norm["mean"]), tuple(norm["std"])) if norm else None

    def class_names(self, fallback: tuple[str, ...]) -> tuple[str, ...]:
        names = self.report.get("class_names")
        return tuple(names) if names else fallback


def _onnx_predictor(path: Path, run: str | os.PathLike | None, device: str) -> Predictor:
    try:
        import onnxruntime
    except ImportError:
        raise StudioError("predicting with ONNX needs onnxruntime: pip install studio[onnx]") from None
    cuda = device.startswith("cuda") and "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if cuda else ["CPUExecutionProvider"]
    try:
        session = onnxruntime.InferenceSession(str(path), providers=providers)
    except Exception as exc:  # onnxruntime raises its own types for files that are not ONNX
        raise StudioError(f"{shown_name(path)} is not a readable ONNX model: "
                          f"{(str(exc) or type(exc).__name__).splitlines()[0]}") from None
    meta = dict(session.get_modelmeta().custom_metadata_map or {})
    input_name = session.get_inputs()[0].name
    outputs = [o.name for o in session.get_outputs()]
    if run is not None:
        run_path = Path(run).expanduser()
        try:
            _, info, run_dir = locate_checkpoint(run_path, prefer="best")
        except CheckpointError as exc:
            raise StudioError(f"--run {shown_name(run_path)}: {exc}") from None
        if run_dir is None:
            raise StudioError(f"--run {shown_name(run_path)} is not a run folder")
        settings = _RunSettings(run_dir)
        spec = settings.reader.spec()
        if spec is None:
            raise StudioError(f"run {shown_name(run_dir)} records no model spec")
        shape, data, normalization = input_shape_of(spec), settings.config.data, settings.normalization
        names = settings.class_names(())
        bound = bind_losses(settings.config.losses, list(outputs))[0].output if outputs else None
        output = bound if bound in outputs else outputs[0]
    elif {"class_names", "input_shape", "normalization"} <= set(meta):
        names = tuple(json.loads(meta["class_names"]))
        c, h, w = (int(v) for v in json.loads(meta["input_shape"])[-3:])
        shape = (c, h, w)
        data = replace(DataConfig(), resize=meta.get("resize_mode", "crop"))
        norm = json.loads(meta["normalization"])
        normalization = Normalization(tuple(norm["mean"]), tuple(norm["std"]))
        output = outputs[0]
    else:
        raise StudioError(f"{shown_name(path)} carries no class names or preprocessing: give --run RUN, "
                          "the run it was exported from")

    def infer(x: torch.Tensor) -> torch.Tensor:
        result = session.run([output], {input_name: x.detach().cpu().numpy().astype(np.float32)})[0]
        return torch.from_numpy(np.asarray(result))

    return Predictor(infer, names, shape, data, normalization, torch.device("cpu"), str(path))


def image_paths(items: Sequence[str | os.PathLike]) -> list[str]:
    """The images ``items`` name: a file as it is, every image file below a folder (recursively, hidden
    ones left out, in sorted order). StudioError for a missing path or when there is no image."""
    if not items:
        raise StudioError("no images given")
    found: list[str] = []
    for item in items:
        path = Path(item).expanduser()
        if path.is_dir():
            inside = [os.path.join(folder, name) for folder, dirs, files in os.walk(path)
                      for name in files if not name.startswith(".")
                      and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
                      and not any(part.startswith(".") for part in Path(folder).relative_to(path).parts)]
            if not inside:
                raise StudioError(f"no image files in {shown_name(path)}")
            found += sorted(inside, key=lambda p: natural_key(os.path.relpath(p, path)))
        elif path.is_file():
            found.append(str(path))
        else:
            raise StudioError(f"{shown_name(path)} does not exist")
    return found


@torch.inference_mode()
def predict(source: Predictor, files: Sequence[str | os.PathLike], top_k: int = 3, batch_size: int = 128,
            progress: Progress | None = None) -> list[PredictionRow]:
    """One row per path, in order: the ``top_k`` classes (at most all of them) with their softmax
    probabilities; files that do not decode are rows with the reason in ``skipped``."""
    if top_k < 1:
        raise StudioError("--top-k must be at least 1")
    if batch_size < 1:
        raise StudioError("--batch-size must be at least 1")
    paths: list[str] = [os.fspath(p) for p in files]
    data = source.data
    callback = (lambda done, total: progress("decoding", done, total)) if progress is not None else None
    cache = load_images(paths, source.shape, resize=data.resize, workers=data.workers, storage=data.cache,
                        directory=data.cache_dir, max_pixels=data.max_image_pixels, progress=callback)
    try:
        good = np.flatnonzero(cache.ok)
        normalization = source.normalization
        if normalization is None:  # as `studio eval` does: the images' own statistics
            normalization = resolve_normalization(data.normalize, cache.images, good)
        subset = Subset(cache, good, np.zeros(len(good), np.int64), tuple(paths[i] for i in good))
        loader = BatchLoader(subset, batch_size, source.device, normalization, shuffle=False, pad=False)
        top: dict[int, tuple[tuple[str, float], ...]] = {}
        for lo in range(0, len(good), batch_size):
            positions = np.arange(lo, min(lo + batch_size, len(good)))
            x, _ = loader.assemble(positions)
            probs = torch.softmax(source.infer(x).float(), dim=-1).cpu().numpy()
            names = source.class_names or tuple(str(i) for i in range(probs.shape[1]))
            if len(names) != probs.shape[1]:
                raise StudioError(f"the model gives {probs.shape[1]} scores but its run has {len(names)} "
                                  "classes")
            k = min(top_k, probs.shape[1])
            for position, row in zip(positions, probs, strict=True):
                order = np.argsort(-row, kind="stable")[:k]
                top[int(good[position])] = tuple((names[j], float(row[j])) for j in order)
            if progress is not None:
                progress("predicting", positions[-1] + 1, len(good))
    finally:
        cache.close()
    return [PredictionRow(path, top.get(i, ()), cache.failures.get(i, "")) for i, path in enumerate(paths)]
