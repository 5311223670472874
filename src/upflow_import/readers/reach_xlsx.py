"""XLSX and XLSM worksheets: how far their cells reach, found before calamine reads them.

The worksheet XML is inflated in 1 MiB chunks (bounded by its declared size,
see :mod:`~upflow_import.readers.archive`); it is never held whole in memory.
Whatever is not read here exactly as python-calamine reads it is refused
(``file.corrupt``), never passed: see :mod:`~upflow_import.readers.xml_tags`
for the XML accepted, and below for what each construct means to calamine.

- **Fast path** (every file written by Excel, LibreOffice, XlsxWriter or
  openpyxl). The ``<dimension ref="A1:S100001"/>`` near the top of the sheet
  is the rectangle the writer claims; it is checked against the limits at
  once (so the classic ``A1:XFD1048576`` file is refused after reading a few
  hundred bytes). Then one regular-expression pass over the rest proves the
  claim: every cell tag must be exactly ``<c r="…"`` with a reference inside
  that rectangle, followed only by the attributes ``s``, ``t``, ``cm``, ``vm``
  or ``ph`` (so no second ``r``), and no cell may hide behind a namespace
  prefix. The part must be UTF-8 without NUL bytes. Measured cost: about
  0.5 s of CPU for a 100,000-row × 19-column sheet (60 MB of XML), against
  2 to 3 s for python-calamine to read it.
- **Exact path** (anything else). Every tag is read as quick-xml reads it;
  from ``<sheetData>`` to ``</sheetData>``, ``<row>`` and ``<c>`` elements
  (any prefix: calamine compares local names) are placed exactly as calamine
  places them: a cell's ``r`` gives its position, a cell without one follows
  the previous cell, a row's ``r`` sets the current row and the end of a row
  moves to the next one. Cells written as ``<c …/>`` hold no value and
  calamine stores nothing for them, so they do not count. Refused: a row
  number that is not ``[1-9][0-9]{0,6}``, a cell reference that is not
  ``[A-Z]{1,3}[1-9][0-9]{0,6}`` (calamine also reads lowercase letters,
  letters before a row number and numbers that wrap around 2³²), a cell whose
  children are not ``v``, ``f`` or ``is`` or do not nest properly, and a row,
  cell or ``sheetData`` inside a cell.

Which part holds which sheet is computed as calamine computes it (see
:func:`sheet_entry`); a workbook whose parts cannot be read that way is
refused, never checked on a guess.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import zipfile
from collections.abc import Iterator

from upflow_import.errors import FileTooLargeError, UpflowImportError
from upflow_import.limits import Limits
from upflow_import.readers.archive import calamine_entry, entry_key, read_small, stream_entry
from upflow_import.readers.reach import Reach, check_reach, column_index
from upflow_import.readers.xml_tags import (
    attributes,
    check_prolog,
    corrupt,
    iter_xml_tags,
    parse_tag,
    read_whole,
    tokens,
    unescape,
    xml_regions,
)

__all__ = ["check_shared_strings", "check_string_copies", "check_worksheet", "relationship_targets",
           "sheet_entry", "worksheet_parts"]

_DIMENSION = re.compile(
    rb"<(?:[\w.-]+:)?dimension\s[^>]*?\bref\s*=\s*[\"']([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?[\"']")
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_CELL_REFERENCE = re.compile(rb"([A-Z]{1,3})([1-9][0-9]{0,6})")
_ROW_NUMBER = re.compile(rb"[1-9][0-9]{0,6}")
_COUNT = re.compile(rb"0|[1-9][0-9]{0,18}")
_ANY_SI = re.compile(rb"</?(?:[A-Za-z_][A-Za-z0-9_.\-]*:)?si(?=[ \t\r\n/>])")
# Every attribute calamine may read as a shared-string type (a superset), and the index of a
# cell in the usual form.
_SHARED_TYPE = re.compile(rb"[ \t\r\n\x0c]t[ \t\r\n\x0c]*=[ \t\r\n\x0c]*(?:\"s\"|'s')")
_SHARED_INDEX = re.compile(rb' t="s"[^<>]*>(?:<f>[^<]*</f>)?<v>([0-9]{1,9})</v>')
# What calamine reads inside a cell (anything else makes it fail).
_CELL_CHILDREN = frozenset({b"v", b"f", b"is"})
# The attributes a canonical cell tag may carry after its reference.
_CELL_ATTRIBUTES = rb"(?: (?:s|t|cm|vm|ph)=\"[^\"<]*+\")*+/?>"
# The shortest shared string, <si/>, takes 5 bytes.
_SHORTEST_STRING = 5
# Room for the longest canonical cell tag the fast path accepts after a match.
_OVERLAP = 256
_MAX_PART = 16 * 1024 * 1024
_OFFICE_DOCUMENT = b"/relationships/officeDocument"


def check_worksheet(archive: zipfile.ZipFile, part: str, limits: Limits) -> None:
    """Raise ``file.too_large`` when the cells of worksheet ``part`` reach beyond ``limits``,
    ``file.corrupt`` when the part is not read exactly as calamine reads it."""
    # One inflation serves the claimed rectangle (in the first chunk) and its proof.
    with contextlib.closing(stream_entry(archive, part)) as chunks:
        first = next(chunks, None)
        claimed = None if first is None else _claimed_rectangle(first)
        if (first is not None and claimed is not None and _within_limits(claimed, limits)
                and _cells_within(itertools.chain([first], chunks), part, claimed)):
            return
    check_reach(_walk(archive, part, limits), limits)


def check_shared_strings(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a shared-strings part whose announced ``uniqueCount`` cannot be true.

    calamine reserves room for that many strings (24 bytes each) when it opens
    the workbook: ``uniqueCount="4294967295"`` asks for 96 GiB and aborts the
    interpreter (found by fuzzing). Every entry named like a shared-strings
    part is read (calamine reads the one next to the workbook it finds, also
    when the file turns out to be XLSB), up to its first ``sst`` element
    wherever it is, with the attribute read as calamine reads it (the first
    one named exactly ``uniqueCount``). A count written in any other form than
    plain decimal digits, or a repeated attribute, is ``file.corrupt``; a count
    larger than the part could hold is ``file.corrupt``; one larger than
    ``max_cells`` (there are never more distinct strings than cells) is
    ``file.too_large``.
    """
    for info in archive.infolist():
        if not entry_key(info.filename).endswith("sharedstrings.xml"):
            continue
        announced = _announced_strings(archive, info)
        if announced is None:
            continue
        if announced > limits.max_cells:
            raise FileTooLargeError.from_code("file.too_large", limit="max_cells", actual=announced,
                                       maximum=limits.max_cells)
        if announced > info.file_size // _SHORTEST_STRING + 1:
            raise corrupt(info.filename, f"announces {announced} strings, more than it can hold")


