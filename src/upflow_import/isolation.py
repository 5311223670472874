"""Opt-in isolation: read the file in a child process with memory and CPU caps.

``read_table(..., isolate=True)`` and ``import_file(..., isolate=True)`` (or
``isolate=Isolation(memory_bytes=…, cpu_seconds=…)``) hand the file's bytes
to a new Python process, which reads the table with the same code and
returns it; the caller's process never runs the native reader on that file.
The checks before calamine and the :class:`~upflow_import.Limits` keep every
known hostile file bounded; isolation is for what nobody knows yet: should a
bug in the native reader abort, crash or allocate without bound, the child
dies, not the caller, and the caller gets an
:class:`~upflow_import.UpflowImportError`:

- the child ran out of its memory cap (an allocation failure, a
  ``MemoryError``, or the kernel killing it): ``file.too_large`` (limit
  ``memory_bytes``);
- it used up its CPU time (``SIGXCPU``) or did not answer within
  ``2 × cpu_seconds + 5`` seconds of wall time: ``file.too_large`` (limit
  ``cpu_seconds``);
- it crashed any other way (``SIGSEGV``, ``SIGABRT``, an unexpected
  exception): ``file.corrupt``.

How: :mod:`subprocess` starts ``sys.executable`` with the caller's
``sys.path``; the child sets ``RLIMIT_AS`` and ``RLIMIT_CPU`` (and no core
dumps) on itself before it reads a byte of the file, reads the options and
the bytes on its standard input, and writes the table as one JSON document
on its standard output: headers, the rows' numbers, their cells in one flat
list of text or null (JSON decodes a flat list fastest), issues as plain
values. Nothing is unpickled: the parent only parses JSON
and checks its shape and types before building the
:class:`~upflow_import.Table`. The source itself is loaded by the caller's
process, bounded by ``Limits.max_bytes`` as usual.

This is containment of crashes and resource exhaustion, not a sandbox: the
child runs as the same user with the same file-system access. Every row is
read in the child before ``read_table`` returns, so CSV errors that a normal
read raises while iterating the rows (``max_rows``, ``max_cell_chars``) are
raised by ``read_table`` itself. Only reading is isolated; mapping, parsing
and planning run in the caller's process (pure Python, bounded by the
limits). POSIX only (``resource``).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from upflow_import import errors
from upflow_import.errors import FileTooLargeError, UnreadableFileError, UpflowImportError
from upflow_import.issues import CATALOGUE, Issue, Severity, Text
from upflow_import.limits import Limits
from upflow_import.table import Format, Row, Table

if TYPE_CHECKING:
    from upflow_import.readers.source import Source

__all__ = ["Isolation", "read_isolated"]

GiB = 1024 * 1024 * 1024

_FORMATS = ("csv", "xlsx", "xls", "xlsb", "ods")
_ERRORS: dict[str, type[UpflowImportError]] = {
    cls.__name__: cls for cls in (errors.UpflowImportError, errors.UnreadableFileError,
                                  errors.FileTooLargeError, errors.MappingError, errors.StoreError)}
# The child's program. Only the readers are needed there: the package's __init__ (which imports
# the whole library, a third of a second) is replaced by an empty package of the same path.
_BOOT = """
import importlib.util, json, sys, types
sys.path[:] = json.loads(sys.argv[1])
spec = importlib.util.find_spec("upflow_import")
package = types.ModuleType("upflow_import")
package.__path__ = list(spec.submodule_search_locations)
package.__spec__ = spec
sys.modules["upflow_import"] = package
from upflow_import.isolation import _child_main
_child_main(int(sys.argv[2]), int(sys.argv[3]))
"""
_ALLOCATION_FAILED = "memory allocation of"  # what Rust prints before aborting on a failed allocation


@attrs.frozen
class Isolation:
    """Caps of the child process that reads a file when isolation is asked for.

    ``memory_bytes`` caps the child's address space (``RLIMIT_AS``: the
    interpreter, the native reader and the table together). Measured need:
    under 384 MiB for 100,000 rows of 19 columns, CSV or XLSX, 1.5 GiB for
    500,000; the default leaves room for about a million such rows, and the
    largest sheets the default :class:`~upflow_import.Limits` let through
    (30 million cells) need more. ``cpu_seconds`` caps its CPU time
    (``RLIMIT_CPU``); the wall-clock bound is twice that plus five seconds.
    """

    memory_bytes: int = 4 * GiB
    cpu_seconds: int = 300

    def __attrs_post_init__(self) -> None:
        if self.memory_bytes < 64 * 1024 * 1024:
            raise ValueError("Isolation.memory_bytes must be at least 64 MiB")
        if self.cpu_seconds < 1:
            raise ValueError("Isolation.cpu_seconds must be a positive integer")

    @property
    def wall_seconds(self) -> float:
        """How long the caller waits for the child before killing it."""
        return 2 * self.cpu_seconds + 5


def read_isolated(loaded: Source, *, sheet: str | None, encoding: str | None, delimiter: str | None,
                  limits: Limits, isolation: Isolation, header_row: int | None = None) -> Table:
    """Read ``loaded`` into a table in a child process capped by ``isolation``."""
    if importlib.util.find_spec("resource") is None:
        raise NotImplementedError("isolate= needs a POSIX system (the resource module)")
    options = {"name": loaded.name, "sheet": sheet, "encoding": encoding, "delimiter": delimiter,
               "header_row": header_row, "limits": attrs.asdict(limits)}
    command = [sys.executable, "-I", "-c", _BOOT, json.dumps(sys.path), str(isolation.memory_bytes),
               str(isolation.cpu_seconds)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        output, stderr = process.communicate(json.dumps(options).encode() + b"\n" + loaded.data,
                                             timeout=isolation.wall_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise FileTooLargeError.of("file.too_large", limit="cpu_seconds", actual="no answer",
                                   maximum=f"{isolation.wall_seconds:.0f} s of wall time") from None
    except BaseException:  # KeyboardInterrupt, a signal's exception…: the child must not linger
        process.kill()
        process.wait()
        raise
    status = process.returncode
    if status != 0:
        raise _death(status, stderr.decode("utf-8", "replace"), isolation)
    try:
        document = json.loads(output)
        return _answer(document)
    except UpflowImportError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise UnreadableFileError.of("file.corrupt", detail=f"the isolated reader's answer is malformed: "
                                     f"{type(error).__name__}") from None


def _death(status: int, stderr: str, isolation: Isolation) -> UpflowImportError:
    """The error for a child that ended with ``status`` (negative: killed by that signal)."""
    name = _signal_name(-status) if status < 0 else f"exit status {status}"
    if _ALLOCATION_FAILED in stderr or "MemoryError" in stderr or status == -signal.SIGKILL:
        # SIGKILL: the kernel's out-of-memory killer (the CPU cap sends SIGXCPU first).
        return FileTooLargeError.of("file.too_large", limit="memory_bytes", actual=f"more, {name}",
                                    maximum=f"{isolation.memory_bytes // 1024 // 1024} MiB")
    if status == -signal.SIGXCPU:
        return FileTooLargeError.of("file.too_large", limit="cpu_seconds", actual=f"more, {name}",
                                    maximum=f"{isolation.cpu_seconds} s")
    return UnreadableFileError.of("file.corrupt", detail=f"the reader crashed: {name}")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# --------------------------------------------------------------------------------------------
# The parent's side: a JSON document back to a table or an error.


def _answer(document: dict[str, Any]) -> Table:
    if "error" in document:
        error = document["error"]
        cls = _ERRORS.get(error["class"], UpflowImportError)
        raise cls(_issue(error["issue"]))
    table = document["table"]
    headers = tuple(table["headers"])
    numbers = table["numbers"]
    cells = table["cells"]
    width = len(headers)
    if (type(numbers) is not list or type(cells) is not list or len(cells) != width * len(numbers)
            or not set(map(type, headers)) <= {str} or not set(map(type, numbers)) <= {int}
            or not set(map(type, cells)) <= {str, type(None)}):
        raise TypeError("table")
    starts = range(0, len(cells), width) if width else [0] * len(numbers)
    rows = [Row(number, tuple(cells[start:start + width]))
            for number, start in zip(numbers, starts, strict=True)]
    table_format = table["format"]
    if table_format not in _FORMATS:
        raise ValueError("format")
    format_: Format = table_format
    return Table(format=format_, headers=headers, rows=rows, encoding=_text(table["encoding"]),
                 delimiter=_text(table["delimiter"]), sheet=_text(table["sheet"]),
                 issues=[_issue(issue) for issue in table["issues"]], name=_text(table["name"]))


def _text(value: object) -> str | None:
    if value is not None and type(value) is not str:
        raise TypeError("text")
    return value


def _issue(data: dict[str, Any]) -> Issue:
    code = data["code"]
    if code not in CATALOGUE:
        raise ValueError("code")
    number = data["row"]
    if number is not None and type(number) is not int:
        raise TypeError("row")
    params = tuple((str(key), _param_in(value)) for key, value in data["params"])
    hint = data["hint"]
    return Issue(code, Severity(data["severity"]), number, _text(data["column"]), _text(data["field"]),
                 _text(data["value"]), params, None if hint is None else Text(str(hint[0]), str(hint[1])))


def _param_in(value: object) -> object:
    if isinstance(value, dict):
        return Text(str(value["en"]), str(value["fr"]))
    if value is None or type(value) in (str, int, float, bool):
        return value
    raise TypeError("param")


# --------------------------------------------------------------------------------------------
# The child's side.


def _child_main(memory_bytes: int, cpu_seconds: int) -> None:
    """Cap this process, read the options and the file on stdin, write the JSON answer on stdout."""
    import resource  # noqa: PLC0415 - POSIX only, and only needed here

    from upflow_import.readers import read_loaded  # noqa: PLC0415 - the readers import this module
    from upflow_import.readers.source import Source  # noqa: PLC0415

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything printed on stdout by the native code goes to stderr, not into the answer
    stdin = sys.stdin.buffer
    options = json.loads(stdin.readline())
    data = stdin.read()
    try:
        table = read_loaded(Source(data, options["name"]), sheet=options["sheet"],
                            encoding=options["encoding"], delimiter=options["delimiter"],
                            limits=Limits(**options["limits"]), header_row=options["header_row"])
        del data
        rows = list(table.rows)
        document: dict[str, object] = {"table": {
            "format": table.format, "encoding": table.encoding, "delimiter": table.delimiter,
            "sheet": table.sheet, "name": table.name, "headers": table.headers,
            "numbers": [row.number for row in rows],
            "cells": list(itertools.chain.from_iterable(row.values for row in rows)),
            "issues": [_issue_out(issue) for issue in table.issues]}}
        del rows
    except UpflowImportError as error:
        document = {"error": {"class": type(error).__name__, "issue": _issue_out(error.issue)}}
    except MemoryError:
        sys.stderr.write("MemoryError\n")
        sys.stderr.flush()
        os._exit(3)
    except Exception as error:  # a bug of the reader: the caller gets file.corrupt
        detail = f"{type(error).__name__}: {error}"[:200]
        issue = Issue.make("file.corrupt", detail=detail)
        document = {"error": {"class": "UnreadableFileError", "issue": _issue_out(issue)}}
    # ASCII escapes keep any character (a lone surrogate included) intact through the pipe.
    answers.write(json.dumps(document, separators=(",", ":")))
    answers.flush()


def _issue_out(issue: Issue) -> dict[str, object]:
    hint = issue.custom_hint
    return {"code": issue.code, "severity": issue.severity.value, "row": issue.row, "column": issue.column,
            "field": issue.field, "value": issue.value,
            "params": [[key, _param_out(value)] for key, value in issue.params],
            "hint": None if hint is None else [hint.en, hint.fr]}


def _param_out(value: object) -> object:
    if isinstance(value, Text):
        return {"en": value.en, "fr": value.fr}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Sequence):
        return ", ".join(map(str, value))
    return str(value)
