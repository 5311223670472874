"""import_file() end to end on small real files (csv module and XlsxWriter): one case per identity,
update and error-scope rule, each run as CSV and as XLSX."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import attrs
import pytest

import upflow_import as ui
from article_files import Cells, write_article_file
from planner_helpers import seed_client, seed_contact
from upflow_import.fields import Field

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"



def write(directory: Path, fmt: str, rows: Sequence[Cells]) -> Path:
    """Write ``rows`` ({field key: cell text}) as a real file (a cp1252 CSV, or an XLSX) with the
    article's French headers."""
    return write_article_file(directory, rows, fmt, encoding="cp1252")


@attrs.frozen
class Case:
    """A file, an optional store to import it into, and what the report must say."""

    rows: Sequence[Cells]
    #: {row number: the exact issue codes of that row}; rows not listed must have none.
    codes: Mapping[int, Sequence[str]]
    #: The operations, as (op, key), in order.
    ops: Sequence[tuple[str, str]]
    seed: Callable[[ui.InMemoryRepository], object] | None = None
    repository: Callable[[], ui.InMemoryRepository] = ui.InMemoryRepository


def acme_stored(repository: ui.InMemoryRepository) -> None:
    client_id = seed_client(repository, "C1", "Acme", city="Paris")
    seed_contact(repository, client_id, "old@acme.fr", is_main=True, external_id="K1")


def two_acmes(repository: ui.InMemoryRepository) -> None:
    seed_client(repository, "C1", "Acme")
    seed_client(repository, "C2", "ACME")


