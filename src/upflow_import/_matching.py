"""The auto-mapper's core: header normalisation, scoring and assignment.

Pure functions over header text and a few sample values; no I/O and no
:class:`~upflow_import.Table`. :func:`upflow_import.mapping.auto_map` feeds
them and wraps the result in a :class:`~upflow_import.ColumnMapping`.

How a column is scored against a field, best first:

1. its normalised header equals a label (1.0), a synonym (0.95) or a generic
   header (0.8) of the field, ignoring spaces;
2. the same, once little words (``de``, ``du``, ``of``…) are dropped: 0.02 less;
3. every word of a label or synonym is in the header (typos of one or two
   letters allowed), with few other words and none that belongs to no field
   (``bank``, ``domain``, ``fournisseur``…): 0.7 to 0.95 of the phrase's
   score, less for each misspelt word;
4. the same, read as an address part once the words of an address block are
   set aside (``POCity``, ``BillingPostalCode``, ``Ville de facturation``),
   without a bracketed remark, or as the first of ``A/B`` alternatives: a
   little less.

Then the words and values decide between readings: a header that speaks of
an email or a phone only feeds an email or a phone field, a column whose
values are emails never feeds a postal code, values settle 411 accounts, VAT
numbers, civilities, yes/no columns and numbers of days (see
:mod:`upflow_import._value_hints`). Last, the other columns do
(:func:`assign`): a generic ``Nom`` beside a first-name column is the
contact's last name, ``ContactName`` beside first and last names is the
company, a delivery address yields to the billing one, and a bare record ID
in a file of contacts is the contact's. Each score keeps the rule that gave
it, which :class:`~upflow_import.ColumnMatch` shows as ``reason``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence

import attrs

from upflow_import import _value_hints as hints
from upflow_import.fields import SPECS, Field, Kind

__all__ = [
    "GENERIC_SCORE",
    "LABEL_SCORE",
    "SAMPLE_ROWS",
    "SUGGESTION_FLOOR",
    "SYNONYM_SCORE",
    "THRESHOLD",
    "Assignment",
    "ColumnScores",
    "assign",
    "normalize_header",
    "score_column",
]

LABEL_SCORE = 1.0
SYNONYM_SCORE = 0.95
GENERIC_SCORE = 0.8
#: A column whose best field scores below this stays unmapped.
THRESHOLD = 0.6
#: Runners-up below this are not worth showing to a person.
ALTERNATIVE_FLOOR = 0.3
#: An unmapped column whose best free field scores at least this is reported
#: with that field as a suggestion ("did you mean").
SUGGESTION_FLOOR = 0.4
#: How many data rows the mapper looks at to disambiguate by values.
SAMPLE_ROWS = 50

# --- normalisation -----------------------------------------------------------

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Split API names (externalId, vatNumber, addressLine1) into words before the
# case is folded, since afterwards the word boundary is gone.
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)")
_MARKER_WORDS = ("obligatoire|obligatoires|requis|requise|required|mandatory|optional|optionnel"
                 "|optionnelle|facultatif|facultative")
_MARKERS = re.compile(r"[(\[]\s*(?:" + _MARKER_WORDS + r")\s*[)\]]")
_TRAILING_MARKERS = frozenset(_MARKER_WORDS.split("|"))
_NON_WORD = re.compile(r"[\W_]+")
# "N°", "No", "Nº", "Num", "#" and "Number" all say "numéro".
_TOKEN_ALIASES: Mapping[str, str] = {"n": "numero", "no": "numero", "nr": "numero", "num": "numero",
                                     "nro": "numero"}
# Compared alike, though written apart: "Customer number" is "Customer #" and "N° client".
_MATCH_ALIASES: Mapping[str, str] = {"number": "numero", "nummer": "numero"}
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O"})


def normalize_header(header: str) -> str:
    """Return the key under which the mapper compares a header with the catalogue.

    Case, accents, punctuation and repeated spaces are ignored, API names are
    split into words, ``E-mail`` is ``email``, ``N°`` is ``numero`` and
    required-markers (``*``, ``(obligatoire)``, ``(required)``,
    ``(facultatif)``…) are dropped.

    >>> normalize_header("  N° de TVA (obligatoire)* ")
    'numero de tva'
    >>> normalize_header("\\ufeffE-mail")
    'email'
    >>> normalize_header("accountingRef")
    'accounting ref'
    >>> normalize_header("POPostalCode")
    'po postal code'
    """
    text = _strip_accents(_INVISIBLE.sub("", header).translate(_LIGATURES).replace("#", " numero "))
    # Folding the case may bring accents back (İ becomes i + dot): strip twice.
    text = _LETTER_DIGIT.sub(" ", _strip_accents(_CAMEL.sub(" ", text).casefold()))
    text = _MARKERS.sub(" ", text)
    tokens = [_TOKEN_ALIASES.get(t, t) for t in _NON_WORD.sub(" ", text).split()]
    while len(tokens) > 1 and tokens[-1] in _TRAILING_MARKERS:
        tokens.pop()
    return " ".join(_join_email(tokens))


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _join_email(tokens: list[str]) -> list[str]:
    joined: list[str] = []
    for token in tokens:
        if token == "mail" and joined and joined[-1] == "e":
            joined[-1] = "email"
        else:
            joined.append(token)
    return joined


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS = _words("de du des d la le les l a au aux en et par pour sur un une of the by for and an "
                    "in to")


def _content_tokens(normalised: str) -> tuple[str, ...]:
    tokens = _match_form(normalised).split()
    content = tuple(t for t in tokens if t not in _STOPWORDS)
    return content or tuple(tokens)


# --- the catalogue as phrases -------------------------------------------------


@attrs.frozen
class _Phrase:
    field: Field
    score: float
    generic: bool
    compact: str
    key: str
    tokens: tuple[str, ...]
    #: The catalogue's own spelling, to explain a decision.
    text: str


@attrs.frozen
class _Catalogue:
    by_compact: Mapping[str, tuple[_Phrase, ...]]
    by_key: Mapping[str, tuple[_Phrase, ...]]
    #: Non-generic phrases by each of their words, for the containment match.
    by_token: Mapping[str, tuple[_Phrase, ...]]
    #: The words of ``by_token`` by first letter: a typo never changes it.
    words_by_initial: Mapping[str, tuple[str, ...]]


def _match_form(normalised: str) -> str:
    return " ".join(_MATCH_ALIASES.get(token, token) for token in normalised.split())


def _phrase(field: Field, text: str, score: float, generic: bool) -> _Phrase:
    normalised = _match_form(normalize_header(text))
    tokens = _content_tokens(normalised)
    return _Phrase(field, score, generic, normalised.replace(" ", ""), "".join(tokens), tokens, text)


@functools.cache
def _catalogue() -> _Catalogue:
    phrases: list[_Phrase] = []
    for spec in SPECS.values():
        phrases += [_phrase(spec.field, label, LABEL_SCORE, False) for label in spec.labels]
        phrases += [_phrase(spec.field, text, SYNONYM_SCORE, False) for text in spec.synonyms]
        phrases += [_phrase(spec.field, text, GENERIC_SCORE, True) for text in spec.generic]
    by_compact: dict[str, list[_Phrase]] = {}
    by_key: dict[str, list[_Phrase]] = {}
    by_token: dict[str, list[_Phrase]] = {}
    for phrase in phrases:
        by_compact.setdefault(phrase.compact, []).append(phrase)
        # Written as one word ("VATNUMBER"), a header keeps the spelling the aliases change.
        as_written = normalize_header(phrase.text).replace(" ", "")
        if as_written != phrase.compact:
            by_compact.setdefault(as_written, []).append(phrase)
        by_key.setdefault(phrase.key, []).append(phrase)
        if not phrase.generic:
            for token in set(phrase.tokens):
                by_token.setdefault(token, []).append(phrase)

    def freeze(index: dict[str, list[_Phrase]]) -> dict[str, tuple[_Phrase, ...]]:
        return {key: tuple(value) for key, value in index.items()}

    words_by_initial: dict[str, list[str]] = {}
    for word in sorted(by_token):
        words_by_initial.setdefault(word[0], []).append(word)
    return _Catalogue(freeze(by_compact), freeze(by_key), freeze(by_token),
                      {initial: tuple(words) for initial, words in words_by_initial.items()})


# --- typos ----------------------------------------------------------------------


def _within_one_typo(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one letter added, dropped,
    replaced or two neighbours swapped (two such slips for long words)."""
    longest = max(len(a), len(b))
    if a == b:
        return True
    if longest < 4 or a[0] != b[0] or abs(len(a) - len(b)) > 2:
        return False
    if longest == 4:
        # Four-letter words are too close to each other (code/mode, pays/paye):
        # only a swap of two letters counts as a typo.
        return len(a) == len(b) and _swapped(a, b)
    return _edit_distance(a, b, 2 if longest >= 9 else 1) <= (2 if longest >= 9 else 1)


