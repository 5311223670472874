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


# --- exports of accounting and CRM tools ----------------------------------------------


def test_address_block_prefixes_and_suffixes_name_the_address_parts() -> None:
    headers = ["Name", "POAddressLine1", "POCity", "PORegion", "POPostalCode", "POCountry"]
    assert fields_of(auto_map(table(headers))) == {
        "Name": "client.name", "POAddressLine1": "client.address", "POCity": "client.city",
        "PORegion": "client.state", "POPostalCode": "client.postal_code", "POCountry": "client.country"}
    french = ["Client", "Adresse de facturation", "Adresse de facturation - Ville",
              "Code postal de facturation"]
    assert fields_of(auto_map(table(french))) == {
        "Client": "client.name", "Adresse de facturation": "client.address",
        "Adresse de facturation - Ville": "client.city", "Code postal de facturation": "client.postal_code"}
    assert auto_map(table(["Client", "City (billing)"])).field_for("City (billing)") is Field.CLIENT_CITY


def test_with_billing_and_shipping_blocks_billing_is_the_address_and_shipping_stays_unmapped() -> None:
    headers = ["Account Name", "ShippingStreet", "ShippingCity", "BillingStreet", "BillingCity",
               "Ville de livraison"]
    mapping = auto_map(table(headers))
    assert fields_of(mapping) == {"Account Name": "client.name", "ShippingStreet": None, "ShippingCity": None,
                                  "BillingStreet": "client.address", "BillingCity": "client.city",
                                  "Ville de livraison": None}
    assert "address block" in mapping.matches[4].reason


def test_a_delivery_address_alone_is_the_address_with_less_confidence() -> None:
    mapping = auto_map(table(["Société", "Adresse de livraison", "Ville de livraison"]))
    assert mapping.field_for("Adresse de livraison") is Field.CLIENT_ADDRESS
    assert mapping.field_for("Ville de livraison") is Field.CLIENT_CITY
    assert mapping.confidence("Ville de livraison") < 0.9
    assert "delivery" in mapping.matches[2].reason


def test_a_second_column_of_a_kind_is_never_the_field() -> None:
    mapping = auto_map(table(["Société", "Street", "Street2", "Téléphone 2", "POAddressLine2"]))
    assert fields_of(mapping) == {"Société": "client.name", "Street": "client.address", "Street2": None,
                                  "Téléphone 2": None, "POAddressLine2": None}


@pytest.mark.parametrize("header", ["Bank account number", "BankAccountName", "Company Domain Name",
                                    "Code fournisseur", "Website URL", "Opening Balance Date",
                                    "Propriétaire de l'entreprise", "Compte comptable fournisseur"])
def test_a_header_about_something_else_stays_unmapped_whatever_field_words_it_holds(header: str) -> None:
    assert auto_map(table(["Raison sociale", header])).field_for(header) is None


@pytest.mark.parametrize(("header", "key"), [
    ("Account ID", "client.external_id"), ("Record ID", "client.external_id"),
    ("Customer #", "client.external_id"), ("Customer No.", "client.external_id"),
    ("CUSTOMER NUMBER", "client.external_id"), ("Code client", "client.external_id"),
    ("N° compte", "client.accounting_code"), ("Payment deadline (days)", "client.payment_term_days"),
    ("Country/Region", "client.country"), ("Pays/région", "client.country"),
    ("Département/Canton", "client.state"), ("Billing Zip/Postal Code", "client.postal_code"),
])
def test_ids_numbers_codes_and_alternatives_of_exports(header: str, key: str) -> None:
    assert fields_of(auto_map(table(["Company", header]))) == {"Company": "client.name", header: key}


def test_contact_name_beside_first_and_last_names_is_the_company() -> None:
    xero = auto_map(table(["ContactName", "FirstName", "LastName", "EmailAddress"]))
    assert fields_of(xero) == {"ContactName": "client.name", "FirstName": "contact.first_name",
                               "LastName": "contact.last_name", "EmailAddress": "contact.email"}
    assert "company" in xero.matches[0].reason
    alone = auto_map(table(["Société", "Contact name", "Email"]))
    assert alone.field_for("Contact name") is Field.CONTACT_LAST_NAME


