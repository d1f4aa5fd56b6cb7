"""The checkpoint browser panel: runs and checkpoint files, tensors with statistics, histograms and
filters, diffs, partial restore into the edited model, and export."""

from studio.ui.checkpoints.live_model import LiveModel
from studio.ui.checkpoints.panel import CheckpointPanel

__all__ = ["CheckpointPanel", "LiveModel"]
