"""parse(): rows to records, with every problem located by row, column, field and value."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import upflow_import as ui
from upflow_import import (
    Address,
    ClientRef,
    ColumnMapping,
    Issue,
    ParsedImport,
    Position,
    Row,
    Table,
    parse,
)
from upflow_import.fields import Field

HEADERS = [
    "Identifiant Client", "Nom du client", "Pays", "Code postal", "Délai", "Responsable",
    "Nom du groupe", "Email du contact", "Prénom", "Téléphone", "Poste", "Principal", "Notes",
]
MAPPING = ColumnMapping.from_dict({
    "Identifiant Client": "client.external_id",
    "Nom du client": "client.name",
    "Pays": "client.country",
    "Code postal": "client.postal_code",
    "Délai": "client.payment_term_days",
    "Responsable": "client.account_manager_email",
    "Nom du groupe": "group.name",
    "Email du contact": "contact.email",
    "Prénom": "contact.first_name",
    "Téléphone": "contact.phone",
    "Poste": "contact.position",
    "Principal": "contact.is_main",
    "Notes": None,
})


def row(**cells: str) -> list[str | None]:
    """A row of HEADERS from keyword cells (spaces and accents spelled as in the keys below)."""
    names = {
        "id": "Identifiant Client", "name": "Nom du client", "country": "Pays",
        "postal_code": "Code postal", "term": "Délai", "manager": "Responsable",
        "group": "Nom du groupe", "email": "Email du contact", "first_name": "Prénom",
        "phone": "Téléphone", "position": "Poste", "main": "Principal", "notes": "Notes",
    }
    by_header = {names[key]: value for key, value in cells.items()}
    return [by_header.get(header, "") for header in HEADERS]


def parse_rows(*rows: Sequence[str | None]) -> ui.ParsedImport:
    return parse(Table.from_rows(HEADERS, rows), MAPPING)


def located(issue: Issue) -> tuple[str, int | None, str | None, str | None, str | None]:
    return (issue.code, issue.row, issue.column, issue.field, issue.value)


def test_a_full_row_becomes_a_client_and_a_contact() -> None:
    parsed = parse_rows(row(
        id=" C001 ", name="Acme\u00a0 SAS", country="France", postal_code="1000", term="30.0",
        manager="Anne@Upflow.io; bob@upflow.io", group="Acme Group", email="Jean@Acme.fr",
        first_name="Jean", phone="01 23 45 67 89", position="Comptable", main="1", notes="VIP"))
    (parsed_row,) = parsed.rows
    assert parsed_row.number == 2
    client = parsed_row.client
    assert client is not None
    assert client.rows == (2,)
    assert (client.external_id, client.name) == ("C001", "Acme SAS")
    assert client.address == Address(postal_code="01000", country="FR")
    assert client.payment_term_days == 30
    assert client.account_manager_emails == ("anne@upflow.io", "bob@upflow.io")
    assert client.parent == ClientRef(name="Acme Group")
    contact = parsed_row.contact
    assert contact is not None
    assert (contact.email, contact.key) == ("Jean@Acme.fr", "jean@acme.fr")
    assert (contact.first_name, contact.phone) == ("Jean", "+33123456789")
    assert (contact.position, contact.is_main) == (Position.ACCOUNTING, True)
    # The padded postal code is the only remark: a warning, so the row stays usable.
    assert [located(i) for i in parsed_row.issues] == [
        ("value.postal_code_padded", 2, "Code postal", "client.postal_code", "1000")]
    assert parsed_row.client_ok and parsed_row.contact_ok
    assert parsed_row.cells[-1] == "VIP"


def test_every_bad_cell_is_reported_where_it_is_and_other_rows_still_parse() -> None:
    parsed = parse_rows(
        row(id="C001", name="Acme", term="trente", email="jean@"),
        row(id="C002", name="Globex", country="Frence", phone="01 23", position="Manager",
            main="peut-être"),
        row(id="C003", name="Initech", term="-5", manager="anne@upflow.io, bob@"),
        row(id="C004", name="Umbrella", term="45"),
    )
    assert [r.number for r in parsed.rows] == [2, 3, 4, 5]
    assert [located(i) for r in parsed.rows for i in r.issues] == [
        ("value.invalid_integer", 2, "Délai", "client.payment_term_days", "trente"),
        ("value.invalid_email", 2, "Email du contact", "contact.email", "jean@"),
        ("value.unknown_country", 3, "Pays", "client.country", "Frence"),
        ("value.invalid_phone", 3, "Téléphone", "contact.phone", "01 23"),
        ("value.invalid_choice", 3, "Poste", "contact.position", "Manager"),
        ("value.invalid_flag", 3, "Principal", "contact.is_main", "peut-être"),
        ("contact.email_required", 3, "Email du contact", "contact.email", None),
        ("value.out_of_range", 4, "Délai", "client.payment_term_days", "-5"),
        ("value.invalid_email", 4, "Responsable", "client.account_manager_email", "bob@"),
    ]
    first, second, third, fourth = parsed.rows
    # An error on a client field makes the client unusable; on a contact field, only the contact.
    assert not first.client_ok and not first.contact_ok
    assert second.client_ok and not second.contact_ok
    assert second.client is not None and second.client.address.country == "Frence"
    assert not third.client_ok and third.contact is None
    assert fourth.client_ok and fourth.client is not None and fourth.client.payment_term_days == 45
    assert not parsed.has_file_errors


def test_a_row_without_contact_cells_has_no_contact() -> None:
    parsed = parse_rows(row(id="C001", name="Acme", main="0"), row(name="Globex", notes="x"))
    assert [r.contact for r in parsed.rows] == [None, None]
    assert all(r.client_ok and not r.issues for r in parsed.rows)


def test_contact_without_email_is_reported_and_kept_without_email() -> None:
    parsed = parse_rows(row(id="C001", name="Acme", first_name="Jean", phone="06 12 34 56 78"))
    (parsed_row,) = parsed.rows
    assert [located(i) for i in parsed_row.issues] == [
        ("contact.email_required", 2, "Email du contact", "contact.email", None)]
    assert parsed_row.contact is not None
    assert parsed_row.contact.email is None and parsed_row.contact.first_name == "Jean"
    assert parsed_row.client_ok and not parsed_row.contact_ok


def test_an_invalid_email_is_not_also_reported_as_missing() -> None:
    parsed = parse_rows(row(name="Acme", email="jean at acme"))
    assert [i.code for i in parsed.rows[0].issues] == ["value.invalid_email"]


def test_a_row_that_names_no_client_cannot_be_used() -> None:
    parsed = parse_rows(row(email="jean@acme.fr", first_name="Jean"), row(notes="total: 3"))
    assert [located(i) for r in parsed.rows for i in r.issues] == [
        ("value.required", 2, "Nom du client", "client.name", None),
        ("value.required", 3, "Nom du client", "client.name", None),
    ]
    assert not parsed.rows[0].client_ok and parsed.rows[0].contact is not None


def test_an_id_alone_is_enough_at_parse_time() -> None:
    parsed = parse_rows(row(id="C001", email="jean@acme.fr"))
    assert parsed.rows[0].issues == ()
    assert parsed.rows[0].client is not None and parsed.rows[0].client.name is None


def test_a_bad_name_is_not_also_reported_as_missing() -> None:
    parsed = parse_rows(row(name="x" * 300))
    assert [(i.code, dict(i.params)) for i in parsed.rows[0].issues] == [
        ("value.too_long", {"length": 300, "maximum": 255})]


def test_blank_rows_are_skipped() -> None:
    parsed = parse_rows(row(name="Acme"), [""] * len(HEADERS), [None] * len(HEADERS),
                        row(name="  ", notes="\u00a0"), row(name="Globex"))
    assert [r.number for r in parsed.rows] == [2, 6]


def test_the_country_of_the_row_decides_phones_and_postal_codes() -> None:
    parsed = parse_rows(row(name="Acme", country="Belgique", postal_code="1000",
                            email="jan@acme.be", phone="02 511 45 67"))
    (parsed_row,) = parsed.rows
    assert parsed_row.issues == ()
    assert parsed_row.client is not None and parsed_row.client.address.postal_code == "1000"
    assert parsed_row.contact is not None and parsed_row.contact.phone == "+3225114567"


def test_issue_messages_follow_the_language() -> None:
    parsed = parse_rows(row(name="Acme", term="trente"))
    (issue,) = parsed.rows[0].issues
    assert issue.message_in("en") == "'trente' is not a whole number."
    assert issue.message_in("fr") == "« trente » n'est pas un nombre entier."
    assert issue.to_dict("fr")["code"] == "value.invalid_integer"


def test_unmapped_columns_and_mapping_errors_are_file_issues() -> None:
    table = Table.from_rows(["Nom", "Société", "Ville"], [["Acme", "Acme SA", "Paris"]])
    parsed = parse(table, ColumnMapping.from_dict({"Nom": "client.name", "Société": "client.name"}))
    assert {(i.code, i.column) for i in parsed.file_issues} >= {
        ("mapping.field_mapped_twice", "Société"), ("mapping.unmapped_column", "Ville")}
    assert parsed.has_file_errors
    # The rows are parsed all the same (the first column feeds the field) so every problem shows.
    assert parsed.rows[0].client is not None and parsed.rows[0].client.name == "Acme"


def test_no_client_column_is_a_file_error() -> None:
    table = Table.from_rows(["Ville"], [["Paris"]])
    parsed = parse(table, ColumnMapping.from_dict({"Ville": "client.city"}))
    assert "mapping.required_field_missing" in [i.code for i in parsed.file_issues]
    assert parsed.has_file_errors


def _table_with_a_broken_line() -> Table:
    headers = ["Nom du client", "Ville"]
    table: Table

    def rows() -> Iterator[Row]:
        yield Row(2, ("Acme", "Paris"))
        # What a CSV reader does with a line it could not align: report it, skip it.
        table.add_row_issue(Issue.from_code("csv.inconsistent_columns", row=3, actual=3, expected=2))
        yield Row(4, ("Globex", "Lyon", "extra"))
        table.add_row_issue(Issue.from_code("csv.inconsistent_columns", row=4, actual=3, expected=2))
        yield Row(5, ("Initech", "Nice"))

    table = Table(format="csv", headers=headers, rows=rows, encoding="utf-8", delimiter=";",
                  issues=[Issue.from_code("header.title_row", value="Clients")])
    return table


def test_reading_problems_are_attached_to_their_rows() -> None:
    table = _table_with_a_broken_line()
    parsed = parse(table, ColumnMapping.from_dict({"Nom du client": "client.name", "Ville": "client.city"}))
    assert [(r.number, r.client is not None, [i.code for i in r.issues], r.row_ok) for r in parsed.rows] == [
        (2, True, [], True),
        (3, False, ["csv.inconsistent_columns"], False),
        (4, True, ["csv.inconsistent_columns"], False),
        (5, True, [], True),
    ]
    assert [i.code for i in parsed.file_issues] == ["header.title_row"]
    assert (parsed.format, parsed.encoding, parsed.delimiter) == ("csv", "utf-8", ";")
    # The row that was too wide is still read, its extra cell ignored.
    assert parsed.rows[2].client is not None and parsed.rows[2].client.address.city == "Lyon"
    assert not parsed.rows[2].client_ok


def test_parse_twice_gives_the_same_result() -> None:
    table = _table_with_a_broken_line()
    mapping = ColumnMapping.from_dict({"Nom du client": "client.name", "Ville": "client.city"})
    assert parse(table, mapping) == parse(table, mapping)


def test_max_rows_bounds_tables_built_in_code() -> None:
    table = Table.from_rows(["Nom"], [["A"], ["B"], ["C"]])
    with pytest.raises(ui.FileTooLargeError) as caught:
        parse(table, ColumnMapping.from_dict({"Nom": "client.name"}), limits=ui.Limits(max_rows=2))
    assert caught.value.code == "file.too_large"


_CELLS = st.one_of(
    st.sampled_from(["", " ", "\u00a0", "Acme", "C001", "30", "30.5", "-5", "France", "Frence", "1000",
                     "75001.0", "jean@acme.fr", "jean@", "a@x.fr; b@", "06 12 34 56 78", "01 23",
                     "Comptable", "Boss", "1", "0", "oui", "peut-être", "x" * 300]),
    st.text(max_size=12),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_CELLS, min_size=len(HEADERS), max_size=len(HEADERS)), max_size=6))
def test_any_table_parses_with_every_issue_located_and_renderable(rows: list[list[str]]) -> None:
    parsed = parse_rows(*rows)
    non_blank = [number for number, cells in enumerate(rows, start=2)
                 if any(cell.strip() for cell in cells)]
    assert [r.number for r in parsed.rows] == non_blank
    for parsed_row in parsed.rows:
        assert parsed_row.client is not None
        assert parsed_row.cells == tuple(rows[parsed_row.number - 2])
        for issue in parsed_row.issues:
            assert issue.row == parsed_row.number
            if issue.column is not None:
                assert MAPPING.field_for(issue.column) is not None
                assert MAPPING.field_for(issue.column).value == issue.field  # type: ignore[union-attr]
            for lang in ("en", "fr"):
                message = issue.message_in(lang)
                assert message and "{" + "field_label}" not in message


# -- the parsed file held as columns ----------------------------------------------------------------


def test_the_parsed_file_is_held_as_columns_and_its_rows_are_made_when_asked() -> None:
    table = Table.from_rows(["Nom", "Ville", "Délai", "Email"], [
        ["Acme", "Paris", "30", "a@acme.fr"],
        ["Globex", "Paris", "trente", None],
        ["Initech", "Lyon", "30", "nope"],
    ])
    parsed = parse(table, ColumnMapping.from_dict({"Nom": "client.name", "Ville": "client.city",
                                                   "Délai": "client.payment_term_days",
                                                   "Email": "contact.email"}))
    assert list(parsed.numbers) == [2, 3, 4]
    assert list(parsed.column(Field.CLIENT_CITY)) == ["Paris", "Paris", "Lyon"]
    # Each distinct cell is parsed once: rows that share it share its value.
    assert parsed.column(Field.CLIENT_CITY)[0] is parsed.column(Field.CLIENT_CITY)[1]
    assert list(parsed.column(Field.CLIENT_VAT_NUMBER)) == [None, None, None]  # not mapped
    assert parsed.row_issues(0) == ()
    assert [i.code for i in parsed.row_issues(1)] == ["value.invalid_integer"]
    assert [i.field for i in parsed.row_issues(2)] == [Field.CONTACT_EMAIL]
    # Rows: a sequence made from the columns, equal each time it is asked for.
    assert len(parsed.rows) == 3 and parsed.rows[-1] == parsed.rows[2] == list(parsed.rows)[2]
    assert parsed.rows[1].client is not None and parsed.rows[1].client.name == "Globex"
    assert parsed.rows[1].contact is None and parsed.rows[0].contact is not None
    assert [row.number for row in parsed.rows[1:]] == [3, 4]
    # issues: every issue, the file's then the rows' in row order; file_issues: the file's only.
    assert parsed.issues == (*parsed.file_issues, *parsed.row_issues(1), *parsed.row_issues(2))
    assert [i.code for i in parsed.file_issues] == []


def test_a_parsed_file_made_from_rows_gives_the_same_rows() -> None:
    table = Table.from_rows(["Identifiant", "Nom", "Groupe", "Email", "Principal", "Poste"], [
        ["C1", "Acme", "G1", "a@acme.fr", "oui", "Comptable"],
        ["C2", None, None, None, "non", None],
        [None, None, None, "b@acme.fr", None, None],
    ])
    parsed = parse(table, ColumnMapping.from_dict({
        "Identifiant": "client.external_id", "Nom": "client.name", "Groupe": "group.external_id",
        "Email": "contact.email", "Principal": "contact.is_main", "Poste": "contact.position"}))
    again = ParsedImport.from_rows(parsed.rows, file_issues=parsed.file_issues, headers=parsed.headers,
                                   mapping=parsed.mapping)
    assert list(again.rows) == list(parsed.rows)
    assert again == parsed


# -- the columnar parse against a plain row-by-row reading ------------------------------------------


def _reference_parse(table: Table, mapping: ColumnMapping) -> tuple[list[int], dict[Field, list[object]],
                                                                     dict[int, tuple[Issue, ...]], set[int]]:
    """What :func:`parse` computes, the plain way: row by row, cell by cell, every cell parsed
    (no dictionary of distinct cells, no column at a time)."""
    from upflow_import.values import parser_for, unmark

    headers = list(table.headers)
    width = len(headers)
    fields: dict[Field, str] = {}
    for match in mapping.matches:  # the first column mapped to a field feeds it
        if match.field is not None and match.column in headers and match.field not in fields:
            fields[match.field] = match.column
    by_country = {field for field in fields if field in (Field.CONTACT_PHONE, Field.CLIENT_POSTAL_CODE)}
    order = [*(f for f in fields if f is Field.CLIENT_COUNTRY),
             *(f for f in fields if f is not Field.CLIENT_COUNTRY and f not in by_country),
             *(f for f in fields if f in by_country)]
    numbers: list[int] = []
    columns: dict[Field, list[object]] = {field: [] for field in order}
    issues: dict[int, tuple[Issue, ...]] = {}
    contacts: set[int] = set()
    for table_row in table.rows:
        cells = (*table_row.values, *(None,) * width)[:width]
        if not any(cell and cell.strip() for cell in cells):
            continue
        position = len(numbers)
        numbers.append(table_row.number)
        found: list[Issue] = []
        country: str | None = None
        for field in order:
            column = fields[field]
            raw = cells[headers.index(column)]
            value = None
            if raw:
                value, problems = parser_for(field)(unmark(raw), country if field in by_country else None)
                found.extend(problem.to_issue(table_row.number, column, field, raw) for problem in problems)
            if field is Field.CLIENT_COUNTRY:
                assert value is None or isinstance(value, str)
                country = value
            columns[field].append(value)
        found.sort(key=lambda issue: headers.index(issue.column) if issue.column in headers else width)
        values = {field: columns[field][position] for field in order}
        if any((value is True) if field is Field.CONTACT_IS_MAIN else value is not None
               for field, value in values.items() if field.is_contact) or any(
                issue.field is not None and issue.field.is_contact for issue in found):
            contacts.add(position)
        if (values.get(Field.CLIENT_EXTERNAL_ID) is None and values.get(Field.CLIENT_NAME) is None
                and not any(issue.field in (Field.CLIENT_EXTERNAL_ID, Field.CLIENT_NAME) for issue in found)):
            found.append(Issue.from_code("value.required", row=table_row.number,
                                         column=mapping.fields().get(Field.CLIENT_NAME),
                                         field=Field.CLIENT_NAME))
        if position in contacts and values.get(Field.CONTACT_EMAIL) is None and not any(
                issue.field is Field.CONTACT_EMAIL for issue in found):
            found.append(Issue.from_code("contact.email_required", row=table_row.number,
                                         column=mapping.fields().get(Field.CONTACT_EMAIL),
                                         field=Field.CONTACT_EMAIL))
        if found:
            issues[position] = tuple(found)
    return numbers, columns, issues, contacts


_REFERENCE_CELLS = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\t", "\u00a0", "Acme", "C001", "30", "30.5", "France", "FR", "Belgique", "BE",
                     "Frence", "1000", "75001.0", "jean@acme.fr", " jean@acme.fr ", "jean@", "a--b@x.fr",
                     "'+33 6 12 34 56 78", "'=1+1", "06 12 34 56 78", "+32 470 12 34 56", "0470 12 34 56",
                     "01 23", "Comptable", "Boss", "1", "0", "oui", "peut-être", "x" * 300]),
    st.text(max_size=8),
)
# Mostly empty cells, so that rows with one contact cell alone, or no client cell, come often.
_SPARSE_CELLS = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(["0", "1", "non"]),
                          _REFERENCE_CELLS)

_SPARSE_ROWS = st.lists(_SPARSE_CELLS, min_size=len(HEADERS) - 2, max_size=len(HEADERS) + 2)
# Rows of blanks and spaces (skipped), but for a cell beyond the header's width maybe.
_BLANKISH_ROWS = st.lists(st.sampled_from([None, "", " ", "\t", "\u00a0", "Acme"]), min_size=len(HEADERS) - 2,
                          max_size=len(HEADERS) + 2).map(lambda cells: [
                              cell if cell != "Acme" or index >= len(HEADERS) else None
                              for index, cell in enumerate(cells)])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.one_of(_SPARSE_ROWS, _BLANKISH_ROWS), st.integers(min_value=1, max_value=3)),
                max_size=8),
       st.permutations(HEADERS))
def test_the_columnar_parse_equals_a_plain_row_by_row_reading(
        rows: list[tuple[list[str | None], int]], headers: list[str]) -> None:
    # Rows of any width (tables built in code need not match their header), blank or not, in any
    # column order; each distinct cell is parsed once by parse(), every cell by the reference.
    numbers = []
    number = 1
    for _, step in rows:
        number += step
        numbers.append(number)
    table = Table(format="csv", headers=headers,
                  rows=[Row(n, tuple(cells)) for n, (cells, _) in zip(numbers, rows, strict=True)])
    parsed = parse(table, MAPPING)
    expected_numbers, expected_columns, expected_issues, expected_contacts = _reference_parse(table, MAPPING)
    assert list(parsed.numbers) == expected_numbers
    assert {field: list(values) for field, values in parsed.columns.items()} == expected_columns
    assert dict(parsed.issues_by_position) == expected_issues
    assert set(parsed.contact_positions) == expected_contacts
    # More rows than max_rows that are not blank (as given, before cutting) is file.too_large.
    filled = sum(1 for cells, _ in rows if any(cell and cell.strip() for cell in cells))
    for max_rows in (filled - 1, filled):
        if max_rows >= 1:
            try:
                parse(table, MAPPING, limits=ui.Limits(max_rows=max_rows))
            except ui.FileTooLargeError:
                assert max_rows < filled
            else:
                assert max_rows >= filled
    width = len(headers)
    assert [tuple(cells) for cells in parsed.cells] == [
        (*cells, *(None,) * width)[:width] for cells, _ in rows
        if any(cell and cell.strip() for cell in (*cells, *(None,) * width)[:width])]
