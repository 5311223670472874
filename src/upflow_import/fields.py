"""The field catalogue: each target field declared once, everything else derived from it.

A field's declaration (a :class:`FieldSpec`, the value of its :class:`Field`
member) says its key, its labels, the headers people write for it, the kind of
value it takes (hence its parser), its maximum length, the record attribute that
holds it and the store column that keeps it. The records
(:class:`~upflow_import.ClientRecord`, :class:`~upflow_import.ContactRecord`,
:class:`~upflow_import.Address`), the order :func:`~upflow_import.parse` reads
the fields in, the comparison with stored values, the SQLite columns, the
templates and the generated docs are all derived from these declarations: a
field is added by adding one member here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from upflow_import.lang import Lang


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
    """The declaration of one field.

    The auto-mapper compares a column header, once normalised (case, accents,
    punctuation, required-markers), with the labels, then the synonyms, then the
    generic headers: an exact label scores 1.0, a synonym 0.95, a generic header
    0.8 and is resolved by the other columns and by the values.
    """

    #: The stable key used in mappings and reports: ``<entity>.<name>``.
    key: str
    label_fr: str
    label_en: str
    kind: Kind
    #: Other headers people write for this field: Upflow's API names and common
    #: French and English spellings. Matched exactly or with extra words or typos.
    synonyms: tuple[str, ...] = ()
    #: Headers too vague to decide alone (``Nom``, ``Code``…): matched only as
    #: the whole header, below the synonyms, and settled by context and values.
    generic: tuple[str, ...] = ()
    #: The attribute of the entity's record that holds the value; ``place.name`` for a
    #: part of a nested value (``address.street`` of a client, ``parent.name`` for a group).
    attribute: str = ""
    #: Longest accepted value in characters after trimming (text-like kinds); ``None`` for the
    #: kinds that have their own grammar (numbers, choices, flags).
    max_length: int | None = None
    #: The store column of the entity's table; ``None`` when the field is not stored as
    #: such (the group fields designate the parent, stored as a reference).
    column: str | None = None
    #: The template's example value (French, English); ``None`` leaves the cell empty
    #: (fields that refer to what must exist beforehand: managers, plans, parents).
    example: tuple[str, str] | None = None

    @property
    def field(self) -> Field:
        return Field(self.key)

    @property
    def entity(self) -> str:
        """``client``, ``group`` or ``contact``."""
        return self.key.split(".", 1)[0]

    @property
    def place(self) -> str | None:
        """The nested value holding the field (``address``, ``parent``), ``None`` when the
        record holds it directly."""
        place, dot, _ = self.attribute.rpartition(".")
        return place if dot else None

    @property
    def name(self) -> str:
        """The attribute's own name (within its place, if any)."""
        return self.attribute.rpartition(".")[2]

    @property
    def labels(self) -> tuple[str, str]:
        """The French and English labels."""
        return (self.label_fr, self.label_en)

    def label(self, lang: Lang = "en") -> str:
        """The label in ``lang``."""
        return self.label_fr if lang == "fr" else self.label_en


_S = FieldSpec
K = Kind


