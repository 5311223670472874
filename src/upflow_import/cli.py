"""The ``upflow-import`` command line: the import pipeline against the embedded SQLite store.

Commands (DESIGN §9): ``check``, ``plan``, ``apply``, ``template``,
``export``, and ``account-managers`` / ``dunning-plans`` to register the
reference data the import checks. Exit status: 0 no error, 1 the import
reported errors, 2 the file or the command line could not be used.

The human output is rendered from the report's JSON document
(``report.to_dict()``), the same one ``--json`` prints.
"""

from __future__ import annotations

import argparse
import codecs
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, get_args

from email_validator import EmailNotValidError, validate_email

from upflow_import import __version__
from upflow_import._render import (
    Mode,
    ProgressBar,
    render_error,
    render_export,
    render_report,
    say,
    skipped_outcome,
)
from upflow_import._sheets import require_xlsxwriter, sheet_format
from upflow_import.api import import_file
from upflow_import.errors import UnreadableFileError, UpflowImportError
from upflow_import.exports import write_failed_rows
from upflow_import.lang import LANGS, Lang
from upflow_import.mapping import ColumnMapping
from upflow_import.memory import InMemoryRepository
from upflow_import.report import ImportReport
from upflow_import.repository import Repository
from upflow_import.sqlite import SqliteRepository
from upflow_import.table import FileFormat
from upflow_import.templates import template_headers, write_template

__all__ = ["main"]

EXIT_OK = 0
EXIT_IMPORT_ERRORS = 1
EXIT_UNUSABLE = 2

DEFAULT_DB = "upflow.db"

_DELIMITER_NAMES = {"semicolon": ";", "comma": ",", "pipe": "|", "tab": "\t", "\\t": "\t"}

#: The FILE argument that reads the file from standard input.
STDIN = "-"

_FORMATS = ", ".join(name.upper() for name in get_args(FileFormat))

_EPILOG = f"""\
formats: {_FORMATS}, recognised from the content, whatever the name;
  CSV in any encoding and with ; , | or tab as the separator.

exit status:
  0    no error
  1    the import reported errors (the rows concerned were not imported)
  2    the file, the store or the command line could not be used
  130  interrupted

examples:
  upflow-import check clients.xlsx --lang fr
  upflow-import apply clients.csv --db crm.db --failed-rows rejected.csv

Each command has its own options: upflow-import COMMAND --help.
"""


class _Stop(Exception):
    """The command cannot go on: the file, an option or the store is unusable (exit 2)."""

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint


# -- parser -------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=LANGS, default="en",
                        help="language of messages and labels (default: en)")
    common.add_argument("-v", "--verbose", action="store_true",
                        help="log each stage, its duration and the store calls on stderr")
    json_option = argparse.ArgumentParser(add_help=False)
    json_option.add_argument("--json", action="store_true",
                             help="print only the JSON document on stdout")
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", default=DEFAULT_DB, metavar="PATH",
                    help=f"the SQLite store (default: {DEFAULT_DB} in the current folder)")
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument("file", metavar="FILE",
                         help=f"the file to import ({_FORMATS}), or - to read it from standard input")
    reading.add_argument("--sheet", help="the worksheet to read (default: the first visible one)")
    reading.add_argument("--mapping", metavar="M.json",
                         help='a JSON object {"column": "field key" or null} overriding the '
                              "automatic mapping")
    reading.add_argument("--encoding", help="the CSV encoding (default: detected)")
    reading.add_argument("--delimiter", help="the CSV separator: ; , | tab (default: detected)")
    reading.add_argument("--header-row", metavar="N",
                         help="the row holding the column headers, 1 for the first; rows above it "
                              "are ignored (default: the first non-blank row)")
    reading.add_argument("--failed-rows", metavar="OUT",
                         help="write the rows with errors, and their messages, to OUT.csv or OUT.xlsx")
    reading.add_argument("--no-mapping-memory", action="store_true",
                         help="neither use nor save the mapping remembered for files with these headers")
    reading.add_argument("--no-isolate", action="store_true",
                         help="read a workbook in this process instead of a capped child process "
                              "(faster to start; only for files you trust)")

    parser = argparse.ArgumentParser(
        prog="upflow-import",
        description="Import customers and contacts from a spreadsheet into an SQLite store.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", parents=[reading, common, json_option],
                                help="read and validate a file, without any store")
    check.set_defaults(handler=_check)
    plan = commands.add_parser("plan", parents=[reading, db, common, json_option],
                               help="what apply would do to the store (writes nothing)")
    plan.set_defaults(handler=_plan)
    apply = commands.add_parser("apply", parents=[reading, db, common, json_option],
                                help="import the file into the store")
    apply.add_argument("--on-error", choices=("skip", "abort"), default="skip",
                       help="skip: import the valid rows (default); abort: import nothing if any error")
    apply.set_defaults(handler=_apply)

    template = commands.add_parser("template", parents=[common],
                                   help="write a template file: every column, one example row")
    template.add_argument("out", metavar="OUT", help="OUT.csv or OUT.xlsx")
    template.set_defaults(handler=_template)

    export = commands.add_parser("export", parents=[db, common, json_option],
                                 help="print what the store holds")
    export.set_defaults(handler=_export)

    for name, noun, value in (("account-managers", "account managers", "EMAIL"),
                              ("dunning-plans", "dunning plans", "NAME")):
        group = commands.add_parser(name, help=f"register or list the {noun} the import checks")
        actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = actions.add_parser("add", parents=[db, common], help=f"register {noun}")
        add.add_argument("values", nargs="+", metavar=value)
        add.set_defaults(handler=_add_references, kind=name)
        listing = actions.add_parser("list", parents=[db, common, json_option], help=f"list the {noun}")
        listing.set_defaults(handler=_list_references, kind=name)
    return parser


