"""CSV files: encoding, separator, header and lazily produced rows.

Decisions:

- **Encoding.** An explicit ``encoding=`` wins (a file it cannot decode is
  ``file.encoding``, naming the first line that fails). Otherwise: a BOM says
  UTF-8 or UTF-16; UTF-16 without BOM is recognised by its NUL bytes; then
  strict UTF-8; then line by line: a file with no line of UTF-8 is cp1252,
  the encoding of Excel's "CSV (separator: ;)" on French Windows; a file
  mixing lines of UTF-8 (holding non-ASCII characters) with lines that are
  not UTF-8 has each line read in its own encoding (the latter as cp1252)
  and gets the ``file.mixed_encoding`` warning naming the lines in the
  minority's encoding. cp1252 leaves five bytes undefined (0x81 0x8D 0x8F
  0x90 0x9D); they are read as the control characters of the same number,
  as browsers and Windows do, so that automatic detection never fails on a
  stray byte. The encoding reported is the codec's normal name:
  ``'utf-8'``, ``'utf-8-sig'`` (UTF-8 with BOM), ``'utf-16'``, ``'cp1252'``…
  (for a mixed file, the encoding of most lines; after a UTF-8 BOM, UTF-8
  whatever the number of cp1252 lines). A cp1252 line whose bytes happen to
  be valid UTF-8 too is read as UTF-8: no detection can tell; it takes an
  accented letter followed by one to three of cp1252's 0x80-0xBF characters.
- **Separator.** ``;``, ``,``, tab or ``|``: each splits a sample of the file
  (the first 64 KiB, at most 200 records) with the csv module, quotes
  respected; the one that gives the most records with the same number (≥ 2)
  of cells wins (rows with extra empty cells at the end agree; then the one
  whose rows have exactly that number, empty cells included). When two do
  equally well, ", " (a comma and a space, which is punctuation) rules the
  comma out; otherwise the file is
  ``file.ambiguous_delimiter``: a guess could merge or split columns. A
  ``;`` file whose quoted cells are full of commas is still ``;``. An
  explicit ``delimiter=`` wins.
- **Merged columns.** A header read as one column that holds another
  separator-like character (tab, ``;``, ``,``, ``|``, ``:``) as many times as
  four lines in five do (at most 200 looked at) is ``header.merged_columns``: the file is separated by a
  character that was not recognised (or not the one given), and reading it
  would put every column into one.
- **Rows.** The header is the first non-blank record (its cells cleaned, see
  :mod:`~upflow_import.readers.headers`), or the first from line
  ``header_row`` on when it is given; title rows over it are
  ``header.title_row``. Blank lines (and lines of empty
  cells) are skipped but counted: a row's number is the physical line where
  its record starts, so a cell with a line break makes the next number jump.
  Empty cells are ``None``; other cells are kept exactly as written, spaces
  included: trimming is the parser's job, and doing it here would cost a
  third of the csv module's own reading time. The text is decoded once and
  kept; each iteration of ``table.rows`` parses it again, lazily.
- **Width.** A row with a different number of cells than the header is still
  produced, padded with ``None`` or cut to the header's width, and
  ``csv.inconsistent_columns`` is recorded for its line. Empty cells beyond
  the header's width are tolerated silently (``a;b;c;;`` is how Excel saves
  a sheet whose formatting goes further right than its data); trailing blank
  headers are dropped for the same reason.
- **Broken quoting.** A quote that is never closed swallows the rest of the
  file into one cell: that row gets ``csv.unclosed_quote``.
- **Limits.** Columns of the header are checked at once; cell length and row
  count while the rows are read (so ``file.too_large`` for them is raised
  during iteration, as the rows are only read then). A cell is never longer
  than its line unless it spans lines, so cells are only measured when some
  line is longer than ``max_cell_chars`` or a record spans lines. The csv
  module's ``field_size_limit`` is process-wide: it is never changed. When it
  is not above ``max_cell_chars``, the long stretches of the cells' text reach
  the csv module as short placeholders, put back in the cells it returns (see
  :class:`_Reader`), so a cell up to ``max_cell_chars`` is read whatever the
  module's limit.
- A NUL character makes the file ``file.corrupt`` (a binary file renamed
  ``.csv``, or a damaged one).
"""