def _swapped(a: str, b: str) -> bool:
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] \
        and a[diffs[1]] == b[diffs[0]]


def _edit_distance(a: str, b: str, bound: int) -> int:
    """Optimal string alignment distance, giving up above ``bound``."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > bound:
            return bound + 1
        previous2, previous = previous, current
    return previous[-1]


def _similar_words(token: str) -> frozenset[str]:
    """The catalogue's words that ``token`` may be, typos included (a header's words are the
    file's: not kept in a cache beyond the call)."""
    candidates = _catalogue().words_by_initial.get(token[:1], ())
    return frozenset(word for word in candidates if _within_one_typo(token, word))


# --- scoring one column ----------------------------------------------------------

# Extra words that qualify a field without changing it ("Adresse de
# facturation", "Délai de paiement (jours)", "Email contact principal").
_QUALIFIERS = _words("1 principal principale main primary facturation billing invoice invoicing defaut "
                     "default jours jour days day j iso ligne line complet complete full officiel "
                     "official legal legale usuel actuel current mobile portable fixe direct work "
                     "office bureau professionnel pro")
# Words naming the entity a field belongs to: "Ville client" is the city,
# "Téléphone client" the contact's phone.
_CLIENT_WORDS = _words("client clients customer customers societe entreprise company tiers organization "
                       "organisation")
