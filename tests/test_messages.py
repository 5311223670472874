"""What a finance user reads is right: references compared as they see them, their own
identifiers in messages, no silent duplicate client, and French that reads as French.

Every case runs on a real file (csv module or XlsxWriter) through import_file or the command
line, as the user would meet it.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import upflow_import as ui
from article_files import Cells, write_article_file
from planner_helpers import seed_client
from upflow_import._render import STRINGS
from upflow_import.cli import main
from upflow_import.fields import Field
from upflow_import.identity import normalize_name, normalize_reference
from upflow_import.issues import CATALOGUE, FRENCH_THOUSANDS, HINTS, Issue, Text
from upflow_import.planning.suggestions import suggest


def write(directory: Path, rows: Sequence[Cells], fmt: str = "csv") -> Path:
    """``rows`` ({field key: cell}) as a UTF-8 CSV or an XLSX with the article's French headers."""
    return write_article_file(directory, rows, fmt)


def codes(report: ui.ImportReport) -> list[tuple[int | None, str]]:
    return [(issue.row, issue.code) for issue in report.issues]


# -- references compared as the user sees them ------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("registered", ["Plan\u00a0standard", "Plan\u202fstandard", " Plan  standard"])
def test_a_dunning_plan_registered_with_another_space_matches_the_cell(tmp_path: Path, fmt: str,
                                                                        registered: str) -> None:
    repository = ui.InMemoryRepository(dunning_plans=[registered])
    path = write(tmp_path, [{"client.name": "Acme", "client.dunning_plan": "Plan standard"},
                            {"client.name": "Globex", "client.dunning_plan": "Plan\u00a0standard"}], fmt)
    report = ui.import_file(path, repository)
    assert report.ok and codes(report) == []
    assert report.summary.clients.create == 2


def test_the_command_line_store_matches_a_plan_registered_with_a_non_breaking_space(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["dunning-plans", "add", "Plan\u00a0standard"]) == 0
    path = write(tmp_path, [{"client.name": "Acme", "client.dunning_plan": "Plan standard"},
                            {"client.name": "Globex", "client.dunning_plan": "Plan standart"}])
    capsys.readouterr()
    assert main(["apply", str(path), "--json"]) == 1
    issues = json.loads(capsys.readouterr().out)["issues"]
    # The first row matches; the typo gets the registered name, which visibly differs from the cell.
    assert [(issue["row"], issue["code"]) for issue in issues] == [(3, "reference.unknown_dunning_plan")]
    assert issues[0]["hint"] == "Did you mean 'Plan\u00a0standard'?"


@given(st.text(alphabet=" \u00a0\u202f\u2009\u200bab\u00e9e\u0301\t", max_size=12))
def test_the_reference_key_is_idempotent_and_blind_to_the_kind_of_space(text: str) -> None:
    key = normalize_reference(text)
    assert normalize_reference(key) == key
    for space in ("\u00a0", "\u202f", "\u2009", "  "):
        assert normalize_reference(text.replace(" ", space)) == key


@given(st.text(alphabet="Plan sdtar\u00a0\u202fVIP", min_size=1, max_size=16),
       st.lists(st.text(alphabet="Plan sdtar\u00a0\u202fVIP", min_size=1, max_size=16), max_size=4))
def test_a_suggestion_never_looks_like_the_cell(cell: str, registered: list[str]) -> None:
    found = suggest(cell, registered, normalize_name)
    if found is not None:
        assert " ".join(found[0].split()) != " ".join(cell.split())


