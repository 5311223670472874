"""\"Did you mean\": the known value a cell was most likely meant to be."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import NamedTuple

__all__ = ["Suggestion", "suggest"]


class Suggestion(NamedTuple):
    """A known value a cell was most likely meant to be."""

    value: str
    #: The two are equal once case and spaces are normalised.
    same_but_spacing: bool


def suggest(value: str, choices: Iterable[str], normalize: Callable[[str], str]) -> Suggestion | None:
    """The known value ``value`` was most likely meant to be, if any.

    Returns ``Suggestion(value, same_but_spacing)``: ``same_but_spacing`` is true
    when the two are equal once case and spaces are normalised (a
    non-breaking space, an upper-case letter), else the suggestion is the
    closest spelling (difflib) above a similarity of 0.75.

    >>> from upflow_import import normalize_name
    >>> suggest("Plan standard", ["Plan Standard", "Plan VIP"], normalize_name)
    Suggestion(value='Plan Standard', same_but_spacing=True)
    """
    by_key: dict[str, str] = {}
    for choice in choices:
        by_key.setdefault(normalize(choice), choice)
    key = normalize(value)
    if key in by_key:
        found = by_key[key]
        # A suggestion that looks like the cell itself (they differ by a kind of space) helps
        # nobody: the caller compares both sides normalised and finds the value known.
        return None if _as_seen(found) == _as_seen(value) else Suggestion(found, True)
    close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.75)
    return Suggestion(by_key[close[0]], False) if close else None


def _as_seen(text: str) -> str:
    """``text`` as a reader sees it: every kind of space alike, runs of them as one."""
    return " ".join(text.split())
