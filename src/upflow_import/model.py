"""Typed records: what one row of the file says about a client and a contact."""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs

from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name
from upflow_import.issues import Issue, Severity

if TYPE_CHECKING:
    from upflow_import.mapping import ColumnMapping

#: The Python type of a field's value: text, a number of days, a flag, or
#: several account-manager emails.
FieldValue = str | int | bool | tuple[str, ...]

# The fields of ClientRecord.values() and ContactRecord.values(), in their order.
_CLIENT_FIELDS = (
    Field.CLIENT_EXTERNAL_ID, Field.CLIENT_NAME, Field.CLIENT_ACCOUNTING_CODE, Field.CLIENT_VAT_NUMBER,
    Field.CLIENT_ADDRESS, Field.CLIENT_POSTAL_CODE, Field.CLIENT_CITY, Field.CLIENT_STATE,
    Field.CLIENT_COUNTRY, Field.CLIENT_ACCOUNT_MANAGER_EMAIL, Field.CLIENT_DUNNING_PLAN,
    Field.CLIENT_PAYMENT_TERM_DAYS,
)
_CONTACT_FIELDS = (
    Field.CONTACT_EMAIL, Field.CONTACT_FIRST_NAME, Field.CONTACT_LAST_NAME, Field.CONTACT_PHONE,
    Field.CONTACT_EXTERNAL_ID, Field.CONTACT_POSITION, Field.CONTACT_IS_MAIN,
)


class Position(str, enum.Enum):
    """A contact's role, as Upflow names it."""

    ACCOUNTING = "ACCOUNTING"
    SALES = "SALES"
    PURCHASER = "PURCHASER"
    PAYER = "PAYER"

    def __str__(self) -> str:
        return self.value


@attrs.frozen(slots=True)
class Address:
    """A postal address; ``street`` is the street line only, as the article asks."""

    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    state: str | None = None
    #: ISO 3166-1 alpha-2 when recognised, else the text as written.
    country: str | None = None


@attrs.frozen(slots=True)
class ClientRef:
    """A reference to a client by id and/or name (a row's client, or a group's parent)."""

    external_id: str | None = None
    name: str | None = None

    @property
    def name_key(self) -> str | None:
        return None if self.name is None else normalize_name(self.name)

    def __bool__(self) -> bool:
        return self.external_id is not None or self.name is not None

    def describe(self) -> str:
        """How a person would name it in a message."""
        if self.external_id is not None and self.name is not None:
            return f"{self.name} ({self.external_id})"
        return self.external_id or self.name or "?"


# The records parse() makes one of per row have no __weakref__ slot: see _fast_constructor.
@attrs.frozen(slots=True, weakref_slot=False)
class ClientRecord:
    """The client part of one or more rows. Unfilled fields are ``None`` (or ``()``)."""

    #: The file rows this record came from (one for a parsed row; several once merged).
    rows: tuple[int, ...]
    external_id: str | None = None
    name: str | None = None
    accounting_code: str | None = None
    vat_number: str | None = None
    address: Address = Address()
    account_manager_emails: tuple[str, ...] = ()
    dunning_plan: str | None = None
    payment_term_days: int | None = None
    #: The parent client when this client is a subsidiary.
    parent: ClientRef | None = None

    @property
    def ref(self) -> ClientRef:
        return ClientRef(self.external_id, self.name)

    def values(self) -> dict[Field, FieldValue]:
        """The filled-in client fields (group fields excluded: see ``parent``)."""
        a = self.address
        cells: tuple[FieldValue | None, ...] = (
            self.external_id, self.name, self.accounting_code, self.vat_number, a.street, a.postal_code,
            a.city, a.state, a.country, self.account_manager_emails or None, self.dunning_plan,
            self.payment_term_days,
        )
        # Called for every row by the planner: fields are zipped from a constant, not looked up.
        return {field: value for field, value in zip(_CLIENT_FIELDS, cells, strict=True) if value is not None}

    @classmethod
    def from_values(
        cls,
        rows: tuple[int, ...],
        values: dict[Field, FieldValue],
        parent: ClientRef | None = None,
    ) -> ClientRecord:
        """The inverse of :meth:`values`."""

        def text(field: Field) -> str | None:
            value = values.get(field)
            return None if value is None else str(value)

        term = values.get(Field.CLIENT_PAYMENT_TERM_DAYS)
        managers = values.get(Field.CLIENT_ACCOUNT_MANAGER_EMAIL, ())
        return cls(
            rows=rows,
            external_id=text(Field.CLIENT_EXTERNAL_ID),
            name=text(Field.CLIENT_NAME),
            accounting_code=text(Field.CLIENT_ACCOUNTING_CODE),
            vat_number=text(Field.CLIENT_VAT_NUMBER),
            address=Address(
                street=text(Field.CLIENT_ADDRESS),
                postal_code=text(Field.CLIENT_POSTAL_CODE),
                city=text(Field.CLIENT_CITY),
                state=text(Field.CLIENT_STATE),
                country=text(Field.CLIENT_COUNTRY),
            ),
            account_manager_emails=tuple(managers) if isinstance(managers, tuple) else (),
            dunning_plan=text(Field.CLIENT_DUNNING_PLAN),
            payment_term_days=term if isinstance(term, int) else None,
            parent=parent,
        )


