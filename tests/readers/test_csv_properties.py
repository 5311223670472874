"""Property: whatever the csv module writes reads back identical, separator detected."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import upflow_import as ui
from upflow_import.readers.headers import clean_header

SEPARATORS = (";", ",", "|")
# Letters, accents, spaces, quotes, every separator and line breaks: what makes CSV hard.
ALPHABET = st.sampled_from([*"abcXYZ019 éàÇœ-'\".@", ";", ",", "|", "\n", "\r\n", "\r"])
cells = st.lists(ALPHABET, max_size=6).map("".join)
headers = cells.filter(lambda text: bool(text) and clean_header(text) == text)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    width = draw(st.integers(min_value=2, max_value=5))
    header = draw(st.lists(headers, min_size=width, max_size=width, unique=True))
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=8))
    return header, rows


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def line_count(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def splits_consistently(text: str, separator: str) -> bool:
    """Every non-blank record has the same number (at least 2) of cells under ``separator``."""
    records = [record for record in csv.reader(io.StringIO(text, newline=""), delimiter=separator)
               if any(cell.strip() for cell in record)]
    widths = {len(record) for record in records}
    return len(widths) == 1 and widths.pop() >= 2


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(tables(), st.sampled_from(SEPARATORS), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
       st.sampled_from(["\r\n", "\n", "\r"]))
def test_any_written_table_reads_back_identical(table: tuple[list[str], list[list[str]]], separator: str,
                                                encoding: str, terminator: str) -> None:
    header, rows = table
    # csv.writer quotes a cell holding a line break only if that character is part of its
    # line terminator: a lone "\r" in a "\n" file is written bare, and every reader sees a
    # line break there. That is the writer's limit, not something a reader can undo.
    assume(not any(character in cell and character not in terminator
                   for row in rows for cell in row for character in "\r\n"))
    records = []
    for cells_of_record in [header, *rows]:
        written = io.StringIO(newline="")
        csv.writer(written, delimiter=separator, lineterminator=terminator).writerow(cells_of_record)
        records.append(written.getvalue())
    text = "".join(records)
    # A table that another separator also splits into a consistent table is genuinely
    # ambiguous: either answer is right, so it proves nothing here.
    assume(not any(splits_consistently(text, other) for other in SEPARATORS if other != separator))

    data = text.encode(encoding)
    # Detection tries strict UTF-8 before cp1252, line by line: a cp1252 line whose bytes happen
    # to be valid UTF-8 too ("Çœ" is C7 9C, which UTF-8 reads as "ǜ") is read as UTF-8, by that
    # documented rule (with file.mixed_encoding when other lines are not UTF-8).
    assume(encoding != "cp1252" or not any(not line.isascii() and _valid_utf8(line)
                                           for line in data.splitlines()))

    read = ui.read_table(data)

    assert read.delimiter == separator
    assert read.headers == tuple(header)
    numbered = []
    line = 1 + line_count(records[0])
    for record, row in zip(records[1:], rows, strict=True):
        if any(row):
            numbered.append((line, tuple(cell or None for cell in row)))
        line += line_count(record)
    assert [(row.number, row.values) for row in read.rows] == numbered
    assert read.issues == []


@settings(max_examples=200, deadline=None)
@given(tables(), st.sampled_from(SEPARATORS))
def test_an_explicit_separator_always_reads_back_identical(table: tuple[list[str], list[list[str]]],
                                                            separator: str) -> None:
    header, rows = table
    written = io.StringIO(newline="")
    csv.writer(written, delimiter=separator).writerows([header, *rows])

    read = ui.read_table(written.getvalue().encode(), delimiter=separator)

    assert read.headers == tuple(header)
    expected = [tuple(cell or None for cell in row) for row in rows if any(row)]
    assert [row.values for row in read.rows] == expected


# -- cells longer than the csv module's limit: read without changing it ---------------------------

_csv_texts = st.text(alphabet=st.sampled_from('ab;,"\n\r x\u00e9'), max_size=60)


@given(_csv_texts, st.sampled_from([";", ","]), st.integers(1, 4), st.integers(1, 3))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_the_shortened_reading_is_the_csv_module_reading(text: str, delimiter: str, long_run: int,
                                                        long_quoted_run: int) -> None:
    """The placeholders the reader puts in place of long stretches (here: most stretches) change
    nothing the csv module reads, however the quotes, separators and line breaks fall."""
    from unittest import mock

    from upflow_import.readers import csv_format

    def read(shortened: bool) -> list[list[str]] | str:
        # A cell limit at the module's own makes the reader shorten; above it, not.
        limit = csv.field_size_limit() + (0 if shortened else 1)
        try:
            return list(csv_format._Reader(text, csv_format._lines(text), delimiter, limit))
        except csv.Error as error:
            return str(error)

    with mock.patch.object(csv_format, "_LONG_RUN", long_run), \
            mock.patch.object(csv_format, "_LONG_QUOTED_RUN", long_quoted_run):
        assert read(shortened=True) == read(shortened=False)