_CONTACT_WORDS = _words("contact contacts interlocuteur person personne")
# A contact's company is the customer: "Person - Organization", "Société du contact".
_ENTITY_WORDS: Mapping[str, frozenset[str]] = {
    "client": _CLIENT_WORDS | _CONTACT_WORDS,
    "contact": _CLIENT_WORDS | _CONTACT_WORDS,
    "group": _words("groupe group parent mere maison holding"),
}
# Words that make a header about something no field holds, whatever field words
# it also has: "Bank account number" is not the customer number, "Company
# domain name" not its name, "Code fournisseur" not the customer code.
_FOREIGN_WORDS = _words(
    "bank banque iban bic swift fax telecopie telex skype website web site url domain domaine siret siren "
    "naf ape currency devise discount remise escompte balance solde limit limite plafond tracking "
    "attention date created creation modified modification industry secteur revenue chiffre employees "
    "effectif capital status statut lifecycle description comment comments commentaire commentaires "
    "note notes vendor vendors supplier suppliers fournisseur fournisseurs language langue timezone zone "
    "theme complement complementaire")
# A second, third… column of a kind ("Adresse 2", "Street2", "Téléphone 3") is
# never the field itself: the first one is.
_SECONDARY = _words("2 3 4 5 6 7 8 9")
# A header speaking of an email or a phone is about an email or a phone, whatever
# else it says ("Adresse email" is not the postal address).
_EMAIL_WORDS = _words("email emails mail mails courriel courriels")
_PHONE_WORDS = _words("tel telephone telephones phone phones mobile portable gsm cell")
_EMAIL_KINDS = frozenset({Kind.EMAIL, Kind.EMAILS})
_TYPE_WORD_PENALTY = 0.6
# Kinds that can never hold an email address, whatever the header says.
_NEVER_EMAILS = frozenset({Kind.POSTAL_CODE, Kind.INTEGER, Kind.FLAG, Kind.COUNTRY, Kind.VAT, Kind.PHONE,
                           Kind.CHOICE})
