"""Renders the "Column mapping" documentation page from the field catalogue.

The page lists, for every field, the headers the auto-mapper accepts. It is
generated from the field declarations (:data:`~upflow_import.fields.SPECS`), so that it
can never disagree with them.
"""

from __future__ import annotations

from collections.abc import Mapping

from upflow_import._matching import (
    GENERIC_SCORE,
    LABEL_SCORE,
    SAMPLE_ROWS,
    SUGGESTION_FLOOR,
    SYNONYM_SCORE,
    THRESHOLD,
)
from upflow_import.fields import SPECS, FieldSpec, Kind
from upflow_import.lang import Lang

__all__ = ["mapping_reference_markdown"]

_KIND_TEXT: Mapping[Kind, tuple[str, str]] = {
    Kind.TEXT: ("text", "texte"),
    Kind.IDENTIFIER: ("identifier (kept as written, case-sensitive)",
                      "identifiant (conservé tel quel, sensible à la casse)"),
    Kind.EMAIL: ("one email address", "une adresse email"),
    Kind.EMAILS: ("email addresses, separated by commas", "adresses email, séparées par des virgules"),
    Kind.INTEGER: ("whole number of days (30, 30.0)", "nombre entier de jours (30, 30.0)"),
    Kind.CHOICE: ("ACCOUNTING, SALES, PURCHASER or PAYER (Comptable, Commercial, Acheteur, Payeur)",
                  "ACCOUNTING, SALES, PURCHASER ou PAYER (Comptable, Commercial, Acheteur, Payeur)"),
    Kind.FLAG: ("1 for yes; 0 or empty for no", "1 pour oui ; 0 ou vide pour non"),
    Kind.COUNTRY: ("country name (English or French) or ISO code",
                   "nom du pays (français ou anglais) ou code ISO"),
    Kind.VAT: ("VAT number, spaces and dots removed", "numéro de TVA, sans espaces ni points"),
    Kind.PHONE: ("phone number, stored as +33… when it can be read",
                 "numéro de téléphone, enregistré en +33… s'il est lisible"),
    Kind.POSTAL_CODE: ("postal code as text (75001.0 becomes 75001)",
                       "code postal en texte (75001.0 devient 75001)"),
}

