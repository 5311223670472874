"""The planner's only I/O: the store reads, asked as :class:`Read` requests in chunks.

Each function is a generator: ``yield from`` it inside the planning core; it yields one
request per chunk of keys and returns what the store answered, keyed as the rules need it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import cast

from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name
from upflow_import.planning.requests import Read, Reading, answer_of
from upflow_import.repository import Id, StoredClient, StoredContact

__all__ = ["Lookups"]


class Lookups:
    """Batched, counted reads: each lookup is asked in chunks of ``chunk_size`` keys, and only
    the optional ones the store ``offers``."""

    def __init__(self, chunk_size: int, offers: frozenset[str]) -> None:
        self.chunk_size = chunk_size
        self.offers = offers
        #: Read calls made, per method name.
        self.calls: dict[str, int] = {}

    def ask(self, method: str, *args: object) -> Reading[object]:
        """One read: the store's answer (its exception raised again when it failed)."""
        self.calls[method] = self.calls.get(method, 0) + 1
        return answer_of((yield Read(method, args)))

    def _all(self, method: str, keys: Sequence[object]) -> Reading[list[object]]:
        found: list[object] = []
        size = self.chunk_size
        for start in range(0, len(keys), size):
            found.extend(cast("Iterable[object]", (yield from self.ask(method, keys[start:start + size]))))
        return found

    def clients_by_ids(self, ids: Sequence[Id]) -> Reading[list[StoredClient]]:
        return cast("list[StoredClient]", (yield from self._all("find_clients_by_ids", ids)))

    def clients_by_external_ids(self, keys: Sequence[str]) -> Reading[dict[str, StoredClient]]:
        wanted = set(keys)
        found = cast("list[StoredClient]", (yield from self._all("find_clients_by_external_ids", keys)))
        return {c.external_id: c for c in found if c.external_id is not None and c.external_id in wanted}

    def clients_by_names(self, keys: Sequence[str]) -> Reading[dict[str, list[StoredClient]]]:
        wanted = set(keys)
        by_name: dict[str, list[StoredClient]] = {}
        for client in cast("list[StoredClient]", (yield from self._all("find_clients_by_names", keys))):
            name_key = normalize_name(client.name)
            if name_key in wanted:
                by_name.setdefault(name_key, []).append(client)
        return by_name

    def contacts_by_emails(self, keys: Sequence[str]) -> Reading[dict[str, StoredContact]]:
        found = cast("list[StoredContact]", (yield from self._all("find_contacts_by_emails", keys)))
        return {normalize_email(contact.email): contact for contact in found}

    def contacts_by_external_ids(self, keys: Sequence[str]) -> Reading[dict[str, StoredContact] | None]:
        """``None`` when the store cannot look contacts up by external id."""
        if "find_contacts_by_external_ids" not in self.offers:
            return None
        if not keys:
            return {}
        found = cast("list[StoredContact]", (yield from self._all("find_contacts_by_external_ids", keys)))
        by_id: dict[str, StoredContact] = {}
        for contact in found:
            external_id = contact.values.get(Field.CONTACT_EXTERNAL_ID)
            if external_id is not None:
                by_id[str(external_id)] = contact
        return by_id

    def known(self, method: str, keys: Sequence[str]) -> Reading[set[str] | None]:
        """The subset of ``keys`` the store knows; ``None`` when it does not track them."""
        known: set[str] = set()
        size = self.chunk_size
        for start in range(0, len(keys), size):
            subset = cast("Collection[str] | None", (yield from self.ask(method, keys[start:start + size])))
            if subset is None:
                return None
            known.update(subset)
        return known

    def listing(self, method: str) -> Reading[list[str]]:
        """Every value of an optional listing (``all_account_managers``…); none when not offered."""
        if method not in self.offers:
            return []
        return list(cast("Iterable[str]", (yield from self.ask(method))))
