"""One pure parser per kind of value: raw cell text in, typed value and problems out.

Every parser takes the cell text (never empty: :func:`~upflow_import.parse`
skips empty cells) and returns a :data:`Result`, a ``(value, problems)``
pair. ``value`` is ``None`` when the cell says nothing usable (blank after
trimming, or an error); a warning keeps a value. Problems carry an issue code
of the catalogue and its parameters; the caller adds the location.

The rules, per :class:`~upflow_import.fields.Kind`:

- **text**: surrounding whitespace dropped, inner runs of whitespace
  (non-breaking and zero-width spaces included) become one space; longer than
  the field's maximum (:data:`MAX_LENGTHS`) is ``value.too_long``.
- **identifier**: surrounding whitespace dropped, nothing else changed
  (identifiers are case-sensitive and compared exactly).
- **email**: trimmed and kept as written for display; real syntax checking
  (email-validator, no deliverability check): ``a@``, ``a@b``, ``a b@c.fr``,
  ``a..b@c.fr`` are ``value.invalid_email``. An address with a display name
  (``Jean Dupont <jean@acme.fr>``) or a ``mailto:`` link is read as the
  address, with the warning ``value.email_extracted``.
- **emails** (account managers): several addresses separated by ``,`` or
  ``;``; each is checked (and read out of ``Name <address>`` or ``mailto:``
  as for one email), the value is the tuple of lower-cased addresses.
- **integer** (payment term in days): after trimming, the grammar is
  ``[+-]?[0-9]+(\\.0+)?``: ``30``, ``30.0``, `` 45 `` are read; anything
  else (``30.5``, ``trente``, ``1e3``, ``30 jours``) is
  ``value.invalid_integer``; below 0 or above :data:`MAX_PAYMENT_TERM_DAYS`
  is ``value.out_of_range``.
- **choice** (contact position): ``ACCOUNTING``, ``SALES``, ``PURCHASER``,
  ``PAYER`` or the French words Comptable, Commercial(e), Acheteur/Acheteuse,
  Payeur/Payeuse, in any case, with or without accents; else
  ``value.invalid_choice``.
- **flag** (main contact): see :data:`TRUE_WORDS` and :data:`FALSE_WORDS`;
  else ``value.invalid_flag``.
- **country**: ISO 3166-1 alpha-2 from an alpha-2 or alpha-3 code or an
  English or French name (pycountry); unknown: warning
  ``value.unknown_country``, the text kept.
- **VAT number**: spaces, dots, dashes and slashes removed, upper case; when
  it starts with the code of a country python-stdnum can check and fails that
  country's check, warning ``value.invalid_vat`` (the normalised value is
  kept). A number without a checkable country prefix is kept unchecked.
- **phone**: E.164 when phonenumbers finds it valid, national numbers read in
  the row's country (France when the row has no recognised country); else the
  text is kept with a warning: ``value.phone_not_allocated`` when it has the
  length of a number of its country but no such number is allocated,
  ``value.invalid_phone`` otherwise.
- **postal code**: ``75001.0`` (an Excel float) is read ``75001``; a 4-digit
  code when the row's country is France or not given is a French code that
  lost its leading zero: padded (``1000`` → ``01000``) with the warning
  ``value.postal_code_padded``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping

import attrs
import email_validator
import phonenumbers
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat

from upflow_import._countries import country_code
from upflow_import._phones import (
    DEFAULT_REGION,
    _fast_e164,
    _library_e164,
    is_possible_phone,
    region_for,
    to_e164,
)
from upflow_import._sheets import FORMULA_TRIGGERS
from upflow_import.fields import Field, Kind
from upflow_import.identity import normalize_email
from upflow_import.issues import PHRASES, Issue, code_info
from upflow_import.model import FieldValue, Position

__all__ = [
    "FALSE_WORDS",
    "MAX_LENGTHS",
    "MAX_PAYMENT_TERM_DAYS",
    "POSITION_WORDS",
    "TRUE_WORDS",
    "ColumnParser",
    "Problem",
    "Result",
    "clean_text",
    "is_valid_email",
    "parse_country",
    "parse_email",
    "parse_emails",
    "parse_flag",
    "parse_identifier",
    "parse_integer",
    "parse_phone",
    "parse_position",
    "parse_postal_code",
    "parse_text",
    "parse_vat",
    "parser_for",
    "unmark",
]


@attrs.frozen(slots=True)
class Problem:
    """What is wrong with one value: an issue code and its message parameters.

    ``value`` names the part of the cell at fault when it is not the whole
    cell (one address of several).
    """

    code: str
    params: tuple[tuple[str, object], ...] = ()
    value: str | None = None

    def to_issue(self, row: int | None, column: str | None, field: Field | None, raw: str) -> Issue:
        """The issue for this problem found in cell ``raw`` at ``row``/``column``."""
        return Issue(self.code, code_info(self.code).severity, row, column, field,
                     raw if self.value is None else self.value, self.params)


#: A parser's answer: the typed value (``None``: nothing usable) and its problems.
Result = tuple[FieldValue | None, tuple[Problem, ...]]

#: A column's parser: the cell text and the row's country (alpha-2, or the text
#: as written when unrecognised, or ``None``), which phone numbers and postal codes need.
ColumnParser = Callable[[str, str | None], Result]

_NOTHING: Result = (None, ())

#: A payment term longer than ten years is a typo (a date or an amount in the wrong column).
MAX_PAYMENT_TERM_DAYS = 3650

#: Longest accepted value per field, in characters after trimming (``FieldSpec.max_length``,
#: declared with each field). Fields not listed (numbers, choices, flags) have their own
#: grammar instead.
MAX_LENGTHS: Mapping[Field, int] = {
    field: field.spec.max_length for field in Field if field.spec.max_length is not None
}

# -- text -----------------------------------------------------------------------

# Zero-width characters are not whitespace for Python but are invisible
# separators all the same; treating them as spaces matches normalize_name.
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_EDGE_CHARS = "\u200b\u200c\u200d\u2060\ufeff"


def clean_text(raw: str) -> str:
    """Trim and collapse every run of whitespace (NBSP and zero-width spaces too) to one space.

    >>> clean_text("  ACME\\u00a0\\u00a0Industries \\n")
    'ACME Industries'
    """
    if not raw.isascii():
        raw = _ZERO_WIDTH.sub(" ", raw)
    return " ".join(raw.split())


def unmark(raw: str) -> str:
    """``raw`` without the ``'`` that neutralises a cell starting like a formula.

    Exports (failed rows, templates) write ``'+33 1 23 45 67 89`` for
    ``+33 1 23 45 67 89`` so that no spreadsheet program evaluates the cell;
    Excel itself hides such an apostrophe. Dropping it here lets a
    failed-rows file be imported again as it is. Only an apostrophe before
    one of ``= + - @``, tab or carriage return is dropped: any other is text.

    >>> unmark("'+33 1 23 45 67 89"), unmark("'=1+1"), unmark("l'Atelier"), unmark("'Quoted'")
    ('+33 1 23 45 67 89', '=1+1', "l'Atelier", "'Quoted'")
    """
    if raw[:1] == "'" and raw[1:2] and raw[1:2] in FORMULA_TRIGGERS:
        return raw[1:]
    return raw


def _trim(raw: str) -> str:
    if raw.isascii():  # the edge characters are not ASCII: one strip, as for most cells
        return raw.strip()
    return raw.strip().strip(_EDGE_CHARS).strip()


def _too_long(text: str, maximum: int) -> Result:
    return None, (Problem("value.too_long", (("length", len(text)), ("maximum", maximum))),)


def parse_text(raw: str, maximum: int = 255) -> Result:
    """A one-line text, cleaned by :func:`clean_text`, at most ``maximum`` characters."""
    text = clean_text(raw)
    if not text:
        return _NOTHING
    if len(text) > maximum:
        return _too_long(text, maximum)
    return text, ()


def parse_identifier(raw: str, maximum: int = 255) -> Result:
    """An identifier: trimmed only, case and inner spaces kept."""
    text = _trim(raw)
    if not text:
        return _NOTHING
    if len(text) > maximum:
        return _too_long(text, maximum)
    return text, ()


# -- emails ---------------------------------------------------------------------

# A conservative subset of the addresses email-validator accepts (a property
# test checks the inclusion): plain ASCII local part, hostname labels, an
# alphabetic top-level domain that is not a special-use name. Addresses it
# matches skip the slower library call; every other address is decided by
# email-validator itself. The quantifiers that cannot give anything back (a
# class without "." or "@" before one of them) are possessive: same language,
# less backtracking.
_SPECIAL_USE_TLDS = frozenset(email_validator.SPECIAL_USE_DOMAIN_NAMES)
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_%+'-]++(?:\.[A-Za-z0-9_%+'-]++)*+"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    rf"(?!(?i:{'|'.join(map(re.escape, sorted(_SPECIAL_USE_TLDS)))})\Z)[A-Za-z]{{2,63}}"
)


def _library_accepts(address: str) -> bool:
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


def is_valid_email(address: str) -> bool:
    """Whether ``address`` (already trimmed) is a syntactically valid, deliverable-looking email.

    >>> is_valid_email("jean.dupont@example.com"), is_valid_email("a@b"), is_valid_email("a..b@c.fr")
    (True, False, False)
    """
    # "--" anywhere, not only in the domain where it matters, leaves the rare local part
    # that has one to the library: one substring search instead of splitting the address.
    if (len(address) <= 254 and "--" not in address and _PLAIN_EMAIL.fullmatch(address) is not None
            and address.index("@") <= 64):
        return True
    return _library_accepts(address)


def _invalid_email(piece: str | None = None) -> Problem:
    return Problem("value.invalid_email", value=piece)


def parse_email(raw: str, maximum: int = 254) -> Result:
    """One email address, trimmed and kept as written (identity is :func:`normalize_email`)."""
    address = _trim(raw)
    if not address:
        return _NOTHING
    if len(address) > maximum:
        return _too_long(address, maximum)
    if not is_valid_email(address):
        extracted = _address_in(address)
        if extracted is None:
            return None, (_invalid_email(),)
        return extracted, (Problem("value.email_extracted", (("email", extracted),)),)
    return address, ()


# "Jean Dupont <jean@acme.fr>" as mail programs copy it, and "mailto:jean@acme.fr" as links do.
_NAMED_ADDRESS = re.compile(r"[^<>]{0,200}<\s*([^<>\s]+)\s*>")
_MAILTO = re.compile(r"mailto:\s*([^?\s]+)(?:\?.*)?", re.IGNORECASE)


def _address_in(text: str) -> str | None:
    """The one valid address ``text`` holds with a display name or a ``mailto:`` around it."""
    found = _NAMED_ADDRESS.fullmatch(text) or _MAILTO.fullmatch(text)
    if found is None:
        return None
    address = found.group(1)
    if address[:7].casefold() == "mailto:":
        address = address[7:]
    return address if is_valid_email(address) else None


_EMAIL_SEPARATORS = re.compile(r"[,;]")


def parse_emails(raw: str, maximum: int = 2000) -> Result:
    """Several addresses separated by ``,`` or ``;``: a tuple of lower-cased addresses.

    Each invalid address is its own ``value.invalid_email`` problem naming it.
    """
    text = _trim(raw)
    if not text:
        return _NOTHING
    if len(text) > maximum:
        return _too_long(text, maximum)
    addresses: list[str] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for piece in _EMAIL_SEPARATORS.split(text):
        address = _trim(piece)
        if not address:
            continue
        if not is_valid_email(address):
            extracted = _address_in(address)
            if extracted is None:
                problems.append(_invalid_email(address))
                continue
            warnings.append(Problem("value.email_extracted", (("email", extracted),), value=address))
            address = extracted
        lowered = normalize_email(address)
        if lowered not in addresses:
            addresses.append(lowered)
    if problems:
        return None, tuple(problems)
    return (tuple(addresses) or None), tuple(warnings)


# -- numbers --------------------------------------------------------------------

_INTEGER = re.compile(r"([+-]?)0*([0-9]+)(?:\.0+)?")
# More significant digits than this cannot be within any bound we use; checking
# the length first keeps int() away from 30,000-digit cells.
_MAX_DIGITS = 9


def parse_integer(raw: str, minimum: int = 0, maximum: int = MAX_PAYMENT_TERM_DAYS) -> Result:
    """A whole number such as a payment term in days: ``30``, ``30.0``, ``+45``.

    The accepted grammar, after trimming, is ``[+-]?[0-9]+(\\.0+)?``.
    """
    text = raw.strip()
    if not text:
        return _NOTHING
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        number = int(text)
    else:
        match = _INTEGER.fullmatch(text)
        if match is None:
            return None, (Problem("value.invalid_integer"),)
        sign, digits = match.groups()
        if len(digits) > _MAX_DIGITS:
            return _out_of_range(minimum, maximum)
        number = -int(digits) if sign == "-" else int(digits)
    if number < minimum or number > maximum:
        return _out_of_range(minimum, maximum)
    return number, ()


def _out_of_range(minimum: int, maximum: int) -> Result:
    return None, (Problem("value.out_of_range", (("minimum", minimum), ("maximum", maximum))),)


# -- choices and flags ----------------------------------------------------------


def _fold(text: str) -> str:
    """Case, accents and surrounding space removed: how choice words are compared."""
    text = text.strip().casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


#: Accepted spellings of each position, compared without case or accents.
POSITION_WORDS: Mapping[str, Position] = {
    **{position.value.casefold(): position for position in Position},
    "comptable": Position.ACCOUNTING,
    "commercial": Position.SALES,
    "commerciale": Position.SALES,
    "acheteur": Position.PURCHASER,
    "acheteuse": Position.PURCHASER,
    "payeur": Position.PAYER,
    "payeuse": Position.PAYER,
}


def parse_position(raw: str) -> Result:
    """A contact position: one of the four codes or its French word (see :data:`POSITION_WORDS`)."""
    key = _fold(raw)
    if not key:
        return _NOTHING
    position = POSITION_WORDS.get(key)
    if position is None:
        return None, (Problem("value.invalid_choice", (("choices", PHRASES["positions"]),)),)
    return position, ()


#: Words read as "yes, this is the main contact" (compared without case or accents).
#: ``x`` is the tick people put in a checkbox column; ``1.0`` is an Excel float.
TRUE_WORDS = frozenset({"1", "1.0", "oui", "o", "yes", "y", "true", "vrai", "x"})
#: Words read as "not the main contact"; an empty cell means "not said".
FALSE_WORDS = frozenset({"0", "0.0", "non", "n", "no", "false", "faux"})


def parse_flag(raw: str) -> Result:
    """A yes/no cell: ``True`` for :data:`TRUE_WORDS`, ``False`` for :data:`FALSE_WORDS`,
    ``None`` for a blank cell."""
    key = _fold(raw)
    if key in TRUE_WORDS:
        return True, ()
    if key in FALSE_WORDS:
        return False, ()
    if not key:
        return _NOTHING
    return None, (Problem("value.invalid_flag"),)


# -- country, VAT, phone, postal code ------------------------------------------


def parse_country(raw: str) -> Result:
    """A country as ISO 3166-1 alpha-2; an unknown one is kept as written with a warning."""
    text = clean_text(raw)
    if not text:
        return _NOTHING
    code = country_code(text)
    if code is not None:
        return code, ()
    if len(text) > MAX_LENGTHS[Field.CLIENT_COUNTRY]:
        return _too_long(text, MAX_LENGTHS[Field.CLIENT_COUNTRY])
    return text, (Problem("value.unknown_country"),)


_VAT_NOISE = re.compile(r"[\s.\-/\u200b\ufeff]+")
_EU_PREFIXES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES) | {"EL"}


@functools.cache
def _vat_checker(prefix: str) -> Callable[[str], bool] | None:
    """python-stdnum's check for VAT numbers starting with ``prefix``, if it has one."""
    if prefix in _EU_PREFIXES:
        return eu_vat.is_valid
    if not prefix.isalpha():
        return None
    module = get_cc_module(prefix.lower(), "vat")
    return None if module is None else module.is_valid


