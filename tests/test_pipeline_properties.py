"""Properties of the whole pipeline on real files: random CSV files written by the csv module (random
columns among the article's labels, cells of garbage, bad emails, blank and whitespace rows,
separators, quotes and line breaks inside cells, several encodings) go through ``import_file``.

- Every data row with something in it is in the report, under the line number it starts on, with
  its cells as written; a row whose client or contact is dropped carries an error (its own or the
  file's); a row created or updated names the operations it fed.
- With ``on_error="abort"``, a file with any error writes nothing at all; without errors, or with
  ``"skip"``, the repository receives exactly the report's operations.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import upflow_import as ui
from upflow_import.fields import SPECS, Field

GARBAGE = st.text(st.one_of(st.characters(codec="cp1252", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
                            st.sampled_from("\n\t;,|\"' ")), max_size=12)
VALUES: dict[Field, list[str]] = {
    Field.CLIENT_EXTERNAL_ID: ["C1", "C2", "C3", "c1", " C1 "],
    Field.CLIENT_NAME: ["Acme", "ACME", " acme ", "Globex", "Société Générale", "Dupont; \"fils\"", "=1+1",
                        "Line\nbreak"],
    Field.CONTACT_EMAIL: ["a@x.fr", "A@X.FR", "b@x.fr", "c@x.fr", "bad@", "@", "x@y", "a@x.fr, b@x.fr",
                          "jean@exemple..fr"],
    Field.CONTACT_FIRST_NAME: ["Jean", "Marie", "Zoë"],
    Field.CONTACT_IS_MAIN: ["1", "0", "2", "oui", "1.0"],
    Field.CONTACT_POSITION: ["Comptable", "SALES", "payeur", "Boss"],
    Field.CONTACT_PHONE: ["06 12 34 56 78", "+33 1 23 45 67 89", "12", "phone"],
    Field.CLIENT_POSTAL_CODE: ["75001", "75001.0", "1234", "2A004"],
    Field.CLIENT_COUNTRY: ["France", "FR", "Allemagne", "Frnce", "GBR"],
    Field.CLIENT_PAYMENT_TERM_DAYS: ["30", "30.0", "-3", "1e3", "trente"],
    Field.CLIENT_VAT_NUMBER: ["FR 40 303 265 045", "DE123456789", "XX"],
    Field.GROUP_NAME: ["Globex", "Acme", "Nowhere"],
    Field.GROUP_EXTERNAL_ID: ["C1", "C2", "C9"],
    Field.CLIENT_ACCOUNT_MANAGER_EMAIL: ["am@example.com", "nobody@example.com", "am@"],
    Field.CLIENT_DUNNING_PLAN: ["Standard", "Unknown"],
}
COLUMNS = [*VALUES, None]  # None: a column that maps to no field


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, str, str, list[str], list[list[str]]]:
    """A CSV file: its bytes, encoding and separator, its header and its data records as written."""
    columns = draw(st.lists(st.sampled_from(COLUMNS), min_size=2, max_size=7, unique=True))
    if draw(st.integers(0, 4)):  # most files have the required columns; the others are all dropped
        required = [Field.CLIENT_NAME, Field.CONTACT_EMAIL]
        columns = required + [column for column in columns if column not in required]
        columns = draw(st.permutations(columns))
    headers = [SPECS[column].label_fr if column is not None else "Notes" for column in columns]

    def cell(column: Field | None) -> st.SearchStrategy[str]:
        known = st.sampled_from(VALUES[column]) if column is not None else st.nothing()
        blank = st.sampled_from(["", "", " ", "\t", "\xa0"])
        return st.one_of(known, known, known, known, blank, GARBAGE)

    record = st.tuples(*(cell(column) for column in columns)).map(list)
    blank = st.sampled_from([[""] * len(columns), [" "] * len(columns)])
    records = draw(st.lists(st.one_of(record, record, record, blank), max_size=10))
    delimiter = draw(st.sampled_from([";", ",", "|"]))
    encoding = draw(st.sampled_from(["utf-8", "cp1252", "utf-8-sig", "utf-16"]))
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\r\n", "\n"]))).writerows(
        [headers, *records])
    return text.getvalue().encode(encoding), encoding, delimiter, headers, records


def expected_rows(records: Sequence[Sequence[str]]) -> list[tuple[int, tuple[str | None, ...]]]:
    """The rows the report must hold: (the line each record starts on, its cells), blank ones left out."""
    rows = []
    line = 2
    for record in records:
        if any(value.strip() for value in record):
            rows.append((line, tuple(value or None for value in record)))
        line += 1 + sum(value.count("\n") for value in record)
    return rows


class CountingRepository(ui.InMemoryRepository):
    """Counts the writes it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def create_client(self, record: ui.ClientRecord, parent_id: object) -> int:
        self.calls.append("create_client")
        return super().create_client(record, parent_id)

    def update_client(self, client_id: object, changes: ui.ClientChanges) -> None:
        self.calls.append("update_client")
        super().update_client(client_id, changes)

    def create_contact(self, client_id: object, record: ui.ContactRecord) -> int:
        self.calls.append("create_contact")
        return super().create_contact(client_id, record)

    def update_contact(self, contact_id: object, changes: ui.ContactChanges) -> None:
        self.calls.append("update_contact")
        super().update_contact(contact_id, changes)


