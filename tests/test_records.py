"""read_records: rows an ETL job holds (mappings, sequences, DataFrames, Arrow tables) read as a file is."""

from __future__ import annotations

import datetime
import enum
import io
import uuid
from decimal import Decimal

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

import upflow_import as ui
from upflow_import.fields import Field

pandas = pytest.importorskip("pandas")
polars = pytest.importorskip("polars")
pyarrow = pytest.importorskip("pyarrow")


def cells(table: ui.Table) -> list[tuple[int, tuple[str | None, ...]]]:
    return [(row.number, row.values) for row in table.rows]


# -- what it accepts -----------------------------------------------------------------------------


def test_mappings_take_their_columns_in_the_order_first_seen() -> None:
    table = ui.read_records([{"Customer": "Acme", "City": "Paris"},
                             {"City": "Lyon", "Customer": "Globex", "VAT": "FR40303265045"},
                             {"Customer": "Initech"}])
    assert table.format == "records" and table.issues == []
    assert table.headers == ("Customer", "City", "VAT")
    assert cells(table) == [(2, ("Acme", "Paris", None)), (3, ("Globex", "Lyon", "FR40303265045")),
                            (4, ("Initech", None, None))]


def test_explicit_headers_fix_the_columns_and_refuse_a_key_they_do_not_name() -> None:
    table = ui.read_records([{"City": "Paris", "Customer": "Acme"}], headers=["Customer", "City", "VAT"])
    assert table.headers == ("Customer", "City", "VAT")
    assert cells(table) == [(2, ("Acme", "Paris", None))]
    with pytest.raises(ValueError, match=r"row 3 has the key 'Notes', which headers does not name"):
        ui.read_records([{"Customer": "Acme"}, {"Customer": "Globex", "Notes": "VIP"}], headers=["Customer"])


def test_sequences_need_headers_and_the_right_width() -> None:
    table = ui.read_records([("Acme", 30), ("Globex", None)], headers=["Customer", "Payment terms"])
    assert cells(table) == [(2, ("Acme", "30")), (3, ("Globex", None))]
    with pytest.raises(TypeError, match="need headers"):
        ui.read_records([("Acme", 30)])
    with pytest.raises(ValueError, match="row 3 has 1 values for 2 columns"):
        ui.read_records([("Acme", 30), ("Globex",)], headers=["Customer", "Payment terms"])


def test_a_file_is_refused_with_the_function_that_reads_it() -> None:
    for source in ("clients.csv", b"Customer\nAcme\n"):
        with pytest.raises(TypeError, match=r"read_table\(\)"):
            ui.read_records(source)
    with pytest.raises(TypeError, match="cannot read a int"):
        ui.read_records(42)


def test_blank_records_are_skipped_and_keep_the_numbering() -> None:
    table = ui.read_records([{"Customer": "Acme"}, {"Customer": None}, {"Customer": "  "},
                             {"Customer": "Globex"}])
    assert cells(table) == [(2, ("Acme",)), (5, ("Globex",))]


def test_headers_are_cleaned_as_a_files_are() -> None:
    table = ui.read_records([{"\ufeffCustomer ": "Acme", "Customer": "Acme SA", "": "x", 7: "seven"}])
    assert table.headers == ("Customer", "Customer (2)", "[3]", "7")
    assert [issue.code for issue in table.issues] == ["header.duplicate", "header.empty"]


def test_no_records_at_all_is_an_empty_file() -> None:
    for empty in ([], pandas.DataFrame(), iter(())):
        with pytest.raises(ui.UnreadableFileError) as raised:
            ui.read_records(empty)
        assert raised.value.code == "file.empty"


# -- DataFrames and Arrow tables -------------------------------------------------------------------

FRAME = {
    "Customer": ["Acme", None, "Globex"],
    "Postal code": [75001.0, 69002.0, float("nan")],
    "Since": [datetime.datetime(2024, 1, 2), None, datetime.datetime(2024, 3, 4, 10, 30)],
    "Active": [True, False, True],
}
EXPECTED = [
    (2, ("Acme", "75001", "2024-01-02", "1")),
    (3, (None, "69002", None, "0")),
    (4, ("Globex", None, "2024-03-04 10:30:00", "1")),
]


