"""From a model and images to embeddings: features of the chosen nodes plus the model's predictions.

The window and the command line call :func:`embed_source` on an opened source (a checkpoint, or the
live model on a run's images or a folder); :func:`embed_images` takes any model and images.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from studio.engine.data import Normalization
from studio.engine.graph_module import GraphModule
from studio.engine.projector.embedding import Embedding
from studio.engine.projector.features import ExtractProgress, extract_features
from studio.engine.projector.source import EmbedSource, normalizer


def embed_images(model: GraphModule, images: Any, nodes: Sequence[str], *,
                 normalization: Normalization | None = None, labels: np.ndarray | None = None,
                 class_names: Sequence[str] = (), paths: Sequence[str] = (), output: str | None = "",
                 reduce: str = "auto", batch_size: int = 128,
                 progress: Callable[[ExtractProgress], None] | None = None,
                 should_stop: Callable[[], bool] | None = None,
                 info: dict[str, Any] | None = None) -> dict[str, Embedding]:
    """One :class:`Embedding` per node of ``nodes`` for uint8 ``images`` ``[N, C, H, W]``, in one pass.

    ``normalization`` is the training's (default: pixels / 255). Predictions and confidence (softmax
    probability of the predicted class) come from ``output`` ("" = the first, None = none).
    """
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    preprocess = normalizer(normalization, device) if normalization is not None else None
    result = extract_features(model, images, nodes, preprocess=preprocess, batch_size=batch_size,
                              reduce=reduce, output=output, device=device, progress=progress,
                              should_stop=should_stop)
    predictions = confidence = None
    if result.logits is not None and result.logits.shape[1] > 1:
        probs = torch.softmax(torch.from_numpy(result.logits), dim=1)
        top = probs.max(dim=1)
        predictions, confidence = top.indices.numpy(), top.values.numpy()
    details = {**(info or {}), "reduce": reduce, "output": result.output}
    return {node: Embedding(result.features[node], labels, tuple(class_names), tuple(paths), predictions,
                            confidence, layer=node, info=details)
            for node in nodes}


def embed_source(source: EmbedSource, nodes: Sequence[str], *, reduce: str = "auto", batch_size: int = 128,
                 progress: Callable[[ExtractProgress], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> dict[str, Embedding]:
    """:func:`embed_images` on an opened source, recording where the model and images came from."""
    step = {"step": source.checkpoint.step} if source.checkpoint is not None else {}
    info = {"checkpoint": source.title, **step, "model": source.spec.name, "images": source.source}
    return embed_images(source.model, source.images, nodes, normalization=source.normalization,
                        labels=source.labels, class_names=source.class_names, paths=source.paths,
                        output=source.output, reduce=reduce, batch_size=batch_size, progress=progress,
                        should_stop=should_stop, info=info)