def _announced_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int | None:
    for tag in iter_xml_tags(stream_entry(archive, info), info.filename):
        if tag.closing or tag.local != b"sst":
            continue
        count = attributes(tag.raw, info.filename).get(b"uniqueCount")
        if count is None:
            return None
        if _COUNT.fullmatch(count) is None:
            raise corrupt(info.filename, "a string count that is not plain digits")
        return int(count)
    return None


def _within_limits(rectangle: Reach, limits: Limits) -> bool:
    try:
        check_reach(rectangle, limits)
    except UpflowImportError:
        return False
    return True


def _claimed_rectangle(first_chunk: bytes) -> Reach | None:
    """The rectangle a worksheet's ``<dimension>`` claims, looked for in its first chunk."""
    match = _DIMENSION.search(first_chunk)
    if match is None:
        return None
    first_letters, first_digits, last_letters, last_digits = match.groups()
    reach = Reach()
    reach.add(int(first_digits) - 1, column_index(first_letters.decode()))
    if last_letters is not None:
        reach.add(int(last_digits) - 1, column_index(last_letters.decode()))
    if reach.first_row < 0 or reach.first_column < 0:
        return None
    return Reach(0, reach.last_row, 0, reach.last_column)


def _cells_within(chunks: Iterator[bytes], part: str, rectangle: Reach) -> bool:
    """Whether every cell tag of ``part`` (inflated as ``chunks``) is canonical, with an ``r``
    inside ``rectangle``."""
    columns = _labels_up_to(_column_label(rectangle.last_column))
    rows = _numbers_up_to(rectangle.last_row + 1)
    outside = re.compile(rb'<c(?=[\s/>])(?! r="(?:' + columns + rb")(?:" + rows + rb')"'
                         + _CELL_ATTRIBUTES + rb")")
    carry = b""
    chunk = next(chunks, b"")
    check_prolog(chunk, part)
    while chunk:
        following = next(chunks, b"")
        buffer = carry + chunk
        if b"\x00" in buffer:
            return False
        final = not following
        limit = len(buffer) if final else len(buffer) - _OVERLAP
        found = outside.search(buffer)
        if found is not None and found.start() < limit:
            return False
        found = _PREFIXED_CELL.search(buffer)
        if found is not None and found.start() < limit:
            return False
        carry = buffer[-_OVERLAP:]
        chunk = following
    return True