# -- helpers ------------------------------------------------------------------

def _print_json(document: object) -> None:
    # Compact on purpose: only then does the json module use its C encoder, which
    # keeps the document of a 100k-row import to seconds rather than a minute.
    # ``| python -m json.tool`` or ``| jq`` pretty-prints it.
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")


def _mapping(path: str | None, lang: Lang) -> ColumnMapping | None:
    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise _Stop(say("error.mapping_file", lang, path=path, detail=error)) from None
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in data.items()):
        raise _Stop(say("error.mapping_file", lang, path=path, detail=say("error.mapping_shape", lang)))
    return ColumnMapping.from_dict(data)


def _delimiter(value: str | None, lang: Lang) -> str | None:
    if value is None:
        return None
    delimiter = _DELIMITER_NAMES.get(value.lower(), value)
    if len(delimiter) != 1:
        raise _Stop(say("error.delimiter", lang, value=value))
    return delimiter


def _header_row(value: str | None, lang: Lang) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise _Stop(say("error.header_row", lang, value=value))
    return int(value)


def _encoding(value: str | None) -> str | None:
    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            raise UpflowImportError.from_code("file.encoding", encoding=value) from None
    return value


def _unchecked_notes(document: dict[str, Any], repository: Repository, lang: Lang) -> list[str]:
    """One line per reference column the file fills but the store cannot check."""
    mapped = {entry.get("field") for entry in document.get("mapping", []) if isinstance(entry, dict)}
    notes = []
    if "client.account_manager_email" in mapped and repository.known_account_managers([]) is None:
        notes.append(say("note.account_managers_unchecked", lang))
    if "client.dunning_plan" in mapped and repository.known_dunning_plans([]) is None:
        notes.append(say("note.dunning_plans_unchecked", lang))
    return notes


def _source(path: str) -> str | BinaryIO:
    """What to import: standard input's bytes for ``-``, else the path, which must exist."""
    if path == STDIN:
        # Bounded like any file object: the reader takes at most Limits.max_bytes + 1
        # bytes and refuses the file past the limit; the format is sniffed from them.
        return sys.stdin.buffer
    if not os.path.exists(path):
        raise UnreadableFileError.from_code("file.not_found", path=path)
    return path


