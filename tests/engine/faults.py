"""Fault injection shared by the fault tests and ``benchmarks/faults.py``: `studio train` killed with
SIGKILL at random moments or in the middle of a checkpoint write, then resumed; broken image folders;
random JSON values and locations for the fuzzers."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st
from PIL import Image

from studio.engine.checkpoints import CheckpointInfo, CheckpointStore
from studio.engine.checkpoints.reader import load_state_dict
from studio.engine.compiler import compile_spec
from studio.engine.runs import RunReader
from studio.engine.spec.io import save_spec
from tests.engine.image_folders import make_image_folder, tiny_cnn

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 300.0  # seconds a started process may take to write its next checkpoint (loaded machines)


@dataclass(frozen=True)
class KillRound:
    """One kill: the newest complete checkpoint before and after it, and whether the kill interrupted a
    checkpoint write (its temp or sidecar-less files were left behind)."""

    mode: str  # "random" (any moment after the next checkpoint) or "write" (while a temp file exists)
    newest_before: int
    newest_after: int
    interrupted_write: bool
    seconds: float  # from start to kill


def make_training_folder(root: Path, classes: int = 3, per_class: int = 8, size: int = 12) -> dict[str, Path]:
    """A tiny real image folder, a spec file and a config saving a checkpoint after every step."""
    make_image_folder(root / "data", classes=classes, per_class=per_class, size=size)
    save_spec(tiny_cnn(classes, size), root / "spec.json")
    config = {"steps": 1_000_000, "batch_size": 4, "log_every": 1, "device": "cpu", "threads": 1,
              "data": {"val_split": 0.25}, "checkpoint": {"every_steps": 1, "keep_last": 3}}
    (root / "config.json").write_text(json.dumps(config))
    return {"data": root / "data", "spec": root / "spec.json", "config": root / "config.json",
            "run": root / "run"}


def train_command(files: dict[str, Path], resume: bool, *extra: str) -> list[str]:
    """`python -m studio train` starting the run, or resuming it from its newest checkpoint."""
    command = [sys.executable, "-m", "studio", "train"]
    if resume:
        command += ["--resume", str(files["run"])]
    else:
        command += [str(files["spec"]), "--data", str(files["data"]), "--config", str(files["config"]),
                    "--run-dir", str(files["run"])]
    return [*command, "--quiet", *extra]


def newest_step(run: Path) -> int:
    latest = CheckpointStore(run / "checkpoints").latest()
    return latest.step if latest is not None else -1


def leftovers(run: Path) -> list[str]:
    """Files of interrupted checkpoint writes: temp files, and weights or state without a sidecar."""
    folder = run / "checkpoints"
    if not folder.is_dir():
        return []
    complete = {path.stem for path in folder.glob("ckpt-*.json")}
    return sorted(p.name for p in folder.iterdir()
                  if p.name.endswith(".tmp") or (p.name.startswith("ckpt-") and not p.name.endswith(".json")
                                                 and p.name.split(".", 1)[0] not in complete))


def kill_once(files: dict[str, Path], rng: random.Random, mode: str, max_delay: float = 0.5) -> KillRound:
    """Start (or resume) the run, wait for a checkpoint newer than the current newest, then SIGKILL it:
    after a random delay (``random``) or while it is writing a checkpoint (``write``)."""
    run = files["run"]
    before, stale = newest_step(run), set(leftovers(run))  # (left by the previous kill)
    started = time.monotonic()
    proc = subprocess.Popen(train_command(files, resume=before >= 0), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        while newest_step(run) <= before:
            if proc.poll() is not None:
                raise AssertionError(f"studio train exited with {proc.returncode} before a new checkpoint: "
                                     f"{proc.stderr.read().decode(errors='replace')[-2000:]}")
            if time.monotonic() - started > START_TIMEOUT:
                raise AssertionError("studio train wrote no new checkpoint in time")
            time.sleep(0.005)
        if mode == "random":
            time.sleep(rng.uniform(0.0, max_delay))
        else:
            stop_during_a_write(proc, run, stale)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    interrupted = bool(set(leftovers(run)) - stale)
    return KillRound(mode, before, newest_step(run), interrupted, time.monotonic() - started)


def stop_during_a_write(proc: subprocess.Popen, run: Path, stale: set[str]) -> None:
    """Leave ``proc`` stopped (SIGSTOP) in the middle of a checkpoint write: when a temp file shows, stop it
    and look again; a stopped process cannot finish the write, so what is seen now is what a kill leaves.
    If the write ended before the stop took hold, let it go on (SIGCONT) and wait for the next one. Files in
    ``stale`` (an earlier process's leftovers, not yet cleaned) do not count."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if any(name.endswith(".tmp") for name in set(leftovers(run)) - stale):
            proc.send_signal(signal.SIGSTOP)
            _, status = os.waitpid(proc.pid, os.WUNTRACED)  # returns once it is really stopped
            if not os.WIFSTOPPED(status):
                raise AssertionError(f"studio train ended (status {status}) instead of stopping")
            if set(leftovers(run)) - stale:
                return
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.0005)
    raise AssertionError("no checkpoint write of studio train could be interrupted in time")


