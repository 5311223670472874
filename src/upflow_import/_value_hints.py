"""What a column's first values suggest about it, for the auto-mapper.

Pure predicates over one cell's text and :func:`share`, the proportion of a
sample that passes one. The mapper reads only its bounded sample of rows
(:data:`upflow_import._matching.SAMPLE_ROWS`); nothing here parses a value
for import, it only breaks ties between readings of a header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

__all__ = ["is_civility", "is_code", "is_flag", "is_ledger_account", "is_vat_number", "is_whole_number",
           "looks_like_emails", "names_a_company", "share"]

_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")
_SPLIT_EMAILS = re.compile(r"[,;]")
# A French customer ledger account (411…), as exports write it in an "account
# number" column: 411, 4110001, 411ACME, C411…
_LEDGER_ACCOUNT = re.compile(r"C?411[0-9A-Z_.-]*")
# An EU VAT number: a country prefix and 8 to 12 letters or digits (spaces
# and dots removed); Belgian and other exports often omit the prefix, so ten
# digits pass too.
_VAT = re.compile(r"(?:[A-Z]{2}[0-9A-Z]{8,12}|[0-9]{9,12})")
_SEPARATORS = re.compile(r"[\s.\-]")
_CIVILITIES = frozenset(re.split(r"\s+", "m mr mrs ms miss mme mlle mmes mm dr me pr sir madame monsieur "
                                           "mademoiselle docteur maitre"))
# Legal forms that end a company's name ("Tech Solutions SA", "Acme Ltd").
_LEGAL_FORMS = frozenset(re.split(r"\s+", "sa sas sasu sarl eurl sci scop snc srl sprl bv nv gmbh ag kg ltd "
                                            "limited llc llp plc inc corp corporation co spa sl"))
_WORD = re.compile(r"[^\W\d_]+\.?")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,4}(?:[.,]0+)?")
_FLAGS = frozenset(re.split(r"\s+", "0 1 x oui non yes no y n o true false vrai faux"))
# A code: one word of capitals, digits and separators, with at least one digit.
_CODE = re.compile(r"(?=[^ ]*[0-9])[0-9A-Z_./-]{2,}")


def share(values: Sequence[str], predicate: Callable[[str], bool]) -> float:
    """The proportion of ``values`` that pass ``predicate`` (0.0 for no values)."""
    if not values:
        return 0.0
    return sum(1 for value in values if predicate(value)) / len(values)


def looks_like_emails(value: str) -> bool:
    """One email address, or several separated by commas or semicolons."""
    if "@" not in value:
        return False
    parts = [part.strip() for part in _SPLIT_EMAILS.split(value)]
    return all(_EMAIL.fullmatch(part) for part in parts if part) and any(parts)


def is_ledger_account(value: str) -> bool:
    """A customer account of the French chart of accounts (411…)."""
    return _LEDGER_ACCOUNT.fullmatch(_SEPARATORS.sub("", value).upper()) is not None


def is_vat_number(value: str) -> bool:
    """Shaped like a VAT number (not checked: the value parser does that)."""
    return _VAT.fullmatch(_SEPARATORS.sub("", value).upper()) is not None


def is_civility(value: str) -> bool:
    """A civility such as ``Mr``, ``Mme`` or ``M.``, not a job title."""
    return value.strip().rstrip(".").casefold() in _CIVILITIES


def names_a_company(value: str) -> bool:
    """A name ending with a legal form (``Boulangerie Dupont SRL``)."""
    words = _WORD.findall(value)
    return len(words) >= 2 and words[-1].rstrip(".").casefold() in _LEGAL_FORMS


def is_whole_number(value: str) -> bool:
    """A small whole number such as ``30`` or ``30.0`` (a number of days)."""
    return _WHOLE_NUMBER.fullmatch(value.strip()) is not None


def is_flag(value: str) -> bool:
    """A yes/no cell: ``1``, ``0``, ``x``, ``oui``, ``no``, ``true``…"""
    return value.strip().casefold() in _FLAGS


def is_code(value: str) -> bool:
    """A code such as ``CLI0001`` or ``C-17`` rather than a name."""
    return _CODE.fullmatch(value.strip()) is not None