def _run_import(args: argparse.Namespace, repository: Repository, mode: Mode,
                outcome: Callable[[ImportReport], list[str]]) -> int:
    """Import ``args.file`` into ``repository``, print the report, return the exit status."""
    lang: Lang = args.lang
    source = _source(args.file)
    mapping = _mapping(args.mapping, lang)
    delimiter = _delimiter(args.delimiter, lang)
    encoding = _encoding(args.encoding)
    header_row = _header_row(args.header_row, lang)
    failed_rows = _failed_rows_destination(args, lang)
    # --verbose logs each stage on stderr, which a bar redrawn in place would garble.
    drawn = not args.json and not args.verbose and sys.stderr.isatty()
    bar = ProgressBar(sys.stderr, lang) if drawn else None
    try:
        # import_file holds the store's write lock across planning and writing.
        report = import_file(
            source, repository, mapping=mapping, sheet=args.sheet, encoding=encoding,
            delimiter=delimiter, header_row=header_row, dry_run=mode != "apply",
            on_error=getattr(args, "on_error", "skip"), progress=bar, lang=lang,
            remember_mapping=not args.no_mapping_memory, isolate=False if args.no_isolate else None)
    except OSError as error:
        # The path exists (checked above) but is a folder, or is not ours to read.
        raise UnreadableFileError.from_code("file.unreadable", path=args.file) from error
    finally:
        if bar is not None:
            bar.close()
    unusable = _file_unusable(report)
    exported: int | None = None
    export_failure: _Stop | None = None
    if failed_rows is not None:
        try:
            exported = _write_failed_rows(report, failed_rows, lang)
        except _Stop as stop:
            # The import is done (and, for apply, committed): the report must still say
            # what was written, then the failure, and the exit status is 2.
            export_failure = stop
    if args.json:
        text = report.to_json(lang)
        if export_failure is not None:
            failure = _error_document(export_failure.code, export_failure.message, export_failure.hint)
            text = f'{text[:-1]}, "error": {json.dumps(failure, ensure_ascii=False)}}}'
        sys.stdout.write(text + "\n")
    else:
        # The human summary tells the rows that lost everything from those that lost their contact.
        # (The operations are only in the JSON output, which encodes them one by one: to_json.)
        document = {**report._document(lang, operations=False),
                    "summary": report.summary.to_dict(detailed=True)}
        notes = [say("outcome.unusable", lang)] if unusable else (
            _unchecked_notes(document, repository, lang) + outcome(report))
        if exported is not None:
            notes.append(say("note.failed_rows" if exported else "note.failed_rows_none", lang,
                             count=exported, path=failed_rows))
        name = say("summary.stdin", lang) if args.file == STDIN else Path(args.file).name
        sys.stdout.write(render_report(document, lang, mode, name=name, notes=notes))
    if export_failure is not None:
        sys.stderr.write(render_error(export_failure.code, export_failure.message, export_failure.hint,
                                      lang) + "\n")
        return EXIT_UNUSABLE
    if unusable:
        return EXIT_UNUSABLE
    return EXIT_OK if report.ok else EXIT_IMPORT_ERRORS


def _failed_rows_destination(args: argparse.Namespace, lang: Lang) -> str | None:
    """``--failed-rows``, checked before importing: a bad name must not surface after the writes,
    and the file written must be neither the file imported nor the store."""
    path: str | None = args.failed_rows
    if path is None:
        return None
    if sheet_format(path) == "xlsx":
        require_xlsxwriter()
    if not Path(path).absolute().parent.is_dir():
        raise _Stop(say("error.output", lang, path=path, detail=say("error.no_folder", lang)))
    protected = [args.file, getattr(args, "db", None)]
    if any(_same_file(path, other) for other in protected if other not in (None, STDIN)):
        raise _Stop(say("error.failed_rows_overwrites", lang, path=path))
    return path


