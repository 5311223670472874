"""Phone numbers to E.164 with phonenumbers, plus a fast path for the plainest layouts.

phonenumbers is the authority, but a full parse costs about 50 µs, which is
seconds on a 100k-row file of distinct numbers. Most cells are written in one
of two plain layouts: ``+<country code><number>`` or ``<national
prefix><number>`` with spaces, dots or dashes between digit groups. For those,
:func:`_fast_e164` checks the digits against phonenumbers' own metadata (the
same patterns, in the same order, that ``phonenumbers.is_valid_number`` uses)
with patterns compiled once per region. It only ever answers "valid, and here
is the E.164 form"; anything else (letters, brackets, ``00`` prefixes, regions
sharing a country code, extensions, invalid numbers) goes to phonenumbers
itself. A property test checks that both paths agree.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

import phonenumbers

#: The region used when the row's country is unknown or has no phone plan.
DEFAULT_REGION = "FR"

# Visual separators people put between digit groups (phonenumbers ignores them too);
# the ASCII ones are removed with str.replace, much faster than translate or a regex.
_UNICODE_SEPARATORS = str.maketrans("", "", "\u00a0\u202f\u2009\t")

# The number types phonenumbers tries. A number is valid when any one matches: the most
# common types come first, so that the alternation finds them soonest.
_TYPE_DESCS = ("fixed_line", "mobile", "premium_rate", "toll_free", "shared_cost", "voip",
               "personal_number", "pager", "uan", "voicemail")


def region_for(country: str | None) -> str:
    """The phonenumbers region to read national numbers in: the country when it has a
    phone plan (``"BE"``), else :data:`DEFAULT_REGION`."""
    if country is not None and country in phonenumbers.SUPPORTED_REGIONS:
        return country
    return DEFAULT_REGION


def _desc_matcher(desc: object) -> tuple[str, frozenset[int]] | None:
    pattern = getattr(desc, "national_number_pattern", None)
    if not pattern:
        return None
    return pattern, frozenset(getattr(desc, "possible_length", ()) or ())


class _Region(NamedTuple):
    """What the fast path needs of one region: its country code, and the pattern of each
    layout over the separator-free text, capturing the national significant number."""

    code: str
    #: The length of the national prefix the national pattern starts with.
    prefix_length: int
    #: The digits after ``+`` and the country code (None: that layout needs phonenumbers).
    international: re.Pattern[str]
    #: The digits of a national number, national prefix included.
    national: re.Pattern[str] | None


@functools.cache
def _validator(region: str) -> _Region | None:
    """What the fast path needs of one region, or None when the region needs phonenumbers."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.country_code is None or len(
            phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(metadata.country_code, ())) != 1:
        return None
    general = _desc_matcher(metadata.general_desc)
    if general is None:
        return None
    types = [m for m in (_desc_matcher(getattr(metadata, name, None)) for name in _TYPE_DESCS)
             if m is not None]
    # A number is valid when it matches the general pattern and any one type: per
    # number length (the general pattern's, within E.164's 2 to 17 digits), the general
    # pattern as a lookahead then the types that allow that length as one alternation.
    general_pattern, general_lengths = general
    by_length: list[str] = []
    for length in sorted(general_lengths) or range(2, 18):
        alternatives = [t for t, lengths in types if not lengths or length in lengths]
        if alternatives and 2 <= length <= 17:
            typed = "|".join(f"(?:{a})" for a in alternatives)
            by_length.append(f"(?=[0-9]{{{length}}}\\Z)(?=(?:{general_pattern})\\Z)(?:{typed})")
    if not by_length:
        return None
    nsn = f"(?:{'|'.join(by_length)})"
    code = str(metadata.country_code)

    prefix_for_parsing = metadata.national_prefix_for_parsing
    national_prefix = metadata.national_prefix
    # phonenumbers would try to strip a national prefix written after the country code:
    # a number that starts like one is left to it (a prefix match, as re.match does).
    international = re.compile(f"(?!(?:{prefix_for_parsing}))" + nsn if prefix_for_parsing else nsn)
    # The national layout is only simple when the prefix is a plain string and is
    # stripped as is (no carrier codes, no transform rule); digits that start with the
    # country code or an international prefix are left to phonenumbers.
    national = None
    prefix_length = 0
    if (national_prefix and metadata.national_prefix_transform_rule is None
            and prefix_for_parsing in (None, national_prefix)):
        refusals = f"(?!{code})" + (f"(?!(?:{metadata.international_prefix}))"
                                    if metadata.international_prefix else "")
        national = re.compile(f"{refusals}{re.escape(national_prefix)}{nsn}")
        prefix_length = len(national_prefix)
    return _Region(code, prefix_length, international, national)


# Country codes as the text they are written in, for the international layout.
_CODES = {str(code): regions for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()
          if regions}


def _fast_e164(raw: str, region: str) -> str | None:
    digits = raw.replace(" ", "").replace(".", "").replace("-", "")
    if not digits.isascii():
        digits = digits.translate(_UNICODE_SEPARATORS)
    if digits[:1] != "+":
        if not (digits.isascii() and digits.isdigit()):
            return None
        found = _validator(region)
        if found is None or found.national is None or found.national.fullmatch(digits) is None:
            return None
        return f"+{found.code}{digits[found.prefix_length:]}"
    body = digits[1:]
    if not (body.isascii() and body.isdigit()) or body[:1] == "0":
        return None
    # Country codes are prefix-free: the first of 1, 2, 3 digits that is one is it.
    for size in (1, 2, 3):
        regions = _CODES.get(body[:size])
        if regions is not None:
            break
    else:
        return None
    if len(regions) != 1:
        return None
    found = _validator(regions[0])
    if found is None or found.international.fullmatch(body, size) is None:
        return None
    return f"+{found.code}{body[size:]}"


def _library_e164(raw: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # E.164 has no room for an extension; RFC 3966's ";ext=" keeps it rather than lose it.
    return f"{e164};ext={number.extension}" if number.extension else e164


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """The number in E.164 form (``+33123456789``) when phonenumbers finds it valid, else ``None``.

    National numbers are read in ``region``. An extension is kept as ``;ext=N``.

    >>> to_e164("01 23 45 67 89"), to_e164("+44 20 7946 0958", "FR"), to_e164("01 23")
    ('+33123456789', '+442079460958', None)
    """
    return _fast_e164(raw, region) or _library_e164(raw, region)


def is_possible_phone(raw: str, region: str = DEFAULT_REGION) -> bool:
    """Whether ``raw`` has the length and shape of a phone number of its country, even though
    no such number is allocated (``to_e164`` refused it).

    >>> is_possible_phone("+33 0 12 34 56 78"), is_possible_phone("01 23")
    (True, False)
    """
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(number))