def test_a_pandas_dataframe_reads_like_the_workbook_of_its_values() -> None:
    frame = pandas.DataFrame(FRAME)
    table = ui.read_records(frame)
    assert table.headers == tuple(FRAME) and cells(table) == EXPECTED


def test_pandas_nullable_types_and_missing_markers_are_empty_cells() -> None:
    frame = pandas.DataFrame({"Customer": ["Acme", "Globex"],
                              "Terms": pandas.array([30, None], dtype="Int64"),
                              "Main": pandas.array([True, None], dtype="boolean"),
                              "Since": [pandas.Timestamp("2024-01-02"), pandas.NaT]})
    assert cells(ui.read_records(frame)) == [(2, ("Acme", "30", "1", "2024-01-02")),
                                             (3, ("Globex", None, None, None))]


def test_a_polars_dataframe_and_an_arrow_table_read_the_same() -> None:
    assert cells(ui.read_records(polars.DataFrame(FRAME, strict=False))) == EXPECTED
    arrow = pyarrow.table(FRAME)
    assert cells(ui.read_records(arrow)) == EXPECTED
    # Any object exporting an Arrow C stream, not only pyarrow's own table.
    assert cells(ui.read_records(ArrowStream(arrow))) == EXPECTED


class ArrowStream:
    """A foreign table that only implements the Arrow PyCapsule stream interface."""

    def __init__(self, table: object) -> None:
        self._table = table

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self._table.__arrow_c_stream__(requested_schema)  # type: ignore[attr-defined]


def test_a_dataframe_repeating_a_column_name_keeps_both_as_a_file_would() -> None:
    frame = pandas.DataFrame([["Acme", "a@acme.fr", "b@acme.fr"]], columns=["Customer", "Email", "Email"])
    table = ui.read_records(frame)
    assert table.headers == ("Customer", "Email", "Email (2)")
    assert [issue.code for issue in table.issues] == ["header.duplicate"]
    assert cells(table) == [(2, ("Acme", "a@acme.fr", "b@acme.fr"))]


def test_a_dataframe_with_explicit_headers_is_renamed_not_reordered() -> None:
    frame = pandas.DataFrame({"nom": ["Acme"], "ville": ["Paris"]})
    assert ui.read_records(frame, headers=["Customer", "City"]).headers == ("Customer", "City")
    with pytest.raises(ValueError, match="names 1 columns, the table has 2"):
        ui.read_records(frame, headers=["Customer"])


# -- cells: the text a workbook cell of the same value becomes --------------------------------------