def _column_label(index: int) -> bytes:
    letters = b""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = bytes([65 + remainder]) + letters
    return letters


def _labels_up_to(label: bytes) -> bytes:
    """A regular expression for the column labels from ``A`` to ``label``."""
    # Run once per cell of the sheet: no empty repeats, and possessive ones (a label is
    # followed by a digit), which measurably speed up the regular-expression engine.
    size = len(label)
    options = [rb"[A-Z]" + (rb"{1,%d}+" % (size - 1) if size > 2 else b"")] if size > 1 else []
    for position, letter in enumerate(label):
        if letter > ord("A"):
            options.append(label[:position] + b"[A-%c]" % (letter - 1) + _any(rb"[A-Z]", size - position - 1))
    options.append(label)
    return b"|".join(options)


def _numbers_up_to(number: int) -> bytes:
    """A regular expression for the numbers from 1 to ``number``, without leading zeros."""
    # As in _labels_up_to; a number is followed by a quote.
    digits = b"%d" % number
    size = len(digits)
    options = [rb"[1-9]" + (rb"\d{0,%d}+" % (size - 2) if size > 2 else b"")] if size > 1 else []
    for position, digit in enumerate(digits):
        lowest = ord("1") if position == 0 else ord("0")
        if digit > lowest:
            options.append(digits[:position] + b"[%c-%c]" % (lowest, digit - 1)
                           + _any(rb"\d", size - position - 1))
    options.append(digits)
    return b"|".join(options)


def _any(character: bytes, count: int) -> bytes:
    return b"" if count == 0 else character if count == 1 else character + b"{%d}" % count


# In the exact walk: a cell in the form every writer uses (its reference first, then only
# attributes that do not move it, at most a plain value), read in one match; else any tag whose
# local name matters to calamine's reading of the sheet data, read in full.
_WALKED = tokens(
    rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: (?:s|t|cm|vm|ph)="[^"<]*+")*+(?:(/)>|>(?:<f>[^<]*+</f>)?'
    rb'(?:<v>[^<]*+</v>|<is><t(?: xml:space="preserve")?>[^<]*+</t></is>)?</c>)'
    rb'|<row r="([1-9][0-9]{0,6})"(?: (?:spans|s|customFormat|ht|customHeight|hidden|outlineLevel|collapsed'
    rb'|thickBot|thickTop|ph|x14ac:dyDescent)="[^"<]*+")*+(/?)>|(</row>)',
    b"row|c|sheetData|v|f|is")


def _walk(archive: zipfile.ZipFile, part: str, limits: Limits) -> Reach:
    """The exact rectangle of the cells holding a value, placed as calamine places them
    (``file.too_large`` as soon as it is beyond ``limits``)."""
    reach = Reach()
    row = 0
    column = 0
    started = False
    # The names of the open elements of the cell being read (the cell first), when in one.
    cell: list[bytes] = []
    for region in xml_regions(stream_entry(archive, part), part, tokenized=True):
        for match in read_whole(_WALKED, region, part):
            letters = match[1]
            if letters is not None:
                if not started or cell:
                    raise corrupt(part, "a cell outside the sheet data or inside a cell")
                position = (int(match[2]) - 1, column_index(letters.decode()))
                if match[3] is None:
                    reach.add(*position)
                column = position[1] + 1
                continue
            if match[4] is not None or match[6] is not None:
                # A row in the usual form: its number, its end.
                if cell:
                    raise corrupt(part, "a row inside a cell")
                if not started:
                    continue
                if match[4] is not None:
                    row = int(match[4]) - 1
                if match[5] or match[6] is not None:
                    row += 1
                    column = 0
                continue
            content = match["tag"]
            if content is None:
                continue
            tag = parse_tag(content, part)
            local = tag.local
            if not started:
                if not tag.closing and local == b"sheetData":
                    if tag.empty:
                        return reach
                    started = True
                continue
            if cell:
                if tag.closing:
                    if tag.name != cell[-1]:
                        raise corrupt(part, "elements of a cell that do not nest")
                    cell.pop()
                elif len(cell) > 1 or local not in _CELL_CHILDREN:
                    raise corrupt(part, f"an unexpected {local.decode()} element in a cell")
                elif not tag.empty:
                    cell.append(tag.name)
                continue
            if tag.closing:
                if local == b"sheetData":
                    return reach
                if local == b"row":
                    row += 1
                    column = 0
                continue
            if local == b"row":
                number = attributes(tag.raw, part).get(b"r")
                if number is not None:
                    if _ROW_NUMBER.fullmatch(number) is None:
                        raise corrupt(part, "a row number written unusually")
                    row = int(number) - 1
                if tag.empty:
                    row += 1
                    column = 0
            elif local == b"c":
                reference = attributes(tag.raw, part).get(b"r")
                position = (row, column)
                if reference is not None:
                    parsed = _CELL_REFERENCE.fullmatch(reference)
                    if parsed is None:
                        raise corrupt(part, "a cell reference written unusually")
                    position = (int(parsed[2]) - 1, column_index(parsed[1].decode()))
                if not tag.empty:
                    reach.add(*position)
                    cell.append(tag.name)
                column = position[1] + 1
        check_reach(reach, limits)
    return reach


