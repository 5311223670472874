"""Structured problems: :class:`Issue`, :class:`Severity` and the message catalogue.

Every problem the library reports is an :class:`Issue` with a stable ``code``.
Its message and hint are rendered from :data:`CATALOGUE` in English or French;
the code never changes with the language. Messages are never written anywhere
else in the code, so that both languages stay complete (a test checks it).
"""

from __future__ import annotations

import enum
import re
import string
from collections.abc import Iterable, Mapping

import attrs

from upflow_import.fields import Field
from upflow_import.lang import LANGS, Lang

__all__ = [
    "CATALOGUE", "HINTS", "LANGS", "PHRASES", "CodeInfo", "Issue", "Lang", "Severity", "Text", "code_info",
]


class Severity(str, enum.Enum):
    """How bad an issue is: an ``error`` drops what it concerns, a ``warning`` never does."""

    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class Text:
    """One sentence in both languages; ``{name}`` placeholders are filled from issue params.

    Placeholders follow :meth:`str.format`, with three rules of their own so that
    every sentence reads naturally in its language:

    - ``{value!r}`` quotes the value the way the language does: ``'Acme'`` in
      English, ``« Acme »`` in French (never Python's ``repr``);
    - a whole number is written with the language's thousands separator:
      ``100,000`` in English, ``100 000`` (narrow no-break space) in French;
    - ``{count:|row|rows}`` is the word that agrees with ``count``: singular for
      1 in English, for 0 and 1 in French.
    """

    en: str
    fr: str

    def render(self, lang: Lang, params: Mapping[str, object]) -> str:
        template = self.fr if lang == "fr" else self.en
        return _FORMATTERS[lang].vformat(template, (), _Params(params))


class _Params(dict[str, object]):
    # A missing parameter must not turn an error report into a KeyError.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


#: The French thousands separator: a narrow no-break space, as French typography writes
#: 100 000 (it never breaks the number across two lines).
FRENCH_THOUSANDS = "\u202f"


def format_number(number: int, lang: Lang) -> str:
    """``number`` with the thousands separator of ``lang``.

    >>> format_number(100000, "en"), format_number(100000, "fr") == "100\u202f000"
    ('100,000', True)
    """
    text = f"{number:,}"
    return text.replace(",", FRENCH_THOUSANDS) if lang == "fr" else text


def quote(value: object, lang: Lang) -> str:
    """``value`` between the quotes of ``lang``: ``'Acme'`` or ``« Acme »``.

    Control characters (a line break, a tab) are shown escaped, so that a
    message stays on one line and shows what the cell really holds.
    """
    text = _CONTROL.sub(lambda match: repr(match.group())[1:-1], str(value))
    return f"« {text} »" if lang == "fr" else f"'{text}'"


def plural(count: object, one: str, many: str, lang: Lang) -> str:
    """The word agreeing with ``count``: French takes the singular for 0 and 1, English for 1 only."""
    singular = count in (0, 1) if lang == "fr" else count == 1
    return one if singular and not isinstance(count, bool) else many


def quoted_list(values: Iterable[object]) -> Text:
    """Several values, each quoted the way each language quotes, as one message parameter."""
    items = list(values)
    return Text(", ".join(quote(item, "en") for item in items),
                ", ".join(quote(item, "fr") for item in items))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _Formatter(string.Formatter):
    def __init__(self, lang: Lang) -> None:
        super().__init__()
        self.lang = lang

    def convert_field(self, value: object, conversion: str | None) -> object:
        if conversion == "r":
            return quote(value, self.lang)
        return super().convert_field(value, conversion)

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec.startswith("|"):
            one, _, many = format_spec[1:].partition("|")
            return plural(value, one, many, self.lang)
        if not format_spec and isinstance(value, int) and not isinstance(value, bool):
            return format_number(value, self.lang)
        return str(super().format_field(value, format_spec))


_FORMATTERS: Mapping[str, _Formatter] = {lang: _Formatter(lang) for lang in LANGS}


@attrs.frozen
class CodeInfo:
    """What the catalogue knows of one issue code."""

    code: str
    severity: Severity
    message: Text
    #: How to fix it, shown as the issue's hint unless the issue brings its own.
    fix: Text | None = None
    #: An example of the input that causes it, for the error-codes page.
    example: str | None = None


def _info(
    code: str,
    severity: Severity,
    en: str,
    fr: str,
    *,
    fix_en: str | None = None,
    fix_fr: str | None = None,
    example: str | None = None,
) -> CodeInfo:
    fix = Text(fix_en, fix_fr) if fix_en is not None and fix_fr is not None else None
    return CodeInfo(code, severity, Text(en, fr), fix, example)


E = Severity.ERROR
W = Severity.WARNING

