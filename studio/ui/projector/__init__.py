"""The embedding projector panel: a layer's features of a run's images as a zoomable cloud of
thumbnails (PCA, t-SNE as it converges, UMAP, custom axes; 2-D or 3-D), with hover, nearest
neighbours, search, selection and exports. See docs/projector.md."""

from studio.ui.projector.panel import ProjectorPanel, create_panel

__all__ = ["ProjectorPanel", "create_panel"]