def workbook_texts(values: list[object]) -> tuple[str | None, ...]:
    """``values`` written in one row of a real workbook under a header, read back."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for column, value in enumerate(values):
        sheet.write_string(0, column, f"c{column}")
        if isinstance(value, datetime.date):
            sheet.write_datetime(1, column, value, date_format)
        elif isinstance(value, bool):
            sheet.write_boolean(1, column, value)
        elif isinstance(value, int | float):
            sheet.write_number(1, column, value)
        elif isinstance(value, str):
            sheet.write_string(1, column, value)
    workbook.close()
    row = next(ui.read_table(output.getvalue()).rows, None)
    return (None,) * len(values) if row is None else row.values


CELL_VALUES = st.one_of(
    st.integers(-(10**14), 10**14),
    # 15 significant digits, what Excel keeps: XlsxWriter itself writes no more.
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e20, max_value=1e20)
    .map(lambda number: float(f"{number:.15g}")),
    st.booleans(),
    st.dates(min_value=datetime.date(1900, 3, 1), max_value=datetime.date(2100, 1, 1)),
    st.datetimes(min_value=datetime.datetime(1900, 3, 1), max_value=datetime.datetime(2100, 1, 1))
    .map(lambda moment: moment.replace(microsecond=0)),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20),
)


@given(st.lists(CELL_VALUES, min_size=1, max_size=6))
def test_every_value_becomes_the_text_its_workbook_cell_would(values: list[object]) -> None:
    row = next(ui.read_records([values], headers=[f"c{n}" for n in range(len(values))]).rows, None)
    assert ((None,) * len(values) if row is None else row.values) == workbook_texts(values)


def test_values_a_workbook_never_holds_have_documented_texts() -> None:
    class Tier(enum.Enum):
        GOLD = "gold"

    token = uuid.UUID("12345678-1234-5678-1234-567812345678")
    values = [Decimal("1001.00"), Decimal("12.50"), Tier.GOLD, token, datetime.time(9, 30),
              datetime.timedelta(hours=26), float("nan"), pandas.NA]
    (row,) = ui.read_records([values], headers=[str(n) for n in range(len(values))]).rows
    assert row.values == ("1001", "12.5", "gold", str(token), "09:30:00", "26:00:00", None, None)


@pytest.mark.parametrize("value", [b"bytes", ["a", "b"], {"a": 1}, {"a"}, ("a",)])
def test_structured_values_are_refused_with_their_row_and_column(value: object) -> None:
    with pytest.raises(TypeError, match=r"not a cell value \(row 3, column 'Tags'\)"):
        ui.read_records([{"Tags": "ok"}, {"Tags": value}])


def test_numpy_scalars_are_the_values_they_stand_for() -> None:
    numpy = pytest.importorskip("numpy")
    values = [numpy.int64(30), numpy.float32(0.5), numpy.bool_(True), numpy.datetime64("2024-01-02"),
              numpy.datetime64("NaT", "D"), numpy.float64("nan")]
    (row,) = ui.read_records([values], headers=[str(n) for n in range(len(values))]).rows
    assert row.values == ("30", "0.5", "1", "2024-01-02", None, None)


# -- limits: a file's ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("limits", "records", "limit"), [
    (ui.Limits(max_rows=2), [{"a": n} for n in range(3)], "max_rows"),
    (ui.Limits(max_columns=2), [{"a": 1, "b": 2}, {"c": 3}], "max_columns"),
    (ui.Limits(max_cell_chars=5), [{"a": "short"}, {"a": "too long"}], "max_cell_chars"),
    (ui.Limits(max_cells=5), [{"a": 1, "b": 2}] * 3, "max_cells"),
])
def test_the_limits_of_a_file_apply(limits: ui.Limits, records: list[dict[str, object]], limit: str) -> None:
    with pytest.raises(ui.FileTooLargeError) as raised:
        ui.read_records(records, limits=limits)
    assert raised.value.code == "file.too_large" and dict(raised.value.issue.params)["limit"] == limit


def test_max_rows_stops_an_endless_generator() -> None:
    def endless() -> object:
        while True:
            yield {"Customer": "Acme"}

    with pytest.raises(ui.FileTooLargeError):
        ui.read_records(endless(), limits=ui.Limits(max_rows=100))


# -- into the importer --------------------------------------------------------------------------------


def test_import_file_takes_records_a_dataframe_or_a_table() -> None:
    rows = [{"Customer ID": "C1", "Customer": "Acme", "Payment terms": 30.0, "Email": "Compta@Acme.fr"},
            {"Customer ID": "C2", "Customer": "Globex", "Payment terms": None, "Email": None}]
    for source in (rows, pandas.DataFrame(rows), polars.DataFrame(rows), ui.read_records(rows)):
        repository = ui.InMemoryRepository()
        report = ui.import_file(source, repository)
        assert report.ok and report.file.format == "records", source
        assert (report.summary.clients.create, report.summary.contacts.create) == (2, 1)
        assert repository.client_by_external_id("C1").values[Field.CLIENT_PAYMENT_TERM_DAYS] == 30


def test_reading_overrides_are_refused_for_rows_already_read() -> None:
    with pytest.raises(ValueError, match="sheet, delimiter only apply to a file"):
        ui.import_file([{"Customer": "Acme"}], ui.InMemoryRepository(), sheet="Clients", delimiter=";")


def test_the_documented_examples_run() -> None:
    import doctest

    from upflow_import import report, table
    from upflow_import.readers import records

    for module in (records, report, table):
        assert doctest.testmod(module).failed == 0, module


def test_table_from_rows_takes_any_cell_value() -> None:
    table = ui.Table.from_rows(["Customer", "Payment terms", "Since"],
                               [["Acme", 30, datetime.date(2024, 1, 2)], ["Globex", 45.0, None]])
    assert cells(table) == [(2, ("Acme", "30", "2024-01-02")), (3, ("Globex", "45", None))]
    report = ui.import_file(table, ui.InMemoryRepository())
    assert report.ok and report.summary.clients.create == 2