_ENTRIES: tuple[CodeInfo, ...] = (
    # -- file ---------------------------------------------------------------
    _info("file.unsupported_format", E,
          "This file is not a CSV, XLSX, XLS, XLSB or ODS spreadsheet ({detected}).",
          "Ce fichier n'est pas un tableur CSV, XLSX, XLS, XLSB ou ODS ({detected}).",
          fix_en="Export the data from your spreadsheet program as CSV or XLSX.",
          fix_fr="Exportez les données de votre tableur au format CSV ou XLSX.",
          example="a PDF or PNG file"),
    _info("file.numbers_unsupported", E,
          "Apple Numbers files are not supported.",
          "Les fichiers Apple Numbers ne sont pas pris en charge.",
          fix_en="In Numbers, use File > Export To > Excel and import the XLSX file.",
          fix_fr="Dans Numbers, choisissez Fichier > Exporter vers > Excel et importez le fichier XLSX.",
          example="clients.numbers"),
    _info("file.not_regular", E,
          "This is not a file that can be read: {kind}.",
          "Ce n'est pas un fichier qui peut être lu : {kind}.",
          fix_en="Give the path of the spreadsheet file itself.",
          fix_fr="Indiquez le chemin du fichier tableur lui-même.",
          example="a named pipe (FIFO), a device such as /dev/zero, a socket or a folder"),
    _info("file.password_protected", E,
          "This workbook is protected by a password.",
          "Ce classeur est protégé par un mot de passe.",
          fix_en="Remove the password in Excel (File > Info > Protect Workbook) and save again.",
          fix_fr="Retirez le mot de passe dans Excel (Fichier > Informations > Protéger le classeur) "
                 "puis enregistrez à nouveau.",
          example="an encrypted XLSX"),
    _info("file.corrupt", E,
          "This file is damaged and cannot be read ({detail}).",
          # The detail is a reader's technical diagnosis, in English: the French message leaves
          # it out (it stays in the issue's params, for support).
          "Ce fichier est endommagé, ou construit d'une façon qui ne peut pas être lue sans "
          "risque.",
          fix_en="Open it in your spreadsheet program and save it again, or export it as CSV.",
          fix_fr="Ouvrez-le dans votre tableur et enregistrez-le à nouveau, ou exportez-le en CSV.",
          example="a truncated XLSX"),
    _info("file.too_large", E,
          "The file exceeds the limit on {limit}: {actual}, where {maximum} at most are allowed.",
          "Le fichier dépasse la limite de {limit} : {actual}, pour {maximum} au plus.",
          fix_en="Split the file into smaller files, or raise the limit if you trust the file.",
          fix_fr="Découpez le fichier en fichiers plus petits, ou relevez la limite si le fichier "
                 "est de confiance.",
          example="a sheet with a cell at XFD1048576"),
    _info("file.empty", E,
          "The file is empty.",
          "Le fichier est vide.",
          fix_en="Check that you exported the right sheet or file.",
          fix_fr="Vérifiez que vous avez exporté la bonne feuille ou le bon fichier.",
          example="a 0-byte file"),
    _info("file.encoding", E,
          "The file cannot be decoded as {encoding}.",
          "Le fichier ne peut pas être décodé en {encoding}.",
          fix_en="Save the CSV as UTF-8, or give the right encoding explicitly.",
          fix_fr="Enregistrez le CSV en UTF-8, ou indiquez explicitement le bon encodage.",
          example="encoding='ascii' on a file with accents"),
    _info("file.ambiguous_delimiter", E,
          "The separator cannot be told: {first} and {second} both split every line into the same "
          "number of columns.",
          "Le séparateur ne peut pas être déterminé : {first} et {second} découpent tous deux "
          "chaque ligne en un même nombre de colonnes.",
          fix_en="Give the separator explicitly (delimiter= or --delimiter), or export the file "
                 "again as CSV with a semicolon (;) as separator.",
          fix_fr="Indiquez explicitement le séparateur (delimiter= ou --delimiter), ou exportez à "
                 "nouveau le fichier en CSV avec le point-virgule (;) comme séparateur.",
          example="'Nom, prénom;Ville' over 'Dupont, Jean;Paris'"),
    _info("file.mixed_encoding", W,
          "Line(s) {lines} are in {other}, the rest of the file in {main}: each part was read in "
          "its own encoding.",
          "Ligne(s) {lines} en {other}, le reste du fichier en {main} : chaque partie a été lue dans "
          "son propre encodage.",
          fix_en="Check the accents on those lines; to be sure, save the whole file again as UTF-8.",
          fix_fr="Vérifiez les accents de ces lignes ; pour en être sûr, enregistrez à nouveau tout "
                 "le fichier en UTF-8.",
          example="a UTF-8 file with one line pasted from a Windows (cp1252) file"),
    _info("file.sheet_not_found", E,
          "The workbook has no sheet named {sheet!r}; its sheets are: {sheets}.",
          "Le classeur n'a pas de feuille nommée {sheet!r} ; ses feuilles sont : {sheets}.",
          fix_en="Give one of the sheet names listed.",
          fix_fr="Indiquez l'un des noms de feuille listés.",
          example="sheet='Clients' on a workbook whose sheet is 'Feuil1'"),
    _info("file.not_found", E,
          "The file {path} does not exist.",
          "Le fichier {path} n'existe pas.",
          fix_en="Check the file name, and the folder the command is run from.",
          fix_fr="Vérifiez le nom du fichier, et le dossier depuis lequel la commande est lancée.",
          example="upflow-import check clinets.csv"),
    _info("file.unreadable", E,
          "The file {path} cannot be opened: it is a folder, or reading it is not allowed.",
          "Le fichier {path} ne peut pas être ouvert : c'est un dossier, ou sa lecture n'est pas "
          "autorisée.",
          fix_en="Give the path of the spreadsheet file itself, and check its permissions.",
          fix_fr="Indiquez le chemin du fichier tableur lui-même, et vérifiez ses droits d'accès.",
          example="upflow-import check exports/ (a folder)"),
    # -- csv ----------------------------------------------------------------
    _info("csv.inconsistent_columns", E,
          "Line {row} has {actual} {actual:|cell|cells} but the header has {expected}.",
          "La ligne {row} a {actual} {actual:|cellule|cellules} mais l'en-tête en a {expected}.",
          fix_en="Every line must have the same number of separators; quote cells that contain "
                 "the separator.",
          fix_fr="Chaque ligne doit contenir le même nombre de séparateurs ; mettez entre "
                 "guillemets les cellules qui contiennent le séparateur.",
          example="Acme;Paris;extra"),
    _info("csv.unclosed_quote", E,
          "A quote opened on line {row} is never closed, so the rest of the file was read as one "
          "cell.",
          "Un guillemet ouvert à la ligne {row} n'est jamais fermé : la suite du fichier a été lue "
          "comme une seule cellule.",
          fix_en="Close the quote, or double the quote character inside a quoted cell (\"\").",
          fix_fr="Fermez le guillemet, ou doublez le guillemet à l'intérieur d'une cellule entre "
                 "guillemets (\"\").",
          example='Acme;"Paris'),
    # -- header / mapping ---------------------------------------------------
    _info("header.title_row", E,
          "Row {row} looks like a document title ({value!r}), not column headers; the headers seem "
          "to be on row {header_row}.",
          "La ligne {row} ressemble à un titre de document ({value!r}), pas à des en-têtes de "
          "colonnes ; les en-têtes semblent être en ligne {header_row}.",
          fix_en="Delete the rows above the column headers, or say where the headers are: "
                 "header_row={header_row} (command line: --header-row {header_row}).",
          fix_fr="Supprimez les lignes au-dessus des en-têtes de colonnes, ou indiquez où sont les "
                 "en-têtes : header_row={header_row} (en ligne de commande : --header-row "
                 "{header_row}).",
          example="'Liste des clients 2024' alone in A1 over a wider table; 'Export clients' and "
                  "'Date : 03/12/2026' over the headers"),
    _info("header.merged_columns", E,
          "The header is read as one column ({value!r}), but every line holds {separator}: the "
          "columns seem to be separated by {separator}.",
          "L'en-tête est lu comme une seule colonne ({value!r}), mais chaque ligne contient "
          "{separator} : les colonnes semblent séparées par {separator}.",
          fix_en="Export the file again as CSV with a semicolon (;) as separator, or give the "
                 "separator explicitly (delimiter= or --delimiter).",
          fix_fr="Exportez à nouveau le fichier en CSV avec le point-virgule (;) comme séparateur, "
                 "ou indiquez explicitement le séparateur (delimiter= ou --delimiter).",
          example="'Nom du client:Ville' (a colon-separated file)"),
    _info("header.empty", E,
          "Column {position} has no header.",
          "La colonne {position} n'a pas d'en-tête.",
          fix_en="Give every column a header in row 1, or delete the empty column.",
          fix_fr="Donnez un en-tête à chaque colonne en ligne 1, ou supprimez la colonne vide.",
          example="a blank cell in row 1 above filled cells"),
    _info("header.duplicate", E,
          "The header {column!r} appears more than once.",
          "L'en-tête {column!r} apparaît plusieurs fois.",
          fix_en="Rename or delete the duplicate column.",
          fix_fr="Renommez ou supprimez la colonne en double.",
          example="two 'Email' columns"),
    _info("mapping.required_field_missing", E,
          "No column is mapped to {field_label}: {reason}.",
          "Aucune colonne n'est associée à « {field_label} » : {reason}.",
          fix_en="Add the column to the file, or map an existing column to this field.",
          fix_fr="Ajoutez la colonne au fichier, ou associez une colonne existante à ce champ.",
          example="a file with neither a customer name nor a customer ID column"),
    _info("mapping.field_mapped_twice", E,
          "The field {field_label} is mapped from several columns: {columns}.",
          "Le champ « {field_label} » est associé à plusieurs colonnes : {columns}.",
          fix_en="Map each field from one column only.",
          fix_fr="Associez chaque champ à une seule colonne.",
          example="{'Nom': 'client.name', 'Société': 'client.name'}"),
    _info("mapping.unknown_field", E,
          "{value!r} is not a known field.",
          "{value!r} n'est pas un champ connu.",
          fix_en="Use one of the field keys listed in the documentation (e.g. client.name).",
          fix_fr="Utilisez l'une des clés de champ de la documentation (par ex. client.name).",
          example="{'Nom': 'client.nom'}"),
    _info("mapping.invalid", E,
          "The column mapping cannot be read: {detail}.",
          "L'association des colonnes ne peut pas être lue : {detail}.",
          fix_en='Give a JSON object such as {{"Nom du client": "client.name", "Notes": null}}, or a '
                 "file saved by ColumnMapping.to_json().",
          fix_fr='Fournissez un objet JSON comme {{"Nom du client": "client.name", "Notes": null}}, ou '
                 "un fichier enregistré par ColumnMapping.to_json().",
          example="a mapping file holding a list"),
    _info("mapping.unmapped_column", W,
          "The column {column!r} is not imported.",
          "La colonne {column!r} n'est pas importée.",
          fix_en="Map it to a field if it should be imported; otherwise nothing to do.",
          fix_fr="Associez-la à un champ si elle doit être importée ; sinon, rien à faire.",
          example="a 'Chiffre d'affaires' column"),
    _info("mapping.remembered", W,
          "The columns were mapped as in an earlier import of a file with the same headers.",
          "Les colonnes ont été associées comme lors d'un import précédent d'un fichier aux mêmes "
          "en-têtes.",
          fix_en="Check the mapping above. To map differently, give the mapping explicitly (--mapping, or "
                 "mapping= in Python): it is remembered in its turn. --no-mapping-memory "
                 "(remember_mapping=False) ignores remembered mappings.",
          fix_fr="Vérifiez l'association ci-dessus. Pour associer autrement, donnez l'association "
                 "explicitement (--mapping, ou mapping= en Python) : elle est mémorisée à son tour. "
                 "--no-mapping-memory (remember_mapping=False) ignore les associations mémorisées.",
          example="a second file with the headers of a file imported with --mapping"),
    _info("mapping.unmapped_column_suggestion", W,
          "The column {column!r} is not imported, though it looks like {field_label} ({confidence} sure).",
          "La colonne {column!r} n'est pas importée, bien qu'elle ressemble au champ {field_label} "
          "(certitude : {confidence}).",
          fix_en="If it holds that field, map it to {field} explicitly; otherwise nothing to do.",
          fix_fr="Si elle contient bien ce champ, associez-la explicitement à {field} ; sinon, rien à faire.",
          example="Salesforce's 'Account Owner' holding names where an email is expected"),
    # -- values -------------------------------------------------------------
    _info("value.required", E,
          "{field_label} is required.",
          "Le champ « {field_label} » est obligatoire.",
          fix_en="Fill in this cell.",
          fix_fr="Renseignez cette cellule.",
          example="a new customer without a name"),
    _info("value.invalid_email", E,
          "{value!r} is not a valid email address.",
          "{value!r} n'est pas une adresse email valide.",
          fix_en="Write a full address such as jean.dupont@example.com.",
          fix_fr="Écrivez une adresse complète, par exemple jean.dupont@example.com.",
          example="jean@"),
    _info("value.invalid_integer", E,
          "{value!r} is not a whole number.",
          "{value!r} n'est pas un nombre entier.",
          fix_en="Write a whole number of days, such as 30.",
          fix_fr="Écrivez un nombre entier de jours, par exemple 30.",
          example="trente"),
    _info("value.out_of_range", E,
          "{value!r} is out of range: {field_label} must be between {minimum} and {maximum}.",
          "{value!r} est hors limites : le champ « {field_label} » doit être compris entre {minimum} "
          "et {maximum}.",
          fix_en="Write a value within the range.",
          fix_fr="Écrivez une valeur comprise dans l'intervalle.",
          example="-5"),
    _info("value.invalid_choice", E,
          "{value!r} is not an accepted value for {field_label}; accepted: {choices}.",
          "{value!r} n'est pas une valeur acceptée pour le champ « {field_label} » ; valeurs "
          "acceptées : {choices}.",
          fix_en="Use one of the accepted values.",
          fix_fr="Utilisez l'une des valeurs acceptées.",
          example="Manager"),
    _info("value.invalid_flag", E,
          "{value!r} is not a yes/no value for {field_label}; write 1 or 0.",
          "{value!r} n'est pas une valeur oui/non pour le champ « {field_label} » ; écrivez 1 ou 0.",
          fix_en="Write 1 (or yes, oui, x) for the main contact; 0 (or no, non) or nothing "
                 "otherwise.",
          fix_fr="Écrivez 1 (ou oui, yes, x) pour le contact principal ; 0 (ou non, no) ou rien "
                 "sinon.",
          example="peut-être"),
    _info("value.too_long", E,
          "{field_label} is {length} characters long; the maximum is {maximum}.",
          "Le champ « {field_label} » fait {length} caractères ; le maximum est {maximum}.",
          fix_en="Shorten the value.",
          fix_fr="Raccourcissez la valeur.",
          example="a 300-character name"),
    _info("value.unknown_country", W,
          "{value!r} is not a country we recognise; it is kept as written.",
          "{value!r} n'est pas un pays reconnu ; la valeur est conservée telle quelle.",
          fix_en="Write the country's name in English or French, or its ISO code (FR, FRA).",
          fix_fr="Écrivez le nom du pays en français ou en anglais, ou son code ISO (FR, FRA).",
          example="Frence"),
    _info("value.invalid_vat", W,
          "{value!r} fails the VAT number check of its country; it is kept as {normalised!r}.",
          "{value!r} ne passe pas le contrôle des numéros de TVA de son pays ; le numéro est "
          "conservé sous la forme {normalised!r}.",
          fix_en="Check the number against the customer's invoices (a digit is often missing or "
                 "swapped).",
          fix_fr="Vérifiez le numéro sur les factures du client (il manque souvent un chiffre, ou "
                 "deux sont inversés).",
          example="FR00000000001"),
    _info("value.invalid_phone", W,
          "{value!r} is not a phone number we can read; it is kept as written.",
          "{value!r} n'est pas un numéro de téléphone lisible ; la valeur est conservée telle "
          "quelle.",
          fix_en="Write the number with its country code, such as +33 1 23 45 67 89.",
          fix_fr="Écrivez le numéro avec son indicatif, par exemple +33 1 23 45 67 89.",
          example="01 23"),
    _info("value.email_extracted", W,
          "{value!r} is not a bare email address; the address {email!r} was read from it.",
          "{value!r} n'est pas une simple adresse email ; l'adresse {email!r} en a été extraite.",
          fix_en="Write the address alone in the email column (the name goes in the name columns).",
          fix_fr="Écrivez l'adresse seule dans la colonne email (le nom va dans les colonnes de nom).",
          example="Jean Dupont <jean@acme.fr>, mailto:jean@acme.fr"),
    _info("value.phone_not_allocated", W,
          "{value!r} has the shape of a phone number but no such number is allocated; it is kept "
          "as written.",
          "{value!r} a la forme d'un numéro de téléphone, mais aucun numéro de ce type n'est "
          "attribué ; la valeur est conservée telle quelle.",
          fix_en="Check the digits (one is often missing or extra) and the country code.",
          fix_fr="Vérifiez les chiffres (il en manque ou il y en a souvent un de trop) et "
                 "l'indicatif du pays.",
          example="+33 0 12 34 56 78"),
    _info("value.postal_code_padded", W,
          "The postal code {value!r} lost its leading zero in Excel; it was read as {padded!r}.",
          "Le code postal {value!r} a perdu son zéro initial dans Excel ; il a été lu comme "
          "{padded!r}.",
          fix_en="Format the postal-code column as text in Excel to keep leading zeros.",
          fix_fr="Formatez la colonne code postal en texte dans Excel pour conserver les zéros "
                 "initiaux.",
          example="1000 for 01000"),
    # -- clients ------------------------------------------------------------
    _info("client.not_found", E,
          "No customer with ID {value!r} exists, and the row gives no name to create it.",
          "Aucun client n'a l'identifiant {value!r}, et la ligne ne donne pas de nom pour le "
          "créer.",
          fix_en="Check the ID, or fill in the customer's name so that it is created.",
          fix_fr="Vérifiez l'identifiant, ou renseignez le nom du client pour qu'il soit créé.",
          example="a row with only 'Customer ID' = C999"),
    _info("client.ambiguous_name", E,
          "Several customers are named {value!r} ({candidates}); this row does not say which one.",
          "Plusieurs clients s'appellent {value!r} ({candidates}) ; cette ligne ne précise pas "
          "lequel.",
          fix_en="Fill in the Customer ID: it is required when several customers share a name.",
          fix_fr="Renseignez l'Identifiant Client : il est obligatoire si plusieurs clients ont "
                 "le même nom.",
          example="two stored customers named 'Acme' and a row with only 'Acme'"),
    _info("client.renamed_name", W,
          "{value!r} is the former name of the customer {external_id}, which this file renames "
          "{new_name!r}; this row gives no ID, so it is taken as another customer named {value!r}.",
          "{value!r} est l'ancien nom du client {external_id}, que ce fichier renomme "
          "{new_name!r} ; cette ligne ne donne pas d'identifiant, elle est donc lue comme un autre "
          "client nommé {value!r}.",
          fix_en="If this row means the renamed customer, fill in its ID ({external_id}) on this row.",
          fix_fr="Si cette ligne désigne le client renommé, renseignez son identifiant ({external_id}) "
                 "sur cette ligne.",
          example="C001 renamed from 'Globex' to 'Acme', and another row with only 'Globex'"),
    _info("client.value_overridden", W,
          "{field_label} of this customer was {previous!r} on row {previous_row}; row {row} "
          "sets it to {value!r}.",
          "Le champ « {field_label} » de ce client valait {previous!r} à la ligne {previous_row} ; "
          "la ligne {row} le remplace par {value!r}.",
          fix_en="Make the rows of one customer agree, or ignore this if the later value is right.",
          fix_fr="Harmonisez les lignes d'un même client, ou ignorez ceci si la dernière valeur est "
                 "la bonne.",
          example="two rows for C001 with different cities"),
    _info("client.same_name_exists", W,
          "{count:|A customer|Customers} named {value!r} already {count:|exists|exist} ({others}); "
          "a new customer is created.",
          "{count:|Un client nommé|Des clients nommés} {value!r} {count:|existe|existent} déjà "
          "({others}) ; un nouveau client est créé.",
          fix_en="Check that this is really a different customer.",
          fix_fr="Vérifiez qu'il s'agit bien d'un autre client.",
          example="C002 'Acme' while C001 'Acme' is stored"),
    # -- groups -------------------------------------------------------------
    _info("group.parent_not_found", E,
          "The parent customer {value!r} exists neither in the file nor in the store.",
          "Le client parent {value!r} n'existe ni dans le fichier ni dans la base.",
          fix_en="Add a row for the parent customer, or correct its name or ID.",
          fix_fr="Ajoutez une ligne pour le client parent, ou corrigez son nom ou son "
                 "identifiant.",
          example="Parent name 'Acme Group' with no such customer"),
    _info("group.self_parent", E,
          "The customer {value!r} is given as its own parent.",
          "Le client {value!r} est indiqué comme son propre parent.",
          fix_en="Leave the parent columns empty on the parent's own row.",
          fix_fr="Laissez les colonnes du groupe vides sur la ligne du client parent lui-même.",
          example="C001 with Parent ID C001"),
    _info("group.cycle", E,
          "The customers {cycle} form a loop of parents.",
          "Les clients {cycle} forment une boucle de parents.",
          fix_en="A group cannot be a subsidiary of its own subsidiary; break the loop.",
          fix_fr="Un groupe ne peut pas être filiale de sa propre filiale ; cassez la boucle.",
          example="A parent of B and B parent of A"),
    _info("group.parent_mismatch", E,
          "The parent name {value!r} does not match the parent ID {external_id}, which is the "
          "customer {parent_name!r}.",
          "Le nom du groupe {value!r} ne correspond pas à l'identifiant du groupe {external_id}, "
          "qui désigne le client {parent_name!r}.",
          fix_en="Correct the parent name or the parent ID so that both designate the same "
                 "customer, or leave the name empty.",
          fix_fr="Corrigez le nom ou l'identifiant du groupe pour qu'ils désignent le même client, "
                 "ou laissez le nom vide.",
          example="Parent ID G1 ('Holding A') with Parent name 'Holding B'"),
    _info("group.ambiguous_parent", E,
          "Several customers could be the parent {value!r}: {candidates}.",
          "Plusieurs clients peuvent être le parent {value!r} : {candidates}.",
          fix_en="Fill in the parent's ID (Parent ID column).",
          fix_fr="Renseignez l'identifiant du groupe.",
          example="Parent name 'Acme' with two customers named Acme"),
    # -- contacts -----------------------------------------------------------
    _info("contact.email_required", E,
          "This row has contact details but no contact email; the contact is not imported.",
          "Cette ligne contient un contact sans email ; le contact n'est pas importé.",
          fix_en="Fill in the contact's email: a contact must have one.",
          fix_fr="Renseignez l'email du contact : il est obligatoire.",
          example="a first name and a phone but no email"),
    _info("contact.client_conflict", E,
          "The contact {value!r} is given for several customers in the file ({clients}).",
          "Le contact {value!r} est indiqué pour plusieurs clients dans le fichier ({clients}).",
          fix_en="A contact belongs to one customer; keep it on one customer's rows.",
          fix_fr="Un contact appartient à un seul client ; gardez-le sur les lignes d'un seul "
                 "client.",
          example="jean@acme.fr under C001 and C002"),
    _info("contact.belongs_to_other_client", E,
          "The contact {value!r} already belongs to another customer ({other}).",
          "Le contact {value!r} appartient déjà à un autre client ({other}).",
          fix_en="Use another email, or move the contact in the application first.",
          fix_fr="Utilisez un autre email, ou déplacez d'abord le contact dans l'application.",
          example="a stored contact of C001 imported under C002"),
    _info("contact.external_id_conflict", E,
          "The contact ID {value!r} is used by several emails ({emails}).",
          "L'identifiant de contact {value!r} est utilisé par plusieurs emails ({emails}).",
          fix_en="Give each contact its own ID.",
          fix_fr="Donnez à chaque contact son propre identifiant.",
          example="K1 on jean@acme.fr and marie@acme.fr"),
    _info("contact.main_overridden", W,
          "Several contacts of this customer are marked main; the last one ({value!r}, row "
          "{row}) wins.",
          "Plusieurs contacts de ce client sont marqués comme principaux ; le dernier ({value!r}, "
          "ligne {row}) l'emporte.",
          fix_en="Mark one contact per customer with 1.",
          fix_fr="Ne marquez qu'un contact par client avec 1.",
          example="two rows of C001 with Main contact = 1"),
    _info("contact.value_overridden", W,
          "{field_label} of contact {email!r} was {previous!r} on row {previous_row}; row {row} "
          "sets it to {value!r}.",
          "Le champ « {field_label} » du contact {email!r} valait {previous!r} à la ligne "
          "{previous_row} ; la ligne {row} le remplace par {value!r}.",
          fix_en="Make the rows of one contact agree.",
          fix_fr="Harmonisez les lignes d'un même contact.",
          example="jean@acme.fr twice with two phone numbers"),
    # -- references ---------------------------------------------------------
    _info("reference.unknown_account_manager", E,
          "No account manager has the email {value!r}.",
          "Aucun responsable de compte n'a l'email {value!r}.",
          fix_en="Use the email of an existing user.",
          fix_fr="Utilisez l'email d'un utilisateur existant.",
          example="typo in the manager's email"),
    _info("reference.unknown_dunning_plan", E,
          "No dunning plan is named {value!r}.",
          "Aucun plan de relance ne s'appelle {value!r}.",
          fix_en="Use the name of an existing dunning plan as it is registered (upper and lower "
                 "case count).",
          fix_fr="Utilisez le nom d'un plan de relance existant tel qu'il est enregistré (les "
                 "majuscules comptent).",
          example="'Plan standard' when the plan is 'Plan Standard'"),
    # -- store (the embedded SQLite store of the command line) -----------------
    _info("store.unusable", E,
          "The store {path} cannot be used: {detail}.",
          "La base {path} ne peut pas être utilisée : {detail}.",
          fix_en="Check the --db path: it must be a folder you can write to, or an upflow-import "
                 "store.",
          fix_fr="Vérifiez le chemin --db : il doit désigner un dossier accessible en écriture, ou "
                 "une base upflow-import.",
          example="--db pointing at a spreadsheet"),
    _info("store.foreign_database", E,
          "The store {path} is a SQLite database of another program.",
          "La base {path} est une base SQLite d'un autre programme.",
          fix_en="Give --db a new file name, or an upflow-import store; this file is left untouched.",
          fix_fr="Indiquez avec --db un nouveau nom de fichier, ou une base upflow-import ; ce fichier "
                 "n'est pas modifié.",
          example="--db pointing at another application's database"),
    _info("store.newer_schema", E,
          "The store {path} was written by a newer upflow-import (schema {found}; this version "
          "knows up to {supported}).",
          "La base {path} a été écrite par une version plus récente d'upflow-import (schéma "
          "{found} ; cette version connaît jusqu'au schéma {supported}).",
          fix_en="Upgrade upflow-import; the store is left untouched.",
          fix_fr="Mettez à jour upflow-import ; la base n'est pas modifiée.",
          example="a store opened by an older installation"),
    # -- exports (templates, failed rows) ------------------------------------
    _info("export.unsupported_format", E,
          "Cannot write {value!r}: templates and failed-rows files are CSV or XLSX.",
          "Impossible d'écrire {value!r} : les modèles et les fichiers de lignes en erreur sont au "
          "format CSV ou XLSX.",
          fix_en="Give a file name ending in .csv or .xlsx.",
          fix_fr="Indiquez un nom de fichier se terminant par .csv ou .xlsx.",
          example="upflow-import template modele.ods"),
    _info("export.xlsx_unavailable", E,
          "Writing XLSX files needs the optional XlsxWriter package, which is not installed.",
          "L'écriture de fichiers XLSX nécessite le paquet optionnel XlsxWriter, qui n'est pas "
          "installé.",
          fix_en='Install it with pip install "upflow-import[xlsx]", or write a .csv file instead.',
          fix_fr='Installez-le avec pip install "upflow-import[xlsx]", ou écrivez plutôt un fichier .csv.',
          example="upflow-import template modele.xlsx without the xlsx extra"),
    # -- dependencies and writes --------------------------------------------
    _info("plan.dependency_dropped", E,
          "This row is not imported because {dependency} has an error (row {dependency_row}).",
          "Cette ligne n'est pas importée car {dependency} comporte une erreur (ligne "
          "{dependency_row}).",
          fix_en="Fix the error it depends on (on the row given).",
          fix_fr="Corrigez l'erreur dont elle dépend.",
          example="a contact of a customer whose name is missing"),
    _info("apply.failed", E,
          "Writing failed: {detail}.",
          "L'écriture a échoué : {detail}.",
          fix_en="Run the import again once the store is available; finished work is not "
                 "repeated.",
          fix_fr="Relancez l'import une fois la base disponible ; le travail déjà fait n'est pas "
                 "refait.",
          example="the database went away"),
    _info("apply.not_attempted", E,
          "This row was not written because {dependency} could not be written.",
          "Cette ligne n'a pas été écrite car {dependency} n'a pas pu l'être.",
          fix_en="Run the import again once the earlier failure is fixed.",
          fix_fr="Relancez l'import une fois l'échec précédent corrigé.",
          example="a contact whose customer's creation failed"),
)

