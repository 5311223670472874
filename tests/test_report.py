"""ImportReport: the JSON document of DESIGN §9, languages, and accounting after failed writes."""

from __future__ import annotations

import json
from pathlib import Path

import upflow_import as ui
from planner_helpers import FailingRepository, parsed_import, plan_rows, seed_client

CSV = (
    "Identifiant Client;Nom du client;Ville;Email du contact;Contact principal;Chiffre d'affaires\n"
    "C1;Café;Paris;jean@acme.fr;1;10\n"
    "C1;;Lyon;marie@acme.fr;;20\n"
    "C2;;;paul@;;\n"
)


def report_of(tmp_path: Path, **options: object) -> tuple[ui.ImportReport, ui.InMemoryRepository]:
    path = tmp_path / "clients.csv"
    path.write_bytes(CSV.encode("cp1252"))
    repository = ui.InMemoryRepository()
    return ui.import_file(path, repository, **options), repository  # type: ignore[arg-type]


def test_the_json_document_has_exactly_the_documented_shape(tmp_path: Path) -> None:
    report, _ = report_of(tmp_path)
    document = report.to_dict()
    assert json.loads(json.dumps(document)) == document
    assert list(document) == ["file", "mapping", "summary", "issues", "operations"]
    assert document["file"] == {
        "format": "csv",
        "encoding": "cp1252",
        "delimiter": ";",
        "sheet": None,
        "rows": 3,
    }
    assert document["mapping"][0] == {
        "column": "Identifiant Client",
        "field": "client.external_id",
        "confidence": 1.0,
    }
    assert {
        k: v for k, v in document["mapping"][-1].items() if k != "confidence"
    } == {"column": "Chiffre d'affaires", "field": None}
    assert document["summary"] == {
        "rows": {"total": 3, "with_errors": 1},
        "clients": {"create": 1, "update": 0, "unchanged": 0, "dropped": 1},
        "contacts": {"create": 2, "update": 0, "unchanged": 0, "dropped": 1},
        "errors": 2,
        "warnings": 2,
    }
    codes = [(issue["code"], issue["row"]) for issue in document["issues"]]
    assert codes == [
        ("mapping.unmapped_column", None),
        ("client.value_overridden", 3),
        ("value.invalid_email", 4),
        ("client.not_found", 4),
    ]
    issue = document["issues"][2]
    assert list(issue) == ["code", "severity", "row", "column", "field", "value", "message", "hint"]
    assert issue | {"message": "", "hint": ""} == {
        "code": "value.invalid_email",
        "severity": "error",
        "row": 4,
        "column": "Email du contact",
        "field": "contact.email",
        "value": "paul@",
        "message": "",
        "hint": "",
    }
    assert document["operations"][0] == {
        "op": "create_client",
        "key": "C1",
        "rows": [2, 3],
        "changes": {
            "client.external_id": [None, "C1"],
            "client.name": [None, "Café"],
            "client.city": [None, "Lyon"],
        },
    }
    assert document["operations"][1]["changes"]["contact.is_main"] == [None, True]


def test_messages_follow_the_language_and_codes_do_not(tmp_path: Path) -> None:
    report, _ = report_of(tmp_path, lang="fr")
    french, english = report.to_dict(), report.to_dict(lang="en")
    assert [i["code"] for i in french["issues"]] == [i["code"] for i in english["issues"]]
    not_found = french["issues"][3]
    assert not_found["message"].startswith("Aucun client n'a l'identifiant « C2 »")
    assert english["issues"][3]["message"].startswith("No customer with ID 'C2'")


def test_every_row_is_in_the_report_with_its_cells_issues_and_operations(tmp_path: Path) -> None:
    report, _ = report_of(tmp_path)
    assert [row.number for row in report.rows] == [2, 3, 4]
    first, second, third = report.rows
    assert first.cells == ("C1", "Café", "Paris", "jean@acme.fr", "1", "10")
    assert first.operations == (0, 1) and first.client is ui.Outcome.CREATE
    assert second.operations == (0, 2) and second.contact is ui.Outcome.CREATE
    assert third.client is ui.Outcome.DROPPED and third.contact is ui.Outcome.DROPPED
    assert report.failed_rows == (third,)
    assert not report.ok


def test_a_failed_write_moves_its_entity_to_dropped_and_out_of_operations() -> None:
    repository = FailingRepository()
    seed_client(repository, "C0", "Old")
    repository.fail_at = {repository.attempts + 1}
    rows = [
        {"client.external_id": "C1", "client.name": "Acme", "contact.email": "jean@acme.fr"},
        {"client.external_id": "C0", "client.city": "Nice"},
    ]
    parsed = parsed_import(rows)
    plan = ui.plan(parsed, repository)
    report = ui.ImportReport.from_plan(parsed, plan, ui.apply(plan, repository))
    summary = report.summary.to_dict()
    assert summary["clients"] == {"create": 0, "update": 1, "unchanged": 0, "dropped": 1}
    assert summary["contacts"] == {"create": 0, "update": 0, "unchanged": 0, "dropped": 1}
    assert [op["op"] for op in report.to_dict()["operations"]] == ["update_client"]
    assert [i.code for i in report.rows[0].issues] == ["apply.failed", "apply.not_attempted"]
    assert report.rows[0].client is ui.Outcome.FAILED and report.rows[0].contact is ui.Outcome.FAILED
    assert "the database went away" in report.rows[0].issues[0].message
    assert summary["rows"] == {"total": 2, "with_errors": 1} and not report.ok


def test_a_clean_import_is_ok() -> None:
    parsed = parsed_import([{"client.name": "Acme"}])
    repository = ui.InMemoryRepository()
    plan = plan_rows([{"client.name": "Acme"}], repository)
    report = ui.ImportReport.from_plan(parsed, plan, ui.apply(plan, repository))
    assert report.ok and report.summary.errors == 0 and len(report.operations) == 1
