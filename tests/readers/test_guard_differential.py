"""The guard's reading of a sheet equals calamine's, on sheets in every form the guard accepts.

Small generated sheets (rows and cells with and without references, prefixes, attributes in
any order, empty cells, rows without cells) are read by the guard's exact walk and by
python-calamine; the rectangles of the cells holding a value must be the same. The fast path
must never accept a sheet whose cells calamine places outside the claimed rectangle.
"""

from __future__ import annotations

import io
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from reader_files import crafted_xlsx

from upflow_import.limits import Limits
from upflow_import.readers.archive import stream_entry
from upflow_import.readers.reach import Reach
from upflow_import.readers.reach_xlsx import _cells_within, _column_label, _walk

PART = "xl/worksheets/sheet1.xml"


@st.composite
def cell(draw: st.DrawFn, row: int) -> bytes:
    prefix = draw(st.sampled_from([b"", b"x:"]))
    attributes = []
    if draw(st.booleans()):
        column = draw(st.integers(min_value=0, max_value=29))
        number = draw(st.one_of(st.just(row), st.integers(min_value=1, max_value=40)))
        attributes.append(b'r="' + _column_label(column) + b"%d" % number + b'"')
    others = st.sampled_from([b's="1"', b't="n"', b'spans="1:3"'])
    attributes += draw(st.lists(others, max_size=2, unique=True))
    attributes = draw(st.permutations(attributes))
    head = b"<" + prefix + b"c" + b"".join(b" " + attribute for attribute in attributes)
    if draw(st.booleans()):
        return head + b"/>"
    return head + b"><" + prefix + b"v>%d</" % draw(st.integers(0, 99)) + prefix + b"v></" + prefix + b"c>"


@st.composite
def sheet_body(draw: st.DrawFn) -> bytes:
    body = b""
    current = 1
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        prefix = draw(st.sampled_from([b"", b"x:"]))
        numbered = draw(st.booleans())
        if numbered:
            current = draw(st.integers(min_value=1, max_value=40))
        cells = draw(st.lists(cell(current), max_size=5))
        head = b"<" + prefix + b"row" + (b' r="%d"' % current if numbered else b"")
        body += head + (b"/>" if not cells else b">" + b"".join(cells) + b"</" + prefix + b"row>")
        current += 1
    return body


def calamine_rectangle(data: bytes) -> tuple[tuple[int, int], tuple[int, int]] | None:
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Sheet1")
    if sheet.start is None or sheet.height == 0:
        return None
    return tuple(sheet.start), tuple(sheet.end)  # type: ignore[return-value]


@settings(max_examples=300, deadline=None)
@given(sheet_body())
def test_the_exact_walk_places_cells_where_calamine_does(body: bytes) -> None:
    data = crafted_xlsx(body)
    reach = _walk(zipfile.ZipFile(io.BytesIO(data)), PART, Limits())

    expected = calamine_rectangle(data)

    if expected is None:
        assert reach.empty
    else:
        assert ((reach.first_row, reach.first_column), (reach.last_row, reach.last_column)) == expected


@settings(max_examples=300, deadline=None)
@given(sheet_body(), st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=29))
def test_the_fast_path_accepts_no_cell_outside_its_rectangle(body: bytes, last_row: int,
                                                              last_column: int) -> None:
    data = crafted_xlsx(body)
    claimed = Reach(0, last_row, 0, last_column)

    accepted = _cells_within(stream_entry(zipfile.ZipFile(io.BytesIO(data)), PART), PART, claimed)

    expected = calamine_rectangle(data)
    if accepted and expected is not None:
        assert expected[1][0] <= last_row
        assert expected[1][1] <= last_column