CASES: dict[str, Case] = {
    "identity by external id": Case(
        [
            {"client.external_id": "C1", "client.name": "Acme", "contact.email": "a@acme.fr"},
            {"client.external_id": "C1", "contact.email": "b@acme.fr"},
        ],
        {},
        [("create_client", "C1"), ("create_contact", "a@acme.fr"), ("create_contact", "b@acme.fr")],
    ),
    "identity by name, whatever case and spaces": Case(
        [
            {"client.name": "Boulangerie Dupont"},
            {"client.name": "BOULANGERIE  DUPONT", "client.city": "Paris"},
        ],
        {},
        [("create_client", "BOULANGERIE DUPONT")],
    ),
    "name-only row refers to the file's client": Case(
        [
            {"client.external_id": "C1", "client.name": "Acme"},
            {"client.name": "acme", "contact.email": "jean@acme.fr"},
        ],
        {},
        [("create_client", "C1"), ("create_contact", "jean@acme.fr")],
    ),
    "name-only row refers to the stored client": Case(
        [{"client.name": "ACME", "client.city": "Lyon"}], {}, [("update_client", "C1")], seed=acme_stored
    ),
    "client.ambiguous_name": Case(
        [{"client.name": "Acme", "client.city": "Lyon"}], {2: ["client.ambiguous_name"]}, [], seed=two_acmes
    ),
    "id-only row updates the stored client": Case(
        [{"client.external_id": "C1", "client.payment_term_days": "45"}],
        {},
        [("update_client", "C1")],
        seed=acme_stored,
    ),
    "client.not_found": Case(
        [{"client.external_id": "C9", "client.city": "Lyon"}], {2: ["client.not_found"]}, []
    ),
    "value.required": Case(
        [{"client.name": "Acme"}, {"client.city": "Lyon"}],
        {3: ["value.required"]},
        [("create_client", "Acme")],
    ),
    "client.value_overridden": Case(
        [
            {"client.external_id": "C1", "client.name": "Acme", "client.city": "Paris"},
            {"client.external_id": "C1", "client.city": "Lyon"},
        ],
        {3: ["client.value_overridden"]},
        [("create_client", "C1")],
    ),
    "blank cells never erase": Case(
        [{"client.external_id": "C1", "client.name": "Acme", "client.city": "", "client.state": "IDF"}],
        {},
        [("update_client", "C1")],
        seed=acme_stored,
    ),
    "unchanged": Case(
        [{"client.external_id": "C1", "client.name": "Acme", "client.city": "Paris"}],
        {},
        [],
        seed=acme_stored,
    ),
    "client.same_name_exists": Case(
        [{"client.external_id": "C2", "client.name": "Acme"}],
        {2: ["client.same_name_exists"]},
        [("create_client", "C2")],
        seed=acme_stored,
    ),
    "groups in any row order": Case(
        [
            {"client.external_id": "S1", "client.name": "Hôtel Nice", "group.name": "Groupe Lumière"},
            {"client.external_id": "G1", "client.name": "Groupe Lumière"},
        ],
        {},
        [("create_client", "G1"), ("create_client", "S1")],
    ),
    "group.parent_not_found": Case(
        [{"client.external_id": "S1", "client.name": "Hôtel", "group.external_id": "G9"}],
        {2: ["group.parent_not_found"]},
        [],
    ),
    "group.self_parent": Case(
        [{"client.external_id": "C1", "client.name": "Acme", "group.external_id": "C1"}],
        {2: ["group.self_parent"]},
        [],
    ),
    "group.cycle": Case(
        [
            {"client.external_id": "A", "client.name": "Alpha", "group.external_id": "B"},
            {"client.external_id": "B", "client.name": "Beta", "group.external_id": "A"},
        ],
        {2: ["group.cycle"], 3: ["group.cycle"]},
        [],
    ),
    "group.ambiguous_parent": Case(
        [{"client.external_id": "S1", "client.name": "Hôtel", "group.name": "acme"}],
        {2: ["group.ambiguous_parent"]},
        [],
        seed=two_acmes,
    ),
    "contact.email_required": Case(
        [{"client.name": "Acme", "contact.first_name": "Jean", "contact.email": ""}],
        {2: ["contact.email_required"]},
        [("create_client", "Acme")],
    ),
    "contact.value_overridden": Case(
        [
            {"client.name": "Acme", "contact.email": "jean@acme.fr", "contact.first_name": "Jean"},
            {"client.name": "Acme", "contact.email": "JEAN@acme.fr", "contact.first_name": "Jeannot"},
        ],
        {3: ["contact.value_overridden"]},
        [("create_client", "Acme"), ("create_contact", "JEAN@acme.fr")],
    ),
    "contact.client_conflict": Case(
        [
            {"client.external_id": "C1", "client.name": "Acme", "contact.email": "jean@acme.fr"},
            {"client.external_id": "C2", "client.name": "Globex", "contact.email": "jean@acme.fr"},
        ],
        {2: ["contact.client_conflict"], 3: ["contact.client_conflict"]},
        [("create_client", "C1"), ("create_client", "C2")],
    ),
    "contact.belongs_to_other_client": Case(
        [{"client.external_id": "C2", "client.name": "Globex", "contact.email": "old@acme.fr"}],
        {2: ["contact.belongs_to_other_client"]},
        [("create_client", "C2")],
        seed=acme_stored,
    ),
    "contact.external_id_conflict in the file": Case(
        [
            {"client.name": "Globex", "contact.email": "a@globex.fr", "contact.external_id": "K7"},
            {"client.name": "Globex", "contact.email": "b@globex.fr", "contact.external_id": "K7"},
        ],
        {2: ["contact.external_id_conflict"], 3: ["contact.external_id_conflict"]},
        [("create_client", "Globex")],
    ),
    "contact.external_id_conflict with the store": Case(
        [{"client.external_id": "C1", "contact.email": "new@acme.fr", "contact.external_id": "K1"}],
        {2: ["contact.external_id_conflict"]},
        [],
        seed=acme_stored,
    ),
    "contact.main_overridden": Case(
        [
            {"client.name": "Acme", "contact.email": "a@acme.fr", "contact.is_main": "1"},
            {"client.name": "Acme", "contact.email": "b@acme.fr", "contact.is_main": "1"},
        ],
        {3: ["contact.main_overridden"]},
        [("create_client", "Acme"), ("create_contact", "a@acme.fr"), ("create_contact", "b@acme.fr")],
    ),
    "a new main contact demotes the stored one first": Case(
        [{"client.external_id": "C1", "contact.email": "new@acme.fr", "contact.is_main": "1"}],
        {},
        [("update_contact", "old@acme.fr"), ("create_contact", "new@acme.fr")],
        seed=acme_stored,
    ),
    "reference.unknown_account_manager": Case(
        [{"client.name": "Acme", "client.account_manager_email": "claire.martn@exemple.fr"}],
        {2: ["reference.unknown_account_manager"]},
        [],
        repository=lambda: ui.InMemoryRepository(account_managers=["claire.martin@exemple.fr"]),
    ),
    "reference.unknown_dunning_plan": Case(
        [{"client.name": "Acme", "client.dunning_plan": "Plan standard"}],
        {2: ["reference.unknown_dunning_plan"]},
        [],
        repository=lambda: ui.InMemoryRepository(dunning_plans=["Plan\u00a0Standard"]),
    ),
    "a client error drops its rows, contacts and subsidiaries": Case(
        [
            {
                "client.external_id": "G1",
                "client.name": "Groupe",
                "client.payment_term_days": "trente",
                "contact.email": "a@g.fr",
            },
            {"client.external_id": "G1", "contact.email": "b@g.fr"},
            {"client.external_id": "S1", "client.name": "Filiale", "group.external_id": "G1"},
            {"client.external_id": "X1", "client.name": "Autre"},
        ],
        {2: ["value.invalid_integer"], 3: ["plan.dependency_dropped"], 4: ["plan.dependency_dropped"]},
        [("create_client", "X1")],
    ),
    "a contact error drops that contact only": Case(
        [
            {"client.name": "Acme", "contact.email": "a@acme.fr", "contact.position": "Patron"},
            {"client.name": "Acme", "contact.email": "b@acme.fr", "contact.position": "Comptable"},
        ],
        {2: ["value.invalid_choice"]},
        [("create_client", "Acme"), ("create_contact", "b@acme.fr")],
    ),
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", list(CASES))
def test_rule(name: str, fmt: str, tmp_path: Path) -> None:
    case = CASES[name]
    repository = case.repository()
    if case.seed is not None:
        case.seed(repository)
    report = ui.import_file(write(tmp_path, fmt, case.rows), repository)
    assert report.file.format == fmt and report.file.rows == len(case.rows)
    for row in report.rows:
        assert [issue.code for issue in row.issues] == list(case.codes.get(row.number, ())), row.number
    assert [(op.op, op.key) for op in report.operations] == list(case.ops)
    assert report.ok is not any(issue.is_error for row in report.rows for issue in row.issues)
    # Whatever the case, importing the same file again writes nothing.
    again = ui.import_file(write(tmp_path, fmt, case.rows), repository)
    assert again.operations == ()


def test_blank_cells_never_erase_and_the_second_import_writes_nothing(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    acme_stored(repository)
    path = write(
        tmp_path,
        "xlsx",
        [{"client.external_id": "C1", "client.name": "Acme", "client.city": "", "client.state": "IDF"}],
    )
    report = ui.import_file(path, repository)
    assert [dict(op.changes) for op in report.operations] == [{"client.state": (None, "IDF")}]
    client = repository.client_by_external_id("C1")
    assert client.values[Field.CLIENT_CITY] == "Paris" and client.values[Field.CLIENT_STATE] == "IDF"
    writes = repository.writes
    assert ui.import_file(path, repository).summary.clients.unchanged == 1
    assert repository.writes == writes


def test_dry_run_writes_nothing_and_reports_what_would_be_written(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    report = ui.import_file(write(tmp_path, "csv", [{"client.name": "Acme"}]), repository, dry_run=True)
    assert report.dry_run and [(op.op, op.key) for op in report.operations] == [("create_client", "Acme")]
    assert repository.clients() == [] and repository.writes == 0


def test_abort_writes_nothing_when_a_row_has_an_error(tmp_path: Path) -> None:
    rows = [{"client.name": "Acme"}, {"client.external_id": "C9"}]
    repository = ui.InMemoryRepository()
    report = ui.import_file(write(tmp_path, "csv", rows), repository, on_error="abort")
    assert not report.ok and report.operations == () and repository.clients() == []
    report = ui.import_file(write(tmp_path, "csv", rows), repository, on_error="skip")
    assert [c.name for c in repository.clients()] == ["Acme"]


def test_an_explicit_mapping_is_laid_over_the_automatic_one(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Raison sociale;Remarque\nAcme;Client fidèle\n", encoding="utf-8")
    repository = ui.InMemoryRepository()
    report = ui.import_file(path, repository, mapping={"Remarque": "client.city"})
    assert report.mapping.field_for("Remarque") is Field.CLIENT_CITY
    assert repository.clients()[0].values[Field.CLIENT_CITY] == "Client fidèle"
    report = ui.import_file(
        path,
        ui.InMemoryRepository(),
        mapping=ui.ColumnMapping.from_dict({"Remarque": "client.state"}),
        dry_run=True,
    )
    assert report.mapping.field_for("Remarque") is Field.CLIENT_STATE


def test_bytes_and_file_objects_are_sources_too() -> None:
    data = b"Nom du client;Ville\nAcme;Paris\n"
    assert ui.import_file(data, ui.InMemoryRepository()).summary.clients.create == 1
    assert ui.import_file(io.BytesIO(data), ui.InMemoryRepository()).summary.clients.create == 1


def test_an_unreadable_file_raises_with_its_code() -> None:
    with pytest.raises(ui.UpflowImportError) as caught:
        ui.import_file(b"", ui.InMemoryRepository())
    assert caught.value.code == "file.empty"


def test_the_sample_file_imports_with_one_contact_dropped() -> None:
    repository = ui.InMemoryRepository()
    report = ui.import_file(EXAMPLES / "clients_with_errors.csv", repository, lang="fr")
    assert report.file.encoding == "cp1252" and report.file.delimiter == ";"
    assert [issue.code for issue in report.issues] == ["value.invalid_email"]
    assert report.summary.clients.create == 6 and report.summary.contacts.dropped == 1
    group = repository.client_by_external_id("G100")
    assert [c.external_id for c in repository.clients() if c.parent_id == group.id] == ["G101", "G102"]
    assert ui.import_file(EXAMPLES / "clients_with_errors.csv", repository).operations == ()


def test_progress_covers_planning_then_writing(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    ui.import_file(
        write(tmp_path, "csv", [{"client.name": f"Client {n}"} for n in range(3)]),
        ui.InMemoryRepository(),
        progress=lambda done, total: seen.append((done, total)),
    )
    planning, writing = seen[:-3], seen[-3:]
    assert writing == [(1, 3), (2, 3), (3, 3)]
    assert planning[-1] == (3, 3) and planning == sorted(planning) and len(planning) > 1


@pytest.mark.parametrize(("kwargs", "error", "named"), [
    ({"lang": "de"}, ValueError, "lang"),
    ({"on_error": "ignore"}, ValueError, "on_error"),
    ({"mapping": ["client.name"]}, TypeError, "mapping"),
    ({"sheet": 1}, TypeError, "sheet"),
    ({"encoding": b"utf-8"}, TypeError, "encoding"),
    ({"delimiter": ";;"}, ValueError, "delimiter"),
    ({"limits": {"max_rows": 10}}, TypeError, "limits"),
    ({"isolate": "no"}, TypeError, "isolate"),
])
def test_arguments_of_the_wrong_kind_are_refused_before_any_work(
        kwargs: dict[str, object], error: type[Exception], named: str) -> None:
    repository = ui.InMemoryRepository()

    with pytest.raises(error, match=named):
        ui.import_file(b"Nom du client\nAcme\n", repository, **kwargs)  # type: ignore[arg-type]
    assert repository.clients() == []


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"max_rows": float("nan")}, TypeError), ({"max_compression_ratio": float("nan")}, ValueError),
    ({"max_rows": -1}, ValueError), ({"max_bytes": "1000"}, TypeError), ({"max_cells": 1.5}, TypeError),
    ({"max_compression_ratio": "200"}, TypeError), ({"max_columns": 0}, ValueError),
])
def test_limits_out_of_range_or_of_the_wrong_type_are_refused_naming_the_limit(
        kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error, match=f"Limits.{next(iter(kwargs))}"):
        ui.Limits(**kwargs)  # type: ignore[arg-type]
