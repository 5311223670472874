"""Workbook cell values become the text a person typed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from upflow_import.cells import cell_text, texts_of_rows
from upflow_import.errors import FileTooLargeError

# Numbers as a person types them: up to 15 significant digits, which Excel keeps exactly.
typed_numbers = st.builds(
    lambda digits, exponent, negative: Decimal((int(negative), tuple(map(int, str(digits))), exponent)),
    st.integers(min_value=0, max_value=10**15 - 1), st.integers(min_value=-12, max_value=6), st.booleans())


@given(typed_numbers)
@example(Decimal("1E-10"))
@example(Decimal("123456789012345E+6"))
def test_a_typed_number_reads_back_as_the_same_number_without_float_noise(number: Decimal) -> None:
    assume(number == 0 or abs(number) >= Decimal("1e-10"))  # below, an exponent keeps it short
    text = cell_text(float(number))
    assert text is not None
    assert "e" not in text.lower()
    assert Decimal(text) == number
    if number == number.to_integral_value():
        assert "." not in text


@pytest.mark.parametrize(("value", "text"), [
    (75001.0, "75001"),
    (0.1 + 0.2, "0.3"),
    (1e-05, "0.00001"),
    (1e-12, "1e-12"),
    (5e-324, "4.94065645841247e-324"),
    (-3.0, "-3"),
    (12.5, "12.5"),
    (30, "30"),
    (True, "1"),
    (False, "0"),
    (datetime.date(2024, 3, 1), "2024-03-01"),
    (datetime.datetime(2024, 3, 1), "2024-03-01"),
    (datetime.datetime(2024, 3, 1, 10, 30, 5), "2024-03-01 10:30:05"),
    (datetime.time(10, 30), "10:30:00"),
    (datetime.timedelta(days=1, hours=6, minutes=5), "30:05:00"),
    ("  Acme\u00a0\t", "Acme"),
    ("", None),
    ("   ", None),
    (None, None),
])
def test_each_kind_of_value(value: object, text: str | None) -> None:
    assert cell_text(value) == text


def test_rows_keep_their_numbers_and_lose_blank_rows() -> None:
    rows = [["Nom", "Code postal"], ["", ""], [" Acme ", 75001.0], [None, ""], ["Globex", ""]]
    assert texts_of_rows(rows, 100) == [(1, ("Nom", "Code postal")), (3, ("Acme", "75001")),
                                        (5, ("Globex", None))]


def by_cell(rows: list[list[object]]) -> list[tuple[int, tuple[str | None, ...]]]:
    """What texts_of_rows must give, one cell at a time."""
    texts = [(number, tuple(cell_text(value) for value in values)) for number, values in enumerate(rows, 1)]
    return [(number, values) for number, values in texts if any(values)]


def test_rows_over_several_blocks_read_as_one_cell_at_a_time() -> None:
    rows: list[list[object]] = [[f" r{index} ", float(index % 5), "" if index % 3 else "x", index % 2 == 0]
                                for index in range(2_500)]
    rows[700:703] = [["", "", "", ""], ["Short"], []]  # a blank row, and rows of other lengths
    rows[1_500][1] = datetime.date(2024, 1, 31)
    assert texts_of_rows(rows, 100) == by_cell(rows)


def test_a_cell_too_long_is_found_in_its_row_past_the_first_block() -> None:
    rows = [["a" * 30, "b"] for _ in range(2_000)] + [["c", " " + "d" * 101]]
    with pytest.raises(FileTooLargeError) as raised:
        texts_of_rows(rows, 100)
    assert raised.value.issue.row == 2_001
    assert dict(raised.value.issue.params)["actual"] == 101
    assert texts_of_rows(rows, 101) == by_cell(rows)
