"""The field catalogue: every target field, its labels and the kind of value it takes."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from upflow_import.lang import Lang


class Field(str, enum.Enum):
    """A target field. The values are the stable keys used in mappings and reports."""

    CLIENT_EXTERNAL_ID = "client.external_id"
    CLIENT_NAME = "client.name"
    CLIENT_ACCOUNTING_CODE = "client.accounting_code"
    CLIENT_VAT_NUMBER = "client.vat_number"
    CLIENT_ADDRESS = "client.address"
    CLIENT_POSTAL_CODE = "client.postal_code"
    CLIENT_CITY = "client.city"
    CLIENT_STATE = "client.state"
    CLIENT_COUNTRY = "client.country"
    CLIENT_ACCOUNT_MANAGER_EMAIL = "client.account_manager_email"
    CLIENT_DUNNING_PLAN = "client.dunning_plan"
    CLIENT_PAYMENT_TERM_DAYS = "client.payment_term_days"
    GROUP_NAME = "group.name"
    GROUP_EXTERNAL_ID = "group.external_id"
    CONTACT_EMAIL = "contact.email"
    CONTACT_FIRST_NAME = "contact.first_name"
    CONTACT_LAST_NAME = "contact.last_name"
    CONTACT_PHONE = "contact.phone"
    CONTACT_EXTERNAL_ID = "contact.external_id"
    CONTACT_POSITION = "contact.position"
    CONTACT_IS_MAIN = "contact.is_main"

    def __str__(self) -> str:
        return self.value

    @property
    def entity(self) -> str:
        """``client``, ``group`` or ``contact``."""
        return self.value.split(".", 1)[0]

    @property
    def is_contact(self) -> bool:
        return self.value.startswith("contact.")

    @property
    def is_client(self) -> bool:
        """Client and group fields: an error on them drops the client."""
        return not self.is_contact

    def label(self, lang: Lang = "en") -> str:
        return field_label(self.value, lang)


class Kind(str, enum.Enum):
    """The kind of value a field takes, which decides how its cells are parsed."""

    TEXT = "text"
    IDENTIFIER = "identifier"
    EMAIL = "email"
    EMAILS = "emails"
    INTEGER = "integer"
    CHOICE = "choice"
    FLAG = "flag"
    COUNTRY = "country"
    VAT = "vat"
    PHONE = "phone"
    POSTAL_CODE = "postal_code"


@attrs.frozen
class FieldSpec:
    """What the catalogue knows of one field."""

    field: Field
    label_fr: str
    label_en: str
    kind: Kind
    #: Other headers people write for this field (normalised by the mapper).
    synonyms: tuple[str, ...] = ()


_S = FieldSpec
F = Field
K = Kind

SPECS: Mapping[Field, FieldSpec] = {
    spec.field: spec
    for spec in (
        _S(F.CLIENT_EXTERNAL_ID, "Identifiant Client", "Customer ID", K.IDENTIFIER),
        _S(F.CLIENT_NAME, "Nom du client", "Customer name", K.TEXT),
        _S(F.CLIENT_ACCOUNTING_CODE, "Code comptable du client", "Accounting code", K.TEXT),
        _S(F.CLIENT_VAT_NUMBER, "Numéro de TVA", "VAT number", K.VAT),
        _S(F.CLIENT_ADDRESS, "Adresse", "Address", K.TEXT),
        _S(F.CLIENT_POSTAL_CODE, "Code postal", "Postal code", K.POSTAL_CODE),
        _S(F.CLIENT_CITY, "Ville", "City", K.TEXT),
        _S(F.CLIENT_STATE, "Etat / Région", "State / Region", K.TEXT),
        _S(F.CLIENT_COUNTRY, "Pays", "Country", K.COUNTRY),
        _S(F.CLIENT_ACCOUNT_MANAGER_EMAIL, "Email du Responsable de Compte",
           "Account manager email", K.EMAILS),
        _S(F.CLIENT_DUNNING_PLAN, "Nom du plan de relance", "Dunning plan", K.TEXT),
        _S(F.CLIENT_PAYMENT_TERM_DAYS, "Délai de paiement par défaut", "Default payment term",
           K.INTEGER),
        _S(F.GROUP_NAME, "Nom du groupe", "Parent name", K.TEXT),
        _S(F.GROUP_EXTERNAL_ID, "Identifiant du groupe", "Parent ID", K.IDENTIFIER),
        _S(F.CONTACT_EMAIL, "Email du contact", "Contact email", K.EMAIL),
        _S(F.CONTACT_FIRST_NAME, "Prénom du contact", "Contact first name", K.TEXT),
        _S(F.CONTACT_LAST_NAME, "Nom du contact", "Contact last name", K.TEXT),
        _S(F.CONTACT_PHONE, "Téléphone du contact", "Contact phone", K.PHONE),
        _S(F.CONTACT_EXTERNAL_ID, "Identifiant du contact", "Contact ID", K.IDENTIFIER),
        _S(F.CONTACT_POSITION, "Poste du contact", "Contact position", K.CHOICE),
        _S(F.CONTACT_IS_MAIN, "Contact principal", "Main contact", K.FLAG),
    )
}


def field_label(key: str, lang: Lang = "en") -> str:
    """The canonical label of a field key in ``lang``; the key itself if unknown."""
    try:
        spec = SPECS[Field(key)]
    except ValueError:
        return key
    return spec.label_fr if lang == "fr" else spec.label_en