from __future__ import annotations

import codecs
import csv
import encodings.cp1252
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING

import attrs

from upflow_import.errors import FileTooLargeError, UnreadableFileError, UpflowImportError
from upflow_import.issues import Issue, Text
from upflow_import.limits import Limits
from upflow_import.readers.headers import (
    MAX_TITLE_ROWS,
    check_header_row,
    check_title_rows,
    clean_header,
    layout_headers,
)
from upflow_import.readers.sniff import utf16_byte_order
from upflow_import.table import Row, Table

if TYPE_CHECKING:
    import _csv

__all__ = ["SEPARATORS", "Decoded", "decode_csv", "decode_text", "detect_delimiter", "read_csv"]

#: The separators recognised automatically.
SEPARATORS = (";", ",", "\t", "|")
#: Characters that separate columns in some files but are not recognised automatically (or
#: were not the one given): a one-column header holding one of them is a merged header.
_SEPARATOR_LIKE = ("\t", ";", ",", "|", ":")
_SAMPLE_CHARS = 64 * 1024
_SAMPLE_RECORDS = 200
# cp1252 with its five undefined bytes read as the C1 control characters of the same values
# (as Windows itself reads them), as a decoding table: a codec error handler would have to be
# registered in the interpreter's codec registry, which is process-wide.
_CP1252_TABLE = "".join(chr(byte) if char == "\ufffe" else char
                        for byte, char in enumerate(encodings.cp1252.decoding_table))


def _decode_cp1252(data: bytes) -> str:
    """``data`` as cp1252, its undefined bytes as the C1 characters of the same values."""
    return codecs.charmap_decode(data, "strict", _CP1252_TABLE)[0]


def read_csv(data: bytes, *, encoding: str | None, delimiter: str | None, limits: Limits,
             name: str | None = None, header_row: int | None = None) -> Table:
    """Read CSV ``data`` into a :class:`~upflow_import.Table` whose rows are produced lazily."""
    header_row = check_header_row(header_row)
    decoded = decode_csv(data, encoding)
    del data
    text = decoded.text
    if "\x00" in text:
        line = _line_of(text, text.index("\x00"))
        raise UnreadableFileError.from_code("file.corrupt", row=line, detail=f"NUL character on line {line}")
    if delimiter is None:
        delimiter = detect_delimiter(text)
    elif len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, not {delimiter!r}")
    head = _head(text)
    leading, line_num = _leading_records(head, delimiter, limits, header_row)
    if head is not text and line_num >= _line_count(head) - 1:
        # The first records run past the sample: read them from the whole text.
        leading, line_num = _leading_records(text, delimiter, limits, header_row)
    if not leading:
        raise UnreadableFileError.from_code("file.empty")
    header, _, skip = leading[0]
    if len(header) > limits.max_columns:
        raise FileTooLargeError.from_code("file.too_large", limit="max_columns", actual=len(header),
                                   maximum=limits.max_columns)
    cleaned = [[clean_header(cell) or None for cell in record] for record, _, _ in leading]
    if header_row is None:
        check_title_rows(cleaned, [start for _, start, _ in leading])
    if sum(1 for cell in cleaned[0] if cell) == 1:
        _check_merged(text, delimiter, skip - 1, header)
    layout = layout_headers(cleaned[0], position=lambda index: str(index + 1))
    reading = _Rows(text, delimiter=delimiter, skip=skip, width=len(layout.names), unnamed=layout.unnamed,
                    positions=layout.positions, limits=limits)
    issues = layout.issues
    if decoded.other_lines:
        issues = (_mixed_encoding_issue(decoded), *issues)
    table = Table(format="csv", headers=layout.names, rows=reading.__iter__, encoding=decoded.encoding,
                  delimiter=delimiter, issues=issues, name=name)
    reading.table = table
    return table


