"""The value rules, one table of valid / invalid / edge inputs per kind of value."""

from __future__ import annotations

import re
import unicodedata

import email_validator
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import tva

from upflow_import import Field, Position
from upflow_import._phones import _fast_e164, _library_e164
from upflow_import.values import (
    FALSE_WORDS,
    MAX_PAYMENT_TERM_DAYS,
    TRUE_WORDS,
    Problem,
    _plain_french_vat_passes,
    clean_text,
    is_valid_email,
    parse_country,
    parse_email,
    parse_emails,
    parse_flag,
    parse_identifier,
    parse_integer,
    parse_phone,
    parse_position,
    parse_postal_code,
    parse_text,
    parse_vat,
    parser_for,
)


def codes(result: tuple[object, tuple[object, ...]]) -> list[str]:
    return [problem.code for problem in result[1]]  # type: ignore[attr-defined]


# -- text -----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("Acme", "Acme"),
    ("  Acme  ", "Acme"),
    ("ACME\u00a0\u00a0Industries", "ACME Industries"),
    ("Acme\u202fSAS\n", "Acme SAS"),
    ("\u200bAcme\u200b", "Acme"),
    ("Dupont\t&  fils", "Dupont & fils"),
    ("   ", None),
    ("\u00a0", None),
])
def test_text_is_trimmed_and_inner_whitespace_collapsed(raw: str, expected: str | None) -> None:
    assert parse_text(raw) == (expected, ())


def test_text_longer_than_the_field_maximum_is_too_long() -> None:
    value, problems = parse_text("x" * 256, 255)
    assert value is None
    assert [(p.code, dict(p.params)) for p in problems] == [
        ("value.too_long", {"length": 256, "maximum": 255})]
    assert parse_text("x" * 255, 255) == ("x" * 255, ())
    # The bound applies to the cleaned text: padding does not count.
    assert parse_text("  " + "x" * 255 + "  ", 255)[0] == "x" * 255


def test_each_field_gets_its_own_length_bound() -> None:
    address = "12 rue de la Paix " * 40  # 720 characters: fine for an address, not for a name
    assert parser_for(Field.CLIENT_ADDRESS)(address, None)[1] == ()
    assert codes(parser_for(Field.CLIENT_NAME)(address, None)) == ["value.too_long"]


def test_identifiers_keep_case_and_inner_spaces() -> None:
    assert parse_identifier("  C 001a ") == ("C 001a", ())
    assert parse_identifier("\u200bC001\u00a0") == ("C001", ())
    assert parse_identifier(" ") == (None, ())


def test_clean_text_matches_identity_normalisation() -> None:
    from upflow_import import normalize_name
    for raw in ["Ac\u200bme  SA", " ACME\u00a0Industries", "a\tb\nc"]:
        assert normalize_name(clean_text(raw)) == normalize_name(raw)


# -- emails ---------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "jean.dupont@example.com",
    "Jean.Dupont@Example.FR",
    "jean+factures@acme.co.uk",
    "o'brien@acme.ie",
    "x@a.b",  # a one-letter top-level domain is syntactically fine
    "jean@café.fr",
    "jean@xn--caf-dma.fr",
])
def test_valid_emails(raw: str) -> None:
    assert parse_email(f"  {raw} ") == (raw, ())


@pytest.mark.parametrize("raw", [
    "a@", "@acme.fr", "a@b", "a b@c.fr", "a..b@c.fr", "a@c..fr", ".a@c.fr", "a.@c.fr",
    "a@-c.fr", "a@c-.fr", "jean@acme", "jean@@acme.fr", "jean@acme.fr.", "jean@localhost",
    "jean@acme.local", "jean@acme.test", "jean@acme.123", "jean dupont", "jean@acme_fr.com",
])
def test_invalid_emails(raw: str) -> None:
    assert parse_email(raw) == (None, (parse_email(raw)[1][0],))
    assert codes(parse_email(raw)) == ["value.invalid_email"]