@attrs.frozen(slots=True, weakref_slot=False)
class ContactRecord:
    """The contact part of one or more rows."""

    rows: tuple[int, ...]
    #: As written (trimmed); identity is :attr:`key`.
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    #: E.164 when it parsed, else as written.
    phone: str | None = None
    external_id: str | None = None
    position: Position | None = None
    #: ``True`` main, ``False`` explicitly not main, ``None`` not said.
    is_main: bool | None = None

    @property
    def key(self) -> str | None:
        """The identity of the contact: its normalised email."""
        return None if self.email is None else normalize_email(self.email)

    def values(self) -> dict[Field, FieldValue]:
        """The filled-in contact fields."""
        position = self.position
        cells: tuple[FieldValue | None, ...] = (
            self.email, self.first_name, self.last_name, self.phone, self.external_id,
            # _value_ is what Enum.value returns, without the descriptor's cost.
            None if position is None else position._value_, self.is_main,
        )
        return {field: value for field, value in zip(_CONTACT_FIELDS, cells, strict=True)
                if value is not None}

    @classmethod
    def from_values(cls, rows: tuple[int, ...], values: dict[Field, FieldValue]) -> ContactRecord:
        """The inverse of :meth:`values`."""

        def text(field: Field) -> str | None:
            value = values.get(field)
            return None if value is None else str(value)

        position = values.get(Field.CONTACT_POSITION)
        is_main = values.get(Field.CONTACT_IS_MAIN)
        return cls(
            rows=rows,
            email=text(Field.CONTACT_EMAIL),
            first_name=text(Field.CONTACT_FIRST_NAME),
            last_name=text(Field.CONTACT_LAST_NAME),
            phone=text(Field.CONTACT_PHONE),
            external_id=text(Field.CONTACT_EXTERNAL_ID),
            position=None if position is None else Position(str(position)),
            is_main=is_main if isinstance(is_main, bool) else None,
        )


def _is_error(issue: Issue) -> bool:
    return issue.severity is Severity.ERROR


@attrs.frozen(slots=True, weakref_slot=False)
class ParsedRow:
    """One data row after parsing: its records, its issues and its original cells."""

    number: int
    #: The client the row describes or refers to (``None`` only when the whole
    #: row could not be read, e.g. a CSV line with the wrong number of cells).
    client: ClientRecord | None
    #: The contact of the row; ``None`` when the row has no contact cells.
    contact: ContactRecord | None
    issues: tuple[Issue, ...] = ()
    #: The row's original cells, aligned with the table headers (for the failed-rows export).
    cells: tuple[str | None, ...] = ()

    # Most rows have no issue: each property answers those first, without a generator.

    @property
    def row_ok(self) -> bool:
        """False when an error concerns the whole row (no field)."""
        return not self.issues or not any(_is_error(i) and i.field is None for i in self.issues)

    @property
    def client_ok(self) -> bool:
        """False when an error concerns a client or group field, or the whole row."""
        return self.client is not None and (not self.issues or not any(
            _is_error(i) and (i.field is None or not i.field.startswith("contact."))
            for i in self.issues
        ))

    @property
    def contact_ok(self) -> bool:
        """False when the row has no usable contact (errors on contact fields included)."""
        return self.contact is not None and (not self.issues or (self.row_ok and not any(
            _is_error(i) and i.field is not None and i.field.startswith("contact.")
            for i in self.issues
        )))

    @property
    def has_errors(self) -> bool:
        return bool(self.issues) and any(_is_error(i) for i in self.issues)