#: Every issue code the library can report, with its messages in both languages.
CATALOGUE: Mapping[str, CodeInfo] = {entry.code: entry for entry in _ENTRIES}


#: Specific hints that replace a code's generic fix, passed as ``Issue.from_code(..., hint=HINTS[...])``
#: with their ``{placeholders}`` as issue params. Kept here so that both languages stay complete.
HINTS: Mapping[str, Text] = {
    # An unknown reference that a close known value resembles (a typo).
    "did_you_mean": Text(
        "Did you mean {suggestion!r}?",
        "Vouliez-vous dire {suggestion!r} ?"),
    # An unknown reference equal to a known value but for case (spaces of every kind are
    # already compared alike).
    "did_you_mean_spacing": Text(
        "Did you mean {suggestion!r}? The two differ only in upper/lower case.",
        "Vouliez-vous dire {suggestion!r} ? Les deux ne diffèrent que par les majuscules."),
}

#: Bilingual message parameters (a list of accepted values…), passed as issue
#: params and rendered in the issue's language. Kept here so that both languages stay complete.
PHRASES: Mapping[str, Text] = {
    # The accepted values of the contact position (value.invalid_choice).
    "positions": Text(
        "ACCOUNTING, SALES, PURCHASER or PAYER (or the French Comptable, Commercial, Acheteur, "
        "Payeur)",
        "Comptable (ACCOUNTING), Commercial (SALES), Acheteur (PURCHASER) ou Payeur (PAYER)"),
}


