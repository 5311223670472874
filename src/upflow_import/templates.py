"""Template files: :func:`write_template`, the "fichier modèle" Upflow offers for download.

A template has one column per field, headed by the field's canonical label
in the chosen language (so that the automatic mapping recognises every
column with full confidence), and one example row that imports cleanly into
any store: it fills no account manager, dunning plan or parent, which must
exist beforehand. The XLSX template also guides whoever fills it in: bold
frozen header, column widths, drop-down lists for the contact position and
the main-contact flag, and identifier, code, postal-code and phone columns
formatted as text so that Excel keeps leading zeros (``01000``) and
``+33…`` as typed.
"""

from __future__ import annotations

from collections.abc import Mapping

from upflow_import._sheets import Destination, SheetColumn, sheet_format, write_sheet
from upflow_import.fields import Field, Kind
from upflow_import.lang import Lang

__all__ = ["TEMPLATE_FIELDS", "template_example", "template_headers", "write_template"]

#: The template's columns, in the order of the field catalogue.
TEMPLATE_FIELDS: tuple[Field, ...] = tuple(Field)

# Excel mangles leading zeros (ids, codes, postal codes) and a leading "+" (phones) in a
# General cell: every column is formatted as text except numbers and flags, whose
# drop-down list holds plain 1 and 0.
_NOT_TEXT = frozenset({Kind.INTEGER, Kind.FLAG})

_POSITIONS: Mapping[Lang, tuple[str, ...]] = {
    "en": ("ACCOUNTING", "SALES", "PURCHASER", "PAYER"),
    "fr": ("Comptable", "Commercial", "Acheteur", "Payeur"),
}
_CHOICE_MESSAGES: Mapping[Kind, Mapping[Lang, str]] = {
    Kind.CHOICE: {
        "en": "Accepted: ACCOUNTING, SALES, PURCHASER, PAYER (or Comptable, Commercial, Acheteur, Payeur).",
        "fr": "Valeurs acceptées : Comptable, Commercial, Acheteur, Payeur (ou ACCOUNTING, SALES, "
              "PURCHASER, PAYER).",
    },
    Kind.FLAG: {
        "en": "1 for the client's main contact, 0 or empty otherwise.",
        "fr": "1 pour le contact principal du client, 0 ou vide sinon.",
    },
}


def template_headers(lang: Lang = "en") -> tuple[str, ...]:
    """The template's column headers: every field's canonical label in ``lang``."""
    return tuple(field.label(lang) for field in TEMPLATE_FIELDS)


def template_example(lang: Lang = "en") -> tuple[str | None, ...]:
    """The template's example row, aligned with :func:`template_headers`."""
    position = 0 if lang == "fr" else 1
    # Each field's declared example; reference fields (account manager, dunning plan, parent)
    # have none, so that the row imports into any store.
    return tuple(None if field.spec.example is None else field.spec.example[position]
                 for field in TEMPLATE_FIELDS)


def _column(field: Field, lang: Lang) -> SheetColumn:
    header = field.label(lang)
    kind = field.spec.kind
    if kind is Kind.CHOICE:
        return SheetColumn(header, choices=_POSITIONS[lang], choices_message=_CHOICE_MESSAGES[kind][lang])
    if kind is Kind.FLAG:
        return SheetColumn(header, text=False, choices=("1", "0"),
                           choices_message=_CHOICE_MESSAGES[kind][lang])
    return SheetColumn(header, text=kind not in _NOT_TEXT)


def write_template(destination: Destination, *, format: str | None = None, lang: Lang = "en") -> None:
    """Write an import template to ``destination`` (a path or a binary file object).

    ``format`` is ``"csv"`` or ``"xlsx"``; by default it comes from the file
    name's suffix (it is required for a file object). ``lang`` chooses the
    column labels and the example row (``"en"`` or ``"fr"``); a French CSV is
    ``;``-separated, an English one ``,``-separated, both UTF-8 with a byte
    order mark so that Excel opens them right.

    XLSX needs the optional XlsxWriter package (``pip install
    "upflow-import[xlsx]"``); without it, ``export.xlsx_unavailable`` is raised.
    An unknown suffix or format raises ``export.unsupported_format``.

    >>> import csv, io
    >>> out = io.BytesIO()
    >>> write_template(out, format="csv", lang="fr")
    >>> next(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig")), delimiter=";"))[:3]
    ['Identifiant Client', 'Nom du client', 'Code comptable du client']
    """
    kind = sheet_format(destination, format)
    columns = [_column(field, lang) for field in TEMPLATE_FIELDS]
    write_sheet(destination, columns, [template_example(lang)], format=kind, lang=lang,
                sheet_name="Clients")