@attrs.frozen
class ParsedImport:
    """The output of :func:`~upflow_import.parse`: every row typed, every problem found."""

    rows: tuple[ParsedRow, ...]
    #: Problems that concern the file or the mapping rather than one row.
    issues: tuple[Issue, ...]
    headers: tuple[str, ...]
    mapping: ColumnMapping
    format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    @property
    def all_issues(self) -> tuple[Issue, ...]:
        """File-level issues then every row's issues, in row order."""
        return self.issues + tuple(i for row in self.rows for i in row.issues)

    @property
    def has_file_errors(self) -> bool:
        """True when the file or mapping itself is unusable (nothing can be imported)."""
        return any(_is_error(i) for i in self.issues)


# -- fast construction -------------------------------------------------------------------------

_T = TypeVar("_T", bound=attrs.AttrsInstance)


def fast_constructor(cls: type[_T], twin: type) -> Callable[..., _T]:
    """A constructor of the frozen attrs class ``cls`` taking every field positionally, about
    twice as fast as ``cls(...)``, for code that makes one per row of a file.

    attrs' frozen ``__init__`` sets each field through ``object.__setattr__``; ``twin`` is a
    plain class with ``cls``'s slots whose ``__init__`` sets them all in order with ordinary
    assignments. The instance is made a ``twin``, then becomes a ``cls`` (CPython allows it
    between classes of one slot layout): from then on it is a ``cls`` like any other, frozen,
    equal and hashed alike. ``cls`` itself is returned whenever the two do not match exactly
    (fields, converters, validators, layout), so nothing can go wrong silently.
    """
    fields = attrs.fields(cls)
    names = tuple(field.name for field in fields)
    if (names != tuple(inspect.signature(twin).parameters)
            or getattr(twin, "__slots__", None) != getattr(cls, "__slots__", None)
            or any(field.converter is not None or field.validator is not None for field in fields)):
        return cls

    def construct(*values: Any) -> _T:
        made = twin(*values)
        made.__class__ = cls
        return made  # type: ignore[no-any-return]

    try:
        # A twin whose __init__ ends by making the instance a ``cls`` is the constructor
        # itself: no wrapper call per record (type() returns what __init__ leaves).
        if type(twin(*(None,) * len(names))) is cls:
            return cast("Callable[..., _T]", twin)
        probe = construct(*(None,) * len(names))
    except TypeError:  # "object layout differs": not on this interpreter
        return cls
    return construct if type(probe) is cls else cls


class _ClientRecordSlots:
    __slots__ = ClientRecord.__slots__

    def __init__(self, rows: object, external_id: object, name: object,  # noqa: PLR0917
                 accounting_code: object, vat_number: object, address: object, account_manager_emails: object,
                 dunning_plan: object, payment_term_days: object, parent: object) -> None:
        self.rows = rows
        self.external_id = external_id
        self.name = name
        self.accounting_code = accounting_code
        self.vat_number = vat_number
        self.address = address
        self.account_manager_emails = account_manager_emails
        self.dunning_plan = dunning_plan
        self.payment_term_days = payment_term_days
        self.parent = parent
        self.__class__ = ClientRecord  # type: ignore[assignment]  # see fast_constructor


class _ContactRecordSlots:
    __slots__ = ContactRecord.__slots__

    def __init__(self, rows: object, email: object, first_name: object,  # noqa: PLR0917
                 last_name: object, phone: object, external_id: object, position: object,
                 is_main: object) -> None:
        self.rows = rows
        self.email = email
        self.first_name = first_name
        self.last_name = last_name
        self.phone = phone
        self.external_id = external_id
        self.position = position
        self.is_main = is_main
        self.__class__ = ContactRecord  # type: ignore[assignment]  # see fast_constructor


class _ParsedRowSlots:
    __slots__ = ParsedRow.__slots__

    def __init__(self, number: object, client: object, contact: object, issues: object,
                 cells: object) -> None:
        self.number = number
        self.client = client
        self.contact = contact
        self.issues = issues
        self.cells = cells
        self.__class__ = ParsedRow  # type: ignore[assignment]  # see fast_constructor


#: ``ClientRecord(...)`` with every field given positionally, for code that makes one per row.
new_client_record = fast_constructor(ClientRecord, _ClientRecordSlots)
#: ``ContactRecord(...)`` with every field given positionally.
new_contact_record = fast_constructor(ContactRecord, _ContactRecordSlots)
#: ``ParsedRow(...)`` with every field given positionally.
new_parsed_row = fast_constructor(ParsedRow, _ParsedRowSlots)