def test_email_is_kept_as_written_and_too_long_is_reported() -> None:
    assert parse_email(" Jean@ACME.fr\u00a0")[0] == "Jean@ACME.fr"
    assert codes(parse_email("j" * 250 + "@acme.fr")) == ["value.too_long"]


def test_several_account_manager_emails() -> None:
    assert parse_emails("Anne@Upflow.io; bob@upflow.io,anne@upflow.io ;") == (
        ("anne@upflow.io", "bob@upflow.io"), ())
    value, problems = parse_emails("anne@upflow.io; bob@; c d@upflow.io")
    assert value is None
    assert [(p.code, p.value) for p in problems] == [
        ("value.invalid_email", "bob@"), ("value.invalid_email", "c d@upflow.io")]
    assert parse_emails(" ; , ") == (None, ())


_ATOM = st.text(alphabet="abcXYZ019_%+'-", min_size=1, max_size=8)
_LABEL = st.text(alphabet="abcXYZ019-", min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
def _email_validator_accepts(address: str) -> bool:
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


@given(st.one_of(
    st.emails(),
    st.builds(lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
              st.lists(_ATOM, min_size=1, max_size=3).map(".".join),
              st.lists(_LABEL, min_size=1, max_size=3),
              st.sampled_from(["fr", "com", "local", "test", "c0m", "a"])),
    st.text(max_size=30),
))
def test_email_fast_path_never_accepts_what_email_validator_rejects(address: str) -> None:
    assert is_valid_email(address) == _email_validator_accepts(address)


# -- payment term ---------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("30", 30), ("30.0", 30), (" 45 ", 45), ("0", 0), ("+60", 60), ("030", 30), ("-0", 0),
    ("90.000", 90), (str(MAX_PAYMENT_TERM_DAYS), MAX_PAYMENT_TERM_DAYS), ("\u00a015\u00a0", 15),
])
def test_whole_numbers_of_days(raw: str, expected: int) -> None:
    assert parse_integer(raw) == (expected, ())


@pytest.mark.parametrize("raw", [
    "30.5", "trente", "1e3x", "1e3", "30 jours", "30,0", "3 0", "0x1e", "٣٠", "３０", "30.", ".5", "--5",
])
def test_not_whole_numbers(raw: str) -> None:
    assert codes(parse_integer(raw)) == ["value.invalid_integer"]
    assert parse_integer(raw)[0] is None


@pytest.mark.parametrize("raw", ["-5", str(MAX_PAYMENT_TERM_DAYS + 1), "9" * 5000, "-" + "9" * 40])
def test_out_of_range_days(raw: str) -> None:
    value, problems = parse_integer(raw)
    assert value is None
    assert [(p.code, dict(p.params)) for p in problems] == [
        ("value.out_of_range", {"minimum": 0, "maximum": MAX_PAYMENT_TERM_DAYS})]


_INTEGER_GRAMMAR = re.compile(r"[+-]?[0-9]+(\.0+)?")


@given(st.one_of(
    st.text(alphabet="0123456789+-.e ,\u00a0", max_size=8),
    st.from_regex(_INTEGER_GRAMMAR, fullmatch=True),
    st.text(max_size=6),
))
def test_integer_parser_accepts_exactly_its_grammar(raw: str) -> None:
    value, problems = parse_integer(raw)
    text = raw.strip()
    if not text:
        assert (value, problems) == (None, ())
    elif _INTEGER_GRAMMAR.fullmatch(text):
        number = int(float(text)) if len(text) < 300 else None
        if number is not None and 0 <= number <= MAX_PAYMENT_TERM_DAYS:
            assert (value, problems) == (number, ())
        else:
            assert codes((value, problems)) == ["value.out_of_range"]
    else:
        assert codes((value, problems)) == ["value.invalid_integer"]


# -- position and main flag -------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("ACCOUNTING", Position.ACCOUNTING), ("accounting", Position.ACCOUNTING),
    ("Comptable", Position.ACCOUNTING), (" COMPTABLE ", Position.ACCOUNTING),
    ("SALES", Position.SALES), ("Commercial", Position.SALES), ("commerciale", Position.SALES),
    ("PURCHASER", Position.PURCHASER), ("Acheteur", Position.PURCHASER),
    ("Acheteuse", Position.PURCHASER), ("PAYER", Position.PAYER), ("Payeur", Position.PAYER),
    ("Payéur", Position.PAYER), ("payeuse", Position.PAYER),
])
def test_positions_in_english_codes_and_french_words(raw: str, expected: Position) -> None:
    assert parse_position(raw) == (expected, ())


