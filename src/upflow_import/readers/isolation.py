"""Isolation: workbooks are read in a child process with memory and CPU caps.

By default, :func:`~upflow_import.read_table` and
:func:`~upflow_import.import_file` read a workbook (XLSX, XLSM, XLSB, XLS,
ODS) in a capped child process; a CSV file is read in the caller's process
(pure Python, bounded by the :class:`~upflow_import.Limits`). ``isolate=True``
(or ``isolate=Isolation(memory_bytes=…, cpu_seconds=…)``) isolates every
format, CSV included; ``isolate=False`` reads everything in the caller's
process. The checks before calamine and the limits keep every known hostile
file bounded; isolation is for what nobody knows yet: should a bug in the
native reader abort, crash or allocate without bound, the child dies, not the
caller, and the caller gets an :class:`~upflow_import.UpflowImportError`:

- the child ran out of its memory cap (an allocation failure, a
  ``MemoryError``, the kernel killing it, or its address space stuck at the
  cap): ``file.too_large`` (limit ``memory_bytes``);
- it used up its CPU time (``SIGXCPU``) or did not answer within
  ``2 × cpu_seconds + 5`` seconds of wall time: ``file.too_large`` (limit
  ``cpu_seconds``);
- it crashed any other way (``SIGSEGV``, ``SIGABRT``, an unexpected
  exception, a malformed answer): ``file.corrupt``.

How (see ``upflow_import.readers._isolation_worker``): the first isolated read
starts one worker process (``sys.executable`` importing the readers), which
lives as long as the caller's process and forks a child per file; the
caller's threads may read files at the same time (one child each). The child
caps itself before it reads a byte of the file and writes the table, in a
compact form (``upflow_import.readers._isolation_wire``), into an anonymous file
the caller reads: nothing is unpickled, every value is checked. The source itself is loaded by
the caller's process, bounded by ``Limits.max_bytes`` as usual.

This is containment of crashes and resource exhaustion, not a sandbox: the
child runs as the same user with the same file-system access. Every row is
read in the child before ``read_table`` returns, so CSV errors that a normal
read raises while iterating the rows (``max_rows``, ``max_cell_chars``) are
raised by ``read_table`` itself. Only reading is isolated; mapping, parsing
and planning run in the caller's process. POSIX only: without ``fork`` (on
Windows), the default reads workbooks in the caller's process and
``isolate=True`` raises :class:`NotImplementedError`.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any

import attrs

from upflow_import._cancel import current as current_cancellation
from upflow_import.errors import FileTooLargeError, UnreadableFileError, UpflowImportError
from upflow_import.issues import Text
from upflow_import.limits import Limits
from upflow_import.readers._isolation_wire import decode_answer
from upflow_import.table import Table

if TYPE_CHECKING:
    from upflow_import.readers.source import Source

__all__ = ["Isolation", "isolation_available", "read_isolated"]

GiB = 1024 * 1024 * 1024

# The worker's program. Only the readers are needed there: the package's __init__ (which imports
# the whole library, a third of a second) is replaced by an empty package of the same path.
_BOOT = """
import importlib.util, json, sys, types
sys.path[:] = json.loads(sys.argv[1])
spec = importlib.util.find_spec("upflow_import")
package = types.ModuleType("upflow_import")
package.__path__ = list(spec.submodule_search_locations)
package.__spec__ = spec
sys.modules["upflow_import"] = package
from upflow_import.readers._isolation_worker import serve
serve(int(sys.argv[2]))
"""
_ALLOCATION_FAILED = "memory allocation of"  # what Rust prints before aborting on a failed allocation
_EXIT_MEMORY_ERROR = 3  # the child's exit status after a MemoryError
#: How long past the child's wall time the caller waits for the worker's word before giving up.
_GRACE_SECONDS = 5.0


@attrs.frozen
class Isolation:
    """Caps of the child process that reads a file in isolation.

    ``memory_bytes`` caps the child's address space (``RLIMIT_AS``: the
    interpreter with the readers, about 40 MiB, the native reader and the
    table together). Measured need: under 384 MiB for 100,000 rows of 19
    columns, CSV or XLSX, 1.5 GiB for 500,000; the default leaves room for
    about a million such rows, and the largest sheets the default
    :class:`~upflow_import.Limits` let through (30 million cells) need more.
    ``cpu_seconds`` caps its CPU time (``RLIMIT_CPU``); the wall-clock bound
    is twice that plus five seconds.
    """

    memory_bytes: int = 4 * GiB
    cpu_seconds: int = 300

    def __attrs_post_init__(self) -> None:
        if type(self.memory_bytes) is not int or self.memory_bytes < 64 * 1024 * 1024:
            raise ValueError("Isolation.memory_bytes must be an integer of at least 64 MiB")
        if type(self.cpu_seconds) is not int or self.cpu_seconds < 1:
            raise ValueError("Isolation.cpu_seconds must be a positive integer")

    @property
    def wall_seconds(self) -> float:
        """How long the child may take, in wall time, before it is killed."""
        return 2 * self.cpu_seconds + 5


def isolation_available() -> bool:
    """Whether this system can read files in a capped child (POSIX: ``fork`` and ``resource``)."""
    return (hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")
            and importlib.util.find_spec("resource") is not None and bool(sys.executable))


def read_isolated(loaded: Source, *, sheet: str | None, encoding: str | None, delimiter: str | None,
                  limits: Limits, isolation: Isolation, header_row: int | None = None) -> Table:
    """Read ``loaded`` into a table in a child process capped by ``isolation``."""
    if not isolation_available():
        raise NotImplementedError("isolate= needs a POSIX system (fork and the resource module)")
    options = {"name": loaded.name, "sheet": sheet, "encoding": encoding, "delimiter": delimiter,
               "header_row": header_row,
               "limits": attrs.asdict(limits), "memory_bytes": isolation.memory_bytes,
               "cpu_seconds": isolation.cpu_seconds, "wall_seconds": isolation.wall_seconds}
    answer, outcome = _WORKER.run(json.dumps(options).encode(), loaded.data,
                                  isolation.wall_seconds + _GRACE_SECONDS, isolation.memory_bytes)
    if outcome is None:
        raise FileTooLargeError.from_code("file.too_large", limit="cpu_seconds",
                                   actual=Text("no answer in time", "pas de réponse à temps"),
                                   maximum=Text(f"{isolation.wall_seconds:.0f} s of wall time",
                                                f"{isolation.wall_seconds:.0f} s de temps écoulé"))
    status = outcome.get("status")
    killed = outcome.get("killed")
    if status == 0 and killed is None:
        return decode_answer(answer)
    raise _death(status, killed, str(outcome.get("stderr", "")), isolation)


def _death(status: object, killed: object, stderr: str, isolation: Isolation) -> UpflowImportError:
    """The error for a child that ended with wait ``status`` (``killed`` by the worker, and why)."""
    name = _status_name(status)
    memory = FileTooLargeError.from_code("file.too_large", limit="memory_bytes",
                                  actual=Text("more", "davantage"),
                                  maximum=f"{isolation.memory_bytes // 1024 // 1024} MiB")
    if killed == "memory" or _ALLOCATION_FAILED in stderr or "MemoryError" in stderr:
        return memory
    if killed == "wall":
        return FileTooLargeError.from_code("file.too_large", limit="cpu_seconds",
                                    actual=Text("no answer in time", "pas de réponse à temps"),
                                    maximum=Text(f"{isolation.wall_seconds:.0f} s of wall time",
                                                 f"{isolation.wall_seconds:.0f} s de temps écoulé"))
    if isinstance(status, int) and os.WIFSIGNALED(status):
        if os.WTERMSIG(status) == signal.SIGKILL and killed is None:
            return memory  # the kernel's out-of-memory killer (the CPU cap sends SIGXCPU first)
        if os.WTERMSIG(status) == signal.SIGXCPU:
            return FileTooLargeError.from_code("file.too_large", limit="cpu_seconds",
                                        actual=Text("more", "davantage"),
                                        maximum=f"{isolation.cpu_seconds} s")
    return UnreadableFileError.from_code("file.corrupt", detail=f"the reader crashed: {name}")


def _status_name(status: object) -> str:
    if not isinstance(status, int):
        return "the reader process ended"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return signal.Signals(number).name
        except ValueError:
            return f"signal {number}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


# --------------------------------------------------------------------------------------------
# The caller's side of the worker.


class _Worker:
    """The caller's handle on the worker process: started on first use, restarted when it died,
    stopped at exit. Safe to use from several threads at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: socket.socket | None = None
        self._owner = 0  # the pid that started the worker: a forked copy of the caller starts its own
        self._atexit = False

    def run(self, options: bytes, data: bytes, wait: float,
            most: int) -> tuple[bytes, dict[str, Any] | None]:
        """Have a child read ``data``; its answer and the worker's word on how it ended
        (``None`` when none came within ``wait`` seconds). An answer of more than ``most``
        bytes (the child's memory) is malformed."""
        deadline = time.monotonic() + wait
        done_read, done_write = os.pipe()
        outcome_read, outcome_write = os.pipe()
        try:
            # The answer goes into an anonymous file, not through a pipe: a pipe of a few dozen
            # KiB would switch between the two processes a thousand times for a large table.
            with _anonymous_file(data) as source, _anonymous_file(b"") as answer:
                self._send(options, [source, answer, done_write, outcome_write])
                os.close(done_write)
                done_write = -1
                os.close(outcome_write)
                outcome_write = -1
                done = _first_byte(done_read, deadline)
                if done:  # the child wrote its whole answer and is exiting
                    return _read_file(answer, most), {"status": 0, "killed": None}
            outcome = None if done is None else _read_all(outcome_read, deadline)
            if outcome is None:
                return b"", None
            return b"", json.loads(outcome) if outcome else {"status": None, "killed": None}
        finally:
            # Closing the outcome pipe tells the worker to kill the child if it still runs.
            for fd in (done_read, done_write, outcome_read, outcome_write):
                if fd >= 0:
                    os.close(fd)

    def _send(self, options: bytes, fds: list[int]) -> None:
        with self._lock:
            for attempt in (1, 2):
                channel = self._started()
                try:
                    socket.send_fds(channel, [options], fds)
                    return
                except OSError:  # the worker died: start another one, once
                    if attempt == 2:
                        raise
                    self._stop()

    def _started(self) -> socket.socket:
        if self._owner != os.getpid():
            self._disown()
        if self._process is not None and self._process.poll() is not None:
            self._stop()
        if self._channel is None:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                self._process = subprocess.Popen(
                    [sys.executable, "-I", "-c", _BOOT, json.dumps(sys.path), str(theirs.fileno())],
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    pass_fds=[theirs.fileno()])
            finally:
                theirs.close()
            self._channel = ours
            self._owner = os.getpid()
            if not self._atexit:
                atexit.register(self.stop)
                self._atexit = True
        return self._channel

    def stop(self) -> None:
        """Stop the worker (it kills its children) and wait for it; the next read starts another."""
        with self._lock:
            if self._owner == os.getpid():
                self._stop()
            else:
                self._disown()

    def _stop(self) -> None:
        process, channel = self._process, self._channel
        self._forget()
        if channel is not None:
            channel.close()
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()  # the worker's signal to end
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _disown(self) -> None:
        """In a forked copy of the caller: let go of the parent's worker without stopping it,
        closing this copy's ends so that the worker still ends when the parent does."""
        process, channel = self._process, self._channel
        self._forget()
        if channel is not None:
            channel.close()
        if process is not None and process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()

    def _forget(self) -> None:
        self._process = None
        self._channel = None