def _same_file(first: str, second: str) -> bool:
    """Whether two paths name one file: the same file on disk (links included) or, when
    either does not exist yet, the same absolute path."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return Path(first).resolve() == Path(second).resolve()


def _write_failed_rows(report: ImportReport, path: str, lang: Lang) -> int:
    try:
        return write_failed_rows(report, path, lang=lang)
    except OSError as error:
        raise _Stop(say("error.output", lang, path=path, detail=error.strerror or error)) from None


def _file_unusable(report: ImportReport) -> bool:
    """True when an error concerns the file as a whole (a title row, no name column…):
    then no row could be imported, which is exit status 2 like an unreadable file. (Only the
    file's own issues have no row: nothing else need be rendered to know.)"""
    return any(issue.is_error and issue.row is None for issue in report.file_issues)


def _open_store(db: str, *, read_only: bool) -> SqliteRepository:
    """The store at ``db``; for reading, a missing file is an empty in-memory store."""
    if read_only and not Path(db).exists():
        return SqliteRepository(":memory:")
    return SqliteRepository(db, read_only=read_only)


# -- commands -----------------------------------------------------------------

def _check(args: argparse.Namespace) -> int:
    lang: Lang = args.lang

    def outcome(report: ImportReport) -> list[str]:
        verdict = (say("outcome.check_ok", lang) if report.ok
                   else skipped_outcome(report.summary.to_dict(detailed=True), lang, check=True))
        return [verdict, say("outcome.check_scope", lang)]

    return _run_import(args, InMemoryRepository(), "check", outcome)


def _plan(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    exists = Path(args.db).exists()
    with _open_store(args.db, read_only=True) as repository:
        def outcome(report: ImportReport) -> list[str]:
            key = "outcome.plan" if exists else "outcome.plan_no_store"
            return [say(key, lang, db=args.db)]

        return _run_import(args, repository, "plan", outcome)


def _apply(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    _failed_rows_destination(args, lang)  # before the store is created
    with _open_store(args.db, read_only=False) as repository:
        def outcome(report: ImportReport) -> list[str]:
            if report.ok:
                return [say("outcome.applied", lang, db=args.db)]
            if args.on_error == "abort":
                return [say("outcome.aborted", lang)]
            return [skipped_outcome(report.summary.to_dict(detailed=True), lang),
                    say("outcome.applied", lang, db=args.db)]

        return _run_import(args, repository, "apply", outcome)


def _template(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    try:
        write_template(args.out, lang=lang)
    except OSError as error:
        raise _Stop(say("error.output", lang, path=args.out, detail=error.strerror or error)) from None
    sys.stdout.write(say("template.written", lang, path=args.out, columns=len(template_headers(lang))) + "\n")
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    with _open_store(args.db, read_only=True) as repository:
        export = repository.export()
    if args.json:
        _print_json(export)
    else:
        sys.stdout.write(render_export(export, args.lang))
    return EXIT_OK


def _valid_email(value: str, lang: Lang) -> str:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise _Stop(say("error.invalid_account_manager", lang, value=value)) from None
    return value.strip()


def _add_references(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    managers = args.kind == "account-managers"
    values = [_valid_email(v, lang) if managers else v.strip() for v in args.values]
    with _open_store(args.db, read_only=False) as repository:
        added = repository.add_account_managers(values) if managers else repository.add_dunning_plans(values)
    sys.stdout.write(say("references.added", lang, count=len(added),
                         known=len(dict.fromkeys(values)) - len(added)) + "\n")
    return EXIT_OK


def _list_references(args: argparse.Namespace) -> int:
    lang: Lang = args.lang
    managers = args.kind == "account-managers"
    with _open_store(args.db, read_only=True) as repository:
        values = repository.all_account_managers() if managers else repository.all_dunning_plans()
    if args.json:
        _print_json(values)
    elif values:
        sys.stdout.write("".join(f"{value}\n" for value in values))
    else:
        none = "references.none_managers" if managers else "references.none_plans"
        sys.stdout.write(say(none, lang) + "\n")
    return EXIT_OK


# -- entry point --------------------------------------------------------------

def _error_document(code: str | None, message: str, hint: str | None) -> dict[str, str | None]:
    return {"code": code, "message": message, "hint": hint}


def _report_stop(args: argparse.Namespace, code: str | None, message: str, hint: str | None) -> int:
    lang: Lang = getattr(args, "lang", "en")
    sys.stderr.write(render_error(code, message, hint, lang) + "\n")
    if getattr(args, "json", False):
        _print_json({"error": _error_document(code, message, hint)})
    return EXIT_UNUSABLE


def _log_to_stderr() -> Callable[[], None]:
    """``--verbose``: the library's DEBUG records on stderr, for this run only; returns the undo."""
    logger = logging.getLogger("upflow_import")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(relativeCreated)7.0f ms  %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    return undo


def _tolerant_output() -> None:
    # A console or a redirection in a legacy code page (cp1252 on Windows) cannot
    # encode every character of a report; a replaced character beats a crash.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure):
            reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    _tolerant_output()
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        # argparse exits 2 on a bad command line and 0 after --help.
        return exit_.code if isinstance(exit_.code, int) else EXIT_UNUSABLE
    lang: Lang = args.lang
    stop_logging = _log_to_stderr() if getattr(args, "verbose", False) else None
    try:
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except UpflowImportError as error:
        return _report_stop(args, error.code, error.message_in(lang), error.issue.hint_in(lang))
    except _Stop as stop:
        return _report_stop(args, stop.code, stop.message, stop.hint)
    except sqlite3.OperationalError as error:
        # The usual cause: another import held the write lock past the timeout.
        return _report_stop(args, "store.unusable", say("error.store_busy", lang, db=args.db, detail=error),
                            None)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``upflow-import export | head``): not an error of ours.
        # Point stdout at nothing so that the interpreter's final flush stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    finally:
        if stop_logging is not None:
            stop_logging()