@pytest.mark.parametrize("raw", ["Manager", "compta", "DAF", "ACCOUNTANT", "sale"])
def test_unknown_position_names_the_accepted_values_in_both_languages(raw: str) -> None:
    from upflow_import import Issue
    value, problems = parse_position(raw)
    assert value is None and codes((value, problems)) == ["value.invalid_choice"]
    issue = problems[0].to_issue(5, "Poste", "contact.position", raw)
    assert "ACCOUNTING, SALES, PURCHASER or PAYER" in issue.message_in("en")
    assert "Comptable (ACCOUNTING)" in issue.message_in("fr")
    assert "Contact position" in issue.message_in("en")
    assert "Poste du contact" in issue.message_in("fr")
    assert isinstance(issue, Issue)


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", True), ("1.0", True), ("oui", True), ("OUI", True), ("Yes", True), ("y", True),
    ("true", True), ("VRAI", True), ("x", True), ("X", True), ("o", True),
    ("0", False), ("0.0", False), ("non", False), ("No", False), ("n", False), ("false", False),
    ("Faux", False), ("", None), ("  ", None),
])
def test_main_contact_flags(raw: str, expected: bool | None) -> None:
    assert parse_flag(raw) == (expected, ())


@pytest.mark.parametrize("raw", ["peut-être", "2", "-1", "principal", "ok", "si", "yes!"])
def test_not_flags(raw: str) -> None:
    assert codes(parse_flag(raw)) == ["value.invalid_flag"]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@given(st.one_of(
    st.sampled_from(sorted(TRUE_WORDS | FALSE_WORDS)).flatmap(
        lambda word: st.sampled_from([word, word.upper(), f" {word.title()} ", f"\u00a0{word}"])),
    st.text(max_size=6),
))
def test_flag_parser_accepts_exactly_its_words(raw: str) -> None:
    value, problems = parse_flag(raw)
    key = _fold(raw)
    if key in TRUE_WORDS:
        assert (value, problems) == (True, ())
    elif key in FALSE_WORDS:
        assert (value, problems) == (False, ())
    elif not key:
        assert (value, problems) == (None, ())
    else:
        assert codes((value, problems)) == ["value.invalid_flag"]


# -- country --------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("France", "FR"), ("FRANCE", "FR"), ("fr", "FR"), ("FRA", "FR"), (" france ", "FR"),
    ("Allemagne", "DE"), ("Germany", "DE"), ("DEU", "DE"), ("Royaume-Uni", "GB"),
    ("United Kingdom", "GB"), ("UK", "GB"), ("Angleterre", "GB"), ("États-Unis", "US"),
    ("Etats Unis", "US"), ("USA", "US"), ("Belgique", "BE"), ("Suisse", "CH"),
    ("Pays-Bas", "NL"), ("Espagne", "ES"), ("Côte d'Ivoire", "CI"), ("Cote d’Ivoire", "CI"),
    ("Corée du Sud", "KR"), ("Russie", "RU"), ("La Réunion", "RE"), ("Tchéquie", "CZ"),
    ("Vietnam", "VN"), ("Turquie", "TR"), ("Turkey", "TR"),
])
def test_countries_from_names_and_codes(raw: str, expected: str) -> None:
    assert parse_country(raw) == (expected, ())


@pytest.mark.parametrize("raw", ["Frence", "Paris", "XX", "Europe", "Congo-Paris"])
def test_unknown_country_is_kept_with_a_warning(raw: str) -> None:
    assert parse_country(raw)[0] == raw
    assert codes(parse_country(raw)) == ["value.unknown_country"]