def filled_repository() -> CountingRepository:
    """A store that already holds some of the values the files use, so that rows update too."""
    repository = CountingRepository()
    repository.add_account_managers(["am@example.com"])
    repository.add_dunning_plans(["Standard"])
    ui.import_file(b"Identifiant Client;Nom du client;Email du contact\nC1;Acme;a@x.fr\nC2;Globex;b@x.fr\n",
                   repository)
    repository.calls.clear()
    return repository


def state(repository: ui.InMemoryRepository) -> tuple[object, ...]:
    return tuple(repository.clients()), tuple(repository.contacts())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=csv_files(), dry_run=st.booleans())
def test_every_data_row_of_a_file_is_accounted_for_in_the_report(
    file: tuple[bytes, str, str, list[str], list[list[str]]], dry_run: bool
) -> None:
    data, encoding, delimiter, _, records = file
    repository = filled_repository()

    report = ui.import_file(data, repository, encoding=encoding, delimiter=delimiter, dry_run=dry_run)

    assert [(row.number, row.cells) for row in report.rows] == expected_rows(records)
    assert report.summary.rows == len(report.rows)
    file_error = any(issue.is_error for issue in report.file_issues)
    for row in report.rows:
        if ui.Outcome.DROPPED in (row.client, row.contact):
            assert row.has_errors or file_error, row
        if {ui.Outcome.CREATE, ui.Outcome.UPDATE} & {row.client, row.contact}:
            assert row.operations, row
        assert all(issue.row == row.number for issue in row.issues)
    assert report.ok == (not file_error and not any(row.has_errors for row in report.rows))
    json.dumps(report.to_dict())
    assert len(repository.calls) == (0 if dry_run else len(report.operations))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=csv_files())
def test_nothing_is_written_on_abort_when_the_file_has_an_error(
    file: tuple[bytes, str, str, list[str], list[list[str]]],
) -> None:
    data, encoding, delimiter, _, _ = file
    repository = filled_repository()
    before = state(repository)

    report = ui.import_file(data, repository, encoding=encoding, delimiter=delimiter, on_error="abort")

    if report.ok:
        assert len(repository.calls) == len(report.operations)
    else:
        assert repository.calls == []
        assert state(repository) == before
        assert report.operations == ()
        summary = report.summary
        assert (summary.clients.create, summary.clients.update, summary.contacts.create,
                summary.contacts.update) == (0, 0, 0, 0)