def _xml_part(archive: zipfile.ZipFile, path: str) -> tuple[str, bytes] | None:
    entry = calamine_entry(archive, path)
    if entry is None:
        return None
    content = read_small(archive, entry, _MAX_PART)
    if content is None:
        raise corrupt(entry, "too large for a workbook part")
    return entry, content


def sheet_entry(archive: zipfile.ZipFile, sheet: str) -> str:
    """The zip entry calamine reads for ``sheet``, computed as calamine computes it:

    - ``_rels/.rels`` names the workbook: its ``officeDocument`` relationship
      (exactly one, else ``file.corrupt``) gives the folder ``xl_path`` (the
      target up to its last ``/``); calamine then reads ``{xl_path}workbook.xml``
      and ``{xl_path}_rels/workbook.xml.rels`` whatever the target's file name;
    - each ``<sheet>`` of the workbook names its relationship by the one
      attribute whose local name is ``id`` (several: ``file.corrupt``, as is a
      sheet name given twice or an id that is not in the relationships, or an
      id given to two relationships);
    - the target is taken as written (no ``..`` folded, no entity resolved):
      from the archive's root when it starts with ``/``, else after ``xl_path``;
      the entry is then looked up ignoring ASCII case.

    ``file.corrupt`` when any of these parts is missing or unreadable.
    """
    parts = _sheet_entries(archive)
    if sheet not in parts:
        raise corrupt("workbook.xml", f"no part found for the sheet {sheet!r}")
    return parts[sheet]


def _xl_path(archive: zipfile.ZipFile) -> str:
    """The folder of the workbook, as calamine finds it in the package's relationships."""
    package = _xml_part(archive, "_rels/.rels")
    if package is None:
        raise corrupt("_rels/.rels", "missing")
    targets = [target for _, kind, target in _relationships(*package, inside=True)
               if kind is not None and kind.endswith(_OFFICE_DOCUMENT)]
    if len(targets) != 1 or targets[0] is None:
        raise corrupt("_rels/.rels", "not exactly one workbook")
    document = unescape(targets[0], "_rels/.rels")
    slash = document.rfind("/")
    xl_path = document[:slash + 1] if slash >= 0 else ""
    return xl_path[1:] if xl_path.startswith("/") else xl_path


def check_string_copies(archive: zipfile.ZipFile, part: str, limits: Limits) -> None:
    """Raise ``file.too_large`` when the cells of worksheet ``part`` that show a shared string
    would make calamine copy more than ``limits.max_uncompressed_bytes``.

    calamine gives every such cell its own copy of the string: a 1 MiB string shown by 300
    cells of a 7 KB file costs 300 MiB, by 30,000 cells 30 GiB (measured). The bound is the
    number of ``t="s"`` attributes of the sheet times the longest string (when that is within
    the limit the sheet is not even read: its size bounds the count); beyond, each cell counts
    the longest string from its index on (calamine may skip an empty ``si``, which only moves
    its strings to lower indexes). Strings are measured between ``<si>`` and ``</si>``; a
    shared-strings part written otherwise is measured whole for each string.
    """
    entry = calamine_entry(archive, f"{_xl_path(archive)}sharedStrings.xml")
    if entry is None:
        return
    content = read_small(archive, entry, limits.max_uncompressed_bytes)
    if content is None:
        raise corrupt(entry, "too large")
    lengths = _string_lengths(content)
    longest = max(lengths) if lengths is not None and lengths else len(content)
    budget = limits.max_uncompressed_bytes
    if archive.getinfo(part).file_size // len(b't="s"') * longest <= budget:
        return
    suffix = list(itertools.accumulate(reversed(lengths or [len(content)]), max))[::-1]
    total = 0
    for region in xml_regions(stream_entry(archive, part), part, tokenized=True):
        counted = len(_SHARED_TYPE.findall(region))
        for index in _SHARED_INDEX.findall(region):
            number = int(index)
            total += suffix[number] if number < len(suffix) else 0
            counted -= 1
        total += max(counted, 0) * longest
        if total > budget:
            raise FileTooLargeError.from_code("file.too_large", limit="max_uncompressed_bytes",
                                              actual=f"> {total}", maximum=budget)