_INTRO = {
    "en": f"""# Column mapping

When a file is imported, each of its columns is linked to one field below.
`auto_map(table)` does it from the headers (and the first {SAMPLE_ROWS} rows);
you can confirm or correct the result with an explicit mapping.

## How headers are recognised

- Headers are compared once normalised: case, accents, punctuation and
  repeated spaces do not matter, API names are split (`vatNumber` is
  `vat number`), `E-mail` is `email`, `N°` is `numéro`, and required-markers
  (`*`, `(obligatoire)`, `(required)`, `(facultatif)`, `(optional)`) are dropped.
- Confidence: {LABEL_SCORE:.2f} for a field's French or English label,
  {SYNONYM_SCORE:.2f} for an accepted header listed below, {GENERIC_SCORE:.2f}
  for a generic header, less when the header adds words ("Adresse de
  facturation") or has a typo ("Identifiant Cleint"). A column scoring below
  {THRESHOLD:.2f} for every field is not imported (warning `mapping.unmapped_column`);
  when its best field scores at least {SUGGESTION_FLOOR:.2f} and no other column
  feeds it, the warning is `mapping.unmapped_column_suggestion` and names that
  field ("did you mean").
- Each field is fed by one column at most: the surest pairs are settled first;
  between equal scores, the column with more filled cells in the first rows wins.
- Exports of accounting and CRM tools are read as such: `POCity`,
  `BillingPostalCode`, `SACountry`, `Ville de facturation`, `Code postal de
  livraison`, `address_zip` and `Adresse de facturation - Ville` are address
  parts of a block. When a file has a billing (or plain) address and a
  delivery one, the billing block is the customer's address and the delivery
  columns stay unmapped; a delivery block alone is used, with less confidence.
  A second column of a kind (`Street2`, `Adresse 2`, `Téléphone 2`) and a
  header about something no field holds (`Bank account number`, `Company
  Domain Name`, `Code fournisseur`, `Website URL`) stay unmapped, whatever
  field words they contain. `Country/Region` reads as its first alternative.
- Identifiers: a tool's own record ID (`Id`, `Record ID`, `Account ID`) is the
  customer ID only when no customer number or reference column is there (the
  number is the one printed on invoices); in a file of contacts (first name,
  last name and email columns) a bare record ID is the contact's.
- Context: `ContactName` beside first- and last-name columns, and no company
  column, is the company's name (Xero); `Title` is the contact's position,
  unless its values are civilities (`Mr`, `Mme`) or company names.
- Generic headers are settled by the other columns and by the values:
  `Nom` is the customer's name, unless another column already holds it or a
  first-name column stands beside it, then it is the contact's last name. A
  header that speaks of an email (or a phone) only feeds an email (or a phone)
  field. A column whose values are emails never feeds a postal code, a number
  or a flag; with an unknown header it becomes the contact's email. A header
  that does not say "email" (`Commercial`, `Account Owner`) feeds the account
  manager's email only when its values are emails. Values also settle an
  "account number" made of 411 ledger accounts (the accounting code), Sage's
  `N° identifiant` (a VAT number only when it holds some), a yes/no column, a
  payment term in whole days, and a name column of codes.
- Every automatic choice records why in `ColumnMatch.reason` (the header it
  resembles, the address block, the context, the values).
- Required: the customer name or the customer ID (`mapping.required_field_missing`
  otherwise); when contact columns are mapped, the contact email too.

## Explicit mappings

```python
mapping = ui.auto_map(table, overrides={{"Société": "client.name", "Notes": None}})
saved = mapping.to_json()                       # keep it for the next file
mapping = ui.ColumnMapping.from_json(saved)     # or {{"column": "field key" or null}}
issues = mapping.validate()                     # twice-mapped or missing fields, unmapped columns
```

## Fields and accepted headers
""",
    "fr": f"""# Association des colonnes

À l'import, chaque colonne du fichier est associée à l'un des champs ci-dessous.
`auto_map(table)` le fait à partir des en-têtes (et des {SAMPLE_ROWS} premières
lignes) ; le résultat peut être confirmé ou corrigé par une association explicite.

## Reconnaissance des en-têtes

- Les en-têtes sont comparés une fois normalisés : la casse, les accents, la
  ponctuation et les espaces répétés ne comptent pas, les noms d'API sont
  découpés (`vatNumber` devient `vat number`), `E-mail` vaut `email`, `N°` vaut
  `numéro`, et les marques d'obligation (`*`, `(obligatoire)`, `(required)`,
  `(facultatif)`, `(optional)`) sont ignorées.
- Confiance : {LABEL_SCORE:.2f} pour le libellé français ou anglais d'un champ,
  {SYNONYM_SCORE:.2f} pour un en-tête accepté listé ci-dessous, {GENERIC_SCORE:.2f}
  pour un en-tête générique, moins quand l'en-tête ajoute des mots (« Adresse de
  facturation ») ou contient une faute de frappe (« Identifiant Cleint »). Une
  colonne dont aucun champ n'atteint {THRESHOLD:.2f} n'est pas importée
  (avertissement `mapping.unmapped_column`) ; si son meilleur champ atteint
  {SUGGESTION_FLOOR:.2f} et qu'aucune autre colonne ne l'alimente, l'avertissement est
  `mapping.unmapped_column_suggestion` et nomme ce champ (« vouliez-vous dire »).
- Chaque champ est alimenté par une colonne au plus : les associations les plus
  sûres passent en premier ; à score égal, la colonne la plus remplie dans les
  premières lignes l'emporte.
- Les exports des logiciels comptables et CRM sont lus comme tels : `POCity`,
  `BillingPostalCode`, `SACountry`, `Ville de facturation`, `Code postal de
  livraison`, `address_zip` et `Adresse de facturation - Ville` sont des
  éléments d'un bloc d'adresse. Quand un fichier a une adresse de facturation
  (ou une adresse simple) et une adresse de livraison, le bloc de facturation
  est l'adresse du client et les colonnes de livraison ne sont pas importées ;
  un bloc de livraison seul est utilisé, avec une confiance moindre. Une
  deuxième colonne d'un même genre (`Street2`, `Adresse 2`, `Téléphone 2`) et
  un en-tête qui parle d'autre chose qu'un champ (`Bank account number`,
  `Company Domain Name`, `Code fournisseur`, `Website URL`) ne sont pas
  importés, quels que soient les mots de champ qu'ils contiennent.
  `Pays/région` se lit comme sa première alternative.
- Identifiants : l'identifiant propre à un logiciel (`Id`, `Record ID`,
  `Account ID`) n'est l'identifiant client qu'en l'absence d'une colonne de
  numéro ou de référence client (c'est ce numéro qui figure sur les
  factures) ; dans un fichier de contacts (colonnes de prénom, de nom et
  d'email), un identifiant nu est celui du contact.
- Contexte : `ContactName` à côté de colonnes de prénom et de nom, sans
  colonne de société, est le nom de la société (Xero) ; `Title` est le poste
  du contact, sauf si ses valeurs sont des civilités (`Mr`, `Mme`) ou des noms
  de sociétés.
- Les en-têtes génériques sont tranchés par les autres colonnes et par les
  valeurs : `Nom` est le nom du client, sauf si une autre colonne le porte déjà
  ou si une colonne de prénom l'accompagne ; c'est alors le nom du contact. Un
  en-tête qui parle d'email (ou de téléphone) n'alimente qu'un champ email (ou
  téléphone). Une colonne dont les valeurs sont des emails n'alimente jamais un
  code postal, un nombre ou un indicateur ; sous un en-tête inconnu, elle devient
  l'email du contact. Un en-tête qui ne parle pas d'email (`Commercial`,
  `Account Owner`) n'alimente l'email du responsable de compte que si ses
  valeurs sont des emails. Les valeurs tranchent aussi un « numéro de compte »
  fait de comptes 411 (le code comptable), le `N° identifiant` de Sage (un
  numéro de TVA seulement s'il en contient), une colonne oui/non, un délai de
  paiement en jours entiers et une colonne de noms faite de codes.
- Chaque choix automatique note sa raison dans `ColumnMatch.reason` (l'en-tête
  auquel la colonne ressemble, le bloc d'adresse, le contexte, les valeurs).
- Obligatoire : le nom du client ou l'identifiant client
  (`mapping.required_field_missing` sinon) ; si des colonnes de contact sont
  associées, l'email du contact aussi.

## Association explicite

```python
mapping = ui.auto_map(table, overrides={{"Société": "client.name", "Notes": None}})
saved = mapping.to_json()                       # à conserver pour le prochain fichier
mapping = ui.ColumnMapping.from_json(saved)     # ou {{"colonne": "clé de champ" ou null}}
issues = mapping.validate()                     # champs en double ou manquants, colonnes ignorées
```

## Champs et en-têtes acceptés
""",
}

