"""The training panel: data, settings, curves, results and the runs list (docs/training.md)."""
