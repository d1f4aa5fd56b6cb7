"""The embeddings engine behind the projector: features, projections, neighbours, sprites, export, and
the window's whole pipeline (``points``, ``projecting``, ``search``, ``compare``) beside ``studio embed``'s
(``job``).

    layer = embedding_layer(spec)                                   # "fc1", the window and CLI default
    result = extract_features(model, images, ["fc1"])               # one pass, several nodes
    emb = Embedding(result.features["fc1"], labels, class_names)    # + predictions, paths, metadata
    layout = project(emb.features, "tsne", 2, on_layout=show)       # pca | tsne | umap; custom()
    near = NeighbourIndex(emb.features, "cosine").query_points([0], k=10)
    atlas = build_atlas(thumbnail_images, cell=32)                  # pages + half/quarter copies
    export_tensorboard(emb, "out/tb", images=thumbnail_images)      # tensorboard --logdir out
"""

from studio.engine.projector.custom import class_direction, custom
from studio.engine.projector.embedding import Embedding
from studio.engine.projector.errors import Cancelled, ProjectorError
from studio.engine.projector.features import Extraction, ExtractProgress, extract_features, feature_nodes
from studio.engine.projector.layer import embedding_layer
from studio.engine.projector.methods import METHODS, project
from studio.engine.projector.neighbours import LabelAgreement, NeighbourIndex, Neighbours, label_agreement
from studio.engine.projector.pca import pca
from studio.engine.projector.projection import Projection
from studio.engine.projector.sprites import SpriteAtlas, build_atlas
from studio.engine.projector.tensorboard_export import TensorBoardExport, export_tensorboard
from studio.engine.projector.tsne import tsne
from studio.engine.projector.umap_layout import umap

__all__ = [
    "METHODS", "Cancelled", "Embedding", "ExtractProgress", "Extraction", "LabelAgreement", "NeighbourIndex",
    "Neighbours", "ProjectorError", "Projection", "SpriteAtlas", "TensorBoardExport", "build_atlas",
    "class_direction", "custom", "embedding_layer", "export_tensorboard", "extract_features", "feature_nodes",
    "label_agreement", "pca", "project", "tsne", "umap",
]