def test_an_account_manager_registered_with_other_spaces_and_case_matches(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository(account_managers=[" Claire.Martin@Exemple.fr\u00a0"])
    path = write(tmp_path, [{"client.name": "Acme",
                             "client.account_manager_email": "claire.martin@exemple.fr"}])
    assert ui.import_file(path, repository).ok


@pytest.mark.parametrize("stored", ["Holding\u00a0Lumière", "HOLDING  LUMIÈRE"])
def test_a_parent_name_matches_a_stored_client_whatever_its_spaces_and_case(tmp_path: Path,
                                                                              stored: str) -> None:
    repository = ui.InMemoryRepository()
    parent = seed_client(repository, None, stored)
    path = write(tmp_path, [{"client.external_id": "C1", "client.name": "Filiale",
                             "group.name": "Holding Lumière"}])
    report = ui.import_file(path, repository)
    assert report.ok
    assert repository.client_by_external_id("C1").parent_id == parent


# -- failed-rows files carry the fix ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_failed_rows_file_says_how_to_fix_each_row(tmp_path: Path, fmt: str) -> None:
    repository = ui.InMemoryRepository(dunning_plans=["Plan standard"])
    source = write(tmp_path, [{"client.name": "Acme", "client.dunning_plan": "Plan standart"},
                              {"client.name": "", "contact.email": "jean@acme.fr"}])
    report = ui.import_file(source, repository, lang="fr")
    failed = tmp_path / f"failed.{fmt}"
    assert ui.write_failed_rows(report, failed) == 2
    table = ui.read_table(failed)
    assert table.headers[-2:] == ("Erreurs d'import", "Comment corriger")
    rows = [row.values for row in table.rows]
    assert rows[0][-2] == "Nom du plan de relance : Aucun plan de relance ne s'appelle « Plan standart »."
    assert rows[0][-1] == "Vouliez-vous dire « Plan standard » ?"
    assert rows[1][-2] == "Nom du client : Le champ « Nom du client » est obligatoire."
    assert rows[1][-1] == "Renseignez cette cellule."


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_failed_rows_re_imported_unchanged_keep_their_values_and_warn_of_no_apostrophe(
        tmp_path: Path, fmt: str) -> None:
    source = write(tmp_path, [{"client.name": "=Acme", "client.city": "-Nord-", "contact.email": "bad@",
                               "contact.phone": "+33 1 42 68 53 00"}], "xlsx")
    report = ui.import_file(source, ui.InMemoryRepository(), dry_run=True)
    failed = tmp_path / f"failed.{fmt}"
    ui.write_failed_rows(report, failed, lang="en")
    again = ui.import_file(failed, ui.InMemoryRepository(), dry_run=True)
    if fmt == "xlsx":
        # The quote-prefix style marks the cells: their text is exactly the original.
        assert [row.cells[:4] for row in again.rows] == [row.cells[:4] for row in report.rows]
    # The same values are read, the same problems found, and none mentions an apostrophe.
    found = [(issue.code, issue.value) for issue in again.issues if issue.code != "mapping.unmapped_column"]
    assert found == [(issue.code, issue.value) for issue in report.issues]
    assert not any("'" in (issue.value or "") for issue in again.issues)
    fixed = ui.InMemoryRepository()
    ui.import_file(failed, fixed, mapping={"Email du contact": None, "Téléphone du contact": None})
    [client] = fixed.clients()
    assert (client.name, client.values[Field.CLIENT_CITY]) == ("=Acme", "-Nord-")


# -- users see their own identifiers ------------------------------------------------------------------

def test_a_new_client_whose_name_several_stored_clients_bear_lists_them_all(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "C1", "Acme")
    seed_client(repository, None, "Acme")
    path = write(tmp_path, [{"client.external_id": "C2", "client.name": "Acme"}])
    report = ui.import_file(path, repository, lang="fr", dry_run=True)
    [issue] = report.issues
    assert issue.code == "client.same_name_exists"
    assert issue.message == ("Des clients nommés « Acme » existent déjà (identifiant C1, 1 sans "
                             "identifiant) ; un nouveau client est créé.")
    assert issue.to_dict("en")["message"] == ("Customers named 'Acme' already exist (ID C1, 1 without an "
                                              "ID); a new customer is created.")


def test_a_new_client_whose_name_a_stored_client_without_id_bears_never_shows_the_store_id(
        tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    stored = seed_client(repository, None, "Acme")
    path = write(tmp_path, [{"client.external_id": "C2", "client.name": "Acme"}])
    report = ui.import_file(path, repository, dry_run=True)
    [issue] = report.issues
    assert issue.message == ("A customer named 'Acme' already exists (without an ID); a new customer is "
                             "created.")
    assert f"({stored})" not in issue.message


def test_a_parent_change_shows_the_former_parent_by_its_external_id(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    old = seed_client(repository, "G-OLD", "Ancien groupe")
    seed_client(repository, "G-H", "Groupe H")
    seed_client(repository, "C001", "Acme", parent_id=old)
    report = ui.import_file(write(tmp_path, [{"client.external_id": "C001", "group.external_id": "G-H"}]),
                            repository, dry_run=True)
    [operation] = report.to_dict()["operations"]  # type: ignore[misc]
    assert operation["changes"] == {"group.external_id": ["G-OLD", "G-H"]}


def test_a_parent_change_from_a_parent_without_id_shows_its_name(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    old = seed_client(repository, None, "Ancien groupe")
    seed_client(repository, "G-H", "Groupe H")
    seed_client(repository, "C001", "Acme", parent_id=old)
    report = ui.import_file(write(tmp_path, [{"client.external_id": "C001", "group.external_id": "G-H"}]),
                            repository, dry_run=True)
    [operation] = report.to_dict()["operations"]  # type: ignore[misc]
    assert operation["changes"] == {"group.external_id": ["Ancien groupe", "G-H"]}


def test_the_sqlite_store_names_the_former_parent_too(tmp_path: Path) -> None:
    with ui.SqliteRepository(tmp_path / "store.db") as repository:
        first = write(tmp_path, [{"client.external_id": "G-OLD", "client.name": "Ancien groupe"},
                                 {"client.external_id": "G-H", "client.name": "Groupe H"},
                                 {"client.external_id": "C001", "client.name": "Acme",
                                  "group.external_id": "G-OLD"}])
        assert ui.import_file(first, repository).ok
        second = write(tmp_path, [{"client.external_id": "C001", "group.external_id": "G-H"}])
        report = ui.import_file(second, repository, dry_run=True)
    [operation] = report.to_dict()["operations"]  # type: ignore[misc]
    assert operation["changes"] == {"group.external_id": ["G-OLD", "G-H"]}


def test_two_stored_parents_of_one_name_are_both_listed(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "G1", "Holding")
    seed_client(repository, "G2", "Holding")
    path = write(tmp_path, [{"client.name": "Filiale", "group.name": "Holding"}])
    report = ui.import_file(path, repository, dry_run=True)
    [issue] = report.issues
    assert issue.code == "group.ambiguous_parent"
    assert issue.message == "Several customers could be the parent 'Holding': G1, G2."


# -- no silent duplicate client -----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_row_naming_the_old_name_of_a_client_the_file_renames_is_another_client_with_a_warning(
        tmp_path: Path, fmt: str) -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "C001", "Globex")
    path = write(tmp_path, [{"client.external_id": "C001", "client.name": "Acme"},
                            {"client.name": "Globex", "contact.email": "jean@globex.fr"}], fmt)
    report = ui.import_file(path, repository)
    assert codes(report) == [(3, "client.renamed_name")]
    assert report.ok  # a warning: the row is imported, and the user is told how it was read
    assert sorted(client.name for client in repository.clients()) == ["Acme", "Globex"]
    again = ui.import_file(path, repository, dry_run=True)
    assert codes(again) == []
    assert again.summary.clients.create == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_group_name_and_id_designating_two_clients_is_an_error_naming_both(tmp_path: Path,
                                                                             fmt: str) -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "G1", "Holding A")
    seed_client(repository, "G2", "Holding B")
    path = write(tmp_path, [{"client.external_id": "C1", "client.name": "Filiale", "group.external_id": "G1",
                             "group.name": "Holding B"}], fmt)
    report = ui.import_file(path, repository, lang="fr")
    [issue] = report.issues
    assert issue.code == "group.parent_mismatch" and issue.is_error
    assert issue.message == ("Le nom du groupe « Holding B » ne correspond pas à l'identifiant du groupe G1, "
                             "qui désigne le client « Holding A ».")
    assert [client.external_id for client in repository.clients()] == ["G1", "G2"]


def test_a_group_name_and_id_of_the_same_client_are_accepted(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "G1", "Holding\u00a0A")
    path = write(tmp_path, [{"client.external_id": "C1", "client.name": "Filiale", "group.external_id": "G1",
                             "group.name": "holding a"}])
    assert ui.import_file(path, repository).ok


# -- emails and phones --------------------------------------------------------------------------------

def test_an_email_with_a_display_name_or_mailto_imports_the_address_with_a_warning(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository()
    path = write(tmp_path, [{"client.name": "Acme", "contact.email": "Jean Dupont <jean@x.fr>"},
                            {"client.name": "Globex", "contact.email": "mailto:anne@y.fr"}])
    report = ui.import_file(path, repository, lang="fr")
    assert report.ok and codes(report) == [(2, "value.email_extracted"), (3, "value.email_extracted")]
    assert report.issues[0].message == ("« Jean Dupont <jean@x.fr> » n'est pas une simple adresse email ; "
                                        "l'adresse « jean@x.fr » en a été extraite.")
    assert sorted(contact.email for contact in repository.contacts()) == ["anne@y.fr", "jean@x.fr"]


def test_a_phone_of_the_right_shape_but_unallocated_is_worded_as_such(tmp_path: Path) -> None:
    path = write(tmp_path, [{"client.name": "Acme", "contact.email": "jean@x.fr",
                             "contact.phone": "+33 0 12 34 56 78"}])
    report = ui.import_file(path, ui.InMemoryRepository(), dry_run=True)
    [issue] = report.issues
    assert issue.code == "value.phone_not_allocated" and not issue.is_error
    assert "not a phone number we can read" not in issue.message


# -- reports speak the user's language ------------------------------------------------------------------

def test_issues_of_a_french_report_are_french_and_its_summary_prints_readably(tmp_path: Path) -> None:
    path = write(tmp_path, [{"client.name": "Acme", "contact.email": "jean@"},
                            {"client.name": "", "client.city": "Lyon"}])
    report = ui.import_file(path, ui.InMemoryRepository(), lang="fr")
    assert [issue.message for issue in report.issues] == [
        "« jean@ » n'est pas une adresse email valide.", "Le champ « Nom du client » est obligatoire."]
    assert report.issues[0].message_in("en") == "'jean@' is not a valid email address."
    assert str(report.issues[0]) == report.issues[0].message
    assert str(report.summary) == "\n".join([
        "Résumé",
        "  Lignes     lues : 2 · en erreur : 2 (non importées : 1 · client importé sans son contact : 1)",
        "  Clients    créés : 1 · mis à jour : 0 · inchangés : 0 · écartés : 1",
        "  Contacts   créés : 0 · mis à jour : 0 · inchangés : 0 · écartés : 1",
        "  Problèmes  erreurs : 2 · avertissements : 0",
    ])
    assert str(report) == str(report.summary)
    english = ui.import_file(path, ui.InMemoryRepository(), dry_run=True)
    assert str(english.summary).splitlines()[2] == (
        "  Clients   to create: 1 · to update: 0 · unchanged: 0 · dropped: 1")


def test_the_french_command_line_agrees_plurals_and_separates_thousands(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [{"client.external_id": f"C{n}", "client.name": f"Client {n}"} for n in range(1200)]
    rows[5]["contact.email"] = "bad@"
    path = write(tmp_path, rows)
    capsys.readouterr()
    main(["check", str(path), "--lang", "fr"])
    out = capsys.readouterr().out
    assert f"1{FRENCH_THOUSANDS}200 lignes" in out and f"lues : 1{FRENCH_THOUSANDS}200" in out
    assert "— ligne 7\n" in out and "lignes 7" not in out
    assert f"100{FRENCH_THOUSANDS}%" in out  # the mapping's confidence, French style
    main(["check", str(path), "--lang", "en"])
    out = capsys.readouterr().out
    assert "1,200 rows" in out and "read: 1,200" in out and "— row 7\n" in out


def test_the_apply_outcome_tells_rows_not_imported_from_rows_that_lost_only_their_contact(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, [{"client.name": "Acme", "contact.email": "jean@"},
                            {"client.name": "Globex", "client.payment_term_days": "trente"},
                            {"client.name": "Initech", "contact.email": "anne@initech.fr"}])
    capsys.readouterr()
    assert main(["apply", str(path), "--lang", "fr"]) == 1
    out = capsys.readouterr().out
    assert ("1 ligne en erreur n'a pas été importée, et 1 ligne a importé le client mais pas le contact ; "
            "corrigez-les puis importez-les à nouveau.") in out
    assert "Les lignes en erreur n'ont pas été importées" not in out
    capsys.readouterr()
    main(["check", str(path), "--lang", "en"])
    assert ("The file has errors: 1 row would not be imported, and 1 row would import its customer but "
            "not its contact.") in capsys.readouterr().out


# -- the catalogue, read mechanically ---------------------------------------------------------------

def _texts() -> list[tuple[str, Text]]:
    found = [(f"{code} message", info.message) for code, info in CATALOGUE.items()]
    found += [(f"{code} fix", info.fix) for code, info in CATALOGUE.items() if info.fix is not None]
    found += [(f"hint {name}", text) for name, text in HINTS.items()]
    found += [(f"command line {name}", text) for name, text in STRINGS.items()]
    return found


def _render(text: Text, lang: str, count: int = 2) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(text.fr) if name}
    params: dict[str, object] = dict.fromkeys(names, "VALEUR")
    params.update({name: count for name in ("count", "actual", "rows", "not_imported", "contact_only")
                   if name in names})
    return text.render(lang, params)  # type: ignore[arg-type]


_ENGLISH_WORDS = re.compile(
    r"\b(?:Column|column|row|rows|customer|the|Did you|and|is|not|with|its|their|was|were)\b")


@pytest.mark.parametrize(("where", "text"), _texts(), ids=[where for where, _ in _texts()])
def test_french_texts_hold_no_english_and_quote_the_french_way(where: str, text: Text) -> None:
    french = _render(text, "fr")
    # Option names, code and commands to type are not English prose.
    prose = re.sub(r"--[\w-]+|\w+=|\w+\.\w+\(\)|\"[^\"]*\"|upflow-import [\w-]+ [\w-]+", "", french)
    assert not _ENGLISH_WORDS.search(prose), french
    assert "'VALEUR'" not in french and '"VALEUR"' not in french, french
    if "!r}" in text.fr:
        assert "« VALEUR »" in french, french
        assert "'VALEUR'" in _render(text, "en"), where


@pytest.mark.parametrize(("where", "text"), [(w, t) for w, t in _texts() if ":|" in t.fr],
                         ids=[w for w, t in _texts() if ":|" in t.fr])
def test_plural_placeholders_agree_with_their_count(where: str, text: Text) -> None:
    one, two = _render(text, "fr", 1), _render(text, "fr", 2)
    assert one != two, where
    assert _render(text, "en", 1) != _render(text, "en", 2), where


def test_field_labels_as_subjects_carry_an_article_in_french() -> None:
    issue = Issue.from_code("value.too_long", row=2, field="client.name", length=300, maximum=255)
    assert issue.message_in("fr") == "Le champ « Nom du client » fait 300 caractères ; le maximum est 255."
    assert Issue.from_code("csv.inconsistent_columns", row=3, actual=1, expected=2).message_in("fr") == (
        "La ligne 3 a 1 cellule mais l'en-tête en a 2.")


def test_registering_a_plan_that_differs_only_by_a_space_registers_nothing_new(tmp_path: Path) -> None:
    with ui.SqliteRepository(tmp_path / "store.db") as repository:
        assert repository.add_dunning_plans(["Plan standard"]) == ["Plan standard"]
        assert repository.add_dunning_plans(["Plan\u00a0standard", " Plan  standard"]) == []
        assert repository.all_dunning_plans() == ["Plan standard"]


def test_an_account_manager_with_a_display_name_is_checked_by_its_address(tmp_path: Path) -> None:
    repository = ui.InMemoryRepository(account_managers=["claire.martin@exemple.fr"])
    path = write(tmp_path, [{"client.name": "Acme",
                             "client.account_manager_email": "Claire Martin <claire.martin@exemple.fr>"}])
    report = ui.import_file(path, repository)
    assert report.ok and codes(report) == [(2, "value.email_extracted")]
    [client] = repository.clients()
    assert client.values[Field.CLIENT_ACCOUNT_MANAGER_EMAIL] == ("claire.martin@exemple.fr",)


def test_a_limit_is_named_in_the_language_of_the_message_with_its_setting(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("Nom du client\n" + "Acme\n" * 20, encoding="utf-8")
    with pytest.raises(ui.UpflowImportError) as raised:
        ui.import_file(path, ui.InMemoryRepository(), limits=ui.Limits(max_rows=10), dry_run=True)
    assert raised.value.message_in("fr").startswith("Le fichier dépasse la limite de lignes (max_rows) : ")
    assert raised.value.message_in("en").startswith("The file exceeds the limit on rows (max_rows): ")
