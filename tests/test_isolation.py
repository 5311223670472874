"""Isolation: workbooks are read by default (and any file with ``isolate=True``) in a child process
with memory and CPU caps, give the same table as a normal read, and a child killed by its caps (or
crashing) becomes ``file.too_large`` or ``file.corrupt`` while the caller carries on. The worker
that forks the children serves several threads at once and leaves no process behind."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

import upflow_import as ui
from upflow_import.readers import _isolation_wire, isolation

CLIENTS = [["Nom du client", "Email du contact", "Ville"], ["Société Générale", "jean@example.com", "Paris"],
           ["Globex", "bad@", "Lyon"], ["Initech", "", "Cedex"]]


def xlsx(rows: list[list[object]], *, sheet: str = "Clients", far: str | None = None) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    worksheet = workbook.add_worksheet(sheet)
    workbook.add_worksheet("Other").write("A1", "x")
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            if value != "":
                worksheet.write(number, column, value)
    if far is not None:
        worksheet.write(far, "far")
    workbook.close()
    return buffer.getvalue()


def snapshot(table: ui.Table) -> tuple[object, ...]:
    rows = list(table.rows)
    return (table.format, table.encoding, table.delimiter, table.sheet, table.name, table.headers, rows,
            list(table.issues))


def raised(call: Callable[..., object], *args: object, **kwargs: object) -> ui.UpflowImportError:
    with pytest.raises(ui.UpflowImportError) as error:
        call(*args, **kwargs)
    return error.value


def read_all(data: bytes, **kwargs: Any) -> list[ui.Row]:
    return list(ui.read_table(data, **kwargs).rows)


@pytest.fixture
def sabotage(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Replace, in a new worker, what its children do with a file by ``program`` (the body of a
    function of ``source`` and ``options`` returning the answer's chunks): stand-ins for an
    unknown bug of the native reader."""
    def install(program: str) -> None:
        body = textwrap.indent(textwrap.dedent(program), "    ")
        boot = isolation._BOOT.replace(
            "from upflow_import.readers._isolation_worker import serve",
            f"import upflow_import.readers._isolation_worker as worker\ndef _read(source, options):\n{body}\n"
            "worker._read = _read\nfrom upflow_import.readers._isolation_worker import serve")
        monkeypatch.setattr(isolation, "_BOOT", boot)
        isolation._WORKER.stop()

    yield install
    isolation._WORKER.stop()


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux's /proc; zombies included)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def children_left(pid: int) -> list[int]:
    """The children of ``pid`` still there after a moment: one that sent its answer may still be
    exiting when the caller has the table."""
    deadline = time.monotonic() + 10
    while (children := children_of(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return children


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped by its parent, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def worker_pid() -> int:
    process = isolation._WORKER._process
    assert process is not None
    return process.pid


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def test_an_isolated_csv_read_is_the_normal_read(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    # cp1252, rows with cells too many, a blank line, a quoted line break.
    path.write_bytes("Nom du client;Ville;\r\nSociété Générale;Paris;\r\nGlobex;Lyon;x;y\r\n\r\n"
                     '"Init\r\nech";Cedex;z\r\n'.encode("cp1252"))

    isolated = ui.read_table(path, isolate=True)

    assert snapshot(isolated) == snapshot(ui.read_table(path))
    assert isolated.encoding == "cp1252"
    assert [(issue.code, issue.row) for issue in isolated.issues] == [("csv.inconsistent_columns", 3),
                                                                       ("csv.inconsistent_columns", 5)]


def test_an_isolated_workbook_read_is_the_normal_read() -> None:
    data = xlsx([*CLIENTS, ["", "", ""], ["=1+1", 75001.0, 30]])

    isolated = ui.read_table(data, sheet="clients", isolate=ui.Isolation(memory_bytes=512 * 1024 * 1024))

    assert snapshot(isolated) == snapshot(ui.read_table(data, sheet="clients"))
    assert [row.number for row in isolated.rows] == [2, 3, 4, 6]


def test_isolated_errors_are_the_normal_errors() -> None:
    title = xlsx([["Export des clients"], ["Nom du client", "Ville"], ["Acme", "Paris"]])
    for data, kwargs in [(b"%PDF-1.4 not a spreadsheet", {}), (title, {}), (xlsx(CLIENTS), {"sheet": "Nope"}),
                         (b"Nom\nA\nB\nC\n", {"limits": ui.Limits(max_rows=2)})]:
        isolated = raised(read_all, data, isolate=True, **kwargs)
        normal = raised(read_all, data, **kwargs)
        assert (type(isolated), isolated.issue) == (type(normal), normal.issue)


def test_import_file_reports_the_same_through_isolation() -> None:
    data = xlsx(CLIENTS)

    isolated = ui.import_file(data, ui.InMemoryRepository(), dry_run=True, isolate=True)

    assert isolated.to_dict() == ui.import_file(data, ui.InMemoryRepository(), dry_run=True).to_dict()
    assert [issue.code for issue in isolated.issues] == ["value.invalid_email"]


def test_a_child_aborting_on_its_memory_cap_is_too_large_and_the_caller_goes_on() -> None:
    # Limits raised so far that the far cell reaches calamine, which asks for 512 GiB and aborts.
    data = xlsx(CLIENTS, far="XFD1048576")
    trusting = ui.Limits(max_columns=20_000, max_rows=2_000_000, max_cells=10**12)

    error = raised(ui.read_table, data, limits=trusting, isolate=ui.Isolation(memory_bytes=1024**3))

    assert error.code == "file.too_large"
    assert dict(error.issue.params)["limit"] == "memory_bytes"
    assert ui.read_table(xlsx(CLIENTS), isolate=True).headers == tuple(CLIENTS[0])


def test_a_child_over_a_low_memory_cap_is_too_large_at_once() -> None:
    # Reading 200,000 rows fills the 64 MiB cap with small objects. CPython 3.11 used to spin
    # forever when an allocation failed entering an except block; the caller heard after the
    # CPU cap (300 s) and with the wrong limit. Now within a second of reaching the cap.
    data = ("Nom du client;Ville\n" + "Acme;Paris\n" * 200_000).encode()
    started = time.monotonic()

    error = raised(ui.read_table, data, isolate=ui.Isolation(memory_bytes=64 * 1024 * 1024))

    assert error.code == "file.too_large"
    assert dict(error.issue.params)["limit"] == "memory_bytes"
    assert time.monotonic() - started < 30  # far from the CPU cap's 300 s


@needs_proc
def test_a_child_spinning_at_its_memory_cap_is_killed_and_too_large(
        sabotage: Callable[[str], None]) -> None:
    # A stand-in for the interpreter's loop: the address space at its cap, the CPU busy.
    sabotage("""
        hog = []
        try:
            while True:
                hog.append(bytearray(256 * 1024))
        except MemoryError:
            pass
        while True:
            pass
    """)
    started = time.monotonic()

    error = raised(ui.read_table, b"Nom\nAcme\n", isolate=ui.Isolation(memory_bytes=128 * 1024 * 1024))

    assert error.code == "file.too_large"
    assert dict(error.issue.params)["limit"] == "memory_bytes"
    assert time.monotonic() - started < 30  # the CPU cap would take 300 s


def test_a_child_over_its_cpu_cap_is_too_large_within_its_bound() -> None:
    # 10 million cells: several seconds of CPU to read and send back.
    data = "\n".join(";".join(f"c{index}" for index in range(50)) for _ in range(200_001)).encode()
    started = time.monotonic()

    error = raised(ui.import_file, data, ui.InMemoryRepository(), isolate=ui.Isolation(cpu_seconds=1))

    assert error.code == "file.too_large"
    assert dict(error.issue.params)["limit"] == "cpu_seconds"
    assert time.monotonic() - started < 60


@needs_proc
def test_a_child_that_never_answers_is_killed_after_its_wall_time(sabotage: Callable[[str], None]) -> None:
    sabotage("import time; time.sleep(120)")
    started = time.monotonic()

    error = raised(ui.read_table, b"Nom\nAcme\n", isolate=ui.Isolation(cpu_seconds=1))

    assert error.code == "file.too_large"
    assert dict(error.issue.params)["limit"] == "cpu_seconds"
    assert time.monotonic() - started < 60
    assert children_of(worker_pid()) == []  # killed and reaped before the caller heard


@pytest.mark.parametrize("program", [
    "import ctypes; ctypes.string_at(0)",  # SIGSEGV
    "import os; os.abort()",  # SIGABRT, not an allocation failure
    "raise SystemExit(7)",
    "return [b'garbage']",  # a malformed answer
    "return [(20).to_bytes(8, 'big') + (0).to_bytes(8, 'big'), b'{\"table\": {\"headers\": [1]}}']",
    "return [(10**12).to_bytes(8, 'big') + (0).to_bytes(8, 'big')]",  # an answer larger than its memory
])
def test_a_child_crashing_or_answering_nonsense_is_corrupt(sabotage: Callable[[str], None],
                                                           program: str) -> None:
    sabotage(program)

    error = raised(ui.read_table, b"Nom\nAcme\n", isolate=True)

    assert error.code == "file.corrupt"
    assert ui.read_table(b"Nom\nAcme\n", isolate=False).headers == ("Nom",)


def test_isolation_caps_must_be_sensible() -> None:
    with pytest.raises(ValueError, match="memory_bytes"):
        ui.Isolation(memory_bytes=1024)
    with pytest.raises(ValueError, match="cpu_seconds"):
        ui.Isolation(cpu_seconds=0)
    with pytest.raises(ValueError, match="cpu_seconds"):
        ui.Isolation(cpu_seconds=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="isolate"):
        ui.read_table(b"Nom\nAcme\n", isolate="yes")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Safe by default.


def test_workbooks_are_isolated_by_default_and_csv_is_not(sabotage: Callable[[str], None]) -> None:
    sabotage("import os; os.abort()")  # what the child does with any file, in these tests

    workbook = xlsx(CLIENTS)
    assert raised(ui.read_table, workbook).code == "file.corrupt"
    assert raised(ui.import_file, workbook, ui.InMemoryRepository(), dry_run=True).code == "file.corrupt"
    # Opting out reads the workbook here; a CSV file is read here by default.
    assert ui.read_table(workbook, isolate=False).headers == tuple(CLIENTS[0])
    assert ui.read_table(b"Nom\nAcme\n").headers == ("Nom",)
    assert raised(ui.read_table, b"Nom\nAcme\n", isolate=True).code == "file.corrupt"


def test_a_workbook_that_aborts_the_native_reader_is_contained_by_default() -> None:
    # Limits raised so far that the far cell reaches calamine, which asks for 512 GiB and aborts:
    # with the default settings, that is the child's end, not the caller's.
    trusting = ui.Limits(max_columns=20_000, max_rows=2_000_000, max_cells=10**12)

    error = raised(ui.read_table, xlsx(CLIENTS, far="XFD1048576"), limits=trusting)

    assert error.code == "file.too_large"
    assert dict(error.issue.params)["limit"] == "memory_bytes"


def test_the_cli_isolates_workbooks_unless_told_not_to(sabotage: Callable[[str], None], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from upflow_import.cli import main

    sabotage("import os; os.abort()")
    path = tmp_path / "clients.xlsx"
    path.write_bytes(xlsx(CLIENTS))

    assert main(["check", str(path), "--json"]) == 2
    assert '"file.corrupt"' in capsys.readouterr().out
    assert main(["check", str(path), "--json", "--no-isolate"]) == 1  # read: one invalid email
    assert '"value.invalid_email"' in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# The worker: threads, restarts, no process left behind.


@needs_proc
def test_threads_reading_at_once_get_their_own_tables_and_leave_no_child() -> None:
    files = [xlsx([["Nom du client", "Ville"], *[[f"Client {thread}-{row}", "Paris"] for row in range(50)]])
             for thread in range(4)]
    expected = [snapshot(ui.read_table(data, isolate=False)) for data in files]
    results: dict[tuple[int, int], tuple[object, ...]] = {}

    def read(thread: int) -> None:
        for attempt in range(5):
            results[thread, attempt] = snapshot(ui.read_table(files[thread]))

    threads = [threading.Thread(target=read, args=(thread,)) for thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert results == {(thread, attempt): expected[thread] for thread in range(4) for attempt in range(5)}
    assert children_left(worker_pid()) == []


@needs_proc
def test_a_worker_that_died_is_replaced() -> None:
    ui.read_table(xlsx(CLIENTS))
    dead = worker_pid()
    os.kill(dead, signal.SIGKILL)
    isolation._WORKER._process.wait()  # type: ignore[union-attr]

    assert ui.read_table(xlsx(CLIENTS)).headers == tuple(CLIENTS[0])
    assert worker_pid() != dead


_HOST = """
import sys, time, upflow_import as ui
from upflow_import.readers import isolation
ui.read_table(bytes.fromhex(sys.argv[1]))
print(isolation._WORKER._process.pid, flush=True)
if sys.argv[2] == "wait":
    time.sleep(120)
"""


@needs_proc
@pytest.mark.parametrize("ending", ["exit", "killed"])
def test_no_process_outlives_the_host(ending: str) -> None:
    host = subprocess.Popen([sys.executable, "-c", _HOST, xlsx(CLIENTS).hex(),
                             "wait" if ending == "killed" else "exit"], stdout=subprocess.PIPE, text=True)
    assert host.stdout is not None
    worker = int(host.stdout.readline())
    if ending == "killed":
        host.kill()  # no atexit: the worker sees its standard input end
    host.wait(timeout=60)
    deadline = time.monotonic() + 20
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert not alive(worker)


# --------------------------------------------------------------------------------------------
# The answer's encoding, in this process.

_CELL = st.one_of(st.none(), st.text(alphabet=st.one_of(
    st.characters(), st.sampled_from(["\ue000", "\ue001", "\ue002", "\ue003", "\ud800", "\udfff", ";"]))))


@given(width=st.integers(0, 4), data=st.data())
def test_the_answer_carries_any_table_unchanged(width: int, data: st.DataObject) -> None:
    # Cells made of the separator candidates themselves, lone surrogates, empty text and None.
    rows = data.draw(st.lists(st.tuples(*[_CELL] * width), max_size=5))
    headers = [f"Colonne {index}" for index in range(width)]
    issue = ui.Issue.from_code("csv.inconsistent_columns", row=2, actual=3, expected=2)
    table = ui.Table(format="xlsx", headers=headers, sheet="Feuil1", name="clients.xlsx", issues=[issue],
                     rows=[ui.Row(number, values) for number, values in enumerate(rows, start=2)])

    decoded = _isolation_wire.decode_answer(b"".join(_isolation_wire.encode_table(table)))

    assert snapshot(decoded) == snapshot(table)



@pytest.mark.parametrize(("cells", "empty"), [("a\ue000\ue001", 0), ("\ue001\ue000b", 2)])
def test_an_answer_whose_empty_cells_do_not_add_up_is_corrupt(cells: str, empty: int) -> None:
    # The marker of an empty cell must stand alone, exactly as many times as announced.
    document = {"table": {"format": "xlsx", "encoding": None, "delimiter": None, "sheet": "Feuil1",
                          "name": None, "headers": ["A", "B"], "numbers": [2], "issues": [],
                          "separator": "\ue000", "none": "\ue001", "empty": empty}}
    answer = b"".join(_isolation_wire._framed(document, cells.encode()))

    with pytest.raises(ui.UpflowImportError) as raised:
        _isolation_wire.decode_answer(answer)

    assert raised.value.issue.code == "file.corrupt"


_FORKING_HOST = """
import os, sys, upflow_import as ui
from upflow_import.readers import isolation
data = bytes.fromhex(sys.argv[1])
ui.read_table(data)
parent_worker = isolation._WORKER._process.pid
pid = os.fork()
if pid == 0:
    ok = ui.read_table(data).headers == ui.read_table(data, isolate=False).headers
    print("child", ok, isolation._WORKER._process.pid != parent_worker, flush=True)
    isolation._WORKER.stop()
    os._exit(0)
os.waitpid(pid, 0)
print("parent", ui.read_table(data).headers == ui.read_table(data, isolate=False).headers,
      isolation._WORKER._process.pid == parent_worker, flush=True)
"""


@needs_proc
def test_a_forked_copy_of_the_caller_gets_its_own_worker() -> None:
    process = subprocess.run([sys.executable, "-c", _FORKING_HOST, xlsx(CLIENTS).hex()], capture_output=True,
                             text=True, timeout=120, check=False)

    assert process.stdout.splitlines() == ["child True True", "parent True True"], process.stderr