def _plain_french_vat_passes(number: str) -> bool:
    """True when ``number`` is ``FR`` + a numeric key + a SIREN that pass both checks.

    French numbers are most of the VAT numbers imported, and python-stdnum's
    generic cleaning makes its check cost ~20 µs. This accelerator mirrors its
    rule for the plain all-digit form only and answers only "valid"; every other
    number, and every failure, is decided by python-stdnum (a property test
    checks the two agree).
    """
    if len(number) != 13 or not number.startswith("FR") or not number.isascii():
        return False
    digits = number[2:]
    if not digits.isdigit() or digits[2:5] == "000":  # Monaco numbers are not SIRENs
        return False
    siren = digits[2:]
    if int(digits[:2]) != int(siren + "12") % 97:
        return False
    # Luhn on the 9 digits: from the right, every second digit doubled (less 9 above 9).
    one, two = _DIGIT, _DOUBLED
    return (one[siren[8]] + two[siren[7]] + one[siren[6]] + two[siren[5]] + one[siren[4]]
            + two[siren[3]] + one[siren[2]] + two[siren[1]] + one[siren[0]]) % 10 == 0


_DIGIT = {str(digit): digit for digit in range(10)}
_DOUBLED = {str(digit): digit * 2 - 9 if digit > 4 else digit * 2 for digit in range(10)}


