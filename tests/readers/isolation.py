"""Reading files in a child Python process, so that an interpreter abort is a test failure
rather than the end of the test run, with the child's memory peak and a hang guard. The child reads
with ``isolate=False``: these tests are about the checks before calamine, in the process that
reads, and the peak must be the reading's."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs

_CHILD = r"""
import json, resource, signal, sys, time
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024 ** 3, 2 * 1024 ** 3))
import upflow_import as ui

def hang(signum, frame):
    raise TimeoutError("hang guard")

signal.signal(signal.SIGALRM, hang)
for path in sys.argv[2:]:
    print(json.dumps({"start": path}), flush=True)
    signal.alarm(int(sys.argv[1]))
    try:
        table = ui.read_table(path, isolate=False)
        rows = sum(1 for _ in table.rows)
        outcome = {"path": path, "code": None, "rows": rows, "issues": [i.code for i in table.issues]}
    except ui.UpflowImportError as error:
        outcome = {"path": path, "code": error.code}
    finally:
        signal.alarm(0)
    print(json.dumps(outcome), flush=True)
# VmHWM is this program's own peak: ru_maxrss also keeps the peak of the process image before
# exec, that is of the (possibly large) test worker that started this child.
try:
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_kib": peak}), flush=True)
"""


@attrs.frozen
class Outcome:
    """What the child reported for each file (by name), and its memory peak."""

    codes: dict[str, str | None]
    rows: dict[str, int]
    peak_mib: float


def read_in_child(paths: Sequence[Path], *, per_file_seconds: int = 60) -> Outcome:
    """Read every path with ``read_table`` in one child process; fail the test, naming the
    file, if the child dies (an abort, a crash, a hang or an exception other than
    :class:`~upflow_import.UpflowImportError`)."""
    process = subprocess.run(
        [sys.executable, "-c", _CHILD, str(per_file_seconds), *map(str, paths)],
        capture_output=True, text=True, timeout=per_file_seconds * len(paths) + 60, check=False,
    )
    lines = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
    started = [line["start"] for line in lines if "start" in line]
    if process.returncode != 0:
        last = Path(started[-1]).name if started else "(before the first file)"
        raise AssertionError(f"the child died (status {process.returncode}) on {last}:\n"
                             f"{process.stderr[-2000:]}")
    codes = {Path(line["path"]).name: line["code"] for line in lines if "path" in line}
    rows = {Path(line["path"]).name: line["rows"] for line in lines if line.get("rows") is not None}
    peak = next(line["peak_kib"] for line in lines if "peak_kib" in line) / 1024
    return Outcome(codes, rows, peak)
