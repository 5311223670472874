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
from collections.abc import Callable

import phonenumbers

#: The region used when the row's country is unknown or has no phone plan.
DEFAULT_REGION = "FR"

# Visual separators people put between digit groups (phonenumbers ignores them too);
# the ASCII ones are removed with str.replace, much faster than translate or a regex.
_UNICODE_SEPARATORS = str.maketrans("", "", "\u00a0\u202f\u2009\t")

# The number types phonenumbers tries, in the order it tries them.
_TYPE_DESCS = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
               "uan", "voicemail", "fixed_line", "mobile")


def region_for(country: str | None) -> str:
    """The phonenumbers region to read national numbers in: the country when it has a
    phone plan (``"BE"``), else :data:`DEFAULT_REGION`."""
    if country is not None and country in phonenumbers.SUPPORTED_REGIONS:
        return country
    return DEFAULT_REGION


_Matcher = Callable[[str], bool]


def _desc_matcher(desc: object) -> tuple[re.Pattern[str], frozenset[int]] | None:
    pattern = getattr(desc, "national_number_pattern", None)
    if not pattern:
        return None
    return re.compile(pattern), frozenset(getattr(desc, "possible_length", ()) or ())


@functools.cache
def _validator(region: str) -> tuple[str, _Matcher, re.Pattern[str] | None, re.Pattern[str] | None,
                                     str | None] | None:
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
    # number length, one pattern (the general one as a lookahead, then the types
    # that allow that length as one alternation), compiled once.
    general_pattern, general_lengths = general
    by_length: dict[int, re.Pattern[str]] = {}
    for length in general_lengths or range(2, 18):
        alternatives = [t.pattern for t, lengths in types if not lengths or length in lengths]
        if alternatives:
            typed = "|".join(f"(?:{a})" for a in alternatives)
            by_length[length] = re.compile(f"(?=(?:{general_pattern.pattern})\\Z)(?:{typed})")

    def valid(nsn: str) -> bool:
        pattern = by_length.get(len(nsn))
        return pattern is not None and pattern.fullmatch(nsn) is not None

    prefix_for_parsing = metadata.national_prefix_for_parsing
    national_prefix = metadata.national_prefix
    # The national layout is only simple when the prefix is a plain string and is
    # stripped as is (no carrier codes, no transform rule).
    simple_national = (
        national_prefix
        if national_prefix and metadata.national_prefix_transform_rule is None
        and prefix_for_parsing in (None, national_prefix)
        else None
    )
    strip_pattern = re.compile(prefix_for_parsing) if prefix_for_parsing else None
    international = re.compile(metadata.international_prefix) if metadata.international_prefix else None
    return str(metadata.country_code), valid, strip_pattern, international, simple_national


def _fast_e164(raw: str, region: str) -> str | None:
    digits = raw.replace(" ", "").replace(".", "").replace("-", "")
    if not digits.isascii():
        digits = digits.translate(_UNICODE_SEPARATORS)
    if digits.startswith("+"):
        body = digits[1:]
        if not (body.isascii() and body.isdigit()) or body.startswith("0"):
            return None
        for size in (1, 2, 3):
            regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(body[:size]))
            if regions:
                break
        else:
            return None
        if len(regions) != 1:
            return None
        found = _validator(regions[0])
        if found is None:
            return None
        code, valid, strip_pattern, _, _ = found
        nsn = body[size:]
        # phonenumbers would try to strip a national prefix written after the country code.
        if strip_pattern is not None and strip_pattern.match(nsn):
            return None
        return f"+{code}{nsn}" if 2 <= len(nsn) <= 17 and valid(nsn) else None
    if not (digits.isascii() and digits.isdigit()):
        return None
    found = _validator(region)
    if found is None:
        return None
    code, valid, _, international, national_prefix = found
    if (national_prefix is None or not digits.startswith(national_prefix)
            or digits.startswith(code)
            or (international is not None and international.match(digits))):
        return None
    nsn = digits[len(national_prefix):]
    return f"+{code}{nsn}" if 2 <= len(nsn) <= 17 and valid(nsn) else None


@functools.lru_cache(maxsize=16384)
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