_REMARKS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_REMARK_FACTOR = 0.95
#: The score given to an unrecognised header whose values are emails.
EMAIL_VALUES_SCORE = 0.65

# Address blocks: exports repeat the address parts under a prefix or a suffix
# ("POCity", "BillingPostalCode", "Ville de facturation", "SACity", "Code
# postal de livraison"). The billing block is the customer's address; the
# delivery block is used only when the file has no other address.
_BILLING_WORDS = _words("po billing bill facturation facture invoice invoicing mailing postal")
_SHIPPING_WORDS = _words("sa shipping ship livraison delivery expedition")
_ADDRESS_WORDS = _words("address adresse addr adr")
ADDRESS_PARTS = frozenset({Field.CLIENT_ADDRESS, Field.CLIENT_POSTAL_CODE, Field.CLIENT_CITY,
                           Field.CLIENT_STATE, Field.CLIENT_COUNTRY})
_BLOCK_FACTOR = 0.92
#: How much a delivery address part is worth when the file has no other address.
_SHIPPING_ONLY_FACTOR = 0.9
# "Country/Region", "Billing Zip/Postal Code": the first alternative names the field.
_SLASH_FACTOR = 0.95

# Value shapes that settle a reading when most of the sample has them.
_VAT_WORDS = _words("tva vat tax intracom intracommunautaire btw ust iva")
_MOSTLY = 0.5
_LEDGER_SHARE = 0.6
_COMPANY_SHARE = 0.3


@attrs.frozen
class ColumnScores:
    """How well one column fits each field, before columns compete for fields."""

    header: str
    normalised: str
    scores: Mapping[Field, float]
    #: Fields the header matched only as a generic word, open to context.
    generic: frozenset[Field] = frozenset()
    #: Why each field scores what it does, in a few words.
    reasons: Mapping[Field, str] = attrs.field(factory=dict)
    #: ``"billing"`` or ``"shipping"`` for a column of a prefixed address block.
    block: str | None = None
    #: The share of sample cells that are filled: an empty column loses ties.
    filled: float = 1.0

    def best(self) -> tuple[Field, float] | None:
        """The highest-scoring field, ties going to the catalogue's order."""
        if not self.scores:
            return None
        return min(self.scores.items(), key=lambda item: (-item[1], _ORDER[item[0]]))


_ORDER: Mapping[Field, int] = {field: index for index, field in enumerate(Field)}


class _Offers:
    """Scores being gathered for one column, each with the rule that gave it."""

    def __init__(self) -> None:
        self.scores: dict[Field, float] = {}
        self.reasons: dict[Field, str] = {}
        self.generic: set[Field] = set()

    def offer(self, field: Field, score: float, reason: str) -> None:
        if score > self.scores.get(field, 0.0):
            self.scores[field] = score
            self.reasons[field] = reason

    def scale(self, field: Field, factor: float, reason: str) -> None:
        self.scores[field] *= factor
        self.reasons[field] += f"; {reason}"

    def drop(self, field: Field) -> None:
        self.scores.pop(field, None)
        self.reasons.pop(field, None)
        self.generic.discard(field)


_KIND_OF_PHRASE = {LABEL_SCORE: "label", SYNONYM_SCORE: "accepted header", GENERIC_SCORE: "generic header"}


def _header_scores(normalised: str, offers: _Offers, *, factor: float = 1.0, note: str = "",
                   only: frozenset[Field] | None = None) -> None:
    if not normalised:
        return
    catalogue = _catalogue()
    tokens = _content_tokens(normalised)

    def offer(phrase: _Phrase, score: float, how: str) -> None:
        if only is not None and phrase.field not in only:
            return
        offers.offer(phrase.field, score * factor, f"{how} {phrase.text!r}{note}")
        if phrase.generic:
            offers.generic.add(phrase.field)

    for phrase in catalogue.by_compact.get(_match_form(normalised).replace(" ", ""), ()):
        offer(phrase, phrase.score, _KIND_OF_PHRASE.get(phrase.score, "header"))
    for phrase in catalogue.by_key.get("".join(tokens), ()):
        offer(phrase, phrase.score - 0.02, _KIND_OF_PHRASE.get(phrase.score, "header"))
    candidates = {phrase for token in tokens for word in _similar_words(token)
                  for phrase in catalogue.by_token.get(word, ())}
    for phrase in candidates:
        score = _containment_score(phrase, tokens)
        if score is not None:
            offer(phrase, score, "holds the words of")


