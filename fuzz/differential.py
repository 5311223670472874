"""Differential fuzzing of the guard against calamine: does the guard see the sheet calamine reads?

Before python-calamine reads a workbook, the library's guard
(``readers/archive.py``, ``readers/reach*.py``) parses the file itself to
find how big the sheet really is, and refuses it beyond ``Limits``. When the
guard reads a part one way and calamine another (a duplicate attribute, a
namespace prefix, a row number written oddly, a relationship resolved
differently, a compound-file entry named twice), the guard passes a file that
makes calamine allocate gigabytes and abort the interpreter.

This fuzzer hunts that class. Each input, a seed file changed by
structure-aware mutations of exactly the parts where the two readings can
differ, goes through the library's own ``read_workbook`` in this process,
with calamine replaced by a proxy: every call the library makes to calamine
is made in a capped worker child instead (address space, CPU time, wall
time), which answers what calamine built (every sheet's dimensions, the cells
it holds, its peak memory) or dies. The guard is what runs before those
calls. A finding is:

- the guard raised something else than an ``UpflowImportError`` (it is pure
  Python and must never crash);
- the guard let calamine read the file, and calamine died (abort, memory
  cap, CPU or wall time);
- the guard let calamine read the file, and what calamine built exceeds the
  limits (rows, columns, cells of a sheet; cells of all the sheets it reads
  on opening) or reaches further than the rectangle the guard computed.

The limits of the run (:data:`DIFF_LIMITS`) are small, so that a divergence
shows as a few thousand cells too many rather than as 500 GB asked for; the
worker's address-space cap is then set, before each call, to what it uses
plus :data:`HEADROOM_MIB`, so that an allocation calamine makes from a
number it read (a shared-strings count, a ``Dimensions`` record) kills it.

Usage (from the project's root, in its virtual environment)::

    python fuzz/differential.py --minutes 30 --corpus DIR
    python fuzz/differential.py --executions 400 --seed 7
    python fuzz/differential.py --reproduce fuzz/findings/differential-over_limits-0123456789ab.xlsx

Findings go to ``--findings`` (default ``fuzz/findings/``), each with a
``.json`` note (what the guard computed, what calamine built, the seed and
the mutations). The last line printed is a JSON summary.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import io
import json
import os
import random
import re
import resource
import select
import signal
import struct
import subprocess
import sys
import time
import traceback
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

if TYPE_CHECKING:
    from targets import Seed

MiB = 1024 * 1024
#: What the worker may allocate on top of what it already uses, for one call.
HEADROOM_MIB = 640
#: The worker's hard address-space cap.
HARD_CAP_MIB = 2048


def diff_limits() -> Any:
    """Small limits: a divergence shows as a sheet a little too big, not as an abort."""
    import upflow_import as ui  # noqa: PLC0415

    return ui.Limits(max_uncompressed_bytes=64 * MiB, max_rows=20_000, max_columns=200, max_cells=400_000)


# --------------------------------------------------------------------------------------------
# The worker child: calamine alone, capped, answering one JSON line per request.


def _status(field: str) -> int:
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(field.encode() + b":"):
                return int(line.split()[1]) * 1024
    return 0


def _cap_next_call(hard: int) -> None:
    """Cap the address space at what the worker uses now plus the headroom, and the CPU time
    at what it used so far plus 20 s."""
    soft = min(_status("VmSize") + HEADROOM_MIB * MiB, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    resource.setrlimit(resource.RLIMIT_CPU, (int(usage.ru_utime + usage.ru_stime) + 20, cpu_hard))
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak resident size


def _dimensions(sheet: Any) -> dict[str, Any]:
    return {
        "start": list(sheet.start) if sheet.start is not None else None,
        "end": list(sheet.end) if sheet.end is not None else None,
        "height": sheet.height,
        "width": sheet.width,
    }


def _value_cells(sheet: Any) -> int:
    return sum(1 for row in sheet.iter_rows() for value in row if value != "")


def worker_main() -> None:
    hard = HARD_CAP_MIB * MiB
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    warnings.simplefilter("ignore")
    from python_calamine import CalamineWorkbook  # noqa: PLC0415

    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    workbook: Any = None
    kind = ""
    while True:
        line = requests.readline()
        if not line:
            return
        request = json.loads(line)
        payload = requests.read(request.get("bytes", 0))
        _cap_next_call(hard)
        answer: dict[str, Any] = {}
        try:
            if request["op"] == "open":
                workbook, kind = None, request["kind"]
                workbook = CalamineWorkbook.from_filelike(io.BytesIO(payload))
                answer["sheets"] = [
                    {
                        "name": meta.name,
                        "typ": str(meta.typ).rpartition(".")[2],
                        "visible": str(meta.visible).rpartition(".")[2],
                    }
                    for meta in workbook.sheets_metadata
                ]
                if kind in ("xls", "ods"):  # calamine has read every sheet already
                    built = []
                    for name in workbook.sheet_names:
                        with contextlib.suppress(Exception):
                            built.append({"name": name, **_dimensions(workbook.get_sheet_by_name(name))})
                    answer["built"] = built
            else:
                sheet = workbook.get_sheet_by_name(request["name"])
                answer["sheet"] = {"name": request["name"], **_dimensions(sheet)}
                if sheet.height * sheet.width <= 4_000_000:
                    answer["sheet"]["value_cells"] = _value_cells(sheet)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:
            answer = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
        answer["peak_rss"] = _status("VmHWM")
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


class Worker:
    """The calamine worker, restarted when it dies."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.buffer = b""
        self.served = 0

    def start(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None or self.served >= 2000:
            self.stop()
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            self.buffer = b""
            self.served = 0
        return self.process

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        self.process = None

    def call(self, request: dict[str, Any], payload: bytes = b"") -> dict[str, Any]:
        """The worker's answer, or ``{"died": …}``."""
        process = self.start()
        assert process.stdin is not None and process.stdout is not None
        self.served += 1
        try:
            process.stdin.write(json.dumps({**request, "bytes": len(payload)}).encode() + b"\n" + payload)
            process.stdin.flush()
        except OSError:
            return self._died()
        deadline = time.monotonic() + self.timeout * (1 + len(payload) / MiB)
        fd = process.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                return {"died": "wall time"}
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return self._died()
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        if "MemoryError" in answer.get("error", ""):
            answer["died"] = "memory cap (MemoryError)"
            self.stop()
        return answer

    def _died(self) -> dict[str, Any]:
        assert self.process is not None
        status = self.process.wait()
        self.stop()
        if status < 0 and -status in signal.valid_signals():
            name = signal.Signals(-status).name
            cause = {
                "SIGABRT": "abort (an allocation failed)",
                "SIGXCPU": "CPU time",
                "SIGKILL": "killed",
                "SIGSEGV": "segmentation fault",
            }.get(name, name)
            return {"died": cause}
        return {"died": f"exit status {status}"}


# --------------------------------------------------------------------------------------------
# The guard, in this process, with calamine proxied to the worker.


class Session:
    """What happened to one input: the calls made to calamine and their answers."""

    def __init__(self, worker: Worker, kind: str) -> None:
        self.worker = worker
        self.kind = kind
        self.opened: dict[str, Any] | None = None
        self.read: dict[str, Any] | None = None
        self.died: str | None = None
        self.reaches: list[tuple[int, int, int, int]] = []


class _Dead(BaseException):
    """The worker died: the guard's code goes on as if calamine had raised."""


_SESSION: list[Session] = []


def _proxy_classes() -> tuple[type, type]:
    from python_calamine import SheetTypeEnum, SheetVisibleEnum  # noqa: PLC0415

    class ProxySheet:
        def __init__(self, answer: dict[str, Any]) -> None:
            self.start = tuple(answer["start"]) if answer.get("start") else None
            self.height = answer.get("height", 0)
            self.width = answer.get("width", 0)

        def iter_rows(self) -> Iterator[list[Any]]:
            return iter(())  # the rows themselves are not the guard's business

    class ProxyMeta:
        def __init__(self, entry: dict[str, str]) -> None:
            self.name = entry["name"]
            self.typ = getattr(SheetTypeEnum, entry["typ"], SheetTypeEnum.WorkSheet)
            self.visible = getattr(SheetVisibleEnum, entry["visible"], SheetVisibleEnum.Visible)

    class ProxyWorkbook:
        def __init__(self, session: Session, answer: dict[str, Any]) -> None:
            self.session = session
            self.sheets_metadata = [ProxyMeta(entry) for entry in answer["sheets"]]
            self.sheet_names = [meta.name for meta in self.sheets_metadata]

        @classmethod
        def from_filelike(cls, filelike: Any) -> ProxyWorkbook:
            session = _SESSION[-1]
            answer = session.worker.call({"op": "open", "kind": session.kind}, filelike.read())
            session.opened = answer
            if "died" in answer:
                session.died = answer["died"]
                raise _Dead(answer["died"])
            if "error" in answer:
                raise ValueError(answer["error"])
            return cls(session, answer)

        from_object = from_filelike

        def get_sheet_by_name(self, name: str) -> ProxySheet:
            answer = self.session.worker.call({"op": "sheet", "name": name})
            self.session.read = answer
            if "died" in answer:
                self.session.died = answer["died"]
                raise _Dead(answer["died"])
            if "error" in answer:
                raise ValueError(answer["error"])
            return ProxySheet(answer["sheet"])

    return ProxyWorkbook, ProxySheet


def install_proxy() -> None:
    """Replace calamine, wherever the library reached it, by the proxy; record every rectangle
    the guard checks."""
    import python_calamine  # noqa: PLC0415

    proxy, _ = _proxy_classes()
    python_calamine.CalamineWorkbook = proxy  # type: ignore[misc]
    import upflow_import.readers  # noqa: F401, PLC0415

    for name, module in list(sys.modules.items()):
        if not name.startswith("upflow_import") or module is None:
            continue
        if getattr(module, "CalamineWorkbook", None) is not None:
            module.CalamineWorkbook = proxy  # type: ignore[attr-defined]
        original = getattr(module, "check_reach", None)
        if callable(original) and not getattr(original, "recording", False):
            module.check_reach = _recording(original)  # type: ignore[attr-defined]


def _recording(check: Callable[..., Any]) -> Callable[..., Any]:
    def record(reach: Any, *args: Any, **kwargs: Any) -> Any:
        if _SESSION and not getattr(reach, "empty", True):
            _SESSION[-1].reaches.append(
                (reach.first_row, reach.last_row, reach.first_column, reach.last_column)
            )
        return check(reach, *args, **kwargs)

    record.recording = True  # type: ignore[attr-defined]
    return record


def run_guard(data: bytes, worker: Worker, limits: Any) -> tuple[Session | None, dict[str, Any]]:
    """The input through the library's reader; the session, and what ended it."""
    from upflow_import.errors import UpflowImportError  # noqa: PLC0415
    from upflow_import.readers import excel  # noqa: PLC0415
    from upflow_import.readers.sniff import sniff  # noqa: PLC0415

    try:
        kind = sniff(data)
    except UpflowImportError as error:
        return None, {"outcome": f"sniffed {error.code}"}
    if kind == "csv":
        return None, {"outcome": "csv"}
    session = Session(worker, kind)
    _SESSION[:] = [session]
    try:
        excel.read_workbook(data, kind, sheet=None, limits=limits)
    except UpflowImportError as error:
        if session.read is not None and "sheet" in session.read:
            # The proxy hands the library no rows: file.empty then means calamine read the sheet.
            return session, {"outcome": f"{kind} read by calamine"}
        return session, {"outcome": f"{kind} {error.code}"}
    except _Dead:
        return session, {"outcome": f"{kind} died"}
    except Exception as error:
        return session, {
            "outcome": f"{kind} guard exception",
            "exception": "".join(traceback.format_exception(error))[-3000:],
        }
    finally:
        _SESSION.clear()
    return session, {"outcome": f"{kind} read"}


def judge(session: Session | None, ended: dict[str, Any], limits: Any) -> tuple[str, str] | None:
    """``(kind, reason)`` when the input is a finding."""
    if "exception" in ended:
        return "guard_exception", ended["exception"].strip().splitlines()[-1]
    if session is None or session.opened is None:
        return None
    if session.died is not None:
        return "died", f"calamine's worker died: {session.died}"
    # Every sheet calamine built, once: on opening (XLS, ODS: all of them) and the one read.
    built = list(session.opened.get("built", []))
    read = (session.read or {}).get("sheet")
    if read is not None and read["name"] not in {sheet["name"] for sheet in built}:
        built.append(read)
    total = 0
    for sheet in built:
        if sheet.get("end") is None or sheet.get("start") is None:
            continue
        rows, columns = sheet["end"][0] + 1, sheet["end"][1] + 1
        cells = sheet["height"] * sheet["width"]
        total += cells
        name = sheet["name"]
        if columns > limits.max_columns:
            return "over_limits", f"sheet {name!r}: calamine built {columns} columns > max_columns"
        if rows > limits.max_rows + 1:
            return "over_limits", f"sheet {name!r}: calamine built {rows} rows > max_rows + 1"
        if cells > limits.max_cells:
            return "over_limits", f"sheet {name!r}: calamine built {cells} cells > max_cells"
        if session.reaches:
            last_row = max(reach[1] for reach in session.reaches)
            last_column = max(reach[3] for reach in session.reaches)
            if sheet["end"][0] > last_row or sheet["end"][1] > last_column:
                return "beyond_reach", (
                    f"sheet {name!r}: calamine's last cell {sheet['end']} is beyond the "
                    f"guard's rectangle (last row {last_row}, last column {last_column})"
                )
    if total > limits.max_cells:
        return "over_limits", f"calamine built {total} cells in all > max_cells"
    return None


# --------------------------------------------------------------------------------------------
# Seeds


def _xlsxwriter_file(rows: Sequence[Sequence[object]], *, hidden_first: bool = False) -> bytes | None:
    try:
        import xlsxwriter  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError:
        return None
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    if hidden_first:
        workbook.add_worksheet("Hidden").hide()
    sheet = workbook.add_worksheet("Clients")
    workbook.add_worksheet("Other").write(0, 0, "x")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    workbook.close()
    return buffer.getvalue()


def _xlwt_stream(cells: Sequence[tuple[int, int, object]], *, sheets: int = 1) -> bytes | None:
    """The BIFF8 workbook stream xlwt writes for ``cells`` (row, column, value) on the first sheet."""
    try:
        import xlwt  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError:
        return None
    from upflow_import.readers.reach_xls import workbook_stream  # noqa: PLC0415

    workbook = xlwt.Workbook()
    first = workbook.add_sheet("Clients")
    for row, column, value in cells:
        first.write(row, column, value)
    for index in range(1, sheets):
        workbook.add_sheet(f"Other{index}").write(0, 0, "x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return workbook_stream(buffer.getvalue())


def _seed_cells() -> list[tuple[int, int, object]]:
    from targets import SEED_ROWS  # noqa: PLC0415

    return [
        (r, c, value) for r, row in enumerate(SEED_ROWS) for c, value in enumerate(row) if value is not None
    ]


_XLS_STREAMS: dict[str, bytes] = {}


def _xls_streams() -> dict[str, bytes]:
    """A small workbook stream, and a big one (a value at A1 and at IV65536: 16.7 million cells)."""
    if not _XLS_STREAMS:
        small = _xlwt_stream(_seed_cells(), sheets=2)
        big = _xlwt_stream([(0, 0, "Nom du client"), (65535, 255, "x")])
        if small is not None and big is not None:
            _XLS_STREAMS.update(small=small, big=big)
    return _XLS_STREAMS


def diff_seeds(corpus: Sequence[Path]) -> list[Seed]:
    """Seeds: files written by XlsxWriter and xlwt, hand-made XLSX and ODS, the corpus's workbooks."""
    from targets import SEED_ROWS, Seed, corpus_seeds, crafted_ods, crafted_xlsx  # noqa: PLC0415

    seeds = [
        Seed("shared.xlsx", "xlsx", crafted_xlsx(SEED_ROWS)),
        Seed("inline.xlsx", "xlsx", crafted_xlsx(SEED_ROWS, shared=False)),
        Seed("crafted.ods", "ods", crafted_ods(SEED_ROWS)),
    ]
    for hidden_first in (False, True):
        written = _xlsxwriter_file(SEED_ROWS, hidden_first=hidden_first)
        if written is not None:
            seeds.append(Seed(f"xlsxwriter{'-hidden-first' if hidden_first else ''}.xlsx", "xlsx", written))
    streams = _xls_streams()
    if streams:
        seeds.append(Seed("xlwt.xls", "xls", compound_file([("Workbook", streams["small"])])))
    for folder in corpus:
        if folder.is_dir():
            seeds.extend(seed for seed in corpus_seeds(folder, max_bytes=MiB) if seed.kind != "csv")
    return seeds


# --------------------------------------------------------------------------------------------
# A compound file (MS-CFB, version 3) of the given streams, each at least 4096 bytes (no mini stream).

_FREE, _END, _FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def compound_file(streams: Sequence[tuple[str, bytes]], *, declared: Sequence[int | None] = ()) -> bytes:
    """``declared[i]``, when given, replaces the size written in stream ``i``'s directory entry."""
    sector = 512
    bodies = [data.ljust(4096, b"\x00") for _, data in streams]
    body_sectors = [-(-len(body) // sector) for body in bodies]
    entries = 1 + len(streams)
    directory_sectors = -(-entries * 128 // sector)
    total = sum(body_sectors) + directory_sectors
    fat_sectors = 1
    while fat_sectors * 128 < total + fat_sectors:
        fat_sectors += 1
    fat = [_FAT_SECTOR] * fat_sectors
    first_directory = len(fat)
    fat += [len(fat) + 1 + index for index in range(directory_sectors - 1)] + [_END]
    starts = []
    for count in body_sectors:
        starts.append(len(fat))
        fat += [len(fat) + 1 + index for index in range(count - 1)] + [_END]
    fat += [_FREE] * (fat_sectors * 128 - len(fat))
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 44, fat_sectors, first_directory, 0, 4096, _END, 0, _END, 0)
    difat = list(range(fat_sectors)) + [_FREE] * (109 - fat_sectors)
    struct.pack_into("<109I", header, 76, *difat)
    directory = bytearray(directory_sectors * sector)

    def entry(index: int, name: str, kind: int, start: int, size: int, *, right: int, child: int) -> None:
        encoded = name.encode("utf-16-le")[:62] + b"\x00\x00"
        base = index * 128
        directory[base : base + len(encoded)] = encoded
        struct.pack_into("<HBBIII", directory, base + 64, len(encoded), kind, 1, _FREE, right, child)
        struct.pack_into("<IQ", directory, base + 116, start, size)

    entry(0, "Root Entry", 5, _END, 0, right=_FREE, child=1 if streams else _FREE)
    for index, ((name, _), start) in enumerate(zip(streams, starts, strict=True), start=1):
        size = (
            declared[index - 1]
            if index - 1 < len(declared) and declared[index - 1] is not None
            else len(bodies[index - 1])
        )
        entry(
            index, name, 2, start, size or 0, right=index + 1 if index < len(streams) else _FREE, child=_FREE
        )
    for index in range(entries, directory_sectors * sector // 128):
        struct.pack_into("<IIII", directory, index * 128 + 68, _FREE, _FREE, _FREE, 0)
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return (
        bytes(header)
        + fat_bytes
        + bytes(directory)
        + b"".join(
            body.ljust(count * sector, b"\x00") for body, count in zip(bodies, body_sectors, strict=True)
        )
    )


# --------------------------------------------------------------------------------------------
# Mutations

_MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TABLE_NS = b"urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#: Cell references beyond the run's limits (200 columns, 20,000 rows, 400,000 cells), from just
#: beyond to Excel's last cell.
_FAR_REFERENCES = [
    b"XFD1048576",
    b"A1048576",
    b"XFD1",
    b"GT1",
    b"A20003",
    b"ZZ30000",
    b"CV9000",
    b"AMJ65536",
    b"A4000000",
    b"IV65536",
    b"B400001",
]
_FAR_ROWS = [20_003, 30_000, 65_536, 1_048_576, 400_001, 4_000_000, 99_999_999]
_PREFIXES = [b"x", b"s", b"_", b"a.b", b"\xc3\xa9", b"\xce\xb1", b"\xe4\xb8\xad", b"x-y", b"X\xc3\xa9"]
_XLS_NAMES = [
    "Workbook",
    "WORKBOOK",
    "workbook",
    "WorkBook",
    "Book",
    "BOOK",
    "book",
    " Workbook",
    "Workbook ",
    "Workbook\x00x",
    "\u0057orkbook",
    "W\u200borkbook",
    "Workbook1",
]


def _odd_number(rng: random.Random, number: int) -> bytes:
    """``number`` written in a form an XML attribute may carry and readers may read differently."""
    digits = b"%d" % number
    forms = [
        digits,
        b" " + digits,
        digits + b" ",
        b"+" + digits,
        b"0" + digits,
        b"000" + digits,
        b"\t" + digits,
        digits + b"\n",
        digits + b".0",
        digits + b"e0",
        b"".join(b"&#%d;" % byte for byte in digits),
        b"&#x%x;" % digits[0] + digits[1:],
        digits[:-1] + b"&#%d;" % digits[-1],
        b"-" + digits,
        digits + b"x",
    ]
    return rng.choice(forms)


def _odd_reference(rng: random.Random, reference: bytes) -> bytes:
    match = re.fullmatch(rb"([A-Z]+)(\d+)", reference)
    if match is None:
        return reference
    letters, digits = match[1], match[2]
    forms = [
        reference,
        reference.lower(),
        b"$" + letters + b"$" + digits,
        letters + b"0" + digits,
        b" " + reference,
        reference + b" ",
        letters + b" " + digits,
        b"&#%d;" % letters[0] + letters[1:] + digits,
        letters + b"&#%d;" % digits[0] + digits[1:],
        letters + _odd_number(rng, int(digits)),
        letters.lower() + digits,
    ]
    return rng.choice(forms)


class DiffMutator:
    """Structure-aware mutations of the parts where the guard and calamine may read differently."""

    def __init__(self, rng: random.Random, seeds: Sequence[Seed]) -> None:
        self.rng = rng
        self.seeds = list(seeds)
        self.log: list[str] = []

    def input(self) -> tuple[bytes, str, list[str]]:
        rng = self.rng
        self.log = []
        kinds = sorted({seed.kind for seed in self.seeds})
        kind = rng.choice(kinds)
        seed = rng.choice([seed for seed in self.seeds if seed.kind == kind])
        data = seed.data
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            try:
                data = self.mutate(data, kind)
            except Exception as error:  # a mutation that does not apply to this seed
                self.log.append(f"(mutation failed: {type(error).__name__})")
        return data, seed.name, self.log

    def mutate(self, data: bytes, kind: str) -> bytes:
        if kind == "xls":
            return self.xls(data)
        entries = _unzip(data)
        names = [name for name, _ in entries]
        if kind == "ods":
            choices = [self.ods_content]
        elif kind == "xlsb":
            choices = [self.xlsb_sheet, self.workbook_relations, self.shared_strings, self.add_big_part]
        else:
            choices = [
                self.sheet_xml,
                self.sheet_xml,
                self.sheet_xml,
                self.shared_strings,
                self.workbook_sheets,
                self.workbook_relations,
                self.add_big_part,
                self.rename_part,
                self.default_path_decoy,
            ]
        mutation = self.rng.choice(choices)
        changed = mutation(dict(entries), names)
        return _zip([(name, changed[name]) for name in _order(names, changed)])

    def note(self, name: str, detail: str = "") -> None:
        self.log.append(f"{name}: {detail}" if detail else name)

    # -- XLSX worksheets ------------------------------------------------------------------------

    def _sheet_parts(self, names: Sequence[str], suffix: str = ".xml") -> list[str]:
        return [name for name in names if "worksheets/" in name.lower() and name.lower().endswith(suffix)]

    def sheet_xml(self, parts: dict[str, bytes], names: Sequence[str]) -> dict[str, bytes]:
        rng = self.rng
        sheets = self._sheet_parts(names)
        if not sheets:
            return parts
        part = rng.choice(sheets[:1] * 3 + sheets)
        xml = parts[part]
        far = rng.choice(_FAR_REFERENCES)
        tricks = [
            self._duplicate_attribute,
            self._reference_inside_value,
            self._odd_cell_reference,
            self._odd_row_number,
            self._prefixed_tags,
            self._far_cell,
            self._lying_dimension,
            self._attribute_forms,
            self._cells_without_reference,
            self._xml_forms,
            self._xml_forms,
        ]
        trick = rng.choice(tricks)
        parts[part] = trick(xml, far)
        return parts

    def _cell_tags(self, xml: bytes) -> list[re.Match[bytes]]:
        return list(re.finditer(rb"<c\b[^>]*>", xml))

    def _new_cell(self, reference: bytes, attributes: bytes = b"") -> bytes:
        body = self.rng.choice(
            [
                b'<c r="%s"%s t="n"><v>1</v></c>',
                b'<c r="%s"%s t="inlineStr"><is><t>x</t></is></c>',
                b'<c r="%s"%s t="str"><v>x</v></c>',
                b'<c r="%s"%s><v>7</v></c>',
            ]
        )
        return body % (reference, attributes)

    def _put_cell(self, xml: bytes, cell: bytes, *, row: bytes | None = None) -> bytes:
        """Add ``cell`` at the end of a random row (or in a new row ``row`` before ``</sheetData>``)."""
        rng = self.rng
        ends = [match.start() for match in re.finditer(rb"</row>", xml)]
        if row is not None or not ends or rng.random() < 0.3:
            number = row if row is not None else b"%d" % rng.choice(_FAR_ROWS)
            new_row = b'<row r="%s">%s</row>' % (number, cell)
            end = xml.rfind(b"</sheetData>")
            if end < 0:
                return xml
            return xml[:end] + new_row + xml[end:]
        at = rng.choice(ends)
        return xml[:at] + cell + xml[at:]

    def _duplicate_attribute(self, xml: bytes, far: bytes) -> bytes:
        rng = self.rng
        order = rng.choice(["far first", "far last"])
        attribute = rng.choice([b"r", b"t", b"s"])
        if attribute == b"r":
            pair = (b' r="%s" r="A1"' % far) if order == "far first" else (b' r="A1" r="%s"' % far)
            cell = rng.choice([b"<c%s><v>1</v></c>", b'<c%s t="n"><v>1</v></c>']) % pair
            self.note("sheet: duplicate r attribute", f"{far.decode()} {order}")
            return self._put_cell(xml, cell)
        self.note("sheet: duplicate other attribute", f"{attribute.decode()} with {far.decode()}")
        return self._put_cell(xml, b'<c r="%s" %s="n" %s="s"><v>0</v></c>' % (far, attribute, attribute))

    def _reference_inside_value(self, xml: bytes, far: bytes) -> bytes:
        rng = self.rng
        decoy = rng.choice(
            [
                b"x=' r=\"A1\"'",
                b"s=' r=\"B2\" '",
                b"t='n' x=' r=\"A1\"'",
                b"x='\tr=\"A1\"'",
                b"x=\"r='A1'\"",
                b"cm=' r=\"A1\"' ",
            ]
        )
        place = rng.choice(["cell", "row"])
        if place == "cell":
            self.note("sheet: r inside another attribute's value", f"cell {far.decode()}")
            return self._put_cell(xml, b'<c %s r="%s"><v>1</v></c>' % (decoy, far))
        row = b"%d" % rng.choice(_FAR_ROWS)
        self.note("sheet: r inside another attribute's value", f"row {row.decode()}")
        end = xml.rfind(b"</sheetData>")
        return (
            xml[:end] + b'<row %s r="%s"><c><v>1</v></c></row>' % (decoy, row) + xml[end:]
            if end >= 0
            else xml
        )

    def _odd_cell_reference(self, xml: bytes, far: bytes) -> bytes:
        written = _odd_reference(self.rng, far)
        self.note("sheet: cell r in an odd form", written.decode("latin-1"))
        return self._put_cell(xml, self._new_cell(written))

    def _odd_row_number(self, xml: bytes, far: bytes) -> bytes:
        rng = self.rng
        number = rng.choice(_FAR_ROWS)
        written = _odd_number(rng, number)
        self.note("sheet: row r in an odd form", written.decode("latin-1"))
        cell = rng.choice(
            [
                b"<c><v>1</v></c>",
                b'<c t="inlineStr"><is><t>x</t></is></c>',
                b'<c r="A%d"><v>1</v></c>' % number,
            ]
        )
        end = xml.rfind(b"</sheetData>")
        if end < 0:
            return xml
        return xml[:end] + b'<row r="%s">%s</row>' % (written, cell) + xml[end:]

    def _prefixed_tags(self, xml: bytes, far: bytes) -> bytes:
        rng = self.rng
        prefix = rng.choice(_PREFIXES)
        scope = rng.choice(["cell", "row", "both", "all"])
        root = re.search(rb"<(?:[\w.-]+:)?worksheet\b", xml)
        if root is None:
            return xml
        namespace = rng.choice([_MAIN_NS, _MAIN_NS, b"urn:other"])
        xml = xml[: root.end()] + b' xmlns:%s="%s"' % (prefix, namespace) + xml[root.end() :]
        self.note(
            "sheet: prefixed tags",
            f"{prefix.decode('utf-8')}: {scope}, ns {namespace[-4:].decode()}, {far.decode()}",
        )
        if scope == "all":
            xml = re.sub(rb"<(/?)(row|c|v|is|t|f|sheetData)\b", rb"<\1" + prefix + rb":\2", xml)
        cell = b'<%s:c r="%s"><%s:v>1</%s:v></%s:c>' % (prefix, far, prefix, prefix, prefix)
        if scope in ("cell", "both") and scope != "all":
            cell = b'<%s:c r="%s"><v>1</v></%s:c>' % (prefix, far, prefix) if rng.random() < 0.5 else cell
        else:
            cell = b'<c r="%s"><v>1</v></c>' % far if scope == "row" else cell
        if scope in ("row", "both"):
            match = re.fullmatch(rb"([A-Z]+)(\d+)", far)
            number = match[2] if match else b"1"
            new_row = b'<%s:row r="%s">%s</%s:row>' % (prefix, number, cell, prefix)
            end = xml.rfind(b"</sheetData>")
            if end < 0:
                end = xml.rfind(b"</" + prefix + b":sheetData>")
            return xml[:end] + new_row + xml[end:] if end >= 0 else xml
        if scope == "all":
            end = xml.rfind(b"</" + prefix + b":sheetData>")
            match = re.fullmatch(rb"([A-Z]+)(\d+)", far)
            number = match[2] if match else b"1"
            row = b'<%s:row r="%s">%s</%s:row>' % (prefix, number, cell, prefix)
            return xml[:end] + row + xml[end:] if end >= 0 else xml
        return self._put_cell(xml, cell)

    def _far_cell(self, xml: bytes, far: bytes) -> bytes:
        self.note("sheet: far cell (the guard must refuse it)", far.decode())
        return self._put_cell(xml, self._new_cell(far))

    def _lying_dimension(self, xml: bytes, far: bytes) -> bytes:
        rng = self.rng
        claim = rng.choice([b"A1", b"A1:B2", b"A1:O9", b"A1:" + far, b"B2:A1", b"A1:GR20001", b""])
        how = rng.choice(["replace", "remove", "twice", "prefixed", "after data", "single quotes"])
        self.note("sheet: dimension", f"{how} {claim.decode()} with {far.decode()}")
        xml = self._put_cell(xml, self._new_cell(far)) if rng.random() < 0.8 else xml
        existing = re.search(rb"<dimension\b[^>]*/>", xml)
        element = b'<dimension ref="%s"/>' % claim
        if how == "single quotes":
            element = b"<dimension ref='%s'/>" % claim
        if how == "prefixed":
            element = b'<x:dimension xmlns:x="%s" ref="%s"/>' % (_MAIN_NS, claim)
        if existing is None:
            start = xml.find(b"<sheetData")
            return xml[:start] + element + xml[start:] if start >= 0 else xml
        if how == "remove":
            return xml[: existing.start()] + xml[existing.end() :]
        if how == "twice":
            return xml[: existing.start()] + element + existing[0] + xml[existing.end() :]
        if how == "after data":
            end = xml.find(b"</sheetData>")
            xml = xml[: existing.start()] + xml[existing.end() :]
            end = xml.find(b"</sheetData>")
            return xml[: end + 12] + element + xml[end + 12 :] if end >= 0 else xml
        return xml[: existing.start()] + element + xml[existing.end() :]

    def _attribute_forms(self, xml: bytes, far: bytes) -> bytes:
        rng = self.rng
        form = rng.choice(
            [
                b'<c t="n" r="%s"><v>1</v></c>',
                b"<c r='%s'><v>1</v></c>",
                b'<c r = "%s"><v>1</v></c>',
                b'<c\nr="%s"><v>1</v></c>',
                b'<c\tr="%s"\t><v>1</v></c>',
                b'<c s="0"r="%s"><v>1</v></c>',
                b'<c r="%s"/>',
                b'<c r="%s"></c>',
                b'<c r="%s"><f>1+1</f></c>',
                b'<c r="%s" t="s"><v>0</v></c>',
                b'<c xmlns:r="urn:x" r:r="A1" r="%s"><v>1</v></c>',
                b'<c r="%s" ><v>1</v></c >',
                b'<c r="%s"><v>1</v></c\n>',
            ]
        )
        self.note("sheet: attribute form", form.decode())
        return self._put_cell(xml, form % far)

    def _xml_forms(self, xml: bytes, far: bytes) -> bytes:
        """XML that two parsers may read differently: namespaced attributes, another encoding,
        namespaces redeclared below the root, cells nested deeper or in comments, CDATA."""
        rng = self.rng
        form = rng.choice(["namespaced r after", "namespaced r before", "utf-16",
                           "utf-16 without declaration",
                           "default namespace on row", "prefix redeclared on row", "nested cell", "comment",
                           "cdata", "processing instruction", "outside sheet data", "entity-free doctype",
                           "xml 1.1", "byte order mark"])
        self.note("sheet: xml form", f"{form}, {far.decode()}")
        cell = b'<c r="%s"><v>1</v></c>' % far
        if form in ("namespaced r after", "namespaced r before"):
            root = re.search(rb"<(?:[\w.-]+:)?worksheet\b", xml)
            if root is None:
                return xml
            namespace = rng.choice([_MAIN_NS, b"urn:other", _REL_NS])
            xml = xml[: root.end()] + b' xmlns:q="%s"' % namespace + xml[root.end() :]
            cell = (b'<c q:r="%s" r="A3"><v>1</v></c>' if form.endswith("after") else
                    b'<c r="A3" q:r="%s"><v>1</v></c>') % far
            return self._put_cell(xml, cell, row=b"3")
        if form.startswith("utf-16"):
            xml = self._put_cell(xml, cell)
            if form == "utf-16":
                xml = re.sub(rb'encoding="[^"]*"', b'encoding="UTF-16"', xml, count=1)
            else:
                xml = re.sub(rb"<\?xml[^>]*\?>\s*", b"", xml, count=1)
            return xml.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be"]))
        if form == "default namespace on row":
            return self._put_cell(xml, b'<row xmlns="urn:other" r="3">%s</row>' % cell, row=b"4")
        if form == "prefix redeclared on row":
            return self._put_cell(xml, b'<x:row xmlns:x="%s" r="3"><x:c r="%s"><x:v>1</x:v></x:c></x:row>'
                                  % (_MAIN_NS, far), row=b"4")
        if form == "nested cell":
            wrapper = rng.choice([b"x", b"extLst", b"mc:AlternateContent", b"is"])
            return self._put_cell(xml, b"<%s>%s</%s>" % (wrapper, cell, wrapper))
        if form == "comment":
            return self._put_cell(xml, b"<!-- %s -->" % cell)
        if form == "cdata":
            return self._put_cell(xml, b"<![CDATA[%s]]>" % cell)
        if form == "processing instruction":
            return self._put_cell(xml, b"<?c r=\"%s\"?>" % far)
        if form == "outside sheet data":
            end = xml.rfind(b"</sheetData>")
            return xml[: end + 12] + b'<row r="3">%s</row>' % cell + xml[end + 12 :] if end >= 0 else xml
        if form == "entity-free doctype":
            xml = self._put_cell(xml, cell)
            return re.sub(rb"(<\?xml[^>]*\?>)", rb"\1<!DOCTYPE worksheet>", xml, count=1)
        if form == "xml 1.1":
            xml = self._put_cell(xml, cell)
            return xml.replace(b'version="1.0"', b'version="1.1"', 1)
        return b"\xef\xbb\xbf" + self._put_cell(xml, cell)

    def _cells_without_reference(self, xml: bytes, far: bytes) -> bytes:
        rng = self.rng
        number = rng.choice([1, 2, 20_001, 65_536])
        count = rng.choice([199, 200, 201, 250, 1000])
        cells = b"<c><v>1</v></c>" * count
        self.note("sheet: cells without r", f"{count} in row {number}")
        return self._put_cell(xml, cells, row=b"%d" % number)

    # -- XLSX shared strings -----------------------------------------------------------------

    def shared_strings(self, parts: dict[str, bytes], names: Sequence[str]) -> dict[str, bytes]:
        rng = self.rng
        part = next((name for name in names if name.lower().endswith("sharedstrings.xml")), None)
        if part is None:
            part = "xl/sharedStrings.xml"
            parts[part] = (
                b'<?xml version="1.0"?><sst xmlns="%s" count="1" uniqueCount="1"><si><t>a</t></si></sst>'
                % (_MAIN_NS)
            )
            if part not in names:
                parts["__order__"] = b""
        xml = parts[part]
        count = rng.choice([30_000_000, 100_000_000, 4_294_967_295, 400_001, 1_000_000_000])
        trick = rng.choice(
            [
                "after padding attribute",
                "after padding comment",
                "duplicate",
                "prefixed",
                "odd number",
                "single quotes",
                "plain",
                "many strings",
            ]
        )
        self.note("shared strings", f"{trick}, {count}")
        xml = re.sub(rb"\s(?:uniqueCount|count)\s*=\s*(\"[^\"]*\"|'[^']*')", b"", xml)
        root = re.search(rb"<(?:[\w.-]+:)?sst\b", xml)
        if root is None:
            return parts
        insert = b' uniqueCount="%d"' % count
        if trick == "after padding attribute":
            insert = b' x="%s" uniqueCount="%d"' % (rng.randbytes(MiB // 2 + 4096).hex().encode(), count)
        elif trick == "after padding comment":
            padding = b"<!--%s-->" % rng.randbytes(MiB // 2 + 4096).hex().encode()
            xml = xml[: root.start()] + padding + xml[root.start() :]
            root = re.search(rb"<(?:[\w.-]+:)?sst\b", xml)
            assert root is not None
        elif trick == "duplicate":
            insert = (
                rng.choice([b' uniqueCount="1" uniqueCount="%d"', b' uniqueCount="%d" uniqueCount="1"'])
                % count
            )
        elif trick == "prefixed":
            prefix = rng.choice(_PREFIXES)
            xml = re.sub(rb"<(/?)(?:[\w.-]+:)?(sst|si|t)\b", rb"<\1" + prefix + rb":\2", xml)
            xml = xml.replace(
                b"<" + prefix + b":sst", b'<%s:sst xmlns:%s="%s"' % (prefix, prefix, _MAIN_NS), 1
            )
            root = re.search(rb"<" + re.escape(prefix) + rb":sst\b[^>]*?(?=\s|>)", xml)
            assert root is not None
        elif trick == "odd number":
            insert = b' uniqueCount="%s"' % _odd_number(rng, count)
        elif trick == "single quotes":
            insert = b" uniqueCount = '%d'" % count
        elif trick == "many strings":
            many = rng.choice([400_001, 1_000_000])
            insert = b' uniqueCount="%d"' % many
            end = xml.rfind(b"</")
            xml = xml[:end] + b"<si/>" * many + xml[end:]
        parts[part] = xml[: root.end()] + insert + xml[root.end() :]
        return parts

    # -- XLSX workbook and relationships -----------------------------------------------------------

    def add_big_part(self, parts: dict[str, bytes], names: Sequence[str]) -> dict[str, bytes]:
        """A worksheet part whose cells reach beyond the limits, and a relationship ``rIdBig`` to it."""
        rng = self.rng
        binary = any(name.lower().endswith("workbook.bin") for name in names)
        far = rng.choice(_FAR_REFERENCES)
        name = rng.choice(["xl/worksheets/sheet9", "xl/worksheets/big", "xl/Worksheets/Sheet1", "xl/sheet9"])
        if binary:
            name += ".bin"
            parts[name] = _xlsb_sheet([(0, 0), _xlsb_far(far)])
        else:
            name += ".xml"
            parts[name] = (
                b'<?xml version="1.0"?><worksheet xmlns="%s"><sheetData><row r="1"><c r="A1"><v>1</v>'
                b'</c></row><row r="%s"><c r="%s"><v>1</v></c></row></sheetData></worksheet>'
                % (_MAIN_NS, re.sub(rb"[A-Z]", b"", far), far)
            )
        rels = next(
            (n for n in names if n.lower().endswith(("workbook.xml.rels", "workbook.bin.rels"))), None
        )
        if rels is not None:
            target = name.partition("/")[2] if name.startswith("xl/") else name
            relation = b'<Relationship Id="rIdBig" Type="%s/worksheet" Target="%s"/>' % (
                _REL_NS,
                target.encode(),
            )
            parts[rels] = parts[rels].replace(b"</Relationships>", relation + b"</Relationships>")
        self.note("big part", f"{name} reaching {far.decode()}")
        if rng.random() < 0.7:
            return (
                self.workbook_sheets(parts, [*names, name])
                if not binary
                else self.workbook_relations(parts, [*names, name])
            )
        return parts

    def workbook_sheets(self, parts: dict[str, bytes], names: Sequence[str]) -> dict[str, bytes]:
        rng = self.rng
        workbook = next((name for name in names if name.lower().endswith("workbook.xml")), None)
        if workbook is None:
            return parts
        xml = parts[workbook]
        sheets = list(re.finditer(rb"<sheet\b[^>]*?/>", xml))
        if not sheets:
            return parts
        sheet = rng.choice(sheets[:1] * 2 + sheets)
        tag = sheet[0]
        other = rng.choice([b"rIdBig", b"rId1", b"rId2", b"rId3", b"rId99"])
        prefix = rng.choice([b"r", b"x", b"\xc3\xa9", b"R", b"r2"])
        namespace = rng.choice([_REL_NS, b"urn:other", _REL_NS + b"/"])
        trick = rng.choice(
            [
                "second id after",
                "second id before",
                "plain id",
                "unprefixed id",
                "ids swapped",
                "duplicate sheet",
                "sheet names",
                "three ids",
            ]
        )
        self.note(
            "workbook: sheet ids",
            f"{trick} {other.decode()} as {prefix.decode('utf-8')}: ns {namespace[-6:].decode()}",
        )
        declare = b' xmlns:%s="%s"' % (prefix, namespace) if prefix != b"r" else b""
        if trick == "second id after":
            new = tag[:-2] + b'%s %s:id="%s"/>' % (declare, prefix, other)
        elif trick == "second id before":
            new = b'<sheet%s %s:id="%s"' % (declare, prefix, other) + tag[6:]
        elif trick == "plain id":
            new = tag[:-2] + b' id="%s"/>' % other
        elif trick == "unprefixed id":
            new = re.sub(rb'\s[\w]+:id="[^"]*"', b' id="%s"' % other, tag)
        elif trick == "ids swapped":
            new = re.sub(rb'(\s[\w]+:id=")[^"]*"', rb"\g<1>" + other + b'"', tag)
        elif trick == "duplicate sheet":
            new = re.sub(rb'(\s[\w]+:id=")[^"]*"', rb"\g<1>" + other + b'"', tag) + tag
        elif trick == "sheet names":
            new = tag + re.sub(
                rb'(\s[\w]+:id=")[^"]*"',
                rb"\g<1>" + other + b'"',
                re.sub(
                    rb'name="[^"]*"',
                    rng.choice([b'name="clients"', b'name=" Clients"', b'name="Clients"']),
                    tag,
                ),
            )
        else:
            new = tag[:-2] + b'%s %s:id="%s" %s:Id="%s"/>' % (declare, prefix, other, prefix, other)
        parts[workbook] = xml[: sheet.start()] + new + xml[sheet.end() :]
        return parts

    def workbook_relations(self, parts: dict[str, bytes], names: Sequence[str]) -> dict[str, bytes]:
        rng = self.rng
        rels = next(
            (n for n in names if n.lower().endswith(("workbook.xml.rels", "workbook.bin.rels"))), None
        )
        if rels is None:
            return parts
        xml = parts[rels]
        trick = rng.choice(
            [
                "break",
                "break",
                "target forms",
                "duplicate id",
                "prefixed",
                "id case",
                "external",
                "swap targets",
            ]
        )
        relations = list(re.finditer(rb"<Relationship\b[^>]*?/>", xml))
        sheets = [match for match in relations if b"worksheet" in match[0]]
        self.note("relationships", trick)
        if trick == "break":
            how = rng.randrange(6)
            self.note("relationships: broken", str(how))
            if how == 0:
                parts[rels] = xml[: len(xml) // 2]
            elif how == 1:
                parts[rels] = b'<!DOCTYPE x [<!ENTITY e "y">]>' + xml
            elif how == 2:
                parts[rels] = xml.replace(b"<Relationships", b"<Relationships a='1' a='2'", 1)
            elif how == 3:
                parts[rels] = b'<?xml version="1.0" encoding="x-unknown"?>' + xml.partition(b"?>")[2]
            elif how == 4:
                parts[rels] = xml.replace(b"</Relationships>", b"<Relationship Id=rIdX/></Relationships>")
            else:
                parts[rels] = xml + b"<trailing/>"
            if rng.random() < 0.7:  # the first sheet's usual part reaches far
                first = next(
                    (name for name in self._sheet_parts(names, ".xml") + self._sheet_parts(names, ".bin")),
                    None,
                )
                if first is not None and first.endswith(".xml"):
                    far = rng.choice(_FAR_REFERENCES)
                    parts[first] = self._put_cell(parts[first], self._new_cell(far))
                    self.note("relationships: broken, far cell in", f"{first} {far.decode()}")
            return parts
        if not sheets:
            return parts
        chosen = rng.choice(sheets)
        tag = chosen[0]
        if trick == "target forms":
            big = next((n for n in names if "big" in n or "sheet9" in n or n.endswith("Sheet1.xml")), None)
            base = (
                big.partition("/")[2] if big and big.startswith("xl/") else (big or "worksheets/sheet2.xml")
            )
            target = rng.choice(
                [
                    b"/xl/" + base.encode(),
                    b"./" + base.encode(),
                    base.encode().replace(b"/", b"//"),
                    base.encode().replace(b"/", b"\\"),
                    base.encode().upper(),
                    b"../xl/" + base.encode(),
                    b"xl/" + base.encode(),
                    base.encode() + b"#x",
                    base.encode().replace(b"t", b"%74", 1),
                    b"/" + base.encode(),
                    b" " + base.encode(),
                ]
            )
            new = re.sub(rb'Target="[^"]*"', lambda _: b'Target="' + target + b'"', tag)
            self.note("relationships: target", target.decode("latin-1"))
        elif trick == "duplicate id":
            big = re.sub(rb'Target="[^"]*"', rb'Target="worksheets/sheet9.xml"', tag)
            if not any(name.endswith("sheet9.xml") for name in names):
                parts["xl/worksheets/sheet9.xml"] = (
                    b'<worksheet xmlns="%s"><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
                    b'<row r="65536"><c r="IV65536"><v>1</v></c></row></sheetData></worksheet>' % _MAIN_NS
                )
            new = rng.choice([tag + big, big + tag])
        elif trick == "prefixed":
            prefix = rng.choice(_PREFIXES)
            new = tag.replace(
                b"<Relationship",
                b'<%s:Relationship xmlns:%s="http://schemas.openxmlformats.org/'
                b'package/2006/relationships"' % (prefix, prefix),
                1,
            )
        elif trick == "id case":
            new = tag.replace(b"Id=", rng.choice([b"ID=", b"id=", b"x:Id=", b"Id =", b"Id='x' Id="]), 1)
        elif trick == "external":
            new = tag[:-2] + b' TargetMode="External"/>'
        else:
            targets = [re.search(rb'Target="([^"]*)"', match[0]) for match in sheets]
            values = [match[1] for match in targets if match]
            rng.shuffle(values)
            swapped = values[0] if values else b"x"
            new = re.sub(rb'Target="[^"]*"', lambda _: b'Target="' + swapped + b'"', tag)
        parts[rels] = xml[: chosen.start()] + new + xml[chosen.end() :]
        return parts

    def default_path_decoy(self, parts: dict[str, bytes], names: Sequence[str]) -> dict[str, bytes]:
        """The first sheet's cells move to another part, named by its relationship; the part at the
        usual path reaches far. Then the relationships (or the workbook) are written in a form one
        XML reader may take and the other refuse, falling back to the usual path."""
        rng = self.rng
        sheets = self._sheet_parts(names)
        rels = next((n for n in names if n.lower().endswith("workbook.xml.rels")), None)
        workbook = next((n for n in names if n.lower().endswith("workbook.xml")), None)
        if not sheets or rels is None:
            return parts
        first = next((name for name in sheets if name.endswith("sheet1.xml")), sheets[0])
        base = first.rpartition("/")[2].encode()
        parts["xl/worksheets/moved.xml"] = parts[first]
        far = rng.choice(_FAR_REFERENCES)
        parts[first] = self._put_cell(parts[first], self._new_cell(far))
        parts[rels] = parts[rels].replace(b"/" + base + b'"', b'/moved.xml"')
        part = rels if workbook is None or rng.random() < 0.7 else workbook
        xml = parts[part]
        trick = rng.choice(["utf-16", "utf-16 without declaration", "utf-8 bom", "xml 1.1", "single quotes",
                            "character references", "comment first", "processing instruction",
                            "prefixed", "spaced attributes", "no declaration", "latin-1", "no namespace",
                            "entity in target", "nothing"])
        self.note("default path decoy", f"{part}: {trick}, {first} reaching {far.decode()}")
        if trick == "utf-16":
            xml = xml.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode("utf-8").encode("utf-16")
        elif trick == "utf-16 without declaration":
            xml = re.sub(rb"<\?xml[^>]*\?>", b"", xml).decode("utf-8").encode("utf-16")
        elif trick == "utf-8 bom":
            xml = b"\xef\xbb\xbf" + xml
        elif trick == "xml 1.1":
            xml = re.sub(rb'version="1.0"', b'version="1.1"', xml, count=1)
        elif trick == "single quotes":
            xml = re.sub(rb'="([^"]*)"', rb"='\1'", xml)
        elif trick == "character references":
            xml = xml.replace(b"moved.xml", b"&#109;oved.xml").replace(b'r:id="rId', b'r:id="&#114;Id')
        elif trick == "comment first":
            xml = re.sub(rb"(<\?xml[^>]*\?>)?", lambda m: (m[0] or b"") + b"<!-- x -->", xml, count=1)
        elif trick == "processing instruction":
            xml = re.sub(rb"(<\?xml[^>]*\?>)?", lambda m: (m[0] or b"") + b"<?x y?>", xml, count=1)
        elif trick == "prefixed":
            prefix = rng.choice(_PREFIXES)
            xml = re.sub(rb"<(/?)(Relationships?|workbook|sheets|sheet)\b", rb"<\1" + prefix + rb":\2", xml)
            xml = re.sub(rb'\sxmlns="([^"]*)"', rb' xmlns:' + prefix + rb'="\1"', xml, count=1)
        elif trick == "spaced attributes":
            xml = re.sub(rb'(\s[\w:]+)="', rb'\1 =\n"', xml)
        elif trick == "no declaration":
            xml = re.sub(rb"<\?xml[^>]*\?>\s*", b"", xml)
        elif trick == "latin-1":
            xml = re.sub(rb'encoding="[^"]*"', b'encoding="ISO-8859-1"', xml)
            xml = xml.replace(b"moved.xml", b"moved\xe9.xml")
            parts["xl/worksheets/moved\u00e9.xml"] = parts.pop("xl/worksheets/moved.xml")
        elif trick == "no namespace":
            xml = re.sub(rb'\sxmlns="[^"]*"', b"", xml, count=1)
        elif trick == "entity in target":
            xml = xml.replace(b"moved.xml", b"moved.xml&amp;")
        parts[part] = xml
        return parts

    def rename_part(self, parts: dict[str, bytes], names: Sequence[str]) -> dict[str, bytes]:
        """Swap a worksheet part's content with a far-reaching one under names readers may match loosely."""
        rng = self.rng
        sheets = self._sheet_parts(names)
        if not sheets:
            return parts
        first = sheets[0]
        far = rng.choice(_FAR_REFERENCES)
        variant = rng.choice(
            [
                first.upper(),
                first.replace("sheet", "Sheet"),
                first.replace("xl/", "XL/"),
                "/" + first,
                first.replace("/", "\\"),
                first + " ",
            ]
        )
        big = self._put_cell(parts[first], self._new_cell(far))
        if rng.random() < 0.5:
            parts[variant] = big
        else:
            parts[variant] = parts[first]
            parts[first] = big
        self.note("part names", f"{variant!r} beside {first!r}, {far.decode()}")
        return parts

    # -- XLSB --------------------------------------------------------------------------------------

    def xlsb_sheet(self, parts: dict[str, bytes], names: Sequence[str]) -> dict[str, bytes]:
        rng = self.rng
        sheets = self._sheet_parts(names, ".bin")
        if not sheets:
            return parts
        part = rng.choice(sheets[:1] * 2 + sheets)
        try:
            records = _xlsb_records(parts[part])
        except IndexError:
            return parts
        far = rng.choice(_FAR_REFERENCES)
        row, column = _xlsb_far(far)
        trick = rng.choice(
            [
                "row header",
                "cell column",
                "dimension",
                "new cell",
                "short record",
                "long varint",
                "duplicate sheet data",
            ]
        )
        self.note("xlsb", f"{trick} {far.decode()}")
        rows = [index for index, (kind, _) in enumerate(records) if kind == 0]
        cells = [index for index, (kind, _) in enumerate(records) if 2 <= kind <= 11]
        if trick == "row header" and rows:
            index = rng.choice(rows)
            kind, body = records[index]
            records[index] = (kind, struct.pack("<I", row) + body[4:])
        elif trick == "cell column" and cells:
            index = rng.choice(cells)
            kind, body = records[index]
            records[index] = (kind, struct.pack("<I", column) + body[4:])
        elif trick == "dimension":
            for index, (kind, _) in enumerate(records):
                if kind == 148:
                    records[index] = (kind, struct.pack("<IIII", 0, row, 0, column))
        elif trick == "new cell" or not cells:
            end = next((index for index, (kind, _) in enumerate(records) if kind == 146), len(records))
            records[end:end] = [
                (0, struct.pack("<I", row) + bytes(13)),
                (2, struct.pack("<III", column, 0, 2)),
            ]
        elif trick == "short record":
            index = rng.choice(cells)
            records[index] = (records[index][0], records[index][1][: rng.choice([0, 1, 3])])
            if rows:
                first = rows[0]
                records[first] = (0, struct.pack("<I", column) + records[first][1][4:])
        elif trick == "long varint":
            return _set(parts, part, _xlsb_bytes(records, long_varints=True))
        else:
            begin = next((index for index, (kind, _) in enumerate(records) if kind == 145), None)
            if begin is not None:
                records[begin:begin] = [
                    (145, b""),
                    (0, struct.pack("<I", row) + bytes(13)),
                    (2, struct.pack("<III", column, 0, 2)),
                    (146, b""),
                ]
        parts[part] = _xlsb_bytes(records)
        return parts

    # -- ODS -----------------------------------------------------------------------------------------

    def ods_content(self, parts: dict[str, bytes], names: Sequence[str]) -> dict[str, bytes]:
        rng = self.rng
        if "content.xml" not in parts:
            return parts
        xml = parts["content.xml"]
        big = rng.choice([20_003, 30_000, 201, 250, 1_000_000, 999_999_999, 65_536, 16_384, 1_048_576])
        written = _odd_number(rng, big) if rng.random() < 0.8 else b"%d" % big
        target = rng.choice(["cell", "row", "column", "covered", "both"])
        prefix = rng.choice([b"table", b"table", b"table", b"t", b"\xc3\xa9", b"TABLE"])
        self.note("ods: repeat", f"{target} {written.decode('latin-1')} prefix {prefix.decode('utf-8')}")
        valued = b'office:value-type="float" office:value="1"'
        if prefix != b"table":
            root = re.search(rb"<office:document-content\b", xml)
            if root is not None:
                xml = xml[: root.end()] + b' xmlns:%s="%s"' % (prefix, _TABLE_NS) + xml[root.end() :]
        cell_repeat = b"%s:number-columns-repeated" % prefix
        row_repeat = b"%s:number-rows-repeated" % prefix
        if target == "cell":
            new = b'<table:table-row><%s:table-cell %s="%s" %s/><table:table-cell %s/></table:table-row>' % (
                prefix,
                cell_repeat,
                written,
                valued,
                valued,
            )
        elif target == "row":
            new = b'<%s:table-row %s="%s"><table:table-cell %s/></%s:table-row>' % (
                prefix,
                row_repeat,
                written,
                valued,
                prefix,
            )
        elif target == "covered":
            new = (
                b'<table:table-row><%s:covered-table-cell %s="%s" %s/><table:table-cell %s/>'
                b"</table:table-row>"
                % (prefix, cell_repeat, written, valued, valued)
            )
        elif target == "column":
            new = b'<%s:table-column %s="%s"/>' % (prefix, cell_repeat, written)
        else:
            new = (
                b'<table:table-row %s="%s"><table:table-cell %s="%s" %s/><table:table-cell %s/>'
                b"</table:table-row>"
                % (row_repeat, written, cell_repeat, _odd_number(rng, big), valued, valued)
            )
        if target == "column":
            at = xml.find(b"<table:table-row")
        else:
            at = xml.rfind(b"</table:table>")
            if rng.random() < 0.3:
                at = xml.find(b"<table:table-row")
        if at < 0:
            return parts
        parts["content.xml"] = xml[:at] + new + xml[at:]
        return parts

    # -- XLS -------------------------------------------------------------------------------------------

    def xls(self, data: bytes) -> bytes:
        rng = self.rng
        streams = _xls_streams()
        if not streams:
            return data
        small, big = streams["small"], streams["big"]
        try:
            from upflow_import.readers.reach_xls import workbook_stream  # noqa: PLC0415

            small = workbook_stream(data)
        except Exception:
            pass
        trick = rng.choice(["names", "names", "two streams", "size lie", "records"])
        if trick == "records":
            return compound_file([("Workbook", self._biff_records(small))])
        if trick == "names":
            name = rng.choice(_XLS_NAMES)
            self.note("xls: stream name", repr(name))
            return compound_file([(name, big if rng.random() < 0.5 else small)])
        if trick == "size lie":
            declared = rng.choice([4095, 4096, len(big) // 2, len(big) + 4096, 2**32 - 1, 0])
            self.note("xls: declared size", str(declared))
            return compound_file([("Workbook", big)], declared=[declared])
        first, second = rng.sample(_XLS_NAMES[:7], 2) if rng.random() < 0.7 else ("Workbook", "Workbook")
        order = [(first, small), (second, big)]
        if rng.random() < 0.5:
            order.reverse()
        if rng.random() < 0.3:
            order.append(("Book", rng.choice([small, big])))
        self.note(
            "xls: two workbook streams",
            ", ".join(f"{name!r}={'big' if body is big else 'small'}" for name, body in order),
        )
        return compound_file(order)

    def _biff_records(self, stream: bytes) -> bytes:
        rng = self.rng
        records = []
        position = 0
        while position + 4 <= len(stream):
            kind, length = struct.unpack_from("<HH", stream, position)
            records.append([kind, stream[position + 4 : position + 4 + length]])
            position += 4 + length
        dimensions = [record for record in records if record[0] == 0x0200]
        cells = [record for record in records if record[0] in (0x00FD, 0x0203, 0x027E, 0x0204, 0x0201)]
        row_records = [record for record in records if record[0] == 0x0208]
        trick = rng.choice(["dimensions", "row record", "cell", "cell", "biff5 dimensions"])
        self.note("xls: record", trick)
        if trick.endswith("dimensions") and dimensions:
            record = rng.choice(dimensions)
            if trick == "dimensions":
                record[1] = struct.pack(
                    "<IIHHH",
                    0,
                    rng.choice([65536, 1_048_576, 0xFFFFFFFF, 20_003]),
                    0,
                    rng.choice([256, 201, 0xFFFF]),
                    0,
                ) + (b"\x00" * rng.choice([0, 2]))
            else:
                record[1] = struct.pack(
                    "<HHHHH", 0, rng.choice([65535, 20_003]), 0, rng.choice([256, 201]), 0
                )
        elif trick == "row record" and row_records:
            record = rng.choice(row_records)
            record[1] = (
                struct.pack("<HHH", rng.choice([20_003, 65535]), 0, rng.choice([201, 256])) + record[1][6:]
            )
        elif cells:
            record = rng.choice(cells)
            record[1] = (
                struct.pack("<HH", rng.choice([20_003, 65535, 0]), rng.choice([201, 255, 0])) + record[1][4:]
            )
        return b"".join(struct.pack("<HH", kind, len(body)) + body for kind, body in records)


# --------------------------------------------------------------------------------------------
# Zip and XLSB helpers


def _unzip(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _zip(entries: Sequence[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            if name == "mimetype":
                archive.writestr(zipfile.ZipInfo(name), content)
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


def _order(names: Sequence[str], parts: dict[str, bytes]) -> list[str]:
    parts.pop("__order__", None)
    return [name for name in names if name in parts] + [name for name in parts if name not in names]


def _set(parts: dict[str, bytes], name: str, content: bytes) -> dict[str, bytes]:
    parts[name] = content
    return parts


def _xlsb_far(reference: bytes) -> tuple[int, int]:
    match = re.fullmatch(rb"([A-Z]+)(\d+)", reference)
    assert match is not None
    column = 0
    for letter in match[1]:
        column = column * 26 + letter - 64
    return int(match[2]) - 1, column - 1


def _xlsb_records(data: bytes) -> list[tuple[int, bytes]]:
    # The records are split as the guard splits them.
    from upflow_import.readers.reach_xlsb import _records  # noqa: PLC0415

    return _records(data)


def _varint(value: int, *, long: bool = False) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value or (long and len(out) == 0):
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _xlsb_bytes(records: Sequence[tuple[int, bytes]], *, long_varints: bool = False) -> bytes:
    return b"".join(
        _varint(kind, long=long_varints and kind < 0x80) + _varint(len(body), long=long_varints) + body
        for kind, body in records
    )


def _xlsb_sheet(cells: Sequence[tuple[int, int]]) -> bytes:
    """A minimal XLSB worksheet stream with a number at each (row, column)."""
    records: list[tuple[int, bytes]] = [(0x81, b""), (148, struct.pack("<IIII", 0, 0, 0, 0)), (145, b"")]
    for row, column in cells:
        records.append((0, struct.pack("<I", row) + bytes(13)))
        records.append((2, struct.pack("<III", column, 0, 2)))
    records += [(146, b""), (0x82, b"")]
    return _xlsb_bytes(records)


# --------------------------------------------------------------------------------------------
# The run


class Results:
    def __init__(self, findings: Path, quiet: bool) -> None:
        self.findings = findings
        self.quiet = quiet
        self.executions = 0
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.mutations: collections.Counter[str] = collections.Counter()
        self.found: list[dict[str, Any]] = []
        self.kinds: collections.Counter[str] = collections.Counter()
        #: Inputs for which the guard's rectangles were recorded (none: that criterion is off).
        self.rectangles_recorded = 0
        self.started = time.monotonic()
        self.last_print = self.started

    def count(self, outcome: str, log: Sequence[str]) -> None:
        self.executions += 1
        self.outcomes[outcome] += 1
        for entry in log:
            self.mutations[
                entry.partition(":")[0]
                if not entry.startswith("sheet")
                else entry.partition(":")[2].partition(":")[0].strip() or entry
            ] += 1
        now = time.monotonic()
        if not self.quiet and now - self.last_print > 30:
            self.last_print = now
            print(
                f"[{now - self.started:6.0f} s] {self.executions} executions "
                f"({self.executions / (now - self.started):.1f}/s), {len(self.found)} findings",
                flush=True,
            )

    def finding(self, kind: str, data: bytes, note: dict[str, Any]) -> None:
        self.findings.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(data).hexdigest()[:12]
        extension = {"PK": ".zip", "\xd0\xcf": ".xls"}.get(data[:2].decode("latin-1"), ".bin")
        if extension == ".zip":
            extension = ".ods" if b"content.xml" in data else ".xlsb" if b"workbook.bin" in data else ".xlsx"
        path = self.findings / f"differential-{kind}-{digest}{extension}"
        path.write_bytes(data)
        record = {
            "kind": kind,
            "file": path.name,
            "bytes": len(data),
            "elapsed": round(time.monotonic() - self.started, 1),
            **note,
        }
        path.with_suffix(path.suffix + ".json").write_text(json.dumps(record, indent=2, default=str) + "\n")
        self.found.append(record)
        self.kinds[kind] += 1
        if not self.quiet:
            print(
                f"FINDING {kind} after {record['elapsed']} s: {path.name}: {note.get('reason')}", flush=True
            )

    def summary(self) -> dict[str, Any]:
        seconds = time.monotonic() - self.started
        return {
            "engine": "differential",
            "executions": self.executions,
            "seconds": round(seconds, 1),
            "per_second": round(self.executions / max(seconds, 1e-9), 1),
            "rectangles_recorded": self.rectangles_recorded,
            "findings": [
                {key: record[key] for key in ("kind", "file", "reason", "elapsed")} for record in self.found
            ],
            "outcomes": dict(self.outcomes.most_common()),
            "mutations": dict(self.mutations.most_common()),
        }


def _note(session: Session | None, ended: dict[str, Any]) -> dict[str, Any]:
    if session is None:
        return dict(ended)
    return {
        **ended,
        "guard_rectangles": session.reaches,
        "calamine_open": session.opened,
        "calamine_sheet": session.read,
    }


def fuzz(args: argparse.Namespace, results: Results) -> None:
    warnings.simplefilter("ignore")
    install_proxy()
    limits = diff_limits()
    seeds = diff_seeds(args.corpus)
    mutator = DiffMutator(random.Random(args.seed), seeds)
    worker = Worker(args.timeout)
    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None
    per_class: dict[str, int] = collections.Counter()
    try:
        while (args.executions is None or results.executions < args.executions) and (
            deadline is None or time.monotonic() < deadline
        ):
            data, seed, log = mutator.input()
            session, ended = run_guard(data, worker, limits)
            verdict = judge(session, ended, limits)
            if session is not None and session.reaches:
                results.rectangles_recorded += 1
            results.count(ended["outcome"] if verdict is None else f"finding {verdict[0]}", log)
            if verdict is None:
                continue
            kind, reason = verdict
            # At most a few saved per mutation and verdict: one class found a thousand times is one class.
            key = f"{kind} {log[0].partition(':')[0] if log else ''}"
            per_class[key] += 1
            if per_class[key] > args.keep:
                results.outcomes[f"finding {kind} (not saved: already {args.keep} of {key!r})"] += 1
                continue
            results.finding(
                kind,
                data,
                {
                    "reason": reason,
                    "seed": seed,
                    "mutations": log,
                    "random_seed": args.seed,
                    "execution": results.executions,
                    **_note(session, ended),
                },
            )
    finally:
        worker.stop()


def reproduce(path: Path, args: argparse.Namespace) -> int:
    warnings.simplefilter("ignore")
    install_proxy()
    limits = diff_limits()
    worker = Worker(args.timeout)
    try:
        session, ended = run_guard(path.read_bytes(), worker, limits)
    finally:
        worker.stop()
    verdict = judge(session, ended, limits)
    print(json.dumps({"verdict": verdict, **_note(session, ended)}, indent=2, default=str))
    return 1 if verdict else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        worker_main()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, help="run this long (default 10 without --executions)")
    parser.add_argument("--executions", type=int, help="stop after this many inputs")
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        default=[],
        help="a folder of workbooks to use as seeds too (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--findings", type=Path, default=HERE / "findings")
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="seconds per call to calamine (plus per MiB)"
    )
    parser.add_argument("--keep", type=int, default=5, help="findings saved per verdict and mutation")
    parser.add_argument("--reproduce", type=Path, help="run this one file and print what happens")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.reproduce is not None:
        return reproduce(args.reproduce, args)
    if args.minutes is None and args.executions is None:
        args.minutes = 10
    results = Results(args.findings, args.quiet)
    fuzz(args, results)
    print(json.dumps(results.summary()), flush=True)
    return 1 if results.found else 0


if __name__ == "__main__":
    raise SystemExit(main())
