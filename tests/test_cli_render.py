"""The command line's human output, rendered from the report document of DESIGN §9."""

from __future__ import annotations

import io
import string

import pytest

from upflow_import._render import (
    STRINGS,
    ProgressBar,
    render_export,
    render_issues,
    render_mapping,
    render_report,
    render_summary,
)


def issue(code: str, row: int | None, severity: str = "error",
          hint: str | None = "Fix it.") -> dict[str, object]:
    return {"code": code, "severity": severity, "row": row, "column": "Email du contact",
            "field": "contact.email", "value": "x", "message": f"{code} on row {row}", "hint": hint}


DOCUMENT: dict[str, object] = {
    "file": {"format": "csv", "encoding": "cp1252", "delimiter": ";", "sheet": None, "rows": 40},
    "mapping": [
        {"column": "Nom du client", "field": "client.name", "confidence": 1.0},
        {"column": "Mail", "field": "contact.email", "confidence": 0.82},
        {"column": "Chiffre d'affaires", "field": None, "confidence": 0.0},
    ],
    "summary": {"rows": {"total": 40, "with_errors": 14},
                "clients": {"create": 10, "update": 2, "unchanged": 1, "dropped": 1},
                "contacts": {"create": 15, "update": 0, "unchanged": 3, "dropped": 13},
                "errors": 14, "warnings": 1},
    "issues": [issue("value.unknown_country", 3, "warning"),
               *(issue("value.invalid_email", row) for row in range(5, 18))],
    "operations": [],
}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_sentence_exists_in_both_languages_with_the_same_placeholders(key: str) -> None:
    text = STRINGS[key]
    assert text.en.strip() and text.fr.strip()

    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    assert fields(text.en) == fields(text.fr)


def test_the_mapping_table_shows_fields_confidence_and_unmapped_columns() -> None:
    english = render_mapping(DOCUMENT, "en")
    assert "client.name (Customer name)" in english and "100%" in english
    assert "contact.email (Contact email)" in english and "82%" in english
    assert "Chiffre d'affaires" in english and "not imported" in english
    french = render_mapping(DOCUMENT, "fr")
    assert "client.name (Nom du client)" in french and "non importée" in french


def test_the_summary_counts_in_the_words_of_the_command() -> None:
    plan = render_summary(DOCUMENT, "en", "plan", name="clients.csv")
    assert "clients.csv — CSV, cp1252, separator ';', 40 rows" in plan
    assert "read: 40 · with errors: 14" in plan
    assert "to create: 10 · to update: 2 · unchanged: 1 · dropped: 1" in plan
    assert "errors: 14 · warnings: 1" in plan
    applied = render_summary(DOCUMENT, "fr", "apply")
    assert "créés : 10 · mis à jour : 2 · inchangés : 1 · écartés : 1" in applied
    assert "lues : 40 · en erreur : 14" in applied


def test_issues_are_grouped_by_code_errors_first_with_the_first_rows_and_how_many_more() -> None:
    text = render_issues(DOCUMENT, "en")
    lines = text.splitlines()
    email = next(i for i, line in enumerate(lines) if "value.invalid_email" in line)
    country = next(i for i, line in enumerate(lines) if "value.unknown_country" in line)
    assert email < country
    assert "×13 — rows 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 and 3 more" in lines[email]
    # The first three messages, then how many more, then the shared hint once.
    assert sum("value.invalid_email on row" in line for line in lines) == 3
    assert "… 10 more like this" in text
    assert text.count("→ Fix it.") == 2  # one per code
    french = render_issues(DOCUMENT, "fr")
    assert "lignes 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 et 3 autres" in french
    assert "erreur  value.invalid_email" in french and "avertissement  value.unknown_country" in french


def test_distinct_hints_are_shown_beside_their_issue_and_file_issues_have_no_row() -> None:
    document = {"issues": [issue("reference.unknown_dunning_plan", 2, hint="Did you mean 'Plan A'?"),
                           issue("reference.unknown_dunning_plan", 3, hint="Did you mean 'Plan B'?"),
                           issue("mapping.required_field_missing", None)]}
    text = render_issues(document, "en")
    assert "Did you mean 'Plan A'?" in text and "Did you mean 'Plan B'?" in text
    assert "whole file" in text
    assert render_issues({"issues": []}, "fr") == "Aucun problème."


def test_the_whole_report_ends_with_its_notes() -> None:
    text = render_report(DOCUMENT, "en", "check", notes=["A note."])
    assert text.index("Column mapping") < text.index("Summary") < text.index("Issues by code")
    assert text.rstrip().endswith("A note.")


def test_export_lists_clients_subsidiaries_and_main_contacts() -> None:
    export = {"clients": [
        {"id": 1, "external_id": "G1", "name": "Groupe", "city": "Lyon", "parent_id": None,
         "contacts": [{"email": "a@g.fr", "first_name": "Ana", "last_name": "Roy", "position": "PAYER",
                       "is_main": True}]},
        {"id": 2, "external_id": None, "name": "Filiale", "parent_id": 1, "contacts": []},
    ]}
    text = render_export(export, "fr")
    assert "clients : 2 · contacts : 1" in text
    assert "Groupe [G1] — Lyon" in text and "#1" not in text
    assert "a@g.fr  Ana Roy  PAYER  (principal)" in text
    # The parent is named by its external id, never by the store's id.
    assert "Filiale (filiale de G1)" in text
    assert render_export({"clients": []}, "en") == "The store is empty.\n"


def test_the_progress_bar_redraws_in_place_and_erases_itself() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "en", interval=0)
    bar.stage("plan")
    for done in (0, 500, 1000):
        bar(done, 1000)
    bar.stage("apply")
    bar(2000, 2000)
    bar.close()
    output = stream.getvalue()
    assert output.count("\r") == 7 and "\n" not in output
    assert "Planning ██████████" in output and "1,000/1,000 rows" in output
    assert "Writing ██████" in output and "100%  2,000/2,000 operations" in output
    assert output.endswith("\r\033[K")
    french = io.StringIO()
    bar = ProgressBar(french, "fr", interval=0)
    bar.stage("apply")
    bar(1, 2)
    assert "Écriture" in french.getvalue() and "1/2 opérations" in french.getvalue()
    untouched = io.StringIO()
    ProgressBar(untouched, "fr").close()
    assert untouched.getvalue() == ""
