"""The hypothesis strategies users property-test their repositories with write the files they say."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

import upflow_import as ui
from upflow_import.testing.strategies import HEADERS, GeneratedFile, check_import_twice, import_files


@given(import_files(formats=("csv",)))
def test_a_generated_csv_file_is_read_as_written(generated: GeneratedFile) -> None:
    table = ui.read_table(generated.data)
    assert (table.format, table.encoding, table.delimiter) == ("csv", generated.encoding, generated.delimiter)
    assert table.headers == HEADERS
    assert [row.values for row in table.rows] == written(generated)


def written(generated: GeneratedFile) -> list[tuple[str | None, ...]]:
    return [tuple(cell or None for cell in row) for row in generated.rows]


@given(import_files(formats=("xlsx",)))
def test_a_generated_workbook_is_read_as_written(generated: GeneratedFile) -> None:
    table = ui.read_table(generated.data)
    assert table.format == "xlsx" and generated.encoding is None and table.headers == HEADERS
    assert [row.values for row in table.rows] == written(generated)


@settings(max_examples=30)
@given(import_files(valid=True))
def test_a_valid_file_creates_its_clients_and_contacts(generated: GeneratedFile) -> None:
    repository = ui.InMemoryRepository()
    report = ui.import_file(generated.data, repository)
    assert report.ok and generated.breakage is None
    assert {client.external_id for client in repository.clients()} == generated.clients
    assert {contact.email for contact in repository.contacts()} == generated.contacts


@settings(max_examples=30)
@given(import_files(valid=False))
def test_a_broken_file_reports_how_it_was_broken(generated: GeneratedFile) -> None:
    assert generated.breakage is not None and generated.expected_errors
    check_import_twice(generated, ui.InMemoryRepository())


@settings(max_examples=20)
@given(import_files(namespace="Tenant-7-"))
def test_every_id_and_email_starts_with_the_namespace(generated: GeneratedFile) -> None:
    assert all(row[0].startswith("Tenant-7-") for row in generated.rows)
    assert all(email.startswith("tenant-7-") for email in generated.contacts)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="formats must be among"):
        import_files(formats=("pdf",))
