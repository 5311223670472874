"""The record classes as type checkers see them, generated from the field declarations.

Do not edit: :func:`upflow_import.model.render_record_types` writes it (a test checks it is up
to date). At run time the classes are made by :mod:`upflow_import.model` from the same declarations.
"""

from __future__ import annotations

import attrs

from upflow_import.model import ClientRecordMethods, ClientRef, ContactRecordMethods, Position

__all__ = ["Address", "ClientRecord", "ClientRef", "ContactRecord", "Position"]


@attrs.frozen(slots=True)
class Address:
    """A postal address; ``street`` is the street line only, as the article asks."""

    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class ClientRecord(ClientRecordMethods):
    """The client part of one or more rows. Unfilled fields are ``None`` (or ``()``).

    ``rows`` are the file rows it came from (one for a parsed row; several once merged);
    ``parent`` is the parent client when it is a subsidiary."""

    rows: tuple[int, ...]
    external_id: str | None = None
    name: str | None = None
    accounting_code: str | None = None
    vat_number: str | None = None
    address: Address = Address()
    account_manager_emails: tuple[str, ...] = ()
    dunning_plan: str | None = None
    payment_term_days: int | None = None
    parent: ClientRef | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class ContactRecord(ContactRecordMethods):
    """The contact part of one or more rows; its identity is its normalised email (``key``)."""

    rows: tuple[int, ...]
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    external_id: str | None = None
    position: Position | None = None
    is_main: bool | None = None
