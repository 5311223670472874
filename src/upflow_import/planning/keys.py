"""How a planning run keys clients: the kinds of client identity, and names and emails
normalised once per run."""

from __future__ import annotations

from collections.abc import Hashable
from typing import NamedTuple

from upflow_import.identity import normalize_email, normalize_name

__all__ = ["KEY_ID", "KEY_NAME", "KEY_STORED", "ClientKey", "NormalizedKeys"]

KEY_ID, KEY_NAME, KEY_STORED = "id", "name", "stored"


class ClientKey(NamedTuple):
    """The identity of a client entity: ``ClientKey(KEY_ID, external id)``,
    ``ClientKey(KEY_NAME, normalised name)`` for a new client known by name only, or
    ``ClientKey(KEY_STORED, stored id)`` for a stored client without external id found by
    its name."""

    kind: str
    value: Hashable


class NormalizedKeys:
    """:func:`~upflow_import.normalize_name` and :func:`~upflow_import.normalize_email` of the
    values one planning run meets, each computed once.

    The same names and manager emails come back on many rows and in several passes. The
    memo belongs to the run and goes with it: no customer value outlives the import in a
    module-level cache.
    """

    __slots__ = ("_emails", "_names")

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._emails: dict[str, str] = {}

    def name(self, name: str) -> str:
        """``normalize_name(name)``."""
        key = self._names.get(name)
        if key is None:
            key = self._names[name] = normalize_name(name)
        return key

    def email(self, email: str) -> str:
        """``normalize_email(email)``."""
        key = self._emails.get(email)
        if key is None:
            key = self._emails[email] = normalize_email(email)
        return key
