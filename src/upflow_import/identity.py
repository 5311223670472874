"""Identity normalisation shared by the planner and by repositories."""

from __future__ import annotations

import re
import unicodedata

# Python's \s already covers the non-breaking and narrow spaces (U+00A0,
# U+202F) that accounting exports are full of; zero-width characters are not
# whitespace for Python, so they are listed to make "Acme\u200b" equal "Acme".
_SPACES = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def normalize_name(name: str) -> str:
    """Return the key under which two client names are the same client.

    Surrounding whitespace is dropped, inner runs of any whitespace (including
    non-breaking spaces) become one space, and case is folded.

    >>> normalize_name("  ACME\\u00a0 Industries ")
    'acme industries'
    """
    # Printable text has no whitespace but the plain space (every other space, line break
    # and zero-width character is a separator or a control): then casefold is all it needs,
    # unless spaces are doubled or at an end.
    if name.isprintable() and "  " not in name and name[:1] != " " and name[-1:] != " ":
        return name.casefold()
    return _SPACES.sub(" ", name).strip().casefold()


def normalize_email(email: str) -> str:
    """Return the key under which two contact emails are the same contact.

    >>> normalize_email(" Jean.Dupont@Example.FR ")
    'jean.dupont@example.fr'
    """
    if email.isprintable() and " " not in email:  # no space of any kind: see normalize_name
        # Already folded ASCII is its own key: no copy (millions of them on large files).
        return email if email.isascii() and email.islower() else email.casefold()
    return _SPACES.sub("", email).casefold()


def normalize_reference(name: str) -> str:
    """Return the key under which a cell and a registered dunning plan are the same plan.

    They are compared as a reader sees them: every kind of space (non-breaking,
    narrow, zero-width, a line break) is a space, runs of them are one, the ends
    are trimmed, and accents are composed (NFC) whichever way they were typed.
    Case is visible, so it counts: ``Plan standard`` is not ``Plan Standard``.

    >>> normalize_reference("  Plan\u00a0\u202fstandard ") == normalize_reference("Plan standard")
    True
    """
    if name.isascii() and name.isprintable() and "  " not in name and name[:1] != " " and name[-1:] != " ":
        return name
    return unicodedata.normalize("NFC", _SPACES.sub(" ", name).strip())