_WORKER = _Worker()


@contextlib.contextmanager
def _anonymous_file(data: bytes) -> Any:
    """A file descriptor on an unnamed file holding ``data`` (memory-backed on Linux)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("upflow-import-source", getattr(os, "MFD_CLOEXEC", 0))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.lseek(fd, 0, os.SEEK_SET)
            yield fd
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryFile() as file:
        file.write(data)
        file.flush()
        file.seek(0)
        yield file.fileno()


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything until the end of the pipe ``fd``; ``None`` when it did not end by ``deadline``."""
    chunks: list[bytes] = []
    poller = select.poll()  # not select(): the caller may have more than FD_SETSIZE files open
    poller.register(fd, select.POLLIN)
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _first_byte(fd: int, deadline: float) -> bytes | None:
    """The first byte written to the pipe ``fd``, ``b""`` if it ended first, ``None`` if neither
    happened by ``deadline``."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    # A coroutine of upflow_import.aio that was cancelled wakes this wait up: the caller's
    # ``finally`` then closes the pipes, and the worker kills the child.
    cancellation = current_cancellation()
    if cancellation is not None:
        poller.register(cancellation.fileno, select.POLLIN)
    left = deadline - time.monotonic()
    if left <= 0 or not poller.poll(left * 1000):
        return None
    if cancellation is not None:
        cancellation.check()
    return os.read(fd, 1)


def _read_file(fd: int, most: int) -> bytes:
    """The content of the anonymous file ``fd``, at most ``most`` bytes."""
    size = os.fstat(fd).st_size
    if size > most:
        raise UnreadableFileError.from_code("file.corrupt",
                                            detail="the isolated reader's answer is malformed: "
                                                   "its size")
    with open(fd, "rb", closefd=False) as file:
        file.seek(0)
        return file.read(size)