# -- VAT ------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("FR40303265045", "FR40303265045"),
    ("fr 40 303 265 045", "FR40303265045"),
    ("FR40.303.265.045", "FR40303265045"),
    ("FR-40-303-265-045", "FR40303265045"),
    ("BE 0403.170.701", "BE0403170701"),
    ("DE 136 695 976", "DE136695976"),
    ("GB 980 7806 84", "GB980780684"),
    ("CHE-116.281.710 MWST", "CHE116281710MWST"),
    ("12345", "12345"),  # no country prefix: nothing to check it against
])
def test_vat_numbers_are_normalised(raw: str, expected: str) -> None:
    assert parse_vat(raw) == (expected, ())


@pytest.mark.parametrize(("raw", "normalised"), [
    ("FR 41 303 265 045", "FR41303265045"),
    ("FR00000000001", "FR00000000001"),
    ("BE0403170702", "BE0403170702"),
    ("FR4030326504", "FR4030326504"),
])
def test_vat_numbers_failing_their_check_keep_the_normalised_value(raw: str, normalised: str) -> None:
    value, problems = parse_vat(raw)
    assert value == normalised
    assert [(p.code, dict(p.params)) for p in problems] == [
        ("value.invalid_vat", {"normalised": normalised})]


@given(st.from_regex(r"FR[0-9]{11}", fullmatch=True) | st.builds(
    lambda siren, key: f"FR{key:02d}{siren}",
    st.from_regex(r"[0-9]{9}", fullmatch=True), st.integers(0, 99)))
def test_french_vat_fast_path_agrees_with_stdnum(number: str) -> None:
    if _plain_french_vat_passes(number):
        assert tva.is_valid(number)
    assert (parse_vat(number)[1] == ()) == tva.is_valid(number)


# -- phone ----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "country", "expected"), [
    ("01 23 45 67 89", None, "+33123456789"),
    ("06.12.34.56.78", "FR", "+33612345678"),
    ("06-12-34-56-78", "FR", "+33612345678"),
    ("+33 6 12 34 56 78", "BE", "+33612345678"),
    ("0033 6 12 34 56 78", "FR", "+33612345678"),
    ("+33 (0)1 23 45 67 89", "FR", "+33123456789"),
    ("02 511 45 67", "BE", "+3225114567"),
    ("0470 12 34 56", "BE", "+32470123456"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("(212) 555-0123", "US", "+12125550123"),
    ("01 23 45 67 89", "Frence", "+33123456789"),  # unknown country: read as French
    ("+33 1 23 45 67 89 ext. 12", "FR", "+33123456789;ext=12"),
])
def test_phones_become_e164(raw: str, country: str | None, expected: str) -> None:
    assert parse_phone(raw, country) == (expected, ())


@pytest.mark.parametrize(("raw", "country"), [
    ("01 23", "FR"), ("0612", None), ("n/a", "FR"), ("+33 12", None),
])
def test_unreadable_phones_are_kept_with_a_warning(raw: str, country: str | None) -> None:
    assert parse_phone(raw, country)[0] == raw
    assert codes(parse_phone(raw, country)) == ["value.invalid_phone"]


@pytest.mark.parametrize(("raw", "country"), [
    # The length of a number of the country, but a range no operator was given.
    ("+33 0 12 34 56 78", None), ("00 00 00 00 00", "FR"), ("06 12 34 56 78", "BE"),
])
def test_phones_of_the_right_shape_but_not_allocated_say_so(raw: str, country: str | None) -> None:
    assert parse_phone(raw, country)[0] == raw
    assert codes(parse_phone(raw, country)) == ["value.phone_not_allocated"]
    assert parser_for(Field.CONTACT_PHONE)(raw, country) == parse_phone(raw, country)


_REGIONS = ["FR", "BE", "CH", "DE", "GB", "IT", "ES", "LU", "MC", "RE", "NL", "US", "AR", "BR"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_REGIONS), st.sampled_from(["", "0", "00", "+33", "+32", "+44", "+49", "+1",
                                                     "+262", "+39", "+377", "+54"]),
       st.from_regex(r"[1-9][0-9]{3,11}", fullmatch=True), st.sampled_from(["", " ", ".", "-"]))
