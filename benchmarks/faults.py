"""The fault suite at full size (the fast versions are tests/engine/test_faults_*.py).

    .venv/bin/python benchmarks/faults.py [--kills 20] [--images 10000] [--fuzz-examples 5000]

1. `studio train` (tiny image folder, a checkpoint after every step) is killed with SIGKILL ``--kills``
   times, alternately at a random moment and in the middle of a checkpoint write, each time resumed
   with ``--resume``. After every kill every listed checkpoint must load (weights strictly into the
   recorded model, training state); at the end the run resumes to its last step.
2. A folder of ``--images`` 28x28 PNGs, a tenth of them broken (truncated, zero bytes, text, random
   bytes, HTML named .png) and a few in odd modes, trains one epoch; the data report must list exactly
   the broken files. Baseline: the same training on the same folder without the broken files (two
   runs of each, alternated; the best of each is shown).
3. The spec and checkpoint fuzzers run with ``--fuzz-examples`` examples each.
4. ``--hostile-json`` random documents (nesting up to 20,000 levels, truncated, bytes flipped) for
   every JSON reader, and as the newest sidecar of a run under ``studio ckpt show``: only one-line
   StudioErrors. ``--odd-names`` images, a third named with random bytes that are not UTF-8, train an
   epoch with ``studio train``: every image used, the split read back finds them all.
5. A full disk (real tmpfs mounts; skipped where mounting is not permitted): a checkpoint save runs out
   of space at each of its files (``--disk-rounds`` times each); `studio train` fills disks of
   ``--disk-rounds`` sizes itself; then a disk that stays full whatever is freed (even status.json
   cannot be written). Each ends in one `studio: error:` line saying the disk is full and naming the
   last good checkpoint, leaves no temp or sidecar-less file, and resumes once there is room.
6. Readers of a live run: listing and loading checkpoints for ``--reader-seconds`` while a writer rotates
   them (keep last 2), and `studio eval --watch` on a run that keeps only its last checkpoint.
7. Two writers: ``--writers`` second `studio train` processes (new run and ``--resume``) into a folder
   being written, each refused at once naming the owner; a killed writer's lock is taken over.
8. A code-running pickle planted in every file of a run folder (weights, state, sidecar, the run's JSON
   files, metrics, log): `train --resume`, `eval`, `ckpt ls/show` and `embed` refuse it in one line or
   do without it, and the code never runs.
Section 1 also reads the metrics back after the kills: one record per step, the losses of a run never
interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402
from figures import Figures, add_json_option  # noqa: E402

from studio.engine.checkpoints import CheckpointStore  # noqa: E402
from studio.engine.runs import RunReader  # noqa: E402
from studio.engine.templates import create_template  # noqa: E402
from studio.engine.training import EpochEvent, TrainConfig, Trainer  # noqa: E402
from tests.engine.faults import (  # noqa: E402
    START_TIMEOUT,
    DiskHog,
    check_checkpoints_load,
    fill_disk,
    kill_once,
    make_training_folder,
    mount_tmpfs,
    newest_step,
    plant_pickle,
    resize_tmpfs,
    resume_to_the_end,
    run_folder_files,
    seed_broken_folder,
    steps_after_last_resume,
    train_command,
    unfinished_writes,
    unmount,
)

FUZZ_TESTS = ("tests/engine/test_faults_spec_fuzz.py", "tests/engine/test_faults_checkpoint_fuzz.py")


def kills(count: int, root: Path, figures: Figures) -> None:
    files = make_training_folder(root)
    rng = random.Random(20)
    survived = interrupted = 0
    started = time.perf_counter()
    for index in range(count):
        mode = ("random", "write")[index % 2]
        kill = kill_once(files, rng, mode)
        newest = check_checkpoints_load(files["run"])
        ok = kill.newest_after > kill.newest_before and newest.step == kill.newest_after
        survived += ok
        interrupted += kill.interrupted_write
        print(f"kill {index + 1:2d} ({mode:6s}) after {kill.seconds:5.1f} s: newest checkpoint step "
              f"{kill.newest_before} -> {kill.newest_after}, loads; interrupted a write: "
              f"{'yes' if kill.interrupted_write else 'no'}{'' if ok else '  FAILED'}")
    last = newest.step
    result = resume_to_the_end(files, extra_steps=5)
    resumed_at, steps = steps_after_last_resume(files["run"])
    finished = (result["status"] == "finished" and result["step"] == last + 5 and resumed_at == last
                and steps == list(range(last + 1, last + 6)))
    seconds = time.perf_counter() - started
    print(f"{survived}/{count} kills left a loadable newest checkpoint and resumed past it; {interrupted} "
          f"interrupted a checkpoint write; final resume from step {last} finished at step {result['step']}: "
          f"{'ok' if finished else 'FAILED'} ({seconds:.0f} s)")
    figures.add(f"SIGKILLs survived (newest checkpoint loads, resume continues), {interrupted} mid-write",
                survived, f"of {count}", target=f"{count} of {count}", passed=survived == count)
    figures.add("final --resume finishes with the step count continued", float(finished), "ok", target="1",
                passed=finished)
    records = RunReader(files["run"]).records()
    raw = len(RunReader(files["run"]).read_metrics()[0])
    steps = [r["step"] for r in records if r["kind"] == "step"]
    straight = dict(files, run=root / "straight")
    done = subprocess.run(train_command(straight, False, "--steps", str(result["step"])), cwd=REPO,
                          capture_output=True, text=True, timeout=START_TIMEOUT)
    expected = {r["step"]: r["loss"] for r in RunReader(straight["run"]).records() if r["kind"] == "step"}
    same = done.returncode == 0 and {r["step"]: r["loss"] for r in records if r["kind"] == "step"} == expected
    once = steps == list(range(1, result["step"] + 1))
    print(f"metrics read back: {len(steps)} step records for {result['step']} steps ({raw - len(records)} "
          f"redone records dropped): {'one per step' if once else 'NOT one per step'}; losses "
          f"{'equal' if same else 'DIFFER from'} an uninterrupted run's")
    figures.add(f"metrics after {count} kills: one record per step, losses of an uninterrupted run",
                float(once and same), "ok", target="1", passed=once and same)


def train_folder(root: Path, run_dir: Path) -> tuple[float, float, dict]:
    """(prepare seconds, images/s of the epoch, data report) of one epoch of small_cnn on ``root``."""
    rates: list[float] = []

    def on_event(event) -> None:
        if isinstance(event, EpochEvent):
            rates.append(event.images_per_s)

    config = TrainConfig.from_dict({"data": {"root": str(root), "val_split": 0.1}, "epochs": 1,
                                    "batch_size": 64, "device": "cpu", "log_every": 20})
    spec = create_template("small_cnn", num_classes=4)
    trainer = Trainer(spec, config, run_dir=run_dir, callbacks=on_event)
    start = time.perf_counter()
    assert trainer.prepare(), trainer.result.reason
    prepare = time.perf_counter() - start
    result = trainer.run()
    assert result.status == "finished" and result.reason == "completed", result.reason
    return prepare, rates[-1], trainer.session.data.report.to_dict()


def broken_folder(images: int, root: Path, figures: Figures) -> None:
    start = time.perf_counter()
    broken, odd = seed_broken_folder(root / "broken", classes=4, per_class=images // 4, broken_fraction=0.1)
    clean = root / "clean"
    shutil.copytree(root / "broken", clean)
    for path in broken:
        (clean / path.relative_to(root / "broken")).unlink()
    print(f"{images} images written ({len(broken)} broken, {len(odd)} in odd modes) in "
          f"{time.perf_counter() - start:.0f} s")
    runs: dict[str, list[tuple[float, float, dict]]] = {"clean": [], "broken": []}
    for index in range(2):  # alternated, so first-run costs and load changes hit both
        for name, folder in (("clean", clean), ("broken", root / "broken")):
            runs[name].append(train_folder(folder, root / f"run-{name}-{index}"))
    prep_bad, rate_bad = min(r[0] for r in runs["broken"]), max(r[1] for r in runs["broken"])
    prep_clean, rate_clean = min(r[0] for r in runs["clean"]), max(r[1] for r in runs["clean"])
    report = runs["broken"][-1][2]
    listed = {item["path"] for item in report["skipped"]}
    exact = listed == {str(path) for path in broken}
    print(f"with broken files: prepare {prep_bad:.1f} s, {rate_bad:.0f} images/s; clean folder: prepare "
          f"{prep_clean:.1f} s, {rate_clean:.0f} images/s; data report lists {len(listed)} skipped files: "
          f"{'exactly the broken ones' if exact else 'NOT the broken ones'}")
    found = len(listed & {str(path) for path in broken})
    figures.add(f"broken files listed in the data report ({images:,} images)", found, f"of {len(broken):,}",
                target="all, nothing else", passed=exact)
    figures.add("scan + decode with a tenth broken", prep_bad, "s", baseline=prep_clean,
                baseline_name="same folder without the broken files")
    figures.add("training one epoch with a tenth broken", rate_bad, "images/s", baseline=rate_clean,
                baseline_name="same folder without the broken files", target="ratio >= 0.9",
                passed=rate_bad >= 0.9 * rate_clean)


def fuzz(examples: int, figures: Figures) -> None:
    env = {**os.environ, "STUDIO_FUZZ_EXAMPLES": str(examples)}
    for test in FUZZ_TESTS:
        start = time.perf_counter()
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        print(f"{test} with {examples} examples per fuzzer: {'passed' if done.returncode == 0 else 'FAILED'} "
              f"in {seconds:.0f} s")
        if done.returncode:
            print(done.stdout[-4000:])
        figures.add(f"{Path(test).stem}: {examples:,} examples per fuzzer, only StudioError escapes", seconds,
                    "s", target="passes", passed=done.returncode == 0)


def hostile_json(examples: int, root: Path, figures: Figures) -> None:
    """Random hostile documents for every reader of tests/engine/test_hostile_files.py (and the CLI)."""
    import contextlib
    import io

    from studio.cli import main as studio
    from studio.engine.errors import StudioError
    from tests.engine.test_hostile_files import READERS

    rng = random.Random(21)
    files = make_training_folder(root / "run-source")
    done = subprocess.run(train_command(files, False, "--steps", "2"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    sidecar = sorted((files["run"] / "checkpoints").glob("*.json"))[-1]
    good, bad, start = 0, [], time.perf_counter()
    for index in range(examples):
        depth = rng.choice([1, 50, 99, 101, 500, 999, 1001, 5000, 20_000])
        opener, closer = rng.choice([("[", "]"), ('{"a": ', "}")])
        text = (opener * depth + "1" + closer * depth).encode()
        if rng.random() < 0.3:
            text = text[: rng.randrange(1, len(text) + 1)]
        if rng.random() < 0.3:
            at = rng.randrange(len(text))
            text = text[:at] + bytes([rng.randrange(256)]) + text[at + 1:]
        name, kind, make, read = READERS[index % len(READERS)]
        path = make(root / f"doc-{index % 50}")
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text)
        try:
            read(path)
            good += 1
        except StudioError as exc:
            if isinstance(exc, kind) and "\n" not in str(exc):
                good += 1
            else:
                bad.append(f"{name}: {exc!r}"[:200])
        except Exception as exc:  # noqa: BLE001 - what this section looks for
            bad.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
        if index % 10 == 0:  # the command line on the run, its newest sidecar replaced
            sidecar.write_bytes(text)
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = studio(["ckpt", "show", str(sidecar), "--no-stats"])
            if code not in (0, 1) or err.getvalue().count("\n") > 1:
                bad.append(f"ckpt show: exit {code}: {err.getvalue()[:200]}")
    seconds = time.perf_counter() - start
    print(f"{examples} hostile JSON documents for {len(READERS)} readers and `studio ckpt show`: "
          f"{good} read or refused in one sentence, {len(bad)} other outcomes ({seconds:.0f} s)")
    for line in bad[:10]:
        print("  ", line)
    figures.add(f"hostile JSON documents (nesting to 20,000 levels) refused in one sentence, "
                f"{len(READERS)} readers", good, f"of {examples:,}", target="all", passed=not bad)


def odd_names(images: int, root: Path, figures: Figures) -> None:
    """A third of ``images`` named with random bytes that are not UTF-8: one epoch of `studio train`."""
    from studio.engine.data.split import load_split

    rng = random.Random(22)
    files = make_training_folder(root, classes=4, per_class=images // 4)
    base = os.fsencode(files["data"])
    renamed = set()
    for folder in sorted(os.listdir(base)):
        for name in sorted(os.listdir(base + b"/" + folder))[::3]:
            noise = bytes(rng.choice([*range(0x80, 0x100), *b"ab -_"]) for _ in range(rng.randrange(1, 12)))
            new = noise + b"\xff" + name  # \xff never starts valid UTF-8
            os.rename(base + b"/" + folder + b"/" + name, base + b"/" + folder + b"/" + new)
            renamed.add(os.fsdecode(folder + b"/" + new))
    start = time.perf_counter()
    command = train_command(files, False, "--steps", str(max(1, images // 16)))
    done = subprocess.run(command, capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    seconds = time.perf_counter() - start
    split = load_split(files["run"] / "split.json") if done.returncode == 0 else None
    used = set(split.train) | set(split.val) if split else set()
    ok = done.returncode == 0 and renamed <= used and len(used) == 4 * (images // 4)
    print(f"{len(renamed)} of {images} images named with bytes that are not UTF-8: `studio train` exit "
          f"{done.returncode}, {len(renamed & used)} of them in the split read back ({seconds:.0f} s)")
    if done.returncode:
        print(done.stderr.decode(errors="backslashreplace")[-2000:])
    figures.add(f"images named with bytes that are not UTF-8 trained on ({images:,} images)",
                len(renamed & used), f"of {len(renamed):,}", target="all, exit 0", passed=ok)


def _one_error_line(code: int, err: str) -> bool:
    """Exit 1 with exactly one `studio: error:` line and no traceback."""
    lines = err.splitlines()
    return code == 1 and len(lines) == 1 and lines[0].startswith("studio: error: ") and "Traceback" not in err


def _failed_file(line: str) -> str:
    """Which file a disk-full message names: state, weights, sidecar, metrics.jsonl, status.json, ..."""
    found = re.search(r"cannot write (\S+) \(", line)
    name = Path(found.group(1)).name if found else "?"
    kinds = ((".state.pt", "checkpoint state"), (".safetensors", "checkpoint weights"), (".json", None))
    for suffix, kind in kinds:
        if name.startswith("ckpt-") and name.endswith(suffix):
            return kind or "checkpoint sidecar"
    return name if not name.startswith("events.out.tfevents") else "tensorboard events"


def _disk_full_run_ok(files: dict, done_code: int, err: str) -> tuple[bool, str]:
    """The invariants after `studio train` stopped on a full disk; (ok, the file that failed). A run the
    disk stopped before its first step says it could not start and leaves no folder."""
    run = files["run"]
    line = err.splitlines()[0] if err else ""
    if not run.exists():
        return (_one_error_line(done_code, err) and "studio: error: the disk is full: cannot write " in line
                and "the run could not start" in line), _failed_file(line)
    last = CheckpointStore(run / "checkpoints").latest()
    reader = RunReader(run)
    ok = (_one_error_line(done_code, err) and "studio: error: the disk is full: cannot write " in line
          and f"Last good checkpoint: {last.path if last else 'none'}." in line
          and (_state(run) == "failed" or not reader.is_alive())
          and unfinished_writes(run) == [] and (run / "metrics.jsonl").read_bytes().endswith(b"\n"))
    if ok and last is not None:
        check_checkpoints_load(run)
    return ok, _failed_file(line)


def _state(run: Path) -> str | None:
    status = RunReader(run).status()
    return status.state if status is not None else None


def disk_full(rounds: int, root: Path, figures: Figures) -> None:
    disk = root / "disk"
    if not mount_tmpfs(disk, "1m"):
        print("disk full: mounting a tmpfs is not permitted here (needs root): skipped")
        return
    try:
        _disk_full_store(rounds, disk, figures)
        _disk_full_train(rounds, root, disk, figures)
    finally:
        unmount(disk)


def _disk_full_store(rounds: int, disk: Path, figures: Figures) -> None:
    """CheckpointStore.save runs out of space at each of its files, ``rounds`` times each."""
    page, suffixes = 4096, (".state.pt", ".safetensors", ".json")
    store = CheckpointStore(disk / "ckpt", keep_last=None)

    def save(step: int) -> None:
        store.save(step, {"w": torch.full((3000,), float(step))},
                   training_state={"m": torch.full((6000,), float(step)), "step": step})

    save(0)
    sizes = [os.stat(disk / "ckpt" / f"ckpt-000000000{s}").st_blocks * 512 // page for s in suffixes]
    clean = failed_right = 0
    for step in range(1, rounds + 1):
        for index, suffix in enumerate(suffixes):
            filler = fill_disk(disk, leave=(sum(sizes[:index]) + sizes[index] - 1) * page)
            try:
                save(step)
                error = None
            except OSError as exc:
                error = exc
            filler.unlink()
            failed_right += bool(error is not None and error.errno == errno.ENOSPC
                                 and error.filename == str(disk / "ckpt" / f"ckpt-{step:09d}{suffix}"))
            names = {p.name for p in (disk / "ckpt").iterdir()}
            listed = [info.step for info in store.list()]
            expected = {f"ckpt-{s:09d}{x}" for s in range(step) for x in suffixes}
            clean += names == expected and listed == list(range(step))
        save(step)
    total = rounds * len(suffixes)
    print(f"disk full in a checkpoint save, at each of its {len(suffixes)} files x {rounds}: {failed_right}/"
          f"{total} raised ENOSPC naming the file, {clean}/{total} left only the complete checkpoints")
    figures.add("checkpoint saves out of space at each file: named ENOSPC, nothing half-written", clean,
                f"of {total}", target=f"{total} of {total}", passed=clean == total == failed_right)


def _disk_full_train(rounds: int, root: Path, disk: Path, figures: Figures) -> None:
    """`studio train` fills tmpfs disks of ``rounds`` sizes, then a disk that stays full (3 runs)."""
    files = make_training_folder(root / "train")
    config = json.loads(files["config"].read_text())
    config["checkpoint"]["keep_last"] = 1000
    files["config"].write_text(json.dumps(config))
    where: dict[str, int] = {}
    good = resumed = 0
    for index in range(rounds):
        size = 640 + index * 384 // max(1, rounds - 1) // 4 * 4  # KiB, whole pages: 640 ... 1024
        resize_tmpfs(disk, f"{size}k")
        files["run"] = disk / f"run-{index}"
        done = subprocess.run(train_command(files, resume=False), cwd=REPO, capture_output=True, text=True,
                              timeout=START_TIMEOUT)
        ok, failed = _disk_full_run_ok(files, done.returncode, done.stderr)
        good += ok
        where[failed] = where.get(failed, 0) + 1
        print(f"  {size} KiB disk: stopped at step {newest_step(files['run'])} writing {failed}: "
              f"{'ok' if ok else 'FAILED: ' + done.stderr[-500:]}")
        shutil.rmtree(files["run"], ignore_errors=True)  # (none when it could not start)
    resize_tmpfs(disk, "4m")
    hog_good = 0
    for index in range(3):
        files["run"] = disk / f"hog-{index}"
        proc = subprocess.Popen(train_command(files, resume=False), cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + START_TIMEOUT
        while newest_step(files["run"]) < 2 + index and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        hog = DiskHog(disk)
        try:
            _, err = proc.communicate(timeout=START_TIMEOUT)
        finally:
            hog.stop()
        ok, failed = _disk_full_run_ok(files, proc.returncode, err)
        status = _state(files["run"])
        target = newest_step(files["run"]) + 2
        more = subprocess.run(train_command(files, True, "--steps", str(target)), cwd=REPO,
                              capture_output=True, text=True, timeout=START_TIMEOUT)
        resumed += more.returncode == 0 and newest_step(files["run"]) == target
        hog_good += ok
        print(f"  disk that stays full: failed writing {failed}, status.json says {status}: "
              f"{'ok' if ok else 'FAILED: ' + err[-500:]}; resumed with room: "
              f"{'ok' if more.returncode == 0 else 'FAILED: ' + more.stderr[-500:]}")
        shutil.rmtree(files["run"])
    spread = ", ".join(f"{name} {count}" for name, count in sorted(where.items()))
    print(f"studio train filling the disk: {good}/{rounds} stopped cleanly (failed writing: {spread}); "
          f"disk that stays full: {hog_good}/3, {resumed}/3 resumed once there was room")
    figures.add(f"studio train on a full disk: one line naming the last good checkpoint, nothing "
                f"half-written ({spread}; 3 with the disk staying full)", good + hog_good, f"of {rounds + 3}",
                target=f"{rounds + 3} of {rounds + 3}", passed=good + hog_good == rounds + 3 and resumed == 3)


ROTATING_WRITER = """
import sys, torch
from studio.engine.checkpoints import CheckpointStore
store = CheckpointStore(sys.argv[1], keep_last=2)
step = 0
while True:
    store.save(step, {"w": torch.full((20000,), float(step))}, metrics={"step": step},
               training_state={"step": step, "m": torch.full((5000,), float(step))})
    if step == 0:
        print("saving", flush=True)
    step += 1
