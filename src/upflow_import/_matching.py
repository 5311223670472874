"""The auto-mapper's core: header normalisation, scoring and assignment.

Pure functions over header text and a few sample values; no I/O and no
:class:`~upflow_import.Table`. :func:`upflow_import.mapping.auto_map` feeds
them and wraps the result in a :class:`~upflow_import.ColumnMapping`.

How a column is scored against a field, best first:

1. its normalised header equals a label (1.0), a synonym (0.95) or a generic
   header (0.8) of the field, ignoring spaces;
2. the same, once little words (``de``, ``du``, ``of``…) are dropped: 0.02 less;
3. every word of a label or synonym is in the header (typos of one or two
   letters allowed), with few other words: 0.7 to 0.95 of the phrase's score,
   less for each misspelt word.

Then the words and values decide between readings: a header that speaks of
an email or a phone only feeds an email or a phone field, a column whose
values are emails never feeds a postal code, and a generic ``Nom`` beside a
first-name column is the contact's last name.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence

import attrs

from upflow_import.fields import SPECS, Field, Kind

__all__ = [
    "GENERIC_SCORE",
    "LABEL_SCORE",
    "SAMPLE_ROWS",
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
# "N°", "No", "Nº", "Num" all abbreviate "numéro".
_TOKEN_ALIASES: Mapping[str, str] = {"n": "numero", "no": "numero", "nr": "numero", "num": "numero",
                                     "nro": "numero"}
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
    """
    text = _strip_accents(_INVISIBLE.sub("", header).translate(_LIGATURES))
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
    tokens = normalised.split()
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


@attrs.frozen
class _Catalogue:
    by_compact: Mapping[str, tuple[_Phrase, ...]]
    by_key: Mapping[str, tuple[_Phrase, ...]]
    #: Non-generic phrases by each of their words, for the containment match.
    by_token: Mapping[str, tuple[_Phrase, ...]]
    #: The words of ``by_token`` by first letter: a typo never changes it.
    words_by_initial: Mapping[str, tuple[str, ...]]


def _phrase(field: Field, text: str, score: float, generic: bool) -> _Phrase:
    normalised = normalize_header(text)
    tokens = _content_tokens(normalised)
    return _Phrase(field, score, generic, normalised.replace(" ", ""), "".join(tokens), tokens)


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


@functools.lru_cache(maxsize=4096)
def _similar_words(token: str) -> frozenset[str]:
    """The catalogue's words that ``token`` may be, typos included."""
    candidates = _catalogue().words_by_initial.get(token[:1], ())
    return frozenset(word for word in candidates if _within_one_typo(token, word))


# --- scoring one column ----------------------------------------------------------

# Extra words that qualify a field without changing it ("Adresse de
# facturation", "Délai de paiement (jours)", "Email contact principal").
_QUALIFIERS = _words("1 principal principale main primary facturation billing invoice invoicing defaut "
                     "default jours jour days day j iso ligne line complet complete full officiel "
                     "official legal legale usuel actuel current")
# Words naming the entity a field belongs to: "Ville client" is the city,
# "Téléphone client" the contact's phone.
_CLIENT_WORDS = _words("client clients customer customers societe entreprise company tiers")
_ENTITY_WORDS: Mapping[str, frozenset[str]] = {
    "client": _CLIENT_WORDS,
    "contact": _CLIENT_WORDS | {"contact", "contacts", "interlocuteur"},
    "group": _words("groupe group parent mere maison holding"),
}
# A header speaking of an email or a phone is about an email or a phone, whatever
# else it says ("Adresse email" is not the postal address).
_EMAIL_WORDS = _words("email emails mail mails courriel courriels")
_PHONE_WORDS = _words("tel telephone telephones phone phones mobile portable gsm cell")
_EMAIL_KINDS = frozenset({Kind.EMAIL, Kind.EMAILS})
_TYPE_WORD_PENALTY = 0.6
# Kinds that can never hold an email address, whatever the header says.
_NEVER_EMAILS = frozenset({Kind.POSTAL_CODE, Kind.INTEGER, Kind.FLAG, Kind.COUNTRY, Kind.VAT, Kind.PHONE,
                           Kind.CHOICE})
_EMAIL_VALUE = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")
_SPLIT_EMAILS = re.compile(r"[,;]")
_REMARKS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_REMARK_FACTOR = 0.95
#: The score given to an unrecognised header whose values are emails.
EMAIL_VALUES_SCORE = 0.65


@attrs.frozen
class ColumnScores:
    """How well one column fits each field, before columns compete for fields."""

    header: str
    normalised: str
    scores: Mapping[Field, float]
    #: Fields the header matched only as a generic word, open to context.
    generic: frozenset[Field] = frozenset()

    def best(self) -> tuple[Field, float] | None:
        """The highest-scoring field, ties going to the catalogue's order."""
        if not self.scores:
            return None
        return min(self.scores.items(), key=lambda item: (-item[1], _ORDER[item[0]]))


_ORDER: Mapping[Field, int] = {field: index for index, field in enumerate(Field)}