def check_checkpoints_load(run: Path) -> CheckpointInfo:
    """Every listed checkpoint loads (weights through the reader, strictly into the recorded model, and
    its training state); returns the newest."""
    store = CheckpointStore(run / "checkpoints")
    infos = store.list()
    assert infos, f"no complete checkpoint in {run}"
    for info in infos:
        weights = load_state_dict(info.path)
        compile_spec(store.load_spec(info), device="cpu").load_state_dict(weights)  # strict
        assert store.load_training_state(info)["step"] == info.step
    return infos[-1]


def tear_last_line(path: Path) -> None:
    """Cut the file in the middle of its last line, as a power cut can leave an append."""
    data = path.read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(data[:start + max(1, (len(data) - start) // 2)])


def resume_to_the_end(files: dict[str, Path], extra_steps: int, timeout: float = START_TIMEOUT) -> dict:
    """Resume the run for ``extra_steps`` more steps; returns ``--json`` result of `studio train`."""
    target = newest_step(files["run"]) + extra_steps
    done = subprocess.run(train_command(files, True, "--steps", str(target), "--json"), cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def steps_after_last_resume(run: Path) -> tuple[int, list[int]]:
    """The step of the last ``resume`` record in metrics.jsonl and the step records logged after it."""
    records, _ = RunReader(run).read_metrics()
    last = max(i for i, record in enumerate(records) if record.get("kind") == "resume")
    return records[last]["step"], [r["step"] for r in records[last + 1:] if r.get("kind") == "step"]


def mount_tmpfs(path: Path, size: str) -> bool:
    """Mount a tmpfs of ``size`` (e.g. "1m") on ``path``, a real small disk that fills up; False where
    mounting is not permitted (not root)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True)
    return done.returncode == 0


def resize_tmpfs(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True, capture_output=True)


def unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def fill_disk(path: Path, leave: int = 0) -> Path:
    """A filler file on ``path``'s file system leaving ``leave`` bytes (whole pages) free."""
    filler = path / "filler"
    with open(filler, "ab") as handle:
        need = free_bytes(path) - leave
        if need > 0:
            handle.write(b"\0" * need)
    return filler


class DiskHog:
    """Takes every byte a file system frees until stopped: a disk that stays full whatever is
    deleted (pruned checkpoints, removed temp files), so that even status.json cannot be written."""

    def __init__(self, path: Path) -> None:
        import threading

        self.file = path / "hog"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        fd = os.open(self.file, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        page = b"\0" * 4096
        try:
            while not self._stop.is_set():
                try:
                    os.write(fd, page)
                except OSError:
                    time.sleep(0.0005)
        finally:
            os.close(fd)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.file.unlink(missing_ok=True)


def unfinished_writes(run: Path) -> list[str]:
    """Temp files anywhere in the run folder, and checkpoint files without a sidecar (nothing a
    failed or killed write may leave for good)."""
    temps = {p.name for p in run.rglob("*") if p.name.endswith(".tmp")}
    return sorted(temps | set(leftovers(run)))


class CodeRunner:
    """Pickled, it runs ``touch MARKER`` when unpickled: what a hostile file would hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def plant_pickle(path: Path, marker: Path, kind: str = "zip") -> None:
    """Replace ``path`` by a pickle that would create ``marker``: in torch's zip format (``zip``, what
    ``torch.save`` writes) or as a bare pickle (``legacy``, as PyTorch before 1.6 and plain pickle)."""
    import pickle

    import torch

    payload = {"step": CodeRunner(marker), "state_dict": {"w": CodeRunner(marker)}}
    if kind == "zip":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=2))


def run_folder_files(run: Path) -> list[Path]:
    """Every file of a run folder (its newest checkpoint's files first)."""
    newest = CheckpointStore(run / "checkpoints").latest()
    first = [newest.path, newest.path.with_name(f"{newest.name}.state.pt"), newest.sidecar]
    return first + sorted(p for p in run.rglob("*") if p.is_file() and p not in first)


BROKEN_KINDS = ("truncated", "zero-byte", "not an image", "random bytes", "html named .png")


def write_broken_image(path: Path, kind: str, rng: np.random.Generator) -> Path:
    """A file an image folder should skip and report; returns its path (with the suffix ``kind`` uses)."""
    if kind == "truncated":
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (28, 28), np.uint8)).save(buffer, "PNG")
        path.write_bytes(buffer.getvalue()[:len(buffer.getvalue()) // 2])
    elif kind == "zero-byte":
        path.write_bytes(b"")
    elif kind == "not an image":
        path = path.with_suffix(".txt")
        path.write_text("notes, not pixels")
    elif kind == "random bytes":
        path = path.with_suffix(".jpg")
        path.write_bytes(rng.integers(0, 256, 300, np.uint8).tobytes())
    else:
        path.write_text("<html>404 not found</html>")
    return path


ODD_MODES = ("RGBA", "P", "I;16", "CMYK", "1", "LA")


def write_odd_image(path: Path, mode: str, rng: np.random.Generator, size: int = 28) -> Path:
    """A valid image in an unusual mode (it must train, not be skipped)."""
    gray = rng.integers(0, 255, (size, size), np.uint8)
    if mode == "I;16":
        Image.fromarray(gray.astype(np.uint16) * 257).save(path)
    elif mode == "CMYK":
        path = path.with_suffix(".jpg")
        Image.fromarray(gray).convert("CMYK").save(path)
    else:
        Image.fromarray(gray).convert(mode).save(path)
    return path


def seed_broken_folder(root: Path, classes: int, per_class: int, broken_fraction: float, size: int = 28,
                       seed: int = 0) -> tuple[list[Path], list[Path]]:
    """An image folder where ``broken_fraction`` of the files are broken (all kinds, round robin) and a
    few valid ones use odd modes; returns (broken files, odd-mode files)."""
    make_image_folder(root, classes=classes, per_class=per_class, size=size, seed=seed)
    rng = np.random.default_rng(seed)
    files = sorted(root.rglob("*.png"))
    chosen = rng.choice(len(files), round(len(files) * broken_fraction), replace=False)
    broken = []
    for n, index in enumerate(sorted(chosen)):
        files[index].unlink()
        broken.append(write_broken_image(files[index], BROKEN_KINDS[n % len(BROKEN_KINDS)], rng))
    survivors = [f for i, f in enumerate(files) if i not in set(chosen.tolist())]
    odd = []
    for mode, path in zip(ODD_MODES, survivors[::max(1, len(survivors) // len(ODD_MODES))], strict=False):
        path.unlink()
        odd.append(write_odd_image(path, mode, rng, size))
    return broken, odd


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6)


def locations(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every location inside a JSON document as a key/index tuple, the document itself (``()``) first."""
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from locations(item, (*path, key))


def pick_location(doc: Any, draw: Callable, keep: Callable[[tuple], bool] = lambda path: True) -> tuple:
    """A random location of ``doc`` other than the root (and kept by ``keep``): ``(container, key)``."""
    path = draw(st.sampled_from([path for path in locations(doc) if path and keep(path)]))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    return parent, path[-1]
