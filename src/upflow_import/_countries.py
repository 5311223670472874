"""Country names and codes to ISO 3166-1 alpha-2, from pycountry's data in English and French.

The index is built once, on first use, from pycountry's names (short, official
and common) and their French translations shipped with pycountry. Keys are
folded (no accents, no case, punctuation as spaces) so that ``"etats-unis"``,
``"États-Unis"`` and ``"ETATS UNIS"`` are one key.
"""

from __future__ import annotations

import functools
import gettext
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping

import pycountry

# Names people write that pycountry does not list (older or everyday names,
# parts of the United Kingdom, a few native spellings seen in European exports).
_ALIASES: Mapping[str, tuple[str, ...]] = {
    "GB": ("UK", "U.K.", "Great Britain", "Grande-Bretagne", "Britain", "England", "Angleterre",
           "Scotland", "Écosse", "Wales", "Pays de Galles", "Northern Ireland", "Irlande du Nord"),
    "US": ("USA", "U.S.A.", "U.S.", "America", "Amérique"),
    "NL": ("Holland", "Hollande", "Nederland"),
    "RU": ("Russia", "Russie"),
    "KR": ("Korea, South", "Korea", "Corée"),
    "KP": ("North Korea", "Korea, North"),
    "CI": ("Ivory Coast",),
    "CV": ("Cape Verde",),
    "CZ": ("Czech Republic",),
    "SZ": ("Swaziland",),
    "MK": ("Macedonia", "Macédoine"),
    "TR": ("Turkey", "Turkiye"),
    "MM": ("Burma",),
    "VA": ("Vatican",),
    "DE": ("Deutschland",),
    "ES": ("España",),
    "IT": ("Italia",),
    "BE": ("België", "Belgien"),
    "CH": ("Schweiz", "Svizzera"),
    "AT": ("Österreich",),
    "CD": ("RDC", "Congo-Kinshasa", "DR Congo"),
    "CG": ("Congo-Brazzaville",),
}

# Leading articles a person may add to a French or English country name.
_ARTICLES = ("l ", "la ", "le ", "les ", "the ")

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_BRACKET = re.compile(r"\((.*?)\)")


def fold(text: str) -> str:
    """The key a country name is looked up by: no accents, no case, words split on punctuation.

    >>> fold("  Côte d'Ivoire ")
    'cote d ivoire'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    # Dots inside abbreviations ("U.K.") join letters; other punctuation separates words.
    return _NOT_ALNUM.sub(" ", bare.replace(".", "")).strip()


def _variants(name: str) -> Iterator[tuple[int, str]]:
    """A name and the shorter forms derived from it, each with its priority (lower wins)."""
    yield 0, name
    base = name
    bracket = _BRACKET.search(name)
    if bracket is not None:
        base = f"{name[:bracket.start()]} {name[bracket.end():]}".strip()
        yield 1, base
        yield 1, bracket.group(1)
    if "," in base:
        # pycountry inverts some names ("Korea, Republic of", "Åland, Îles"): the part
        # before the comma alone, and both parts in reading order, are what people write.
        head, _, tail = base.partition(",")
        yield 1, head
        yield 1, f"{tail.strip()} {head}"


@functools.cache
def _index() -> Mapping[str, str]:
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)
    best: dict[str, tuple[int, str | None]] = {}

    def offer(priority: int, name: str, code: str) -> None:
        key = fold(name)
        if not key:
            return
        current = best.get(key)
        if current is None or priority < current[0]:
            best[key] = (priority, code)
        elif priority == current[0] and current[1] != code:
            # Two countries share this derived name ("Congo", "Korea"): it decides nothing.
            best[key] = (priority, None)

    for country in pycountry.countries:
        code = country.alpha_2
        names: Iterable[str] = [
            n for n in (getattr(country, attr, None) for attr in ("name", "official_name", "common_name"))
            if n
        ]
        for name in names:
            for english_or_french in (name, french.gettext(name)):
                for priority, variant in _variants(english_or_french):
                    offer(priority + 1, variant, code)
    for code, aliases in _ALIASES.items():
        for alias in aliases:
            offer(0, alias, code)
    return {key: code for key, (_, code) in best.items() if code is not None}


@functools.cache
def _codes() -> tuple[frozenset[str], Mapping[str, str]]:
    alpha2 = frozenset(c.alpha_2 for c in pycountry.countries)
    alpha3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    return alpha2, alpha3


def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country name (English or French) or code, else ``None``.

    >>> country_code("Allemagne"), country_code("fra"), country_code("UK"), country_code("Frence")
    ('DE', 'FR', 'GB', None)
    """
    alpha2, alpha3 = _codes()
    compact = text.strip().upper()
    if len(compact) == 2 and compact in alpha2:
        return compact
    if len(compact) == 3 and compact in alpha3:
        return alpha3[compact]
    key = fold(text)
    index = _index()
    found = index.get(key)
    if found is None:
        for article in _ARTICLES:
            if key.startswith(article):
                found = index.get(key[len(article):])
                break
    return found