def _string_lengths(content: bytes) -> list[int] | None:
    """The bytes of each shared string, when every one is written ``<si>…</si>`` (no prefix,
    no attribute, no nesting), else ``None``."""
    if len(_ANY_SI.findall(content)) != content.count(b"<si>") + content.count(b"</si>"):
        return None
    pieces = content.split(b"<si>")
    if b"</si>" in pieces[0]:
        return None
    lengths = []
    for piece in pieces[1:]:
        end = piece.find(b"</si>")
        if end < 0 or piece.find(b"</si>", end + 1) >= 0:
            return None
        lengths.append(end)
    return lengths


def _sheet_entries(archive: zipfile.ZipFile) -> dict[str, str]:
    xl_path = _xl_path(archive)
    relations = _xml_part(archive, f"{xl_path}_rels/workbook.xml.rels")
    if relations is None:
        raise corrupt(f"{xl_path}_rels/workbook.xml.rels", "missing")
    relationships: dict[bytes, bytes] = {}
    for ident, _, target in _relationships(*relations, inside=False):
        if ident is None:
            continue
        if ident in relationships:
            raise corrupt(relations[0], "two relationships with one id")
        relationships[ident] = target or b""
    workbook = _xml_part(archive, f"{xl_path}workbook.xml")
    if workbook is None:
        return {}
    part, content = workbook
    found: dict[str, str] = {}
    for tag in iter_xml_tags([content], part):
        if tag.closing:
            if tag.local == b"workbook":
                break
            continue
        if tag.local != b"sheet":
            continue
        values = attributes(tag.raw, part)
        idents = [value for key, value in values.items() if key == b"id" or key.endswith(b":id")]
        name = unescape(values.get(b"name", b""), part)
        if len(idents) != 1 or idents[0] not in relationships or name in found:
            raise corrupt(part, f"the sheet {name!r} has no single relationship")
        written = _decode(relationships[idents[0]], part)
        entry = calamine_entry(archive, written[1:] if written.startswith("/") else xl_path + written)
        if entry is None:
            raise corrupt(part, f"the part of the sheet {name!r} is missing")
        found[name] = entry
    return found


_Relationship = tuple[bytes | None, bytes | None, bytes | None]


def _relationships(part: str, content: bytes, *, inside: bool) -> list[_Relationship]:
    """The (id, type, target) of each relationship as calamine reads them, up to
    ``</Relationships>`` (``inside``: only after ``<Relationships>``, as calamine reads the
    package's)."""
    found: list[_Relationship] = []
    started = not inside
    for tag in iter_xml_tags([content], part):
        if tag.closing:
            if tag.local == b"Relationships" and started:
                return found
            continue
        if tag.local == b"Relationships":
            started = True
        if not started or tag.local != b"Relationship":
            continue
        values = attributes(tag.raw, part)
        found.append((values.get(b"Id"), values.get(b"Type"), values.get(b"Target")))
    raise corrupt(part, "the relationships do not end")


def _decode(value: bytes, part: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise corrupt(part, "a name that is not UTF-8") from None


def worksheet_parts(archive: zipfile.ZipFile) -> dict[str, tuple[str, ...]] | None:
    """Sheet name → the zip entry calamine reads for it (see :func:`sheet_entry`), or ``None``
    when the workbook's parts cannot be read that way."""
    try:
        return {name: (entry,) for name, entry in _sheet_entries(archive).items()}
    except UpflowImportError:
        return None


def relationship_targets(relations: bytes, folder: str) -> dict[str, tuple[str, ...]] | None:
    """Relationship id → the zip entry its target names, from a workbook's ``.rels`` part in
    ``folder`` read as calamine reads an XLSX workbook's (``None`` when it cannot be read): the
    target as written, from the archive's root when it starts with ``/``, else after ``folder``."""
    try:
        targets: dict[str, tuple[str, ...]] = {}
        for ident, _, target in _relationships(f"{folder}/_rels", relations, inside=False):
            if ident is None:
                continue
            text = _decode(target or b"", folder)
            targets[_decode(ident, folder)] = (text[1:] if text.startswith("/") else f"{folder}/{text}",)
        return targets
    except UpflowImportError:
        return None
