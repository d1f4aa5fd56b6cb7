"""Worker jobs: reports arrive in batches on the GUI thread, results and failures come back."""

import threading
import time

from studio.engine.errors import StudioError
from studio.ui.workers import Job


def test_many_reports_arrive_in_few_batches_in_order(qtbot):
    def work(report):
        for i in range(20_000):
            report(i)
            if i % 2000 == 0:
                time.sleep(0.01)
        return threading.current_thread().name

    job = Job(work, name="count")
    batches = []
    job.sigEvents.connect(batches.append)
    with qtbot.waitSignal(job.sigFinished, timeout=120_000) as finished:
        job.start()
    assert finished.args[0] == "studio-count"  # it ran in its own thread
    assert [i for batch in batches for i in batch] == list(range(20_000))
    assert len(batches) < 100  # batched: far fewer signals than reports
    assert not job.running


def test_user_errors_and_bugs_are_told_apart(qtbot):
    def bad_input(report):
        raise StudioError("no usable images in /data")

    def bug(report):
        report("before")
        return 1 / 0

    for work, user_error, text in ((bad_input, True, "no usable images"), (bug, False, "ZeroDivisionError")):
        job = Job(work)
        seen = []
        job.sigEvents.connect(seen.extend)
        with qtbot.waitSignal(job.sigFailed, timeout=120_000) as failed:
            job.start()
        failure = failed.args[0]
        assert failure.user_error is user_error and text in failure.message
        assert ("before" in seen) is (not user_error)  # events put before a failure are delivered
        assert "Traceback" in failure.details


def test_cyclic_garbage_is_collected_on_the_gui_thread_only(qtbot):
    import gc

    job = Job(lambda report: None)
    with qtbot.waitSignal(job.sigFinished, timeout=120_000):
        job.start()
    assert not gc.isenabled()  # no automatic collection in whatever thread allocates
    freed_in = []

    class Cycle:
        def __del__(self):
            freed_in.append(threading.current_thread().name)

    cycle = Cycle()
    cycle.itself = cycle
    del cycle
    junk = [[] for _ in range(5000)]  # enough allocations to pass the youngest generation's threshold
    qtbot.waitUntil(lambda: bool(freed_in), timeout=120_000)
    assert freed_in == [threading.main_thread().name] and junk


def test_a_run_out_of_memory_in_a_job_collects_nothing_in_its_thread(qtbot, tmp_path):
    """The trainer frees memory before it reports running out of it; in a job that must not mean a
    collection in the job's thread (it could free Qt objects there)."""
    import gc

    from studio.engine.spec.builder import SpecBuilder
    from studio.engine.training import Trainer
    from tests.engine.image_folders import make_image_folder
    from tests.engine.train_helpers import tiny_config

    b = SpecBuilder("huge")
    x = b.input("image", [1, 12, 12])
    x = b.layer("up", "conv2d_transpose", x, out_channels=3, kernel_size=1, stride=200_000, padding="valid")
    b.output("logits", b.layer("pool", "global_avg_pool", x))
    config = tiny_config(make_image_folder(tmp_path / "data", classes=3, per_class=4), steps=2)
    trainer = Trainer(b.build(), config)
    collected_in = []

    def record(phase, info):
        if phase == "start":
            collected_in.append(threading.current_thread().name)

    gc.callbacks.append(record)
    try:
        job = Job(lambda report: trainer.run(), name="oom")
        with qtbot.waitSignal(job.sigFinished, timeout=120_000) as finished:
            job.start()
    finally:
        gc.callbacks.remove(record)
    assert "out of memory" in finished.args[0].reason
    assert set(collected_in) <= {threading.main_thread().name}


def test_a_full_collection_waits_until_a_quarter_more_objects_lived_long(qtbot):
    """As Python decides (never on a clock): the oldest generation is collected once the objects moved into
    it since its last collection are a quarter of those it kept then (a full collection stops the GUI for
    0.3-0.5 s)."""
    import gc

    from studio.ui.workers import MainThreadGC

    job = Job(lambda report: None)
    with qtbot.waitSignal(job.sigFinished, timeout=120_000):
        job.start()
    collector = MainThreadGC._instance
    collector.long_lived, collector.pending = len(gc.get_objects(2)), 0
    quarter = collector.long_lived // 4
    for _ in range(gc.get_threshold()[2] + 1):
        gc.collect(1)  # past the oldest generation's own threshold: only the quarter rule holds it back
    kept, generations, sizes = [], [], []
    while 2 not in generations and len(kept) < 4 * quarter:
        kept.extend([] for _ in range(gc.get_threshold()[0] + 100))  # objects that live on
        sizes.append(len(kept))
        generations.append(collector.collect())
    assert 2 in generations and set(generations[:-1]) == {0, 1}
    assert sizes[-1] >= quarter * 3 // 4  # not before about a quarter more lived long
    assert collector.pending == 0 and collector.long_lived >= len(kept)
