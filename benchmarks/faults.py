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
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from figures import Figures, add_json_option  # noqa: E402

from studio.engine.templates import create_template  # noqa: E402
from studio.engine.training import EpochEvent, TrainConfig, Trainer  # noqa: E402
from tests.engine.faults import (  # noqa: E402
    check_checkpoints_load,
    kill_once,
    make_training_folder,
    resume_to_the_end,
    seed_broken_folder,
    steps_after_last_resume,
    train_command,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--fuzz-examples", type=int, default=5000)
    parser.add_argument("--hostile-json", type=int, default=2000)
    parser.add_argument("--odd-names", type=int, default=1000)
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
    fuzz(args.fuzz_examples, figures)
    figures.write(args.json)


if __name__ == "__main__":
    main()