_WORDS = {
    "en": {"fr": "French label", "en": "English label", "kind": "Value", "synonyms": "Also accepted",
           "generic": "Generic, settled by context", "length": "Longest value",
           "characters": "characters", "column": "Column of the SQLite store"},
    "fr": {"fr": "Libellé français", "en": "Libellé anglais", "kind": "Valeur", "synonyms": "Aussi acceptés",
           "generic": "Génériques, tranchés par le contexte", "length": "Valeur la plus longue",
           "characters": "caractères", "column": "Colonne du stockage SQLite"},
}


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _section(spec: FieldSpec, lang: Lang) -> str:
    words = _WORDS[lang]
    # French typography puts a space before the colon.
    separator = ": " if lang == "en" else " : "
    kind_en, kind_fr = _KIND_TEXT[spec.kind]
    lines = [
        f"### {spec.label(lang)} (`{spec.field.value}`)",
        "",
        f"- {words['fr']}{separator}{_code(spec.label_fr)}",
        f"- {words['en']}{separator}{_code(spec.label_en)}",
        f"- {words['kind']}{separator}{kind_en if lang == 'en' else kind_fr}",
    ]
    if spec.max_length is not None:
        lines.append(f"- {words['length']}{separator}{spec.max_length} {words['characters']}")
    if spec.column is not None:
        table = "contacts" if spec.entity == "contact" else "clients"
        lines.append(f"- {words['column']}{separator}`{table}.{spec.column}`")
    if spec.synonyms:
        lines.append(f"- {words['synonyms']}{separator}" + ", ".join(_code(s) for s in spec.synonyms))
    if spec.generic:
        lines.append(f"- {words['generic']}{separator}" + ", ".join(_code(s) for s in spec.generic))
    return "\n".join(lines) + "\n"


def mapping_reference_markdown(lang: Lang = "en") -> str:
    """The "Column mapping" documentation page (Markdown), generated from the catalogue.

    It explains how headers are recognised and lists, for every field, its
    key, labels, expected value and every accepted header.
    """
    sections = [_section(spec, lang) for spec in SPECS.values()]
    return _INTRO[lang] + "\n" + "\n".join(sections)