class Field(str, enum.Enum):
    """A target field. The values are the stable keys used in mappings and reports; each
    member is declared with its whole :class:`~upflow_import.fields.FieldSpec` (its ``spec``)."""

    _value_: str
    spec: FieldSpec

    # Called with a declaration while the class is made; afterwards ``Field(key)`` looks the
    # member up by its key (the enum machinery's own lookup), hence the ``str`` accepted.
    def __new__(cls, spec: FieldSpec | str) -> Field:
        if not isinstance(spec, FieldSpec):
            raise TypeError(f"a field is declared with a FieldSpec, not {spec!r}")
        member = str.__new__(cls, spec.key)
        member._value_ = spec.key
        return member

    def __init__(self, spec: FieldSpec | str) -> None:
        assert isinstance(spec, FieldSpec)
        self.spec = spec

    CLIENT_EXTERNAL_ID = _S("client.external_id", "Identifiant Client", "Customer ID", K.IDENTIFIER,
        synonyms=("externalId", "External ID", "Customer external ID", "Identifiant externe",
                  "Référence", "Référence client", "Réf. client", "Customer reference",
                  "Customer ref", "Client reference", "Code client", "Client code",
                  "Customer code", "ID client", "Client ID", "Numéro client", "N° client",
                  "Numéro de client", "Customer number", "Customer no", "Account number",
                  "Code tiers", "Identifiant du client"),
        # A tool's own record ID (Salesforce's "Account ID", HubSpot's "Record ID") yields
        # to the customer's number or reference, which is the one on the invoices.
        generic=("ID", "Identifiant", "Identifier", "Ref", "Réf", "Code", "Numéro", "Account ID",
                 "Record ID", "ID de fiche d'informations"),
        attribute="external_id", max_length=255, column="external_id", example=("C001", "C001"))
    CLIENT_NAME = _S("client.name", "Nom du client", "Customer name", K.TEXT,
        synonyms=("Nom client", "Client name", "Client", "Customer", "Raison sociale", "Société",
                  "Nom de la société", "Nom société", "Entreprise", "Nom de l'entreprise",
                  "Company", "Company name", "Dénomination", "Dénomination sociale",
                  "Organisation", "Organization", "Account name", "Business name", "Legal name",
                  "Nom du tiers", "Libellé client"),
        # Cegid's "Tiers" is the third party's code as often as its name.
        generic=("Nom", "Name", "Libellé", "Intitulé", "Tiers"),
        attribute="name", max_length=255, column="name", example=("Exemple SARL", "Example Ltd"))
    CLIENT_ACCOUNTING_CODE = _S("client.accounting_code", "Code comptable du client", "Accounting code",
        K.TEXT,
        synonyms=("accountingRef", "Accounting ref", "Accounting reference", "Code comptable",
                  "Compte comptable", "Compte client", "Compte auxiliaire", "Code auxiliaire",
                  "Compte tiers", "Compte de tiers", "Numéro de compte", "Référence comptable",
                  "Code compta", "Account code", "Ledger account", "Ledger code",
                  "Customer account"),
        generic=("Compte",),
        attribute="accounting_code", max_length=255, column="accounting_code",
        example=("411EXEMPLE", "411EXAMPLE"))
    CLIENT_VAT_NUMBER = _S("client.vat_number", "Numéro de TVA", "VAT number", K.VAT,
        synonyms=("vatNumber", "VAT", "VAT no", "VAT ID", "VAT registration number", "EU VAT number",
                  "Tax ID", "Tax number", "TVA", "N° TVA", "N° de TVA", "Numéro TVA",
                  "TVA intracommunautaire", "TVA intracom", "N° TVA intracommunautaire",
                  "Numéro de TVA intracommunautaire", "Numéro d'identification TVA",
                  "Identifiant TVA", "Intracom", "N° intracommunautaire",
                  # Sage 100's label for the intra-community VAT number.
                  "N° identifiant"),
        attribute="vat_number", max_length=64, column="vat_number",
        example=("FR40303265045", "FR40303265045"))
    CLIENT_ADDRESS = _S("client.address", "Adresse", "Address", K.TEXT,
        synonyms=("Rue", "Street", "Street address", "Adresse 1", "Adresse ligne 1",
                  "Address line 1", "address1", "addressLine1", "Adresse postale",
                  "Postal address", "Billing address", "Adresse de facturation", "Voie", "Voirie",
                  "Adresse rue"),
        attribute="address.street", max_length=1000, column="address",
        example=("10 rue de la Paix", "10 rue de la Paix"))
    CLIENT_POSTAL_CODE = _S("client.postal_code", "Code postal", "Postal code", K.POSTAL_CODE,
        synonyms=("CP", "Zip", "Zip code", "zipcode", "Postcode", "Post code", "Code postal client"),
        attribute="address.postal_code", max_length=32, column="postal_code", example=("75002", "75002"))
    CLIENT_CITY = _S("client.city", "Ville", "City", K.TEXT,
        synonyms=("Commune", "Localité", "Town", "Locality"),
        attribute="address.city", max_length=255, column="city", example=("Paris", "Paris"))
    CLIENT_STATE = _S("client.state", "Etat / Région", "State / Region", K.TEXT,
        synonyms=("Etat", "Région", "Region", "State", "Province", "State / Province",
                  "Département", "County", "Canton"),
        attribute="address.state", max_length=255, column="state", example=("Île-de-France", "Île-de-France"))
    CLIENT_COUNTRY = _S("client.country", "Pays", "Country", K.COUNTRY,
        synonyms=("Country code", "Code pays", "countryCode", "Pays ISO", "Nation", "Country/Region",
                  "Pays/région"),
        attribute="address.country", max_length=255, column="country",
        example=("France", "France"))
    CLIENT_ACCOUNT_MANAGER_EMAIL = _S(
        "client.account_manager_email", "Email du Responsable de Compte", "Account manager email", K.EMAILS,
        synonyms=("Responsable de compte", "Responsable du compte", "Account manager",
                  "accountManager", "accountManagerEmail", "Email responsable",
                  "Email du responsable", "Email commercial", "Email du commercial",
                  "Chargé de compte", "Chargé d'affaires", "Gestionnaire de compte",
                  "Account owner", "Owner email", "Sales rep", "Sales representative",
                  "Responsable commercial"),
        generic=("Commercial", "Responsable", "Gestionnaire", "Owner", "Représentant"),
        attribute="account_manager_emails", max_length=2000, column="account_manager_email")
    CLIENT_DUNNING_PLAN = _S("client.dunning_plan", "Nom du plan de relance", "Dunning plan", K.TEXT,
        synonyms=("Workflow name", "Workflow", "Plan de relance", "Scénario de relance",
                  "Nom du scénario de relance", "Séquence de relance", "Processus de relance",
                  "Dunning plan name", "Dunning workflow", "Dunning", "Collection plan",
                  "Reminder plan", "dunningPlan"),
        generic=("Plan", "Relance", "Scénario"),
        attribute="dunning_plan", max_length=255, column="dunning_plan")
    CLIENT_PAYMENT_TERM_DAYS = _S(
        "client.payment_term_days", "Délai de paiement par défaut", "Default payment term", K.INTEGER,
        synonyms=("Délai de paiement", "Délai paiement", "Délai de règlement", "Conditions de paiement",
                  "Condition de paiement", "Conditions de règlement", "Jours de paiement",
                  "Échéance (jours)", "Délai d'échéance", "Payment terms", "Payment term",
                  "Payment delay", "Net days", "Days to pay", "Due days", "paymentTerm",
                  "Cond. de paiement", "Cond. de règlement",
                  "paymentTerms", "defaultPaymentTerm", "Terms", "Payment deadline"),
        generic=("Échéance", "Délai"),
        attribute="payment_term_days", column="payment_term_days", example=("30", "30"))
    GROUP_NAME = _S("group.name", "Nom du groupe", "Parent name", K.TEXT,
        synonyms=("Groupe", "Group", "Group name", "Société mère", "Maison mère", "Parent",
                  "Parent company", "Parent customer", "Client parent", "Nom du client parent",
                  "Nom de la société mère", "Holding", "Parent account", "parentName"),
        attribute="parent.name", max_length=255)
    GROUP_EXTERNAL_ID = _S("group.external_id", "Identifiant du groupe", "Parent ID", K.IDENTIFIER,
        synonyms=("parentId", "parentExternalId", "Parent external ID", "Parent customer ID",
                  "Parent reference", "ID groupe", "Code groupe", "Référence groupe", "Group ID",
                  "Identifiant société mère", "Identifiant de la société mère",
                  "Code société mère", "Identifiant maison mère", "Identifiant client parent"),
        attribute="parent.external_id", max_length=255)
    CONTACT_EMAIL = _S("contact.email", "Email du contact", "Contact email", K.EMAIL,
        synonyms=("Email", "E-mail", "Mail", "Courriel", "Adresse email", "Adresse mail",
                  "Adresse électronique", "Adresse courriel", "Email address", "Mail contact",
                  "Courriel du contact", "EmailID"),
        attribute="email", max_length=254, column="email",
        example=("jeanne.martin@exemple.fr", "jane.martin@example.com"))
    CONTACT_FIRST_NAME = _S("contact.first_name", "Prénom du contact", "Contact first name", K.TEXT,
        synonyms=("Prénom", "First name", "firstName", "Given name", "Forename"),
        attribute="first_name", max_length=255, column="first_name", example=("Jeanne", "Jane"))
    CONTACT_LAST_NAME = _S("contact.last_name", "Nom du contact", "Contact last name", K.TEXT,
        synonyms=("Nom de famille", "Last name", "lastName", "Surname", "Family name",
                  "Contact name", "Nom de l'interlocuteur"),
        generic=("Nom", "Name"),
        attribute="last_name", max_length=255, column="last_name", example=("Martin", "Martin"))
    CONTACT_PHONE = _S("contact.phone", "Téléphone du contact", "Contact phone", K.PHONE,
        synonyms=("Téléphone", "Tél.", "Phone", "Phone number", "phoneNumber", "Telephone",
                  "Numéro de téléphone", "Téléphone fixe", "Ligne directe", "Direct line"),
        # A mobile number is the contact's phone when no other phone column is there.
        generic=("Mobile", "Portable", "Téléphone portable", "Téléphone mobile", "GSM", "Cell phone"),
        attribute="phone", max_length=64, column="phone", example=("01 23 45 67 89", "01 23 45 67 89"))
    CONTACT_EXTERNAL_ID = _S("contact.external_id", "Identifiant du contact", "Contact ID", K.IDENTIFIER,
        synonyms=("contactId", "contactExternalId", "Contact external ID", "ID contact",
                  "Référence contact", "Réf. contact", "Code contact", "Contact reference",
                  "Contact ref"),
        attribute="external_id", max_length=255, column="external_id", example=("K001", "K001"))
    CONTACT_POSITION = _S("contact.position", "Poste du contact", "Contact position", K.CHOICE,
        synonyms=("position", "Poste", "Fonction", "Fonction du contact", "Rôle", "Role",
                  "Rôle du contact", "Contact role", "Job title", "Type de contact", "Contact type"),
        # A title is a position beside contact names, unless its values are civilities.
        generic=("Title", "Titre"),
        attribute="position", column="position", example=("Comptable", "ACCOUNTING"))
    CONTACT_IS_MAIN = _S("contact.is_main", "Contact principal", "Main contact", K.FLAG,
        synonyms=("isMain", "Is main", "Principal", "Main", "Primary", "Primary contact",
                  "Contact par défaut", "Default contact", "Est principal"),
        attribute="is_main", column="is_main", example=("1", "1"))

    @property
    def value(self) -> str:
        """The field's key."""
        return self._value_

    def __str__(self) -> str:
        return self._value_

    @property
    def entity(self) -> str:
        """``client``, ``group`` or ``contact``."""
        return self._value_.split(".", 1)[0]

    @property
    def is_contact(self) -> bool:
        return self._value_.startswith("contact.")

    @property
    def is_client(self) -> bool:
        """Client and group fields: an error on them drops the client."""
        return not self.is_contact

    def label(self, lang: Lang = "en") -> str:
        return self.spec.label(lang)


#: Every field's declaration, in declaration order (the order of :class:`Field`).
SPECS: Mapping[Field, FieldSpec] = {field: field.spec for field in Field}


def field_label(key: str, lang: Lang = "en") -> str:
    """The canonical label of a field key in ``lang``; the key itself if unknown."""
    try:
        spec = SPECS[Field(key)]
    except ValueError:
        return key
    return spec.label(lang)