def test_phone_fast_path_agrees_with_phonenumbers(region: str, prefix: str, digits: str,
                                                  separator: str) -> None:
    raw = prefix + separator.join(digits[i:i + 2] for i in range(0, len(digits), 2))
    fast = _fast_e164(raw, region)
    if fast is not None:
        number = phonenumbers.parse(raw, region)
        assert phonenumbers.is_valid_number(number)
        assert fast == _library_e164(raw, region)


# -- postal code ----------------------------------------------------------------

@pytest.mark.parametrize(("raw", "country", "expected"), [
    ("75001", "FR", "75001"),
    ("75001.0", "FR", "75001"),
    (" 69002 ", None, "69002"),
    ("1000", "BE", "1000"),  # Belgian codes have 4 digits
    ("1000.0", "BE", "1000"),
    ("SW1A 1AA", "GB", "SW1A 1AA"),
    ("20121", "Frence", "20121"),
    ("1000", "Frence", "1000"),  # an unrecognised country may not be France
])
def test_postal_codes(raw: str, country: str | None, expected: str) -> None:
    assert parse_postal_code(raw, country) == (expected, ())


@pytest.mark.parametrize(("raw", "country"), [("1000", "FR"), ("1000", None), ("1000.0", "FR")])
def test_french_postal_code_that_lost_its_leading_zero_is_padded(raw: str, country: str | None) -> None:
    value, problems = parse_postal_code(raw, country)
    assert value == "01000"
    assert [(p.code, dict(p.params)) for p in problems] == [
        ("value.postal_code_padded", {"padded": "01000"})]


# -- inlined column parsers -------------------------------------------------------

_PHONE_TEXT = st.one_of(
    st.builds(lambda prefix, digits, separator: prefix + separator.join(
        digits[i:i + 2] for i in range(0, len(digits), 2)),
        st.sampled_from(["", "0", "00", "+33", "+32", "+41", "+49", "+1", "+262", "+377", "'+33"]),
        st.from_regex(r"[0-9]{2,12}", fullmatch=True),
        st.sampled_from(["", " ", ".", "-", "\u00a0", "  ", "\t", " \t", "\u202f", "\u2009", "\n", "\x1f"])),
    st.text(alphabet="0123456789+-. ()x\u00a0\u200b'", max_size=20),
    st.text(max_size=20),
    # Around the maximum length, where the cell and its cleaned text may fall either side of it.
    st.builds(lambda pad, digits, end: pad + digits + end, st.text(" \t\u00a0", max_size=6),
              st.sampled_from(["+33 1 42 00 00 00", "01 42 00 00 00", "0" * 62, "+" + "1" * 62]),
              st.text(" \t\u00a0", max_size=60)),
)


@settings(max_examples=300, deadline=None)
@given(_PHONE_TEXT.filter(bool), st.sampled_from([None, "FR", "BE", "CH", "DE", "GB", "US", "Frence", "RE"]))
def test_the_phone_column_parser_is_parse_phone(raw: str, country: str | None) -> None:
    assert parser_for(Field.CONTACT_PHONE)(raw, country) == parse_phone(raw, country)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.emails(), st.text(max_size=30), st.builds(
    lambda pad, address, end: pad + address + end,
    st.sampled_from(["", " ", "\u200b", "\u00a0", "\t"]), st.emails(),
    st.sampled_from(["", " ", "\ufeff", "\u00a0 "]))).filter(bool))
def test_the_email_column_parser_is_parse_email(raw: str) -> None:
    assert parser_for(Field.CONTACT_EMAIL)(raw, None) == parse_email(raw)


@pytest.mark.parametrize(("raw", "region", "expected"), [
    ("01 42 00 00 00", "FR", "+33142000000"),
    ("06.44.00.79.19", "FR", "+33644007919"),
    ("+33 1 42 00 00 00", "FR", "+33142000000"),
    ("+33 6 44 00 79 19", "BE", "+33644007919"),
    ("0470 12 34 56", "BE", "+32470123456"),
    ("+32 2 511 45 67", "FR", "+3225114567"),
])
def test_the_phone_fast_path_answers_the_plain_layouts(raw: str, region: str, expected: str) -> None:
    # Not a behaviour (phonenumbers would give the same answer) but the reason the fast path exists.
    assert _fast_e164(raw, region) == expected == _library_e164(raw, region)


