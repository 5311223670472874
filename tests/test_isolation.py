"""Opt-in isolation: ``isolate=`` reads the file in a child process with memory and CPU caps, gives
the same table as a normal read, and turns a child killed by its caps (or crashing) into
``file.too_large`` or ``file.corrupt`` while the caller carries on."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

import upflow_import as ui
from upflow_import import isolation

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


def test_a_child_over_a_low_memory_cap_is_too_large() -> None:
    data = ("Nom du client;Ville\n" + "Acme;Paris\n" * 200_000).encode()

    error = raised(ui.read_table, data, isolate=ui.Isolation(memory_bytes=64 * 1024 * 1024))

    assert error.code == "file.too_large"
    assert dict(error.issue.params)["limit"] == "memory_bytes"


def test_a_child_over_its_cpu_cap_is_too_large_within_its_bound() -> None:
    # 10 million cells: several seconds of CPU to read and send back.
    data = "\n".join(";".join(f"c{index}" for index in range(50)) for _ in range(200_001)).encode()
    started = time.monotonic()

    error = raised(ui.import_file, data, ui.InMemoryRepository(), isolate=ui.Isolation(cpu_seconds=1))

    assert error.code == "file.too_large"
    assert dict(error.issue.params)["limit"] == "cpu_seconds"
    assert time.monotonic() - started < 60


def test_a_child_that_never_answers_is_killed_after_its_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "_BOOT", "import time; time.sleep(120)")
    started = time.monotonic()

    error = raised(ui.read_table, b"Nom\nAcme\n", isolate=ui.Isolation(cpu_seconds=1))

    assert error.code == "file.too_large"
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("program", [
    "import sys, ctypes; sys.stdin.buffer.read(); ctypes.string_at(0)",  # SIGSEGV
    "import os, sys; sys.stdin.buffer.read(); os.abort()",  # SIGABRT, not an allocation failure
    "raise SystemExit(7)",
    "print('{\"table\": {\"headers\": [1], \"numbers\": [], \"cells\": []}}')",  # a malformed answer
])
def test_a_child_crashing_or_answering_nonsense_is_corrupt(monkeypatch: pytest.MonkeyPatch,
                                                           program: str) -> None:
    # Stand-ins for an unknown bug of the native reader.
    monkeypatch.setattr(isolation, "_BOOT", program)

    error = raised(ui.read_table, b"Nom\nAcme\n", isolate=True)

    assert error.code == "file.corrupt"


def test_isolation_caps_must_be_sensible() -> None:
    with pytest.raises(ValueError, match="memory_bytes"):
        ui.Isolation(memory_bytes=1024)
    with pytest.raises(ValueError, match="cpu_seconds"):
        ui.Isolation(cpu_seconds=0)