def parse_vat(raw: str, maximum: int = 64) -> Result:
    """A VAT number, normalised (no spaces, dots, dashes or slashes; upper case) and checked
    with python-stdnum when it starts with a country code python-stdnum knows."""
    number = raw.replace(" ", "").upper()
    if not (number.isalnum() and number.isascii()):  # noise other than spaces (or nothing left)
        number = _VAT_NOISE.sub("", raw).upper()
    if not number:
        return _NOTHING
    if len(number) > maximum:
        return _too_long(number, maximum)
    if _plain_french_vat_passes(number):
        return number, ()
    checker = _vat_checker(number[:2])
    if checker is not None and not checker(number):
        return number, (Problem("value.invalid_vat", (("normalised", number),)),)
    return number, ()


def parse_phone(raw: str, country: str | None = None, maximum: int = 64) -> Result:
    """A phone number in E.164 when it is valid, national numbers read in ``country``
    (alpha-2; France when ``None`` or unknown); otherwise kept as written, with a warning."""
    text = clean_text(raw)
    if not text:
        return _NOTHING
    if len(text) > maximum:
        return _too_long(text, maximum)
    region = region_for(country)
    e164 = to_e164(text, region)
    if e164 is None:
        return text, (_phone_problem(text, region),)
    return e164, ()


