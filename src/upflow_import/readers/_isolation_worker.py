"""The isolated reader's processes: one long-lived worker, and a capped child per file.

The caller's process starts the worker once (a new interpreter that imports
the readers and python-calamine, then waits); the worker is single-threaded,
so forking it is safe whatever threads the caller runs. For each file it
receives, on a Unix datagram socket, the options and four descriptors: the
file's bytes (an anonymous file), an anonymous file for the answer, a pipe to
say the answer is complete, the pipe for the outcome. It forks a child that
caps itself (``RLIMIT_AS``, ``RLIMIT_CPU``, ``RLIMIT_FSIZE``, no core dumps)
before it reads a byte of the file, reads it, writes the answer (see
``upflow_import.readers._isolation_wire``) for the caller, says so, and exits.
The worker then writes how the child ended (its wait status, whether it was
killed for its wall time or its memory, the end of what it printed on stderr)
on the outcome pipe and closes it.

The worker kills a child whose wall time is up, or whose caller is gone (the
caller closed the outcome pipe: a timeout or an exception on its side). It
exits, killing its children, when its standard input (a pipe whose only
writer is the caller) ends: the caller exited, or stopped it.

The memory watchdog: when allocations keep failing, CPython 3.11 can loop
forever instead of raising ``MemoryError`` (while entering an ``except``
block it allocates an int for the instruction offset and, when that fails,
unwinds to the same handler again), burning CPU until ``RLIMIT_CPU``. A child
whose address space has stayed at its cap for a fraction of a second is
therefore killed and reported out of memory. Linux only, where ``RLIMIT_AS``
is enforced (``/proc/<pid>/statm``).
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import select
import signal
import socket
import sys
import time
import zipfile
from typing import Any

import attrs

from upflow_import.errors import UpflowImportError
from upflow_import.issues import Issue
from upflow_import.limits import Limits
from upflow_import.readers import read_loaded
from upflow_import.readers._isolation_wire import encode_error, encode_table
from upflow_import.readers.source import Source

__all__ = ["serve"]

#: What the children's stderr keeps, to tell a failed allocation from another abort.
_STDERR_TAIL = 4096
#: How close to its cap (bytes) a child's address space must be to count as at the cap.
_CAP_MARGIN = 4 * 1024 * 1024
#: How long a child may stay at its memory cap before it is taken for spinning (seconds).
_AT_CAP_SECONDS = 0.25
_WATCH_EVERY = 0.05
_EXIT_MEMORY_ERROR = 3
_STATM = "/proc/self/statm"
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@attrs.define
class _Child:
    pid: int
    outcome: int  # the write end of the caller's outcome pipe
    stderr: int  # the read end of the child's stderr
    deadline: float
    memory_bytes: int
    tail: bytes = b""
    killed: str | None = None  # "wall", "memory" or "caller"
    at_cap_since: float | None = None
    stderr_open: bool = True


def serve(control: int) -> None:
    """The worker's loop, on the datagram socket ``control``; returns when the caller is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is for the caller to handle
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda number, frame: None)  # only to wake poll() up
    channel = socket.socket(fileno=control)
    _warm_up()
    children: dict[int, _Child] = {}
    watch = os.path.exists(_STATM)
    try:
        while True:
            poller = select.poll()
            poller.register(0, select.POLLIN)
            poller.register(channel, select.POLLIN)
            poller.register(wake_read, select.POLLIN)
            for child in children.values():
                poller.register(child.outcome, 0)  # POLLERR: the caller closed its end
                if child.stderr_open:  # once ended, poll() would report it again and again
                    poller.register(child.stderr, select.POLLIN)
            now = time.monotonic()
            timeout = min((child.deadline - now for child in children.values()), default=None)
            if timeout is not None and watch:
                timeout = min(timeout, _WATCH_EVERY)
            ready = dict(poller.poll(None if timeout is None else max(timeout, 0) * 1000))
            if ready.get(0):
                return
            if ready.get(channel.fileno()):
                _start(channel, children, [wake_read, wake_write])
            for child in list(children.values()):
                if ready.get(child.stderr):
                    _read_stderr(child)
                if ready.get(child.outcome) and child.killed is None:
                    _kill(child, "caller")
            if ready.get(wake_read):
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_read, 4096)
            _reap(children)
            now = time.monotonic()
            for child in children.values():
                if child.killed is None and now >= child.deadline:
                    _kill(child, "wall")
                elif child.killed is None and watch:
                    _watch_memory(child, now)
    finally:
        for child in children.values():
            _kill(child, "caller")
        for child in children.values():
            os.waitpid(child.pid, 0)