#: The limits of :class:`~upflow_import.Limits` as ``file.too_large`` names them (its ``limit``
#: param is the attribute's name, given with it so that the caller knows what to raise).
LIMIT_LABELS: Mapping[str, Text] = {
    "max_bytes": Text("file size in bytes (max_bytes)", "taille du fichier en octets (max_bytes)"),
    "max_uncompressed_bytes": Text("uncompressed size in bytes (max_uncompressed_bytes)",
                                   "taille décompressée en octets (max_uncompressed_bytes)"),
    "max_compression_ratio": Text("compression ratio (max_compression_ratio)",
                                  "taux de compression (max_compression_ratio)"),
    "max_rows": Text("rows (max_rows)", "lignes (max_rows)"),
    "max_columns": Text("columns (max_columns)", "colonnes (max_columns)"),
    "max_cell_chars": Text("characters in one cell (max_cell_chars)",
                           "caractères par cellule (max_cell_chars)"),
    "max_cells": Text("cells of a sheet (max_cells)", "cellules d'une feuille (max_cells)"),
    "memory": Text("memory", "mémoire"),
    "memory_bytes": Text("memory in bytes (memory_bytes)", "mémoire en octets (memory_bytes)"),
    "cpu_seconds": Text("processing time in seconds (cpu_seconds)",
                        "temps de calcul en secondes (cpu_seconds)"),
}