"""


def live_readers(seconds: float, root: Path, figures: Figures) -> None:
    from studio.engine.checkpoints.inspector import list_run
    from studio.engine.checkpoints.store import CheckpointVanished

    folder = root / "rotating" / "checkpoints"
    writer = subprocess.Popen([sys.executable, "-c", ROTATING_WRITER, str(folder)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    listings = loaded = vanished = wrong = 0
    errors: list[str] = []
    try:
        writer.stdout.readline()
        store = CheckpointStore(folder, keep_last=None)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                infos = list_run(folder.parent)
            except Exception as exc:  # noqa: BLE001 (counted: what must never happen)
                errors.append(f"listing: {type(exc).__name__}: {exc}")
                continue
            listings += 1
            for info in infos:
                try:
                    weights, state = store.load_weights(info), store.load_training_state(info)
                except CheckpointVanished:
                    vanished += 1
                    continue
                except Exception as exc:  # noqa: BLE001
                    errors.append(f"{info.name}: {type(exc).__name__}: {exc}")
                    continue
                loaded += 1
                wrong += not (bool((weights["w"] == info.step).all()) and state["step"] == info.step)
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
    for error in errors[:5]:
        print(f"  {error}")
    print(f"reading while checkpoints rotate (keep last 2) for {seconds:.0f} s: {listings} listings, "
          f"{loaded} checkpoints loaded ({wrong} with wrong values), {vanished} pruned while read and "
          f"skipped, {len(errors)} errors")
    figures.add(f"errors reading a rotating run ({listings:,} listings, {loaded:,} loads, {vanished} "
                "skipped as pruned)", len(errors) + wrong, "errors", target="0",
                passed=not errors and not wrong and listings > 0)

    files = make_training_folder(root / "watch")
    config = json.loads(files["config"].read_text())
    config["checkpoint"]["keep_last"] = 1
    files["config"].write_text(json.dumps(config))
    trainer = subprocess.Popen(train_command(files, resume=False), cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        while newest_step(files["run"]) < 1 and trainer.poll() is None:
            time.sleep(0.05)
        watch = subprocess.run([sys.executable, "-m", "studio", "eval", str(files["run"]), "--watch",
                                "--data", str(files["data"]), "--device", "cpu", "--timeout",
                                str(max(5.0, seconds / 2)), "--json"], cwd=REPO, capture_output=True,
                               text=True, timeout=START_TIMEOUT + seconds)
    finally:
        trainer.kill()
        trainer.wait()
    scored = len(json.loads(watch.stdout)) if watch.returncode == 0 else 0
    saved = newest_step(files["run"])
    ok = watch.returncode == 0 and watch.stderr == "" and scored > 0
    print(f"studio eval --watch on a run keeping only its last checkpoint: scored {scored} of {saved} "
          f"checkpoints saved meanwhile, the rest pruned before their turn: "
          f"{'ok' if ok else 'FAILED: ' + watch.stderr[-1000:]}")
    figures.add("studio eval --watch while the trainer prunes (keep last 1): exits 0 having scored", scored,
                "checkpoints", target="exit 0, no error", passed=ok)


def two_writers(attempts: int, root: Path, figures: Figures) -> None:
    files = make_training_folder(root)
    first = subprocess.Popen(train_command(files, resume=False), cwd=REPO, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    refused, seconds = 0, []
    try:
        while newest_step(files["run"]) < 1 and first.poll() is None:
            time.sleep(0.05)
        owner = f"is being written by pid {first.pid} on host {socket.gethostname()} since"
        for index in range(attempts):
            started = time.perf_counter()
            done = subprocess.run(train_command(files, resume=index % 2 == 1), cwd=REPO, capture_output=True,
                                  text=True, timeout=START_TIMEOUT)
            seconds.append(time.perf_counter() - started)
            refused += _one_error_line(done.returncode, done.stderr) and owner in done.stderr
        alive = first.poll() is None
        before = newest_step(files["run"])
        time.sleep(1.0)
        going = newest_step(files["run"]) > before
    finally:
        first.send_signal(signal.SIGKILL)  # leaves its lock file: the next writer takes it over
        first.wait()
    target = newest_step(files["run"]) + 2
    takeover = subprocess.run(train_command(files, True, "--steps", str(target)), cwd=REPO,
                              capture_output=True, text=True, timeout=START_TIMEOUT)
    took = takeover.returncode == 0 and newest_step(files["run"]) == target
    median = sorted(seconds)[len(seconds) // 2] if seconds else 0.0
    print(f"second writers into a folder being written: {refused}/{attempts} refused at once with one line "
          f"naming the owner (median {median:.1f} s, a process start included); the first went on: "
          f"{'yes' if alive and going else 'NO'}; after it was killed its lock was taken over: "
          f"{'yes' if took else 'NO: ' + takeover.stderr[-500:]}")
    figures.add("second writers refused at once naming the owner (new run and --resume)", refused,
                f"of {attempts}", target=f"{attempts} of {attempts}, first one undisturbed",
                passed=refused == attempts and alive and going)
    figures.add("time to refuse a second writer (process start included)", median, "s")
    figures.add("lock of a killed writer taken over by --resume", float(took), "ok", target="1", passed=took)


def planted_pickles(root: Path, figures: Figures) -> None:
    """Every file of a small run replaced by a code-running pickle, each command run in this process."""
    from studio.cli import main as studio

    files = make_training_folder(root / "pristine")
    config = json.loads(files["config"].read_text())
    config["steps"] = 3
    files["config"].write_text(json.dumps(config))
    done = subprocess.run(train_command(files, resume=False), cwd=REPO, capture_output=True, text=True,
                          timeout=START_TIMEOUT)
    assert done.returncode == 0, done.stderr
    (files["run"] / "labels.json").write_text(json.dumps({"name": "planted", "tags": ["a"]}))
    targets = run_folder_files(files["run"])
    cases = [(path, kind) for path in targets
             for kind in (("zip", "legacy") if path.suffix in (".pt", ".safetensors") else ("legacy",))]
    commands = outcomes_bad = refused = ran_code = 0
    for index, (path, kind) in enumerate(cases):
        run = shutil.copytree(files["run"], root / f"case-{index}" / "run")
        target = run / path.relative_to(files["run"])
        marker = root / f"case-{index}" / "MARKER"
        plant_pickle(target, marker, kind)
        newest = run / "checkpoints" / "ckpt-000000003.safetensors"
        newest = target if target.suffix == ".safetensors" else newest
        for argv in (["train", "--resume", str(run), "--steps", "5", "--quiet"],
                     ["eval", str(run), "--data", str(files["data"])], ["ckpt", "ls", str(run)],
                     ["ckpt", "show", str(newest)],
                     ["embed", str(run), "--method", "pca", "--no-sprites", "--quiet", "--out",
                      str(root / f"case-{index}" / "embed")]):
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                try:
                    code = studio(argv)
                except BaseException as exc:  # noqa: BLE001 (counted: a traceback is a failure)
                    code = -1
                    err.write(f"Traceback: {type(exc).__name__}: {exc}\n")
            commands += 1
            ok = code == 0 or _one_error_line(code, err.getvalue())
            refused += code == 1 and ok
            outcomes_bad += not ok
            if not ok:
                print(f"  {target.name} ({kind}): studio {argv[0]}: exit {code}: {err.getvalue()[-500:]}")
            if marker.exists():
                ran_code += 1
                print(f"  {target.name} ({kind}): studio {' '.join(argv[:2])} RAN THE PLANTED CODE")
                marker.unlink()
        shutil.rmtree(root / f"case-{index}")
    print(f"code-running pickles planted in {len(targets)} files of a run folder ({len(cases)} cases), "
          f"{commands} commands: {refused} refused with one line, {commands - refused - outcomes_bad} did "
          f"without the file, {outcomes_bad} other outcomes; the planted code ran {ran_code} times")
    figures.add(f"pickles planted in every run folder file ({len(cases)} cases x 5 commands): code ran",
                ran_code, "times", target="0, every command one line or exit 0",
                passed=ran_code == 0 and outcomes_bad == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--fuzz-examples", type=int, default=5000)
    parser.add_argument("--hostile-json", type=int, default=2000)
    parser.add_argument("--odd-names", type=int, default=1000)
    parser.add_argument("--disk-rounds", type=int, default=12)
    parser.add_argument("--reader-seconds", type=float, default=60.0)
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--no-pickles", action="store_true", help="skip the planted pickles")
    add_json_option(parser)
    args = parser.parse_args()
    figures = Figures("faults")
    with tempfile.TemporaryDirectory() as tmp:
        if args.kills:
            kills(args.kills, Path(tmp) / "kills", figures)
        broken_folder(args.images, Path(tmp) / "images", figures)
        if args.hostile_json:
            hostile_json(args.hostile_json, Path(tmp) / "hostile-json", figures)
        if args.odd_names:
            odd_names(args.odd_names, Path(tmp) / "odd-names", figures)
        if args.disk_rounds:
            disk_full(args.disk_rounds, Path(tmp) / "disk-full", figures)
        if args.reader_seconds:
            live_readers(args.reader_seconds, Path(tmp) / "readers", figures)
        if args.writers:
            two_writers(args.writers, Path(tmp) / "writers", figures)
        if not args.no_pickles:
            planted_pickles(Path(tmp) / "pickles", figures)
    fuzz(args.fuzz_examples, figures)
    figures.write(args.json)


if __name__ == "__main__":
    main()