def _phone_problem(text: str, region: str) -> Problem:
    # A number of the right shape that no operator was given is not the same mistake as text
    # that is no phone number at all: the user checks the digits, not the format.
    return Problem("value.phone_not_allocated" if is_possible_phone(text, region) else "value.invalid_phone")


_EXCEL_WHOLE_FLOAT = re.compile(r"([0-9]+)\.0+")


def parse_postal_code(raw: str, country: str | None = None, maximum: int = 32) -> Result:
    """A postal code as text; Excel's ``75001.0`` read ``75001``; a French code that lost its
    leading zero (4 digits, ``country`` ``"FR"`` or ``None``) padded with a warning."""
    text = clean_text(raw)
    if not text:
        return _NOTHING
    if len(text) > maximum:
        return _too_long(text, maximum)
    if "." in text:
        whole = _EXCEL_WHOLE_FLOAT.fullmatch(text)
        if whole is not None:
            text = whole.group(1)
    if len(text) == 4 and text.isascii() and text.isdigit() and country in (None, "FR"):
        padded = "0" + text
        return padded, (Problem("value.postal_code_padded", (("padded", padded),)),)
    return text, ()


# -- per-field parsers ----------------------------------------------------------


def _text(maximum: int) -> ColumnParser:
    # clean_text inlined: this runs for most cells of a file.
    def parse(raw: str, country: str | None) -> Result:
        text = " ".join((raw if raw.isascii() else _ZERO_WIDTH.sub(" ", raw)).split())
        if not text:
            return _NOTHING
        if len(text) > maximum:
            return _too_long(text, maximum)
        # The cell itself when cleaning changed nothing: the row keeps its cells for the
        # failed-rows export, so the value then costs no second copy of the text.
        return (raw if text == raw else text), ()

    return parse