def test_a_title_is_the_position_unless_its_values_are_civilities_or_companies() -> None:
    headers = ["Company", "First name", "Last name", "Email", "Title"]

    def title_field(*titles: str) -> Field | None:
        rows = [["Acme", "Jane", "Doe", f"j{i}@acme.com", title] for i, title in enumerate(titles)]
        return auto_map(table(headers, *rows)).field_for("Title")

    assert title_field("Accounting", "Payer", "Sales") is Field.CONTACT_POSITION
    assert title_field("Mr", "Mrs", "Dr.") is None
    numnum = auto_map(table(["title", "last_name", "first_name", "email"],
                            ["Boulangerie Dupont SRL", "Dupont", "Pierre", "p@dupont.be"],
                            ["Tech Solutions SA", "De Vries", "Jan", "jan@tech.be"]))
    assert numnum.field_for("title") is Field.CLIENT_NAME


def test_an_account_number_of_411_accounts_is_the_accounting_code() -> None:
    headers = ["Company", "Account Number"]
    ledger = auto_map(table(headers, ["Acme", "411ACME"], ["Globex", "4110002"], ["Initech", "411 INI"]))
    assert ledger.field_for("Account Number") is Field.CLIENT_ACCOUNTING_CODE
    assert "411" in ledger.matches[1].reason
    business = auto_map(table(headers, ["Acme", "CD451796"], ["Globex", "CD656092"]))
    assert business.field_for("Account Number") is Field.CLIENT_EXTERNAL_ID


def test_sages_n_identifiant_is_the_vat_number_when_it_holds_vat_numbers() -> None:
    headers = ["Intitulé", "N° identifiant"]
    vat = auto_map(table(headers, ["Carat", "FR40552100554"], ["Baury", "FR 83 404 833 048"]))
    assert vat.field_for("N° identifiant") is Field.CLIENT_VAT_NUMBER
    other = auto_map(table(headers, ["Carat", "C-17"], ["Baury", "C-18"]))
    assert other.field_for("N° identifiant") is None


def test_a_record_id_in_a_file_of_contacts_is_the_contacts() -> None:
    hubspot = ["Record ID", "First Name", "Last Name", "Email", "Company Name"]
    assert auto_map(table(hubspot)).field_for("Record ID") is Field.CONTACT_EXTERNAL_ID
    companies = ["Record ID", "Company name", "City"]
    assert auto_map(table(companies)).field_for("Record ID") is Field.CLIENT_EXTERNAL_ID


def test_an_empty_column_loses_a_tie_to_a_filled_one() -> None:
    headers = ["Legal name", "Company name"]
    mapping = auto_map(table(headers, ["", "Acme"], ["", "Globex"]))
    assert fields_of(mapping) == {"Legal name": None, "Company name": "client.name"}
    swapped = auto_map(table(headers, ["Acme SAS", ""], ["Globex Ltd", ""]))
    assert fields_of(swapped) == {"Legal name": "client.name", "Company name": None}


def test_a_column_close_to_a_free_field_is_reported_with_that_field() -> None:
    mapping = auto_map(table(["Account Name", "Account Owner", "Notes"],
                             ["Acme", "Marie Curie", ""], ["Globex", "Paul Dirac", ""]))
    assert mapping.field_for("Account Owner") is None
    issues = {issue.column: issue for issue in mapping.validate()}
    suggestion = issues["Account Owner"]
    assert suggestion.code == "mapping.unmapped_column_suggestion"
    assert suggestion.severity is ui.Severity.WARNING and suggestion.field == "client.account_manager_email"
    assert suggestion.message == ("The column 'Account Owner' is not imported, though it looks like "
                                  "Account manager email (47% sure).")
    assert suggestion.message_in("fr") == ("La colonne « Account Owner » n'est pas importée, bien qu'elle "
                                           "ressemble au champ Email du Responsable de Compte "
                                           "(certitude : 47 %).")
    assert "client.account_manager_email" in (suggestion.hint or "")
    assert issues["Notes"].code == "mapping.unmapped_column"


