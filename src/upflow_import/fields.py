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
    """What the catalogue knows of one field.

    The auto-mapper compares a column header, once normalised (case, accents,
    punctuation, required-markers), with the labels, then the synonyms, then the
    generic headers: an exact label scores 1.0, a synonym 0.95, a generic header
    0.8 and is resolved by the other columns and by the values.
    """

    field: Field
    label_fr: str
    label_en: str
    kind: Kind
    #: Other headers people write for this field: Upflow's API names and common
    #: French and English spellings. Matched exactly or with extra words or typos.
    synonyms: tuple[str, ...] = ()
    #: Headers too vague to decide alone (``Nom``, ``Code``…): matched only as
    #: the whole header, below the synonyms, and settled by context and values.
    generic: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, str]:
        """The French and English labels."""
        return (self.label_fr, self.label_en)

    def label(self, lang: Lang = "en") -> str:
        """The label in ``lang``."""
        return self.label_fr if lang == "fr" else self.label_en


_S = FieldSpec
F = Field
K = Kind

SPECS: Mapping[Field, FieldSpec] = {
    spec.field: spec
    for spec in (
        _S(F.CLIENT_EXTERNAL_ID, "Identifiant Client", "Customer ID", K.IDENTIFIER,
           synonyms=("externalId", "External ID", "Customer external ID", "Identifiant externe",
                     "Référence", "Référence client", "Réf. client", "Customer reference",
                     "Customer ref", "Client reference", "Code client", "Client code",
                     "Customer code", "ID client", "Client ID", "Numéro client", "N° client",
                     "Numéro de client", "Customer number", "Customer no", "Account number",
                     "Code tiers", "Identifiant du client"),
           # A tool's own record ID (Salesforce's "Account ID", HubSpot's "Record ID") yields
           # to the customer's number or reference, which is the one on the invoices.
           generic=("ID", "Identifiant", "Identifier", "Ref", "Réf", "Code", "Numéro", "Account ID",
                    "Record ID", "ID de fiche d'informations")),
        _S(F.CLIENT_NAME, "Nom du client", "Customer name", K.TEXT,
           synonyms=("Nom client", "Client name", "Client", "Customer", "Raison sociale", "Société",
                     "Nom de la société", "Nom société", "Entreprise", "Nom de l'entreprise",
                     "Company", "Company name", "Dénomination", "Dénomination sociale",
                     "Organisation", "Organization", "Account name", "Business name", "Legal name",
                     "Nom du tiers", "Libellé client"),
           # Cegid's "Tiers" is the third party's code as often as its name.
           generic=("Nom", "Name", "Libellé", "Intitulé", "Tiers")),
        _S(F.CLIENT_ACCOUNTING_CODE, "Code comptable du client", "Accounting code", K.TEXT,
           synonyms=("accountingRef", "Accounting ref", "Accounting reference", "Code comptable",
                     "Compte comptable", "Compte client", "Compte auxiliaire", "Code auxiliaire",
                     "Compte tiers", "Compte de tiers", "Numéro de compte", "Référence comptable",
                     "Code compta", "Account code", "Ledger account", "Ledger code",
                     "Customer account"),
           generic=("Compte",)),
        _S(F.CLIENT_VAT_NUMBER, "Numéro de TVA", "VAT number", K.VAT,
           synonyms=("vatNumber", "VAT", "VAT no", "VAT ID", "VAT registration number", "EU VAT number",
                     "Tax ID", "Tax number", "TVA", "N° TVA", "N° de TVA", "Numéro TVA",
                     "TVA intracommunautaire", "TVA intracom", "N° TVA intracommunautaire",
                     "Numéro de TVA intracommunautaire", "Numéro d'identification TVA",
                     "Identifiant TVA", "Intracom", "N° intracommunautaire",
                     # Sage 100's label for the intra-community VAT number.
                     "N° identifiant")),
        _S(F.CLIENT_ADDRESS, "Adresse", "Address", K.TEXT,
           synonyms=("Rue", "Street", "Street address", "Adresse 1", "Adresse ligne 1",
                     "Address line 1", "address1", "addressLine1", "Adresse postale",
                     "Postal address", "Billing address", "Adresse de facturation", "Voie", "Voirie",
                     "Adresse rue")),
        _S(F.CLIENT_POSTAL_CODE, "Code postal", "Postal code", K.POSTAL_CODE,
           synonyms=("CP", "Zip", "Zip code", "zipcode", "Postcode", "Post code", "Code postal client")),
        _S(F.CLIENT_CITY, "Ville", "City", K.TEXT,
           synonyms=("Commune", "Localité", "Town", "Locality")),
        _S(F.CLIENT_STATE, "Etat / Région", "State / Region", K.TEXT,
           synonyms=("Etat", "Région", "Region", "State", "Province", "State / Province",
                     "Département", "County", "Canton")),
        _S(F.CLIENT_COUNTRY, "Pays", "Country", K.COUNTRY,
           synonyms=("Country code", "Code pays", "countryCode", "Pays ISO", "Nation", "Country/Region",
                     "Pays/région")),
        _S(F.CLIENT_ACCOUNT_MANAGER_EMAIL, "Email du Responsable de Compte", "Account manager email",
           K.EMAILS,
           synonyms=("Responsable de compte", "Responsable du compte", "Account manager",
                     "accountManager", "accountManagerEmail", "Email responsable",
                     "Email du responsable", "Email commercial", "Email du commercial",
                     "Chargé de compte", "Chargé d'affaires", "Gestionnaire de compte",
                     "Account owner", "Owner email", "Sales rep", "Sales representative",
                     "Responsable commercial"),
           generic=("Commercial", "Responsable", "Gestionnaire", "Owner", "Représentant")),
        _S(F.CLIENT_DUNNING_PLAN, "Nom du plan de relance", "Dunning plan", K.TEXT,
           synonyms=("Workflow name", "Workflow", "Plan de relance", "Scénario de relance",
                     "Nom du scénario de relance", "Séquence de relance", "Processus de relance",
                     "Dunning plan name", "Dunning workflow", "Dunning", "Collection plan",
                     "Reminder plan", "dunningPlan"),
           generic=("Plan", "Relance", "Scénario")),
        _S(F.CLIENT_PAYMENT_TERM_DAYS, "Délai de paiement par défaut", "Default payment term", K.INTEGER,
           synonyms=("Délai de paiement", "Délai paiement", "Délai de règlement", "Conditions de paiement",
                     "Condition de paiement", "Conditions de règlement", "Jours de paiement",
                     "Échéance (jours)", "Délai d'échéance", "Payment terms", "Payment term",
                     "Payment delay", "Net days", "Days to pay", "Due days", "paymentTerm",
                     "Cond. de paiement", "Cond. de règlement",
                     "paymentTerms", "defaultPaymentTerm", "Terms", "Payment deadline"),
           generic=("Échéance", "Délai")),
        _S(F.GROUP_NAME, "Nom du groupe", "Parent name", K.TEXT,
           synonyms=("Groupe", "Group", "Group name", "Société mère", "Maison mère", "Parent",
                     "Parent company", "Parent customer", "Client parent", "Nom du client parent",
                     "Nom de la société mère", "Holding", "Parent account", "parentName")),
        _S(F.GROUP_EXTERNAL_ID, "Identifiant du groupe", "Parent ID", K.IDENTIFIER,
           synonyms=("parentId", "parentExternalId", "Parent external ID", "Parent customer ID",
                     "Parent reference", "ID groupe", "Code groupe", "Référence groupe", "Group ID",
                     "Identifiant société mère", "Identifiant de la société mère",
                     "Code société mère", "Identifiant maison mère", "Identifiant client parent")),
        _S(F.CONTACT_EMAIL, "Email du contact", "Contact email", K.EMAIL,
           synonyms=("Email", "E-mail", "Mail", "Courriel", "Adresse email", "Adresse mail",
                     "Adresse électronique", "Adresse courriel", "Email address", "Mail contact",
                     "Courriel du contact", "EmailID")),
        _S(F.CONTACT_FIRST_NAME, "Prénom du contact", "Contact first name", K.TEXT,
           synonyms=("Prénom", "First name", "firstName", "Given name", "Forename")),
        _S(F.CONTACT_LAST_NAME, "Nom du contact", "Contact last name", K.TEXT,
           synonyms=("Nom de famille", "Last name", "lastName", "Surname", "Family name",
                     "Contact name", "Nom de l'interlocuteur"),
           generic=("Nom", "Name")),
        _S(F.CONTACT_PHONE, "Téléphone du contact", "Contact phone", K.PHONE,
           synonyms=("Téléphone", "Tél.", "Phone", "Phone number", "phoneNumber", "Telephone",
                     "Numéro de téléphone", "Téléphone fixe", "Ligne directe", "Direct line"),
           # A mobile number is the contact's phone when no other phone column is there.
           generic=("Mobile", "Portable", "Téléphone portable", "Téléphone mobile", "GSM", "Cell phone")),
        _S(F.CONTACT_EXTERNAL_ID, "Identifiant du contact", "Contact ID", K.IDENTIFIER,
           synonyms=("contactId", "contactExternalId", "Contact external ID", "ID contact",
                     "Référence contact", "Réf. contact", "Code contact", "Contact reference",
                     "Contact ref")),
        _S(F.CONTACT_POSITION, "Poste du contact", "Contact position", K.CHOICE,
           synonyms=("position", "Poste", "Fonction", "Fonction du contact", "Rôle", "Role",
                     "Rôle du contact", "Contact role", "Job title", "Type de contact", "Contact type"),
           # A title is a position beside contact names, unless its values are civilities.
           generic=("Title", "Titre")),
        _S(F.CONTACT_IS_MAIN, "Contact principal", "Main contact", K.FLAG,
           synonyms=("isMain", "Is main", "Principal", "Main", "Primary", "Primary contact",
                     "Contact par défaut", "Default contact", "Est principal")),
    )
}


def field_label(key: str, lang: Lang = "en") -> str:
    """The canonical label of a field key in ``lang``; the key itself if unknown."""
    try:
        spec = SPECS[Field(key)]
    except ValueError:
        return key
    return spec.label(lang)