def _identifier(maximum: int) -> ColumnParser:
    # parse_identifier inlined: identifiers are mostly distinct. An ASCII cell has no
    # zero-width character for _trim to remove.
    def parse(raw: str, country: str | None) -> Result:
        text = raw.strip() if raw.isascii() else _trim(raw)
        if not text:
            return _NOTHING
        if len(text) > maximum:
            return _too_long(text, maximum)
        return text, ()

    return parse


def _email(maximum: int) -> ColumnParser:
    # parse_email's usual answer inlined (an ASCII cell, trimmed, that the plain pattern of
    # is_valid_email accepts); any other cell goes to parse_email itself.
    def parse(raw: str, country: str | None) -> Result:
        if raw.isascii():
            address = raw.strip()
            if (address and len(address) <= maximum and len(address) <= 254 and "--" not in address
                    and _PLAIN_EMAIL.fullmatch(address) is not None and address.index("@") <= 64):
                return address, ()
        return parse_email(raw, maximum)

    return parse


def _emails(maximum: int) -> ColumnParser:
    def parse(raw: str, country: str | None) -> Result:
        return parse_emails(raw, maximum)

    return parse


def _vat(maximum: int) -> ColumnParser:
    def parse(raw: str, country: str | None) -> Result:
        return parse_vat(raw, maximum)

    return parse


