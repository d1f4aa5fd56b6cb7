"""Guards against the PySide6 6.12.0 / CPython 3.11 refcount bug that aborts the app.

That binding dropped one reference to None per void method call and one to True per signal emit,
so a live app died with 'Fatal Python error: none_dealloc'. Run many calls in a subprocess and
check the refcounts did not drift.
"""

import subprocess
import sys

CODE = r"""
import sys
from PySide6.QtCore import QObject, Signal, QCoreApplication

class Emitter(QObject):
    fired = Signal(bool)

app = QCoreApplication([])
obj = QObject()
emitter = Emitter()
received = []
emitter.fired.connect(lambda flag: None)
none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(100_000):
    obj.setObjectName("x")       # a void method
    emitter.fired.emit(True)     # a signal emit
none_after, true_after = sys.getrefcount(None), sys.getrefcount(True)
print(none_after - none_before, true_after - true_before)
"""


def test_none_and_true_refcounts_do_not_drift():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""}, timeout=300)
    assert result.returncode == 0, result.stderr
    none_drift, true_drift = (int(v) for v in result.stdout.split())
    # Immortal singletons (3.12+) report a constant; mortal ones must come back to where they were.
    assert abs(none_drift) < 1000, f"None refcount drifted by {none_drift}: broken Qt binding"
    assert abs(true_drift) < 1000, f"True refcount drifted by {true_drift}: broken Qt binding"