def test_a_tools_record_id_yields_to_the_customer_number_and_is_not_suggested_then() -> None:
    # The number is the one on the invoices; Salesforce's record ID is its own.
    mapping = auto_map(table(["Account ID", "Account Number", "Account Name"]))
    assert mapping.field_for("Account Number") is Field.CLIENT_EXTERNAL_ID
    [issue] = mapping.validate()
    assert (issue.code, issue.column) == ("mapping.unmapped_column", "Account ID")
    assert auto_map(table(["Account ID", "Account Name"])).field_for("Account ID") is Field.CLIENT_EXTERNAL_ID


def test_every_automatic_choice_says_why() -> None:
    mapping = auto_map(table(["Raison sociale", "POCity", "Prénom", "Nom"]))
    reasons = {match.column: match.reason for match in mapping.matches}
    assert reasons["Raison sociale"] == "accepted header 'Raison sociale'"
    assert "address block" in reasons["POCity"]
    assert "first-name column" in reasons["Nom"]
    # The explanation takes no part in comparisons nor in saved mappings.
    assert ColumnMapping.from_json(mapping.to_json()) == mapping


@pytest.mark.parametrize(("headers", "rows", "column", "key"), [
    # Zoho's address blocks call the postal code "Code".
    (["Account Name", "Billing Street", "Billing Code"], [], "Billing Code", "client.postal_code"),
    # QuickBooks Desktop's "Bill to 1" is the street line of the billing block.
    (["Company", "Bill to 1", "Bill to 2"], [], "Bill to 1", "client.address"),
    # "Délai de paiement" with numbers of days beats "Conditions de paiement" written in words.
    (["Client", "Conditions de paiement", "Délai de paiement"],
     [["Acme", "30 jours fin de mois", "30"], ["Globex", "45 jours", "45"]], "Délai de paiement",
     "client.payment_term_days"),
    # QuickBooks' "Primary Contact" holds names, not a yes/no.
    (["Company", "Primary Contact"], [["Acme", "Jane Doe"], ["Globex", "Hank Scorpio"]], "Primary Contact",
     None),
    # Cegid's "Tiers" holds the third party's code: "Libellé" is the name.
    (["Tiers", "Libellé"], [["CLI0001", "Acme"], ["CLI0002", "Globex"]], "Libellé", "client.name"),
    # Axonaut's contact columns say "Contact": the bare ID is the company's.
    (["ID", "Nom de l'entreprise", "Contact - Prénom", "Contact - Email"], [], "ID", "client.external_id"),
    # Zoho Books: beside a company name column, "Contact Name" is not the company.
    (["Company Name", "Contact Name", "First Name", "Last Name"], [], "Company Name", "client.name"),
    (["Display Name", "EmailID"], [], "EmailID", "contact.email"),
])
def test_more_export_spellings(headers: list[str], rows: list[list[str]], column: str,
                               key: str | None) -> None:
    assert fields_of(auto_map(table(headers, *rows)))[column] == key


def test_a_generic_header_after_an_entity_word_belongs_to_that_entity() -> None:
    pipedrive = ["Organization - ID", "Organization - Name", "Organization - Address - Country",
                 "Person - First name", "Person - Email - Work", "Person - Phone - Work"]
    assert fields_of(auto_map(table(pipedrive))) == {
        "Organization - ID": "client.external_id", "Organization - Name": "client.name",
        "Organization - Address - Country": "client.country", "Person - First name": "contact.first_name",
        "Person - Email - Work": "contact.email", "Person - Phone - Work": "contact.phone"}
    # In a file of persons, a contact's company is the customer.
    persons = auto_map(table(["Person - Name", "Person - Email - Work", "Person - Organization"]))
    assert persons.field_for("Person - Organization") is Field.CLIENT_NAME