def _warm_up() -> None:
    """Read a small CSV and XLSX once, so that what the readers set up on their first use (lazy
    imports, compiled patterns, the native module's state) is inherited by every child instead
    of being redone by each (measured: about a third of a small file's cost)."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
        'xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '</Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><sheets><sheet name="Clients" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats'
        '.org/spreadsheetml/2006/main"><dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1" '
        't="inlineStr"><is><t>Nom</t></is></c><c r="B1" t="inlineStr"><is><t>Ville</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Acme</t></is></c><c r="B2"><v>1</v></c></row>'
        '</sheetData></worksheet>'}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    for data in (b"Nom;Ville\nAcme;Paris\n", buffer.getvalue()):
        with contextlib.suppress(Exception):  # a head start only: a failure here costs time, not safety
            encode_table(read_loaded(Source(data), sheet=None, encoding=None, delimiter=None,
                                     limits=Limits()))


def _start(channel: socket.socket, children: dict[int, _Child], own: list[int]) -> None:
    try:
        message, fds, _, _ = socket.recv_fds(channel, 65536, 4)
    except BlockingIOError:
        return
    if len(fds) != 4:
        for fd in fds:
            os.close(fd)
        return
    data, answer, done, outcome = fds
    options = json.loads(message)
    try:
        stderr_read, stderr_write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(stderr_read)
            os.close(stderr_write)
            raise
    except OSError:  # no process to spare: the caller sees both pipes end without a word
        for fd in fds:
            os.close(fd)
        return
    if pid == 0:  # the child: nothing of the worker's may survive here
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in [*own, channel.fileno(), outcome, stderr_read,
                       *(fd for child in children.values() for fd in (child.outcome, child.stderr))]:
                os.close(fd)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(stderr_write, 1)  # what the native code prints goes with stderr, not into the answer
            os.dup2(stderr_write, 2)
            os.close(stderr_write)
            _child(options, data, answer, done)
        finally:
            os._exit(70)
    for fd in (data, answer, done, stderr_write):
        os.close(fd)
    os.set_blocking(stderr_read, False)
    children[pid] = _Child(pid, outcome, stderr_read, time.monotonic() + float(options["wall_seconds"]),
                           _capped(int(options["memory_bytes"])))


def _child(options: dict[str, Any], data: int, answer: int, done: int) -> None:
    import resource  # noqa: PLC0415 - POSIX only, and only needed here

    gc.disable()  # a short life: reference counting frees what the read drops
    memory = int(options["memory_bytes"])
    cpu = int(options["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _cap(resource.RLIMIT_AS, memory, memory)
    _cap(resource.RLIMIT_CPU, cpu, cpu + 1)
    _cap(resource.RLIMIT_FSIZE, memory, memory)  # the answer's file: no larger than the table was
    try:
        with os.fdopen(data, "rb") as file:
            source = Source(file.read(), options["name"])
        chunks = _read(source, options)
        with os.fdopen(answer, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.write(done, b"1")
    except MemoryError:
        os.write(2, b"MemoryError\n")
        os._exit(_EXIT_MEMORY_ERROR)
    except BrokenPipeError:  # the caller is gone
        os._exit(0)
    os._exit(0)


def _capped(memory_bytes: int) -> int:
    """The address space a child will have: ``memory_bytes``, or less if this process has less."""
    import resource  # noqa: PLC0415

    return min([memory_bytes, *(limit for limit in resource.getrlimit(resource.RLIMIT_AS)
                                if limit != resource.RLIM_INFINITY)])


def _cap(limit: int, soft: int, hard: int) -> None:
    """Lower ``limit`` to ``soft``/``hard``; a caller already capped lower keeps its lower cap."""
    import resource  # noqa: PLC0415

    current_soft, current_hard = resource.getrlimit(limit)
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
    if current_soft != resource.RLIM_INFINITY:
        soft = min(soft, current_soft)
    resource.setrlimit(limit, (min(soft, hard), hard))


def _read(source: Source, options: dict[str, Any]) -> list[bytes]:
    try:
        table = read_loaded(source, sheet=options["sheet"], encoding=options["encoding"],
                            delimiter=options["delimiter"], limits=Limits(**options["limits"]),
                           header_row=options["header_row"])
        return encode_table(table)
    except UpflowImportError as error:
        return encode_error(error)
    except MemoryError:
        raise
    except Exception as error:  # a bug of the reader: the caller gets file.corrupt
        detail = f"{type(error).__name__}: {error}"[:200]
        return encode_error(UpflowImportError(Issue.from_code("file.corrupt", detail=detail)))


def _read_stderr(child: _Child) -> None:
    with contextlib.suppress(BlockingIOError):
        chunk = os.read(child.stderr, 65536)
        child.stderr_open = bool(chunk)
        child.tail = (child.tail + chunk)[-_STDERR_TAIL:]


def _kill(child: _Child, reason: str) -> None:
    child.killed = reason
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGKILL)


def _watch_memory(child: _Child, now: float) -> None:
    try:
        with open(f"/proc/{child.pid}/statm", "rb") as statm:
            size = int(statm.read().split()[0]) * _PAGE
    except (OSError, ValueError, IndexError):
        return
    if size + _CAP_MARGIN < child.memory_bytes:
        child.at_cap_since = None
    elif child.at_cap_since is None:
        child.at_cap_since = now
    elif now - child.at_cap_since >= _AT_CAP_SECONDS:
        _kill(child, "memory")


def _reap(children: dict[int, _Child]) -> None:
    for pid in list(children):
        try:
            ended, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            ended, status = pid, 0
        if ended == 0:
            continue
        child = children.pop(pid)
        with contextlib.suppress(OSError):
            while chunk := os.read(child.stderr, 65536):
                child.tail = (child.tail + chunk)[-_STDERR_TAIL:]
        os.close(child.stderr)
        outcome = {"status": status, "killed": child.killed, "stderr": child.tail.decode("utf-8", "replace")}
        with contextlib.suppress(OSError):
            os.write(child.outcome, json.dumps(outcome).encode())
        os.close(child.outcome)


if __name__ == "__main__":  # pragma: no cover - started by upflow_import.readers.isolation
    serve(int(sys.argv[1]))
