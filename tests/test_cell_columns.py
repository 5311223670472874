"""The parsed file's original cells, held by column, read as the rows' tuples they stand for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import upflow_import as ui
from upflow_import.model import CellColumns

CELL = st.one_of(st.none(), st.sampled_from(["Paris", "Lyon", "", " "]), st.text(max_size=3))


@given(st.integers(0, 4).flatmap(lambda width: st.lists(st.tuples(*[CELL] * width), max_size=8).map(
    lambda rows: (width, rows))), st.integers(-10, 10), st.integers(-10, 10), st.sampled_from([1, 2, -1]))
def test_cell_columns_read_as_the_rows_they_were_made_of(
        shaped: tuple[int, list[tuple[str | None, ...]]], index: int, start: int, step: int) -> None:
    width, rows = shaped
    plain = tuple(rows)
    cells = CellColumns(rows, width)
    assert len(cells) == len(plain)
    assert tuple(cells) == plain and cells == plain and hash(cells) == hash(plain)
    assert cells[start::step] == plain[start::step]
    if -len(plain) <= index < len(plain):
        assert cells[index] == plain[index]
    else:
        with pytest.raises(IndexError):
            cells[index]
    assert bool(cells) == bool(plain)


def test_a_parsed_file_keeps_one_text_per_distinct_cell_of_a_column() -> None:
    table = ui.read_table(b"Nom du client;Ville\nAcme;Paris\nGlobex;Paris\nInitech;Paris\n")
    parsed = ui.parse(table, ui.auto_map(table))
    cities = [row[1] for row in parsed.cells]
    assert cities == ["Paris"] * 3
    assert cities[0] is cities[1] is cities[2]  # one string for the three rows, not three
    assert [row.cells for row in parsed.rows] == [
        ("Acme", "Paris"), ("Globex", "Paris"), ("Initech", "Paris")]