def _phone(maximum: int) -> ColumnParser:
    supported = phonenumbers.SUPPORTED_REGIONS

    # parse_phone inlined (clean_text, region_for, to_e164): a file's phones are mostly distinct.
    def parse(raw: str, country: str | None) -> Result:
        region = country if country in supported else DEFAULT_REGION
        # The fast path reads the cell itself: it only answers for digits, "+" and the
        # separators it drops (whitespace among them), so cleaning the cell first could not
        # change its answer; a cell within the maximum is clean text within it too.
        if len(raw) <= maximum:
            e164 = _fast_e164(raw, region)
            if e164 is not None:
                return e164, ()
        text = " ".join((raw if raw.isascii() else _ZERO_WIDTH.sub(" ", raw)).split())
        if not text:
            return _NOTHING
        if len(text) > maximum:
            return _too_long(text, maximum)
        e164 = _fast_e164(text, region) or _library_e164(text, region)
        if e164 is None:
            return text, (_phone_problem(text, region),)
        return e164, ()

    return parse


def _postal_code(maximum: int) -> ColumnParser:
    def parse(raw: str, country: str | None) -> Result:
        return parse_postal_code(raw, country, maximum)

    return parse


def _integer(raw: str, country: str | None) -> Result:
    return parse_integer(raw)


def _position(raw: str, country: str | None) -> Result:
    return parse_position(raw)


def _flag(raw: str, country: str | None) -> Result:
    return parse_flag(raw)


def _country(raw: str, country: str | None) -> Result:
    return parse_country(raw)


_BY_KIND: Mapping[Kind, Callable[[int], ColumnParser]] = {
    Kind.TEXT: _text,
    Kind.IDENTIFIER: _identifier,
    Kind.EMAIL: _email,
    Kind.EMAILS: _emails,
    Kind.INTEGER: lambda maximum: _integer,
    Kind.CHOICE: lambda maximum: _position,
    Kind.FLAG: lambda maximum: _flag,
    Kind.COUNTRY: lambda maximum: _country,
    Kind.VAT: _vat,
    Kind.PHONE: _phone,
    Kind.POSTAL_CODE: _postal_code,
}


def parser_for(field: Field) -> ColumnParser:
    """The parser of ``field``'s cells, chosen once per column by :func:`~upflow_import.parse`:
    it takes the cell text and the row's country (which phones and postal codes depend on)."""
    return _BY_KIND[field.spec.kind](MAX_LENGTHS.get(field, 255))
