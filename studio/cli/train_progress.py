"""The command line's view of a training run: a tqdm progress bar and a final summary."""

from __future__ import annotations

import sys

from tqdm import tqdm

from studio.engine.formatting import rate_text
from studio.engine.training.events import (
    CheckpointEvent,
    DataReportEvent,
    EvalEvent,
    ProgressEvent,
    StateEvent,
    StepEvent,
    WarningEvent,
)

BAR = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {speed}{postfix}]"


class RateBar(tqdm):
    """tqdm showing its rate through :func:`rate_text` (``2,450 img/s``, not ``2449.73img/s``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, bar_format=BAR, **kwargs)

    @property
    def format_dict(self):
        values = super().format_dict
        rate = values["rate"]
        if rate is None and values["elapsed"]:  # (tqdm's own fallback: the average since the start)
            rate = (values["n"] - values["initial"]) / values["elapsed"]
        return {**values, "speed": rate_text(rate, values["unit"])}


class ProgressPrinter:
    """A training callback printing to stderr (progress) and stdout (summary)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.bar: RateBar | None = None
        self.decode: RateBar | None = None
        self.total: int | None = None

    def __call__(self, event) -> None:
        if not self.enabled:
            return
        if isinstance(event, ProgressEvent):
            if self.decode is None:
                self.decode = RateBar(total=event.total, desc=event.stage, unit="img", file=sys.stderr,
                                   leave=False)
            self.decode.n = event.done
            self.decode.refresh()
        elif isinstance(event, DataReportEvent):
            self._close_decode()
            report = event.report
            decoded = ("decoded images reused from an earlier run" if report.get("reused_decode")
                       else f"{report['decode_seconds']:.1f} s to decode")
            tqdm.write(f"data: {report['num_train']} training, {report['num_val']} validation images, "
                       f"{len(report['class_names'])} classes; {len(report['skipped'])} file(s) skipped "
                       f"({decoded})", file=sys.stderr)
        elif isinstance(event, StateEvent) and event.state == "running" and self.bar is None:
            self.bar = RateBar(initial=event.step, total=event.total_steps, unit="step", file=sys.stderr,
                            dynamic_ncols=True)
        elif isinstance(event, StepEvent) and self.bar is not None:
            self.bar.update(event.step - self.bar.n)
            self.bar.set_postfix_str(f"loss={event.loss:.4f}, lr={event.lr:.3g}, "
                                     f"{rate_text(event.images_per_s, 'img')}", refresh=False)
        elif isinstance(event, EvalEvent):
            shown = ", ".join(f"{k.removeprefix('val/')} {v:.4f}" for k, v in list(event.metrics.items())[:4])
            tqdm.write(f"step {event.step} (epoch {event.epoch:.2f}): {shown}", file=sys.stderr)
        elif isinstance(event, CheckpointEvent) and event.is_best:
            tqdm.write(f"  best checkpoint so far: {event.path}", file=sys.stderr)
        elif isinstance(event, WarningEvent):
            tqdm.write(f"warning: {event.message}", file=sys.stderr)

    def _close_decode(self) -> None:
        if self.decode is not None:
            self.decode.close()
            self.decode = None

    def close(self) -> None:
        self._close_decode()
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def summary(self, result) -> None:
        """Final lines on stdout."""
        if result.status != "finished":
            return
        print(f"finished ({result.reason}) at step {result.step}, epoch {result.epoch:.2f}, "
              f"in {result.seconds:.1f} s")
        for key, value in result.metrics.items():
            print(f"  {key:<18} {value:.4f}")
        if result.best_checkpoint:
            print(f"best checkpoint: {result.best_checkpoint}")
        if result.last_checkpoint:
            print(f"last checkpoint: {result.last_checkpoint}")
        if result.run_dir:
            print(f"run directory:   {result.run_dir}")