def _containment_score(phrase: _Phrase, header_tokens: tuple[str, ...]) -> float | None:
    """The score of a header holding every word of ``phrase``, or ``None``."""
    unused = list(header_tokens)
    typos = 0
    for word in phrase.tokens:
        if word in unused:
            unused.remove(word)
            continue
        slip = next((token for token in unused if _within_one_typo(token, word)), None)
        if slip is None:
            return None
        unused.remove(slip)
        typos += 1
    if any(token in _FOREIGN_WORDS for token in unused):
        return None
    allowed = _QUALIFIERS | _ENTITY_WORDS[phrase.field.entity]
    qualifiers = sum(1 for token in unused if token in allowed)
    unexplained = len(unused) - qualifiers
    matched = len(phrase.tokens)
    # One word of a field among as many unrelated ones is a coincidence
    # ("Commentaire client" is not the client's name).
    if unexplained >= matched:
        return None
    coverage = matched / (matched + unexplained + 0.5 * qualifiers)
    return phrase.score * (0.7 + 0.25 * coverage) - 0.05 * typos


def _block_of(tokens: Sequence[str]) -> str | None:
    words = set(tokens)
    if words & _SHIPPING_WORDS:
        return "shipping"
    if words & _BILLING_WORDS:
        return "billing"
    return None


def _read_header(normalised: str, offers: _Offers, *, factor: float = 1.0, note: str = "") -> None:
    """Score a header as written, then as an address part once its block words are set aside."""
    _header_scores(normalised, offers, factor=factor, note=note)
    tokens = normalised.split()
    rest = [token for token in tokens if token not in _BILLING_WORDS | _SHIPPING_WORDS]
    # "address_city", "Adresse de facturation - Ville": the part, not the address.
    part = [token for token in rest if token not in _ADDRESS_WORDS]
    for variant in {" ".join(rest), " ".join(part)} - {normalised, ""}:
        _header_scores(variant, offers, factor=factor * _BLOCK_FACTOR, only=ADDRESS_PARTS,
                       note=f"{note} (address block {normalised!r})")
    blocked = set(tokens) & (_BILLING_WORDS | _SHIPPING_WORDS | _ADDRESS_WORDS)
    left = [token for token in part if token not in _STOPWORDS]
    if blocked and left in (["code"], ["zip"]):
        # Zoho's "Billing Code": in an address block, a bare code is the postal code.
        offers.offer(Field.CLIENT_POSTAL_CODE, GENERIC_SCORE * factor * _BLOCK_FACTOR,
                     f"a code in the address block {normalised!r}{note}")
    elif blocked - _ADDRESS_WORDS and left in (["1"], ["line", "1"], ["ligne", "1"]):
        # QuickBooks' "Bill to 1": the first line of the block is the street.
        offers.offer(Field.CLIENT_ADDRESS, GENERIC_SCORE * factor * _BLOCK_FACTOR,
                     f"the first line of the address block {normalised!r}{note}")
    if set(tokens) & _ADDRESS_WORDS and any(offers.scores.get(field, 0.0) >= THRESHOLD
                                            for field in ADDRESS_PARTS - {Field.CLIENT_ADDRESS}):
        # "Adresse de facturation - Ville" names the city of the address, not its street.
        offers.drop(Field.CLIENT_ADDRESS)


#: A generic header behind an entity word ("Organization - ID", "Company Code").
_ENTITY_PREFIX_FACTOR = 0.95


