"""Column auto-mapping, explicit mappings, validation and saved mappings."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

import upflow_import as ui
from header_spellings import SPELLINGS, UNRELATED
from upflow_import.fields import SPECS, Field
from upflow_import.mapping import ColumnMapping, auto_map, mapping_reference_markdown, normalize_header


def table(headers: Sequence[str], *rows: Sequence[str | None]) -> ui.Table:
    return ui.Table.from_rows(headers, rows)


def fields_of(mapping: ColumnMapping) -> dict[str, str | None]:
    return mapping.to_dict()


# --- real-world headers -------------------------------------------------------


def test_the_spelling_table_covers_both_languages_and_every_field() -> None:
    assert len(SPELLINGS) >= 80
    assert {key for _, key in SPELLINGS} == {field.value for field in Field}


@pytest.mark.parametrize(("header", "key"), SPELLINGS, ids=[h for h, _ in SPELLINGS])
def test_a_real_world_header_maps_to_its_field(header: str, key: str) -> None:
    mapping = auto_map(table([header]))
    assert fields_of(mapping) == {header: key}
    assert 0.6 <= mapping.confidence(header) <= 1.0


@pytest.mark.parametrize("header", UNRELATED)
def test_an_unrelated_column_stays_unmapped_with_a_warning(header: str) -> None:
    mapping = auto_map(table(["Nom du client", header]))
    assert mapping.field_for(header) is None
    warnings = [issue for issue in mapping.validate() if issue.code == "mapping.unmapped_column"]
    assert [(w.column, w.severity) for w in warnings] == [(header, ui.Severity.WARNING)]


@pytest.mark.parametrize(
    ("label", "field"),
    [(label, spec.field) for spec in SPECS.values() for label in spec.labels],
)
def test_every_canonical_label_maps_with_full_confidence(label: str, field: Field) -> None:
    for header in (label, label.upper(), f"{label} *", f"{label} (obligatoire)", f" {label} (required)"):
        mapping = auto_map(table([header]))
        assert mapping.field_for(header) is field, header
        assert mapping.confidence(header) == 1.0, header


def test_synonyms_and_guesses_score_below_exact_labels() -> None:
    mapping = auto_map(table(["Raison sociale", "Identifiant Cleint", "Ville de facturation"]))
    assert mapping.confidence("Raison sociale") == 0.95
    assert 0.6 <= mapping.confidence("Identifiant Cleint") < 0.95
    assert 0.6 <= mapping.confidence("Ville de facturation") < 0.95


def test_a_whole_export_maps_column_by_column() -> None:
    headers = ["Code client", "Raison sociale", "Adresse", "CP", "Ville", "Pays", "N° TVA",
               "Compte auxiliaire", "Commercial", "Conditions de paiement", "Société mère",
               "Nom", "Prénom", "E-mail", "Tél.", "Fonction", "Contact principal",
               "Chiffre d'affaires", "Date de création"]
    row = ["C001", "Acme", "1 rue de la Paix", "75001", "Paris", "France", "FR123", "411ACME",
           "marie@upflow.io", "30", "", "Dupont", "Jean", "jean@acme.fr", "0102030405", "Comptable",
           "1", "1200000", "2020-01-01"]
    mapping = auto_map(table(headers, row))
    assert fields_of(mapping) == {
        "Code client": "client.external_id", "Raison sociale": "client.name",
        "Adresse": "client.address", "CP": "client.postal_code", "Ville": "client.city",
        "Pays": "client.country", "N° TVA": "client.vat_number",
        "Compte auxiliaire": "client.accounting_code",
        "Commercial": "client.account_manager_email",
        "Conditions de paiement": "client.payment_term_days", "Société mère": "group.name",
        "Nom": "contact.last_name", "Prénom": "contact.first_name", "E-mail": "contact.email",
        "Tél.": "contact.phone", "Fonction": "contact.position", "Contact principal": "contact.is_main",
        "Chiffre d'affaires": None, "Date de création": None,
    }
    assert [issue.code for issue in mapping.validate() if issue.is_error] == []


# --- context and values -----------------------------------------------------------


def test_nom_beside_a_client_name_column_is_the_contacts_last_name() -> None:
    mapping = auto_map(table(["Nom du client", "Nom", "Email"]))
    assert fields_of(mapping) == {"Nom du client": "client.name", "Nom": "contact.last_name",
                                  "Email": "contact.email"}


def test_nom_alone_is_the_client_name() -> None:
    assert fields_of(auto_map(table(["Nom", "Ville"]))) == {"Nom": "client.name", "Ville": "client.city"}


def test_nom_beside_a_first_name_column_is_the_contacts_last_name() -> None:
    mapping = auto_map(table(["Identifiant client", "Prénom", "Nom", "Email"]))
    assert mapping.field_for("Nom") is Field.CONTACT_LAST_NAME
    # The other reading stays visible as a runner-up.
    assert (Field.CLIENT_NAME, 0.8) in mapping.matches[2].alternatives


def test_english_name_follows_the_same_rule() -> None:
    mapping = auto_map(table(["Company", "Name", "First name"]))
    assert fields_of(mapping) == {"Company": "client.name", "Name": "contact.last_name",
                                  "First name": "contact.first_name"}


def test_email_alone_is_the_contacts_email_even_beside_the_account_managers() -> None:
    mapping = auto_map(table(["Nom du client", "Email du Responsable de Compte", "Email"]))
    assert mapping.field_for("Email") is Field.CONTACT_EMAIL
    assert mapping.field_for("Email du Responsable de Compte") is Field.CLIENT_ACCOUNT_MANAGER_EMAIL


def test_a_column_of_emails_is_never_a_postal_code() -> None:
    mapping = auto_map(table(["Nom du client", "CP"], ["Acme", "jean@acme.fr"], ["Globex", "ann@globex.com"]))
    assert mapping.field_for("CP") is not Field.CLIENT_POSTAL_CODE
    same_header_with_codes = auto_map(table(["Nom du client", "CP"], ["Acme", "75001"]))
    assert same_header_with_codes.field_for("CP") is Field.CLIENT_POSTAL_CODE


def test_an_unknown_header_over_emails_is_the_contacts_email() -> None:
    mapping = auto_map(table(["Client", "Contact"], ["Acme", "jean@acme.fr"], ["Globex", ""]))
    assert mapping.field_for("Contact") is Field.CONTACT_EMAIL
    assert 0.6 <= mapping.confidence("Contact") < 0.8


def test_commercial_is_the_account_manager_only_when_it_holds_emails() -> None:
    names = auto_map(table(["Client", "Commercial"], ["A", "Marie Curie"], ["B", "Paul Dirac"], ["C", "Ada"]))
    assert names.field_for("Commercial") is None
    emails = auto_map(table(["Client", "Commercial"], ["A", "marie@upflow.io"], ["B", "paul@upflow.io"]))
    assert emails.field_for("Commercial") is Field.CLIENT_ACCOUNT_MANAGER_EMAIL


def test_a_header_naming_an_email_feeds_an_email_field() -> None:
    mapping = auto_map(table(["Adresse", "Adresse e-mail du contact"]))
    assert fields_of(mapping) == {"Adresse": "client.address", "Adresse e-mail du contact": "contact.email"}


def test_each_field_is_fed_by_one_column_at_most() -> None:
    mapping = auto_map(table(["Adress", "Adresse", "Raison sociale", "Société"]))
    assert mapping.field_for("Adresse") is Field.CLIENT_ADDRESS
    assert mapping.field_for("Adress") is None
    assert sorted(str(mapping.field_for(c)) for c in ("Raison sociale", "Société")) == ["None", "client.name"]
    assert not [issue for issue in mapping.validate() if issue.code == "mapping.field_mapped_twice"]


def test_only_the_first_rows_are_read() -> None:
    def rows() -> Iterator[ui.Row]:
        for number in range(2, 52):
            yield ui.Row(number, ("Acme", "jean@acme.fr"))
        raise AssertionError("auto_map read past its sample")

    big = ui.Table(format="csv", headers=["Société", "Contact"], rows=rows)
    assert fields_of(auto_map(big)) == {"Société": "client.name", "Contact": "contact.email"}


POOL = sorted({header for header, _ in SPELLINGS} | set(UNRELATED)
              | {"Nom", "Name", "Code", "Commercial", "Contact", "Responsable"})
VALUES = {"empty": "", "emails": "a@b.fr", "names": "Marie Curie", "digits": "75001", "flag": "1"}


@given(st.lists(st.tuples(st.sampled_from(POOL), st.sampled_from(sorted(VALUES))), min_size=1, max_size=14,
                unique_by=lambda column: column[0]),
       st.data())
def test_permuting_the_columns_never_changes_which_field_a_column_gets(
        columns: list[tuple[str, str]], data: st.DataObject) -> None:
    def mapped(cols: Sequence[tuple[str, str]]) -> dict[str, str | None]:
        headers = [header for header, _ in cols]
        rows = [[VALUES[kind] for _, kind in cols]] * 3
        return fields_of(auto_map(ui.Table.from_rows(headers, rows)))

    assert mapped(data.draw(st.permutations(columns))) == mapped(columns)


# --- normalisation ---------------------------------------------------------------


@pytest.mark.parametrize(("header", "normalised"), [
    ("  Nom du client (obligatoire) ", "nom du client"),
    ("\ufeffIdentifiant Client*", "identifiant client"),
    ("NUMÉRO DE TVA", "numero de tva"),
    ("N° TVA", "numero tva"),
    ("E-mail", "email"),
    ("e_mail", "email"),
    ("vatNumber", "vat number"),
    ("addressLine1", "address line 1"),
    ("Délai de paiement (required)", "delai de paiement"),
    ("Prénom [facultatif]", "prenom"),
    ("Nom du client - obligatoire", "nom du client"),
    ("Sœur\u00a0\u00a0 Société", "soeur societe"),
    ("Contact principal (optional)", "contact principal"),
])
def test_header_normalisation(header: str, normalised: str) -> None:
    assert normalize_header(header) == normalised


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_normalisation_is_idempotent_and_yields_lowercase_words(header: str) -> None:
    once = normalize_header(header)
    assert normalize_header(once) == once
    assert once == once.strip() and "  " not in once
    assert once == once.casefold()


@given(st.sampled_from([h for h, _ in SPELLINGS]))
def test_case_accents_and_spacing_do_not_change_the_field(header: str) -> None:
    variant = f"  {header.upper()}  ".replace(" ", "  ")
    assert auto_map(table([variant])).field_for(variant) == auto_map(table([header])).field_for(header)


# --- explicit mappings ------------------------------------------------------------


def test_from_dict_and_to_dict_round_trip() -> None:
    explicit = {"Société": "client.name", "Notes": None, "Mail": Field.CONTACT_EMAIL}
    mapping = ColumnMapping.from_dict(explicit)
    assert mapping.to_dict() == {"Société": "client.name", "Notes": None, "Mail": "contact.email"}
    assert ColumnMapping.from_dict(mapping.to_dict()) == mapping
    assert mapping.confidence("Société") == 1.0
    assert mapping.fields() == {Field.CLIENT_NAME: "Société", Field.CONTACT_EMAIL: "Mail"}


def test_an_unknown_field_key_is_refused() -> None:
    with pytest.raises(ui.MappingError) as raised:
        ColumnMapping.from_dict({"Nom": "client.nom"})
    assert raised.value.code == "mapping.unknown_field"
    assert raised.value.issue.column == "Nom" and raised.value.issue.value == "client.nom"


def test_overrides_win_and_the_other_columns_map_around_them() -> None:
    headers = ["Société", "Nom", "Code", "Email"]
    automatic = auto_map(table(headers))
    assert fields_of(automatic)["Nom"] == "contact.last_name"
    mapping = auto_map(table(headers), overrides={"Nom": "client.name", "Code": None})
    assert fields_of(mapping) == {"Société": None, "Nom": "client.name", "Code": None,
                                  "Email": "contact.email"}
    assert mapping.confidence("Nom") == 1.0


def test_an_override_frees_a_field_for_another_column() -> None:
    mapping = auto_map(table(["Raison sociale", "Enseigne", "Nom"]),
                       overrides={"Raison sociale": None, "Enseigne": "client.name"})
    # "Nom" can no longer be the client's name, which "Enseigne" holds.
    assert fields_of(mapping) == {"Raison sociale": None, "Enseigne": "client.name",
                                  "Nom": "contact.last_name"}


def test_a_saved_mapping_is_reused_as_overrides() -> None:
    confirmed = auto_map(table(["Société", "Notes"]), overrides={"Notes": "contact.email"})
    saved = confirmed.to_json()
    reused = auto_map(table(["Société", "Notes", "Ville"]), overrides=ColumnMapping.from_json(saved))
    assert fields_of(reused) == {"Société": "client.name", "Notes": "contact.email", "Ville": "client.city"}


def test_with_overrides_lays_explicit_choices_over_an_automatic_mapping() -> None:
    automatic = auto_map(table(["Société", "Nom", "Ville"]))
    merged = automatic.with_overrides({"Nom": "client.name", "Absent": "client.city"})
    assert fields_of(merged) == {"Société": None, "Nom": "client.name", "Ville": "client.city"}
    assert merged.matches[0].alternatives[0] == (Field.CLIENT_NAME, 0.95)


# --- validation ---------------------------------------------------------------------


def test_a_field_fed_by_two_columns_is_an_error() -> None:
    mapping = ColumnMapping.from_dict({"Nom": "client.name", "Société": "client.name",
                                       "Ville": "client.city"})
    [issue] = [i for i in mapping.validate() if i.code == "mapping.field_mapped_twice"]
    assert issue.is_error and issue.field == "client.name"
    assert "'Nom', 'Société'" in issue.message
    assert issue.message_in("fr") == (
        "Le champ « Nom du client » est associé à plusieurs colonnes : « Nom », « Société ».")


def test_neither_client_name_nor_id_is_an_error_in_both_languages() -> None:
    mapping = auto_map(table(["Ville", "Pays"]))
    [issue] = mapping.validate()
    assert issue.code == "mapping.required_field_missing" and issue.is_error
    assert issue.message == ("No column is mapped to Customer name or Customer ID: every row must say "
                             "which customer it describes.")
    assert issue.message_in("fr") == ("Aucune colonne n'est associée à « Nom du client ou Identifiant "
                                      "Client » : "
                                      "chaque ligne doit indiquer de quel client elle parle.")


def test_either_client_name_or_id_is_enough() -> None:
    assert auto_map(table(["Identifiant client"])).validate() == ()
    assert auto_map(table(["Raison sociale"])).validate() == ()


def test_contact_columns_without_the_contact_email_are_an_error() -> None:
    mapping = auto_map(table(["Client", "Prénom", "Téléphone"]))
    [issue] = mapping.validate()
    assert issue.code == "mapping.required_field_missing" and issue.field == "contact.email"
    assert "'Prénom'" in issue.message and "Contact email" in issue.message
    assert "Email du contact" in issue.message_in("fr") and "décrivent des contacts" in issue.message_in("fr")
    assert auto_map(table(["Client", "Prénom", "Téléphone", "Courriel"])).validate() == ()


def test_validation_lists_errors_before_warnings() -> None:
    mapping = ColumnMapping.from_dict({"Notes": None, "Prénom": "contact.first_name"})
    assert [issue.code for issue in mapping.validate()] == [
        "mapping.required_field_missing", "mapping.required_field_missing", "mapping.unmapped_column"]


# --- JSON -------------------------------------------------------------------------


def test_a_mapping_survives_json() -> None:
    mapping = auto_map(table(["Société", "Nom", "Prénom", "Commentaire"]))
    text = mapping.to_json()
    assert ColumnMapping.from_json(text) == mapping
    assert ColumnMapping.from_json(text.encode()) == mapping
    document = json.loads(text)
    assert document["version"] == 1
    assert document["columns"][1] == {"column": "Nom", "field": "contact.last_name", "confidence": 0.9,
                                      "alternatives": [{"field": "client.name", "confidence": 0.8}]}


def test_a_hand_written_json_mapping_is_read() -> None:
    mapping = ColumnMapping.from_json('{"Société": "client.name", "Notes": null}')
    assert mapping.to_dict() == {"Société": "client.name", "Notes": None}


@pytest.mark.parametrize("text", [
    "not json", "[1, 2]", '{"Nom": 3}',
    '{"version": 1, "columns": [{"column": "Nom", "field": "client.name", "confidence": "sure"}]}',
    '{"version": 1, "columns": [{"field": "client.name"}]}',
])
def test_an_unreadable_json_mapping_is_a_mapping_error(text: str) -> None:
    with pytest.raises(ui.MappingError) as raised:
        ColumnMapping.from_json(text)
    assert raised.value.code == "mapping.invalid"
    assert raised.value.message_in("fr").startswith("L'association des colonnes ne peut pas être lue")


def test_an_unknown_field_in_a_saved_mapping_is_named() -> None:
    text = '{"version": 1, "columns": [{"column": "Nom", "field": "client.nom"}]}'
    with pytest.raises(ui.MappingError) as raised:
        ColumnMapping.from_json(text)
    assert raised.value.code == "mapping.unknown_field"


# --- documentation page ---------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_docs_page_lists_every_accepted_header(lang: ui.issues.Lang) -> None:
    page = mapping_reference_markdown(lang)
    assert page.startswith("# Column mapping" if lang == "en" else "# Association des colonnes")
    for spec in SPECS.values():
        assert f"(`{spec.field.value}`)" in page
        for text in (*spec.labels, *spec.synonyms, *spec.generic):
            assert f"`{text}`" in page, text