@attrs.frozen
class Decoded:
    """A CSV file's text and how it was decoded."""

    text: str
    #: The codec's normal name; for a file mixing encodings, that of most lines.
    encoding: str
    #: Lines (numbered as the csv module counts them) decoded with ``other_encoding``.
    other_lines: tuple[int, ...] = ()
    other_encoding: str | None = None


def decode_text(data: bytes, encoding: str | None) -> tuple[str, str]:
    """Decode ``data`` with ``encoding``, or the detected encoding; return the text and the
    encoding's normal name (see :func:`decode_csv`)."""
    decoded = decode_csv(data, encoding)
    return decoded.text, decoded.encoding


def decode_csv(data: bytes, encoding: str | None) -> Decoded:
    """Decode ``data`` with ``encoding``, or the detected encoding (see the module's notes)."""
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise UnreadableFileError.from_code("file.encoding", encoding=encoding) from None
        if not codec.startswith(("utf-16", "utf-32")) and data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        return Decoded(_strict(data, codec), codec)
    if data.startswith(codecs.BOM_UTF8):
        try:
            return Decoded(data.decode("utf-8-sig"), "utf-8-sig")
        except UnicodeDecodeError:
            # The BOM says UTF-8: the lines that are not are the odd ones, whatever their number.
            return _decode_lines(data[len(codecs.BOM_UTF8):], bom=True)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoded(_strict(data, "utf-16"), "utf-16")
    byte_order = utf16_byte_order(data[:4096])
    if byte_order is not None:
        return Decoded(_strict(data, byte_order), byte_order)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        return _decode_lines(data)


# Each byte as its role in UTF-8: "L" a lead byte of a multi-byte character, "C" a continuation
# byte. Every non-ASCII UTF-8 character starts with "LC": without it, no line can be UTF-8 rather
# than cp1252 (translate and find are much faster than a regular expression over the bytes).
_UTF8_ROLES = bytes(ord("L") if 0xC2 <= byte <= 0xF4 else ord("C") if 0x80 <= byte <= 0xBF else ord(".")
                    for byte in range(256))


def _decode_lines(data: bytes, *, bom: bool = False) -> Decoded:
    """``data``, which is not UTF-8 as a whole, read line by line: valid UTF-8 lines as UTF-8,
    the others as cp1252. A line break byte is never part of a UTF-8 sequence, so cutting at
    them never cuts a character. After a UTF-8 BOM (``bom``), UTF-8 is the file's encoding
    whatever the number of lines in cp1252."""
    if not bom and b"LC" not in data.translate(_UTF8_ROLES):
        return Decoded(_decode_cp1252(data), "cp1252")
    texts: list[str] = []
    utf8_lines: list[int] = []
    cp1252_lines: list[int] = []
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        if line.isascii():
            texts.append(line.decode("ascii"))
            continue
        try:
            texts.append(line.decode("utf-8"))
            utf8_lines.append(number)
        except UnicodeDecodeError:
            texts.append(_decode_cp1252(line))
            cp1252_lines.append(number)
    text = "".join(texts)
    if bom:
        return Decoded(text, "utf-8-sig", tuple(cp1252_lines), "cp1252")
    if not utf8_lines:
        return Decoded(text, "cp1252")
    if len(cp1252_lines) <= len(utf8_lines):
        return Decoded(text, "utf-8", tuple(cp1252_lines), "cp1252")
    return Decoded(text, "cp1252", tuple(utf8_lines), "utf-8")


_LINES_NAMED = 20


def _mixed_encoding_issue(decoded: Decoded) -> Issue:
    lines = decoded.other_lines
    named = ", ".join(map(str, lines[:_LINES_NAMED]))
    if len(lines) > _LINES_NAMED:
        named += f"… ({len(lines)})"
    names = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252 (cp1252)"}
    return Issue.from_code("file.mixed_encoding", lines=named, other=names[decoded.other_encoding or ""],
                           main=names[decoded.encoding], count=len(lines))