@settings(max_examples=300, deadline=None)
@given(st.builds(lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
                 st.lists(st.text(alphabet="aZ09_%+'-", min_size=1, max_size=66), min_size=1, max_size=3)
                 .map(".".join),
                 st.lists(st.text(alphabet="aZ09-", min_size=1, max_size=64), min_size=1, max_size=3),
                 st.sampled_from(["fr", "COM", "Local", "TEST", "onion", "Arpa", "localhost", "invalidx",
                                  "tests", "c0m", "a", "x" * 64])))
def test_email_fast_path_agrees_with_email_validator_near_its_limits(address: str) -> None:
    # Double dashes, special-use names in any case, labels and local parts around 63/64
    # characters: where the fast path's pattern and its extra checks decide.
    assert is_valid_email(address) == _email_validator_accepts(address)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.builds(
    lambda pad, text, end: pad + text + end, st.sampled_from(["", " ", "\u200b", "\u00a0", "\t", "\x1f"]),
    st.text(alphabet="AZaz09-_ .", max_size=12), st.sampled_from(["", " ", "\ufeff", "\u00a0 ", "\n"])))
    .filter(bool), st.sampled_from([Field.CLIENT_EXTERNAL_ID, Field.CONTACT_EXTERNAL_ID]))
def test_the_identifier_column_parser_is_parse_identifier(raw: str, field: Field) -> None:
    assert parser_for(field)(raw, None) == parse_identifier(raw)


@pytest.mark.parametrize("raw", [
    "Jean Dupont <jean@acme.fr>", '"Dupont, Jean" <jean@acme.fr>', "<jean@acme.fr>", "mailto:jean@acme.fr",
    "MAILTO:jean@acme.fr?subject=Relance", " mailto: jean@acme.fr ",
])
def test_an_address_with_a_display_name_or_mailto_is_read_as_the_address_with_a_warning(raw: str) -> None:
    value, problems = parse_email(raw)
    assert value == "jean@acme.fr"
    assert [(p.code, dict(p.params)) for p in problems] == [
        ("value.email_extracted", {"email": "jean@acme.fr"})]


@pytest.mark.parametrize("raw", ["Jean Dupont <jean@>", "mailto:", "Jean <a@b.fr> <c@d.fr>", "jean@acme.fr>"])
def test_no_valid_address_to_extract_stays_an_invalid_email(raw: str) -> None:
    assert parse_email(raw) == (None, (Problem("value.invalid_email"),))


def test_account_manager_addresses_with_a_display_name_are_read_with_a_warning_each() -> None:
    value, problems = parse_emails("Claire Martin <Claire@Exemple.fr>; mailto:paul@exemple.fr")
    assert value == ("claire@exemple.fr", "paul@exemple.fr")
    assert [(p.code, p.value) for p in problems] == [
        ("value.email_extracted", "Claire Martin <Claire@Exemple.fr>"),
        ("value.email_extracted", "mailto:paul@exemple.fr")]


def test_no_parser_keeps_a_cache_of_customer_data_between_imports() -> None:
    """Caches of what a file holds would outlive the import in the host process: each parse()
    reads a distinct cell once with its own dictionaries instead. Only caches of fixed
    vocabulary remain (a region's phone patterns, a VAT prefix's checker, the country index)."""
    import functools

    from upflow_import import _countries, _phones, values

    vocabulary = {_phones._validator, values._vat_checker, _countries._index, _countries._codes}
    cached = {function for module in (values, _phones, _countries) for function in vars(module).values()
              if isinstance(function, functools._lru_cache_wrapper)}
    assert cached == vocabulary
    values.parse_vat("FR40303265045")
    values.parse_emails("a@example.com; b@example.com")
    assert all(function.cache_info().currsize <= 256 for function in vocabulary)  # type: ignore[attr-defined]
