"""The field catalogue: keys, labels, and synonyms that are unambiguous and all reachable."""

from __future__ import annotations

import pytest

import upflow_import as ui
from upflow_import.fields import SPECS, Field, Kind, field_label
from upflow_import.mapping import auto_map, normalize_header

# DESIGN §4: key, French label (the article's), English label.
DESIGN_FIELDS = (
    ("client.external_id", "Identifiant Client", "Customer ID"),
    ("client.name", "Nom du client", "Customer name"),
    ("client.accounting_code", "Code comptable du client", "Accounting code"),
    ("client.vat_number", "Numéro de TVA", "VAT number"),
    ("client.address", "Adresse", "Address"),
    ("client.postal_code", "Code postal", "Postal code"),
    ("client.city", "Ville", "City"),
    ("client.state", "Etat / Région", "State / Region"),
    ("client.country", "Pays", "Country"),
    ("client.account_manager_email", "Email du Responsable de Compte", "Account manager email"),
    ("client.dunning_plan", "Nom du plan de relance", "Dunning plan"),
    ("client.payment_term_days", "Délai de paiement par défaut", "Default payment term"),
    ("group.name", "Nom du groupe", "Parent name"),
    ("group.external_id", "Identifiant du groupe", "Parent ID"),
    ("contact.email", "Email du contact", "Contact email"),
    ("contact.first_name", "Prénom du contact", "Contact first name"),
    ("contact.last_name", "Nom du contact", "Contact last name"),
    ("contact.phone", "Téléphone du contact", "Contact phone"),
    ("contact.external_id", "Identifiant du contact", "Contact ID"),
    ("contact.position", "Poste du contact", "Contact position"),
    ("contact.is_main", "Contact principal", "Main contact"),
)


def test_the_catalogue_has_exactly_the_designed_fields_and_labels() -> None:
    assert [field.value for field in Field] == [key for key, _, _ in DESIGN_FIELDS]
    assert set(SPECS) == set(Field)
    for key, french, english in DESIGN_FIELDS:
        assert field_label(key, "fr") == french
        assert field_label(key, "en") == english
        assert Field(key).label("fr") == french


def test_an_unknown_key_is_labelled_by_itself() -> None:
    assert field_label("client.nom", "fr") == "client.nom"


def test_fields_know_their_entity() -> None:
    assert Field.CONTACT_PHONE.is_contact and not Field.CONTACT_PHONE.is_client
    assert Field.GROUP_NAME.is_client and Field.GROUP_NAME.entity == "group"
    assert SPECS[Field.CLIENT_ACCOUNT_MANAGER_EMAIL].kind is Kind.EMAILS


def test_upflow_api_names_are_synonyms() -> None:
    api_names = {
        "externalId": Field.CLIENT_EXTERNAL_ID, "accountingRef": Field.CLIENT_ACCOUNTING_CODE,
        "vatNumber": Field.CLIENT_VAT_NUMBER, "zipcode": Field.CLIENT_POSTAL_CODE,
        "firstName": Field.CONTACT_FIRST_NAME, "lastName": Field.CONTACT_LAST_NAME,
        "isMain": Field.CONTACT_IS_MAIN, "position": Field.CONTACT_POSITION,
        "Workflow name": Field.CLIENT_DUNNING_PLAN, "Référence": Field.CLIENT_EXTERNAL_ID,
    }
    for name, field in api_names.items():
        assert name in SPECS[field].synonyms


def test_no_label_or_synonym_belongs_to_two_fields() -> None:
    owner: dict[str, Field] = {}
    for spec in SPECS.values():
        for text in (*spec.labels, *spec.synonyms):
            key = normalize_header(text).replace(" ", "")
            assert key, text
            assert owner.setdefault(key, spec.field) is spec.field, (
                f"{text!r} is listed for {owner[key].value} and {spec.field.value}")


def _alone(header: str) -> ui.ColumnMatch:
    return auto_map(ui.Table.from_rows([header], [])).matches[0]


@pytest.mark.parametrize(
    ("header", "field"),
    [(text, spec.field) for spec in SPECS.values() for text in spec.synonyms],
    ids=str,
)
def test_every_synonym_alone_maps_to_its_field(header: str, field: Field) -> None:
    match = _alone(header)
    assert match.field is field
    assert match.confidence >= 0.9


@pytest.mark.parametrize(
    ("header", "fields"),
    sorted({(text, tuple(s.field for s in SPECS.values() if text in s.generic))
            for spec in SPECS.values() for text in spec.generic}),
)
def test_a_generic_header_alone_maps_to_a_field_listing_it_with_middling_confidence(
        header: str, fields: tuple[Field, ...]) -> None:
    match = _alone(header)
    assert match.field in fields
    assert 0.6 <= match.confidence < 0.9