def _header_scores(normalised: str) -> tuple[dict[Field, float], frozenset[Field]]:
    if not normalised:
        return {}, frozenset()
    catalogue = _catalogue()
    tokens = _content_tokens(normalised)
    scores: dict[Field, float] = {}
    generic: set[Field] = set()

    def offer(field: Field, score: float) -> None:
        if score > scores.get(field, 0.0):
            scores[field] = score

    for phrase in catalogue.by_compact.get(normalised.replace(" ", ""), ()):
        offer(phrase.field, phrase.score)
        if phrase.generic:
            generic.add(phrase.field)
    for phrase in catalogue.by_key.get("".join(tokens), ()):
        offer(phrase.field, phrase.score - 0.02)
        if phrase.generic:
            generic.add(phrase.field)
    candidates = {phrase for token in tokens for word in _similar_words(token)
                  for phrase in catalogue.by_token.get(word, ())}
    for phrase in candidates:
        score = _containment_score(phrase, tokens)
        if score is not None:
            offer(phrase.field, score)

    words = set(tokens)
    for type_words, kinds in ((_EMAIL_WORDS, _EMAIL_KINDS), (_PHONE_WORDS, frozenset({Kind.PHONE}))):
        if words & type_words:
            for field in scores:
                if SPECS[field].kind not in kinds:
                    scores[field] *= _TYPE_WORD_PENALTY
    return scores, frozenset(generic)


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


def score_column(header: str, sample: Iterable[str | None] = ()) -> ColumnScores:
    """Score one column against every field from its header and its first values."""
    normalised = normalize_header(header)
    scores, generic = _header_scores(normalised)
    # A remark in brackets ("Identifiant Client (obligatoire si homonymes)",
    # "Pays (code ISO)") qualifies the header; read without it as well.
    core = normalize_header(_REMARKS.sub(" ", header))
    if core and core != normalised:
        core_scores, core_generic = _header_scores(core)
        for field, score in core_scores.items():
            if score * _REMARK_FACTOR > scores.get(field, 0.0):
                scores[field] = score * _REMARK_FACTOR
        generic |= core_generic
    generic = frozenset(field for field in generic if scores.get(field, 1.0) <= GENERIC_SCORE)
    values = [value.strip() for value in sample if value is not None and value.strip()]
    if values:
        emails = sum(1 for value in values if _looks_like_emails(value))
        share = emails / len(values)
        if share >= 0.5:
            for field in list(scores):
                kind = SPECS[field].kind
                if kind in _EMAIL_KINDS:
                    continue
                # Only a header that says so exactly may put emails in a text or
                # an identifier field (contact IDs are sometimes the email).
                if kind in _NEVER_EMAILS or scores[field] < SYNONYM_SCORE:
                    del scores[field]
            if scores.get(Field.CONTACT_EMAIL, 0.0) < EMAIL_VALUES_SCORE:
                scores[Field.CONTACT_EMAIL] = EMAIL_VALUES_SCORE
        elif len(values) >= 3 and share < 0.2:
            # A vague header ("Commercial") whose values are names cannot feed an
            # email field; a precise one keeps its field so the bad values get
            # reported one by one.
            for field in list(scores):
                if SPECS[field].kind in _EMAIL_KINDS and scores[field] < 0.9:
                    scores[field] *= 0.5
    return ColumnScores(header, normalised, scores, generic & scores.keys())


def _looks_like_emails(value: str) -> bool:
    if "@" not in value:
        return False
    parts = [part.strip() for part in _SPLIT_EMAILS.split(value)]
    return all(_EMAIL_VALUE.fullmatch(part) for part in parts if part) and any(parts)


# --- assignment -------------------------------------------------------------------

#: How much a generic "Nom"/"Name" leans to the contact's last name when the
#: file has a first-name column.
_LAST_NAME_CONTEXT_BOOST = 0.1


@attrs.frozen
class Assignment:
    """The field given to one column, its confidence and the runners-up."""

    field: Field | None
    confidence: float
    alternatives: tuple[tuple[Field, float], ...]


def _with_context(columns: Sequence[ColumnScores]) -> list[dict[Field, float]]:
    """Scores adjusted for what the other columns are."""
    adjusted = [dict(column.scores) for column in columns]
    first_names = {index for index, column in enumerate(columns)
                   if (best := column.best()) is not None
                   and best[0] is Field.CONTACT_FIRST_NAME and best[1] >= 0.9}
    for index, column in enumerate(columns):
        if Field.CONTACT_LAST_NAME in column.generic and first_names - {index}:
            adjusted[index][Field.CONTACT_LAST_NAME] += _LAST_NAME_CONTEXT_BOOST
    return adjusted


def assign(columns: Sequence[ColumnScores], fixed: Collection[int] = ()) -> list[Assignment]:
    """Give each column at most one field and each field at most one column.

    The best-scoring pairs are settled first. Ties are broken by the
    catalogue's field order, then by the header text, never by the column's
    position, so that reordering the columns never changes the result.
    The columns at the ``fixed`` positions were mapped explicitly: each keeps
    its best field (if any), which the others then cannot take.
    """
    adjusted = _with_context(columns)
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
        key=lambda pair: (-pair[0], _ORDER[pair[1]], columns[pair[2]].normalised,
                          columns[pair[2]].header, pair[2]),
    )
    for score, candidate, index in pairs:
        if index in chosen or candidate in used_fields:
            continue
        chosen[index] = (candidate, score)
        used_fields.add(candidate)
    return [_assignment(chosen.get(index), scores) for index, scores in enumerate(adjusted)]


def _assignment(choice: tuple[Field, float] | None, scores: Mapping[Field, float]) -> Assignment:
    field, score = choice if choice is not None else (None, 0.0)
    runners_up = sorted(((f, s) for f, s in scores.items() if f is not field and s >= ALTERNATIVE_FLOOR),
                        key=lambda item: (-item[1], _ORDER[item[0]]))[:3]
    return Assignment(field, _confidence(score), tuple((f, _confidence(s)) for f, s in runners_up))


def _confidence(score: float) -> float:
    return round(min(max(score, 0.0), 1.0), 2)