def _strict(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UnreadableFileError.from_code("file.encoding", encoding=codec, row=line) from None
    except (UnicodeError, LookupError):
        raise UnreadableFileError.from_code("file.encoding", encoding=codec) from None


# Line breaks of str.splitlines() that the csv module does not treat as line breaks.
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


# Stretches of a cell's text at least this long reach the csv module as a placeholder, when
# its process-wide limit is not above the cells allowed (see _Reader). An unquoted cell is one
# stretch; a quoted one is a stretch per line it spans, hence a shorter bound for those.
_LONG_RUN = 256
_LONG_QUOTED_RUN = 16


class _Reader:
    """``csv.reader`` over ``lines`` of ``text`` that reads cells up to ``cell_limit``
    characters whatever the csv module's process-wide ``field_size_limit``, without changing it.

    When that limit is not above ``cell_limit``, the lines reach the csv module through a
    :class:`_Shortener`: each long stretch of a cell's text is replaced by a placeholder
    (a marker character absent from ``text`` around the stretch's number), restored in the
    cells the module returns. The module thus sees short fields, and the limit that holds
    is ``cell_limit``. ``line_num`` is the csv reader's.
    """

    def __init__(self, text: str, lines: Iterable[str], delimiter: str, cell_limit: int, *,
                 strict: bool = False) -> None:
        self._shortener: _Shortener | None = None
        if csv.field_size_limit() <= cell_limit:
            marker = next((chr(code) for code in range(0xE000, 0xF900)
                           if chr(code) not in text and chr(code) != delimiter), None)
            if marker is not None:  # a text holding all 6,400 of them is refused as too large, below
                self._shortener = _Shortener(delimiter, marker, cell_limit)
                lines = self._shortener.lines(lines)
        self._reader = csv.reader(lines, delimiter=delimiter, strict=strict)

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    @property
    def plain(self) -> _csv.Reader | None:
        """The csv module's reader itself when no cell needs restoring (the usual case):
        iterating it directly saves a Python call per record."""
        return self._reader if self._shortener is None else None

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        record = next(self._reader)
        if self._shortener is not None:
            record = self._shortener.restored(record)
        return record


class _Shortener:
    """Lines of CSV with the long stretches of their cells' text replaced by placeholders,
    and the cells the csv module makes of them restored.

    It follows the csv module's own reading (default dialect: ``"`` quotes, doubled to
    escape, no escape character) to know where a cell's text lies: in an unquoted cell, up
    to the next delimiter; in a quoted cell, up to its closing quote (delimiters and doubled
    quotes included), the line break excepted. A stretch of :data:`_LONG_RUN` characters or
    more (:data:`_LONG_QUOTED_RUN` in a quoted cell) becomes a placeholder holding no
    delimiter, quote or line break, which the module
    copies into the cell as it is; the cell then gets the stretch back, doubled quotes undone
    as the module would have. A stretch is part of one cell: one longer than ``cell_limit``
    is refused at once (``field larger than field limit``), before it is copied. What the
    module may still refuse is a cell of more than some ten thousand lines, never a misread one.
    """

    def __init__(self, delimiter: str, marker: str, cell_limit: int) -> None:
        self.marker = marker
        self.cell_limit = cell_limit
        self.delimiter = delimiter
        #: The stretches replaced in the record being read (the csv module asks for a
        #: record's lines only as it reads it), by placeholder number.
        self.stretches: list[str] = []
        self.unquoted = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
        self.quoted = re.compile('(?:[^"\r\n]|"")*')
        self.placeholder = re.compile(f"{marker}([0-9]+){marker}")
        #: Whether the line being read starts inside a quoted cell.
        self.in_quotes = False

    def lines(self, lines: Iterable[str]) -> Iterator[str]:
        for line in lines:
            if not self.in_quotes and '"' not in line and len(line) < _LONG_RUN:
                yield line  # nothing to replace, and no quote to follow
            else:
                yield self._shorten(line)

    def _keep(self, stretch: str, quoted: bool) -> str:
        """The placeholder of ``stretch`` when it is long, else the stretch itself."""
        if len(stretch) < (_LONG_QUOTED_RUN if quoted else _LONG_RUN):
            return stretch
        text = stretch.replace('""', '"') if quoted else stretch
        if len(text) > self.cell_limit:
            raise csv.Error("field larger than field limit")
        self.stretches.append(text)
        return f"{self.marker}{len(self.stretches) - 1}{self.marker}"

    def _shorten(self, line: str) -> str:
        end = len(line.rstrip("\r\n"))
        pieces: list[str] = []
        position = 0
        delimiter = self.delimiter
        while True:
            if self.in_quotes:
                found = self.quoted.match(line, position, end)
                assert found is not None  # the pattern matches the empty string
                pieces.append(self._keep(found.group(), quoted=True))
                position = found.end()
                if position >= end:
                    break  # the cell goes on on the next line
                pieces.append('"')  # its closing quote
                position += 1
                self.in_quotes = False
                if position >= end:
                    break
                if line[position] == delimiter:
                    pieces.append(delimiter)
                    position += 1
                    continue  # the next cell starts
                # Text after a closing quote is read as part of the cell, unquoted.
            elif position < end and line[position] == '"':
                pieces.append('"')
                position += 1
                self.in_quotes = True
                continue
            found = self.unquoted.match(line, position, end)
            assert found is not None
            pieces.append(self._keep(found.group(), quoted=False))
            position = found.end()
            if position >= end:
                break
            pieces.append(delimiter)
            position += 1
            if position == end:
                break
        pieces.append(line[end:])
        return "".join(pieces)

    def restored(self, record: list[str]) -> list[str]:
        """``record`` with its stretches back in place of their placeholders."""
        stretches = self.stretches
        if not stretches:
            return record
        marker = self.marker
        restored = [self.placeholder.sub(lambda found: stretches[int(found.group(1))], cell)
                    if marker in cell else cell for cell in record]
        stretches.clear()
        return restored


def _lines(text: str) -> Iterable[str]:
    """The physical lines of ``text`` as the csv module sees them (``\r``, ``\n`` or ``\r\n``).

    ``str.splitlines`` is the fastest way to cut them, but also cuts at form
    feeds and a few Unicode separators, which may sit inside a cell: then an
    ``io.StringIO`` (slower: it copies the text) does the cutting.
    """
    if any(character in text for character in _OTHER_BREAKS):
        return io.StringIO(text, newline="")
    return text.splitlines(keepends=True)


def _head(text: str) -> str:
    """The first 64 KiB of ``text``, cut after a line break (the whole text when shorter)."""
    if len(text) <= _SAMPLE_CHARS:
        return text
    head = text[:_SAMPLE_CHARS]
    cut = max(head.rfind("\n"), head.rfind("\r"))
    return head[:cut + 1] if cut > 0 else text


def _line_count(text: str) -> int:
    """Physical lines of ``text``, as the csv reader counts them."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + (0 if text.endswith(("\n", "\r")) else 1)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def detect_delimiter(text: str) -> str:
    """The separator among :data:`SEPARATORS` that splits ``text`` most consistently;
    ``file.ambiguous_delimiter`` when two do equally well (see the module's notes)."""
    sample = _head(text)
    truncated = sample is not text
    scores = sorted(((_consistency(sample, candidate, truncated), candidate) for candidate in SEPARATORS),
                    reverse=True)
    (best_score, best), (second_score, second) = scores[0], scores[1]
    if not best_score[0]:
        return SEPARATORS[0]  # one column whatever the separator
    if second_score[:3] != best_score[:3]:
        return best
    # Two separators split every record alike: ", " is punctuation, not a separator.
    spaced = {candidate: _comma_spaced(sample, candidate) for candidate in (best, second)}
    if spaced[best] != spaced[second]:
        return second if spaced[best] else best
    first, other = sorted((best, second), key=SEPARATORS.index)
    raise UnreadableFileError.from_code("file.ambiguous_delimiter", first=_separator_name(first),
                                 second=_separator_name(other))


def _comma_spaced(sample: str, delimiter: str) -> bool:
    """Whether ``delimiter`` is a comma that a space follows, outside quotes, in ``sample``."""
    if delimiter != ",":
        return False
    try:
        return any(cell.startswith(" ") for record in islice(csv.reader(_lines(sample)), _SAMPLE_RECORDS)
                   for cell in record[1:])
    except csv.Error:
        return False


def _separator_name(character: str) -> str | Text:
    if character == "\t":
        return Text("a tab", "une tabulation")
    return repr(character)


def _consistency(sample: str, delimiter: str, truncated: bool) -> tuple[bool, float, float, int]:
    """(splits into several cells, share of records agreeing on the width, share of records of
    exactly that width, trailing empty cells included, that width)."""
    reader = csv.reader(_lines(sample), delimiter=delimiter)
    try:
        records = list(islice(reader, _SAMPLE_RECORDS))
    except csv.Error:
        return False, 0.0, 0.0, 0
    if truncated and len(records) < _SAMPLE_RECORDS and len(records) > 1:
        records.pop()  # may have been cut in the middle
    shapes = []
    for record in records:
        filled = [bool(cell.strip()) for cell in record]
        if not any(filled):
            continue
        trimmed = len(filled)
        while not filled[trimmed - 1]:
            trimmed -= 1
        shapes.append((trimmed, len(record)))
    if not shapes:
        return False, 0.0, 0.0, 0
    counts = Counter(width for _, width in shapes)
    width = max(counts, key=lambda count: (counts[count], count))
    agreeing = sum(1 for trimmed, full in shapes if trimmed <= width <= full)
    return width >= 2, agreeing / len(shapes), counts[width] / len(shapes), width


_Leading = list[tuple[list[str], int, int]]


def _leading_records(text: str, delimiter: str, limits: Limits,
                     header_row: int | None) -> tuple[_Leading, int]:
    """The header's record and the few non-blank ones after it (enough to find title rows),
    each with the line it starts on and how many records were read up to it; and the reader's
    last line. The header is the first non-blank record starting on line ``header_row`` or
    later (line 1 when ``None``)."""
    reader = _Reader(text, _lines(text), delimiter, limits.max_cell_chars)
    wanted = 1 if header_row is not None else MAX_TITLE_ROWS + 1
    first_line = header_row or 1
    leading: _Leading = []
    line = read = 0
    try:
        for fields in reader:
            read += 1
            start, line = line + 1, reader.line_num
            if start >= first_line and any(clean_header(field) for field in fields):
                leading.append((fields, start, read))
                if len(leading) == wanted:
                    break
    except csv.Error as error:
        raise _csv_error(error, line + 1, limits) from None
    return leading, reader.line_num


def _check_merged(text: str, delimiter: str, skip: int, header: list[str]) -> None:
    """Raise ``header.merged_columns`` when the one-column ``header`` (the record after the
    ``skip`` first ones of ``text``) holds a separator-like character as many times as most
    of the records that follow do."""
    cell = next(field for field in header if clean_header(field))
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        records = [record for record in islice(reader, skip, skip + _SAMPLE_RECORDS)
                   if any(field.strip() for field in record)]
    except csv.Error:
        return
    if not records:
        return
    for character in _SEPARATOR_LIKE:
        if character == delimiter:
            continue
        count = cell.count(character)
        if not count:
            continue
        agreeing = sum(1 for record in records if delimiter.join(record).count(character) == count)
        if agreeing * 5 >= len(records) * 4:
            raise UnreadableFileError.from_code("header.merged_columns", value=clean_header(cell),
                                         separator=_separator_name(character))


def _csv_error(error: csv.Error, line: int, limits: Limits) -> UpflowImportError:
    if "field larger than field limit" in str(error):
        return FileTooLargeError.from_code("file.too_large", row=line, limit="max_cell_chars",
                                    actual=f"> {limits.max_cell_chars}", maximum=limits.max_cell_chars)
    return UnreadableFileError.from_code("file.corrupt", row=line, detail=f"line {line}: {error}")


class _Rows:
    """One pass over the data rows; each ``iter()`` parses the text again."""

    def __init__(self, text: str, *, delimiter: str, skip: int, width: int, unnamed: tuple[int, ...],
                 positions: tuple[str, ...], limits: Limits) -> None:
        self.text = text
        self.delimiter = delimiter
        self.skip = skip
        self.width = width
        self.unnamed = unnamed
        self.positions = positions
        self.limits = limits
        #: The table the rows belong to, where row issues are recorded.
        self.table = Table(format="csv", headers=(), rows=())
        self._lines: int | None = None

    @property
    def lines(self) -> int:
        """Physical lines of the text, as the csv reader counts them."""
        if self._lines is None:
            self._lines = _line_count(self.text)
        return self._lines

    def __iter__(self) -> Iterator[Row]:
        limits = self.limits
        cell_limit = limits.max_cell_chars
        lines = _lines(self.text)
        # A cell is never longer than its line unless it spans several lines: when no line is
        # over the limit, only the (rare) records spanning lines need their cells measured.
        every_row = not isinstance(lines, list) or max(map(len, lines), default=0) > cell_limit
        reader = _Reader(self.text, lines, self.delimiter, cell_limit)
        # The line count is read from the csv module's reader when it is the one iterated.
        counter: _Reader | _csv.Reader = reader.plain or reader
        records: Iterator[list[str]] = reader.plain or reader
        width = self.width
        max_rows = limits.max_rows
        unnamed_empty = set(self.unnamed)
        produced = 0
        line = 0
        try:
            for _ in islice(records, self.skip):
                pass
            line = counter.line_num
            for values in records:
                number = line + 1
                line = counter.line_num
                # Empty cells become None; the rest is kept as written (the parser trims values).
                if "" in values:
                    cells: list[str | None] = [value or None for value in values]
                    if not any(cells):
                        continue
                else:
                    cells = values  # type: ignore[assignment]  # list is invariant, but no cell is None
                if len(cells) == width:
                    row = Row(number, tuple(cells))
                else:
                    fitted = self._fit(cells, number)
                    if fitted is None:
                        continue
                    row = Row(number, fitted)
                produced += 1
                if produced > max_rows:
                    raise FileTooLargeError.from_code("file.too_large", limit="max_rows",
                                               actual=f"> {max_rows}", maximum=max_rows)
                if every_row or line > number:
                    self._check_cells(cells, number)
                    if line > number and line == self.lines:
                        self._check_closed(number)
                if unnamed_empty:
                    for index in [index for index in unnamed_empty if row.values[index] is not None]:
                        unnamed_empty.discard(index)
                yield row
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                self.table.add_row_issue(Issue.from_code("csv.unclosed_quote", row=line + 1))
            else:
                raise _csv_error(error, line + 1, limits) from None
        names = self.table.headers
        for index in self.unnamed:
            if index not in unnamed_empty:
                self.table.add_row_issue(Issue.from_code("header.empty", column=names[index],
                                                         position=self.positions[index]))

    def _fit(self, values: list[str | None], number: int) -> tuple[str | None, ...] | None:
        """A row of the header's width; ``None`` for a line of blanks (skipped, not an error)."""
        if all(value is None or not value.strip() for value in values):
            return None
        width = self.width
        actual = len(values)
        if actual > width:
            if any(value is not None and value.strip() for value in values[width:]):
                self.table.add_row_issue(Issue.from_code("csv.inconsistent_columns", row=number,
                                                         actual=actual, expected=width))
            return tuple(values[:width])
        self.table.add_row_issue(Issue.from_code("csv.inconsistent_columns", row=number, actual=actual,
                                                 expected=width))
        return (*values, *(None,) * (width - actual))

    def _check_cells(self, cells: list[str | None], number: int) -> None:
        limit = self.limits.max_cell_chars
        if sum(map(len, filter(None, cells))) <= limit:
            return
        longest = max(map(len, filter(None, cells)))
        if longest > limit:
            raise FileTooLargeError.from_code("file.too_large", row=number, limit="max_cell_chars",
                                       actual=longest, maximum=limit)

    def _check_closed(self, number: int) -> None:
        """The record starting on line ``number`` runs to the end of the file: make sure
        it is not an unclosed quote that swallowed the rest."""
        tail = "".join(islice(io.StringIO(self.text, newline=""), number - 1, None))
        try:
            for _ in _Reader(tail, io.StringIO(tail, newline=""), self.delimiter, self.limits.max_cell_chars,
                             strict=True):
                pass
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                self.table.add_row_issue(Issue.from_code("csv.unclosed_quote", row=number))