def _read_entity_prefix(normalised: str, offers: _Offers) -> None:
    """Read Pipedrive's "Organization - Name" or "Company ID" as the generic header after the entity."""
    tokens = normalised.split()
    for words, entities in ((_CLIENT_WORDS, ("client", "group")), (_CONTACT_WORDS, ("contact",))):
        rest = [token for token in tokens if token not in words]
        if len(rest) == len(tokens) or not rest:
            continue
        for phrase in _catalogue().by_compact.get(_match_form(" ".join(rest)).replace(" ", ""), ()):
            if phrase.generic and phrase.field.entity in entities:
                offers.offer(phrase.field, phrase.score * _ENTITY_PREFIX_FACTOR,
                             f"generic header {phrase.text!r} after the {phrase.field.entity} it names")


def score_column(header: str, sample: Iterable[str | None] = ()) -> ColumnScores:
    """Score one column against every field from its header and its first values."""
    normalised = normalize_header(header)
    offers = _Offers()
    _read_header(normalised, offers)
    # A remark in brackets ("Identifiant Client (obligatoire si homonymes)",
    # "Pays (code ISO)") qualifies the header; read without it as well.
    core = normalize_header(_REMARKS.sub(" ", header))
    if core and core != normalised:
        _read_header(core, offers, factor=_REMARK_FACTOR, note=" (remark set aside)")
    _read_entity_prefix(normalised, offers)
    if "/" in header:
        first = normalize_header(header.split("/", 1)[0])
        if first and first != normalised:
            _read_header(first, offers, factor=_SLASH_FACTOR, note=" (first of the alternatives)")
    tokens = set(normalised.split())
    if tokens & _SECONDARY:
        for field in list(offers.scores):
            offers.drop(field)
    for type_words, kinds in ((_EMAIL_WORDS, _EMAIL_KINDS), (_PHONE_WORDS, frozenset({Kind.PHONE}))):
        if tokens & type_words:
            for field in list(offers.scores):
                if SPECS[field].kind not in kinds:
                    offers.scale(field, _TYPE_WORD_PENALTY, "the header names another kind of value")
    offers.generic = {field for field in offers.generic if offers.scores.get(field, 1.0) <= GENERIC_SCORE}
    all_values = [value.strip() if value is not None else "" for value in sample]
    values = [value for value in all_values if value]
    if values:
        _weigh_values(values, tokens, offers)
    filled = len(values) / len(all_values) if all_values else 1.0
    generic = frozenset(offers.generic & offers.scores.keys())
    return ColumnScores(header, normalised, dict(offers.scores), generic, dict(offers.reasons),
                        _block_of(normalised.split()), filled)


