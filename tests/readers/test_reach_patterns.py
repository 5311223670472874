"""The regular expressions the XLSX fast path builds for "a cell reference inside the rectangle"."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from upflow_import.readers.reach import column_index
from upflow_import.readers.reach_xlsx import _column_label, _labels_up_to, _numbers_up_to


def test_numbers_up_to_a_small_bound_match_exactly_one_to_the_bound() -> None:
    for bound in range(1, 250):
        pattern = re.compile(_numbers_up_to(bound))
        matched = {number for number in range(1_200) if pattern.fullmatch(b"%d" % number)}
        assert matched == set(range(1, bound + 1)), bound


@given(st.integers(min_value=1, max_value=10**7), st.integers(min_value=0, max_value=2 * 10**7))
def test_numbers_up_to_a_bound_match_exactly_one_to_the_bound(bound: int, number: int) -> None:
    pattern = re.compile(_numbers_up_to(bound))
    assert bool(pattern.fullmatch(b"%d" % number)) == (1 <= number <= bound)
    assert not pattern.fullmatch(b"0%d" % number)


def test_labels_up_to_a_bound_match_exactly_a_to_the_bound() -> None:
    labels = [_column_label(index) for index in range(800)]
    for last in [*range(60), 675, 676, 701, 702, 703]:
        pattern = re.compile(_labels_up_to(_column_label(last)))
        assert [bool(pattern.fullmatch(label)) for label in labels] == [index <= last for index in range(800)]


@given(st.integers(min_value=0, max_value=16_383), st.integers(min_value=0, max_value=18_277))
def test_labels_up_to_a_bound_match_exactly_a_to_the_bound_far_out(last: int, index: int) -> None:
    label = _column_label(index)
    assert column_index(label.decode()) == index
    assert bool(re.fullmatch(_labels_up_to(_column_label(last)), label)) == (index <= last)


@given(st.integers(min_value=0, max_value=16_383), st.integers(min_value=1, max_value=1_048_576),
       st.integers(min_value=0, max_value=18_277), st.integers(min_value=1, max_value=2_000_000))
def test_a_reference_matches_when_both_its_parts_are_inside(last_column: int, last_row: int, column: int,
                                                            row: int) -> None:
    # Labels and numbers one after the other, as in the fast path's pattern: the possessive
    # repeats must not cut a label or a number short.
    pattern = re.compile(rb'r="(?:' + _labels_up_to(_column_label(last_column)) + rb")(?:"
                         + _numbers_up_to(last_row) + rb')"')
    reference = b'r="%s%d"' % (_column_label(column), row)
    assert bool(pattern.fullmatch(reference)) == (column <= last_column and row <= last_row)