def code_info(code: str) -> CodeInfo:
    """Return the catalogue entry of ``code`` (``KeyError`` for an unknown code)."""
    return CATALOGUE[code]


def _freeze(params: Mapping[str, object] | tuple[tuple[str, object], ...]) -> tuple[
        tuple[str, object], ...]:
    items = params.items() if isinstance(params, Mapping) else params
    return tuple(sorted(items))


def _to_field(field: Field | str | None) -> Field | None:
    if field is None or isinstance(field, Field):
        return field
    return Field(field)


@attrs.frozen
class Issue:
    """One problem, located as precisely as the layer that found it knows.

    ``message`` and ``hint`` are in the issue's :attr:`lang` (English unless
    the issue comes from a report built in another language: see
    :meth:`in_lang`); :meth:`message_in` and :meth:`hint_in` give them in any
    language. ``params`` are the values the messages are rendered from (a
    field label, a limit…).
    """

    code: str
    severity: Severity
    row: int | None = None
    column: str | None = None
    #: The field of the cell at fault; a key string is read as its :class:`Field`.
    field: Field | None = attrs.field(default=None, converter=_to_field)
    value: str | None = None
    params: tuple[tuple[str, object], ...] = attrs.field(default=(), converter=_freeze)
    #: A specific hint ("did you mean …") replacing the catalogue's generic fix.
    custom_hint: Text | None = None
    #: The language of :attr:`message` and :attr:`hint`; not part of the issue's identity.
    lang: Lang = attrs.field(default="en", eq=False, kw_only=True)

    @classmethod
    def from_code(
        cls,
        code: str,
        *,
        row: int | None = None,
        column: str | None = None,
        field: Field | None = None,
        value: str | None = None,
        hint: Text | None = None,
        **params: object,
    ) -> Issue:
        """Build an issue whose severity comes from the catalogue."""
        return cls(code, code_info(code).severity, row, column, field, value, params, hint)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def _params(self) -> dict[str, object]:
        params: dict[str, object] = {"row": self.row, "column": self.column, "value": self.value}
        if self.field is not None:
            params["field"] = self.field.value
        params.update(self.params)
        return params

    def in_lang(self, lang: Lang) -> Issue:
        """This issue with :attr:`message` and :attr:`hint` in ``lang``."""
        return self if lang == self.lang else attrs.evolve(self, lang=lang)

    def message_in(self, lang: Lang | None = None) -> str:
        """The message in ``lang`` (``"en"`` or ``"fr"``; default: the issue's :attr:`lang`)."""
        lang = self.lang if lang is None else lang
        params = self._params_in(lang)
        if "field_label" not in params and self.field is not None:
            params["field_label"] = self.field.label(lang)
        return code_info(self.code).message.render(lang, params)

    def hint_in(self, lang: Lang | None = None) -> str | None:
        """The hint in ``lang`` (default: the issue's :attr:`lang`): the issue's own, else the
        catalogue's fix."""
        lang = self.lang if lang is None else lang
        text = self.custom_hint or code_info(self.code).fix
        return None if text is None else text.render(lang, self._params_in(lang))

    def _params_in(self, lang: Lang) -> dict[str, object]:
        # Any parameter may be given in both languages (a field label, a reason).
        params = self._params()
        limit = params.get("limit")
        if isinstance(limit, str) and limit in LIMIT_LABELS:
            params["limit"] = LIMIT_LABELS[limit]
        return {name: (value.fr if lang == "fr" else value.en) if isinstance(value, Text) else value
                for name, value in params.items()}

    @property
    def message(self) -> str:
        """The message in the issue's :attr:`lang`."""
        return self.message_in(self.lang)

    @property
    def hint(self) -> str | None:
        """How to fix it, in the issue's :attr:`lang`."""
        return self.hint_in(self.lang)

    def __str__(self) -> str:
        return self.message

    def to_dict(self, lang: Lang | None = None) -> dict[str, object]:
        """The issue as the JSON report shows it (default: in the issue's :attr:`lang`)."""
        lang = self.lang if lang is None else lang
        return {
            "code": self.code,
            "severity": self.severity.value,
            "row": self.row,
            "column": self.column,
            "field": None if self.field is None else self.field.value,
            "value": self.value,
            "message": self.message_in(lang),
            "hint": self.hint_in(lang),
        }