def _weigh_values(values: Sequence[str], header_words: frozenset[str] | set[str], offers: _Offers) -> None:
    """Settle the header's readings by what the first values look like."""
    scores = offers.scores
    emails = hints.share(values, hints.looks_like_emails)
    if emails >= _MOSTLY:
        for field in list(scores):
            kind = SPECS[field].kind
            if kind in _EMAIL_KINDS:
                continue
            # Only a header that says so exactly may put emails in a text or
            # an identifier field (contact IDs are sometimes the email).
            if kind in _NEVER_EMAILS or scores[field] < SYNONYM_SCORE:
                offers.drop(field)
        offers.offer(Field.CONTACT_EMAIL, EMAIL_VALUES_SCORE, "values are emails")
    elif len(values) >= 2 and emails < 0.2:
        # A header that does not say "email" ("Commercial", "Account owner") and
        # whose values are names cannot feed an email field; one that says so
        # keeps its field, so that the bad values get reported one by one.
        for field in list(scores):
            if SPECS[field].kind in _EMAIL_KINDS and (scores[field] < 0.9 or not header_words & _EMAIL_WORDS):
                offers.scale(field, 0.5, "values are not emails")
    if (Field.CLIENT_EXTERNAL_ID in scores or Field.CLIENT_ACCOUNTING_CODE in scores) \
            and hints.share(values, hints.is_ledger_account) >= _LEDGER_SHARE:
        best = max(scores.get(Field.CLIENT_EXTERNAL_ID, 0.0), scores.get(Field.CLIENT_ACCOUNTING_CODE, 0.0))
        offers.offer(Field.CLIENT_ACCOUNTING_CODE, best + 0.01, "values are 411 customer accounts")
        if Field.CLIENT_EXTERNAL_ID in scores:
            offers.scale(Field.CLIENT_EXTERNAL_ID, 0.8, "values are 411 customer accounts")
    if Field.CLIENT_VAT_NUMBER in scores and not header_words & _VAT_WORDS and len(values) >= 2 \
            and hints.share(values, hints.is_vat_number) < _MOSTLY:
        # "N° identifiant" is a VAT number in Sage's exports only when it holds some.
        offers.drop(Field.CLIENT_VAT_NUMBER)
    for field in [field for field in scores if SPECS[field].kind is Kind.INTEGER]:
        if hints.share(values, hints.is_whole_number) >= _MOSTLY:
            # "Délai de paiement" with 30, 45… beats "Conditions de paiement" with "30 jours fin de mois".
            offers.offer(field, scores[field] + 0.01, offers.reasons[field] + "; values are whole numbers")
    for field in [field for field in scores if SPECS[field].kind is Kind.FLAG]:
        if len(values) >= 2 and hints.share(values, hints.is_flag) < _MOSTLY:
            # QuickBooks' "Primary Contact" holds a name, not a yes/no.
            offers.drop(field)
    if Field.CLIENT_NAME in offers.generic and hints.share(values, hints.is_code) >= _MOSTLY:
        offers.scale(Field.CLIENT_NAME, 0.9, "values look like codes, not names")
    if Field.CONTACT_POSITION in offers.generic:
        if hints.share(values, hints.is_civility) >= _MOSTLY:
            offers.drop(Field.CONTACT_POSITION)
        elif hints.share(values, hints.names_a_company) >= _COMPANY_SHARE:
            offers.drop(Field.CONTACT_POSITION)
            offers.offer(Field.CLIENT_NAME, GENERIC_SCORE, "values are company names")
            offers.generic.add(Field.CLIENT_NAME)


# --- assignment -------------------------------------------------------------------

#: How much a generic "Nom"/"Name" leans to the contact's last name when the
#: file has a first-name column.
_LAST_NAME_CONTEXT_BOOST = 0.1
#: The score of Xero's and Zoho's "ContactName" read as the company beside first and last names.
_COMPANY_CONTACT_NAME_SCORE = 0.97
_EXPLICIT_LAST_NAME_WORDS = _words("last surname famille family lastname")
_COMPANY_WORDS = _words("company societe entreprise organisation organization raison business account")
# A record's own identifier, without an entity word: the customer's in a file of
# customers, the contact's in a file of contacts.
_RECORD_ID_WORDS = _words("id identifiant identifier record fiche informations d de")


@attrs.frozen
class Assignment:
    """The field given to one column, its confidence, the runners-up and why."""

    field: Field | None
    confidence: float
    alternatives: tuple[tuple[Field, float], ...]
    reason: str = ""


def _strong(column: ColumnScores, field: Field, floor: float = 0.9) -> bool:
    best = column.best()
    return best is not None and best[0] is field and best[1] >= floor


def _with_context(columns: Sequence[ColumnScores]) -> tuple[list[dict[Field, float]], list[dict[Field, str]]]:
    """Scores adjusted for what the other columns are, with the reasons."""
    adjusted = [dict(column.scores) for column in columns]
    reasons = [dict(column.reasons) for column in columns]
    first_names = {index for index, column in enumerate(columns) if _strong(column, Field.CONTACT_FIRST_NAME)}
    company_names = {index for index, column in enumerate(columns) if _strong(column, Field.CLIENT_NAME)
                     and set(column.normalised.split()) & _COMPANY_WORDS}
    # "Contact - Prénom": a file of customers with their contact, not a file of contacts.
    plain_first_names = {index for index in first_names if "contact" not in columns[index].normalised.split()}
    last_names = {index for index, column in enumerate(columns)
                  if _strong(column, Field.CONTACT_LAST_NAME)
                  and set(column.normalised.split()) & _EXPLICIT_LAST_NAME_WORDS}
    emails = {index for index, column in enumerate(columns) if _strong(column, Field.CONTACT_EMAIL)}
    main_address = any(column.block != "shipping" and any(adjusted[index].get(field, 0.0) >= THRESHOLD
                                                           for field in ADDRESS_PARTS)
                       for index, column in enumerate(columns))

    def note(index: int, field: Field, text: str) -> None:
        reasons[index][field] = f"{reasons[index].get(field, '')}; {text}".lstrip("; ")

    for index, column in enumerate(columns):
        scores = adjusted[index]
        others_first, others_last = first_names - {index}, last_names - {index}
        if Field.CONTACT_LAST_NAME in column.generic and others_first:
            scores[Field.CONTACT_LAST_NAME] += _LAST_NAME_CONTEXT_BOOST
            note(index, Field.CONTACT_LAST_NAME, "a first-name column stands beside it")
        if column.normalised == "contact name" and others_first and others_last \
                and not company_names - {index}:
            scores.pop(Field.CONTACT_LAST_NAME, None)
            scores[Field.CLIENT_NAME] = _COMPANY_CONTACT_NAME_SCORE
            note(index, Field.CLIENT_NAME, "beside first and last names, the contact name is the company")
        if Field.CLIENT_EXTERNAL_ID in scores and set(column.normalised.split()) <= _RECORD_ID_WORDS \
                and plain_first_names - {index} and emails - {index}:
            scores[Field.CONTACT_EXTERNAL_ID] = scores.pop(Field.CLIENT_EXTERNAL_ID)
            note(index, Field.CONTACT_EXTERNAL_ID, "a file of contacts: the record ID is the contact's")
        if column.block == "shipping":
            for field in ADDRESS_PARTS & scores.keys():
                if main_address:
                    del scores[field]
                else:
                    scores[field] *= _SHIPPING_ONLY_FACTOR
                    note(index, field, "the only address of the file is the delivery one")
    return adjusted, reasons


def assign(columns: Sequence[ColumnScores], fixed: Collection[int] = ()) -> list[Assignment]:
    """Give each column at most one field and each field at most one column.

    The best-scoring pairs are settled first. Ties go to the column with more
    filled cells in the sample, then to the catalogue's field order, then to
    the header text, never to the column's position, so that reordering the
    columns never changes the result. The columns at the ``fixed`` positions
    were mapped explicitly: each keeps its best field (if any), which the
    others then cannot take.
    """
    adjusted, reasons = _with_context(columns)
    chosen: dict[int, tuple[Field, float]] = {}
    used_fields: set[Field] = set()
    for index in fixed:
        best = columns[index].best()
        if best is not None:
            chosen[index] = best
            used_fields.add(best[0])
    pairs = sorted(
        ((score, field, index) for index, scores in enumerate(adjusted) if index not in fixed
         for field, score in scores.items() if score >= THRESHOLD),
        key=lambda pair: (-pair[0], -columns[pair[2]].filled, _ORDER[pair[1]], columns[pair[2]].normalised,
                          columns[pair[2]].header, pair[2]),
    )
    for score, candidate, index in pairs:
        if index in chosen or candidate in used_fields:
            continue
        chosen[index] = (candidate, score)
        used_fields.add(candidate)
    return [_assignment(chosen.get(index), scores, reasons[index])
            for index, scores in enumerate(adjusted)]


def _assignment(choice: tuple[Field, float] | None, scores: Mapping[Field, float],
                reasons: Mapping[Field, str]) -> Assignment:
    field, score = choice if choice is not None else (None, 0.0)
    runners_up = sorted(((f, s) for f, s in scores.items() if f is not field and s >= ALTERNATIVE_FLOOR),
                        key=lambda item: (-item[1], _ORDER[item[0]]))[:3]
    reason = "" if field is None else reasons.get(field, "")
    return Assignment(field, _confidence(score), tuple((f, _confidence(s)) for f, s in runners_up), reason)


def _confidence(score: float) -> float:
    return round(min(max(score, 0.0), 1.0), 2)
