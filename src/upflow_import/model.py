"""Typed records: what one row of the file says about a client and a contact."""

from __future__ import annotations

import enum
import functools
import inspect
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast, overload

import attrs

from upflow_import.fields import Field, FieldSpec, Kind
from upflow_import.identity import normalize_email, normalize_name
from upflow_import.issues import Issue, Severity

if TYPE_CHECKING:
    from upflow_import.mapping import ColumnMapping

#: The Python type of a field's value: text, a number of days, a flag, or
#: several account-manager emails.
FieldValue = str | int | bool | tuple[str, ...]

class Position(str, enum.Enum):
    """A contact's role, as Upflow names it."""

    ACCOUNTING = "ACCOUNTING"
    SALES = "SALES"
    PURCHASER = "PURCHASER"
    PAYER = "PAYER"

    def __str__(self) -> str:
        return self.value


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


# -- records, derived from the field declarations -------------------------------------------------
#
# The attributes of Address, ClientRecord and ContactRecord are the fields' declarations
# (upflow_import.fields): each field's ``attribute`` names the record attribute (or the part of a
# nested value) that holds it, and its kind the Python type. The classes are made from them when
# this module is imported; for type checkers, ``_record_types.py`` declares the same classes, and
# is generated from the same declarations (see render_record_types; a test keeps it up to date).


def _annotation(spec: FieldSpec) -> str:
    """The Python type of the attribute holding a field of ``spec``'s kind."""
    kind = spec.kind
    if kind is Kind.EMAILS:
        return "tuple[str, ...]"
    if kind is Kind.INTEGER:
        return "int | None"
    if kind is Kind.FLAG:
        return "bool | None"
    if kind is Kind.CHOICE:
        return "Position | None"
    return "str | None"


def _default_source(spec: FieldSpec) -> str:
    return "()" if spec.kind is Kind.EMAILS else "None"


class _Attribute(NamedTuple):
    """One attribute of a record: its name, its type as written, its default as written, and the
    fields it holds (one; several for a nested value such as the address)."""

    name: str
    annotation: str
    default: str | None
    fields: tuple[Field, ...]


def _layout(entity: str) -> tuple[_Attribute, ...]:
    """The attributes of an entity's record, in declaration order: ``rows`` first, a nested
    value where its first part is declared, the client's ``parent`` (its group) last."""
    attributes: list[_Attribute] = [_Attribute("rows", "tuple[int, ...]", None, ())]
    places: dict[str, list[Field]] = {}
    for field in Field:
        spec = field.spec
        owner = "client" if spec.entity == "group" else spec.entity
        if owner != entity:
            continue
        place = spec.place
        if place is None:
            attributes.append(_Attribute(spec.name, _annotation(spec), _default_source(spec), (field,)))
        elif place not in places:
            places[place] = [field]
            attributes.append(_Attribute(place, "", None, ()))
        else:
            places[place].append(field)
    laid: list[_Attribute] = []
    for attribute in attributes:
        held = places.get(attribute.name)
        if held is None or attribute.fields:
            laid.append(attribute)
        elif attribute.name == "parent":  # the group fields: a reference to the parent client
            laid.append(_Attribute("parent", "ClientRef | None", "None", tuple(held)))
        else:
            laid.append(_Attribute(attribute.name, attribute.name.title(), f"{attribute.name.title()}()",
                                   tuple(held)))
    # The parent comes last, whatever the declaration order.
    laid.sort(key=lambda attribute: attribute.name == "parent")
    return tuple(laid)


def _place_layout(place: str) -> tuple[_Attribute, ...]:
    """The attributes of a nested value (the address): one per field it holds."""
    return tuple(_Attribute(field.spec.name, _annotation(field.spec), _default_source(field.spec), (field,))
                 for field in Field if field.spec.place == place)


_CLIENT_LAYOUT = _layout("client")
_CONTACT_LAYOUT = _layout("contact")
_ADDRESS_LAYOUT = _place_layout("address")

#: The client fields of ClientRecord.values() (group fields excluded: see ``parent``), in order.
CLIENT_FIELDS: tuple[Field, ...] = tuple(field for field in Field if field.entity == "client")
#: The fields of ContactRecord.values(), in order.
CONTACT_FIELDS: tuple[Field, ...] = tuple(field for field in Field if field.entity == "contact")


class _Value(NamedTuple):
    """How values() reads one field of a record."""

    field: Field
    get: Callable[[Any], Any]
    kind: Kind


def _value_readers(fields: tuple[Field, ...]) -> tuple[_Value, ...]:
    return tuple(_Value(field, operator.attrgetter(field.spec.attribute), field.spec.kind)
                 for field in fields)


_CLIENT_VALUES = _value_readers(CLIENT_FIELDS)
_CONTACT_VALUES = _value_readers(CONTACT_FIELDS)


def _stored_form(value: Any, kind: Kind) -> FieldValue | None:
    """A record attribute's value as :meth:`ClientRecord.values` gives it (``None``: not filled)."""
    if kind is Kind.EMAILS:
        return value or None
    if kind is Kind.CHOICE and value is not None:
        return value._value_  # type: ignore[no-any-return]  # what Enum.value returns, without its descriptor
    return value  # type: ignore[no-any-return]


def _values(record: object, readers: tuple[_Value, ...]) -> dict[Field, FieldValue]:
    values: dict[Field, FieldValue] = {}
    for field, get, kind in readers:
        value = _stored_form(get(record), kind)
        if value is not None:
            values[field] = value
    return values


def _typed(field: Field, value: FieldValue | None) -> Any:
    """The attribute value of ``field`` for a value as values() gives it (the inverse of _stored_form)."""
    kind = field.spec.kind
    if kind is Kind.EMAILS:
        return tuple(value) if isinstance(value, tuple) else ()
    if value is None:
        return None
    if kind is Kind.INTEGER:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind is Kind.FLAG:
        return value if isinstance(value, bool) else None
    if kind is Kind.CHOICE:
        return Position(str(value))
    return str(value)


def _from_values(layout: tuple[_Attribute, ...], values: Mapping[Field, FieldValue]) -> dict[str, Any]:
    """The keyword arguments of a record (``rows`` and the parent excepted) for ``values``."""
    arguments: dict[str, Any] = {}
    for attribute in layout:
        if attribute.name in ("rows", "parent"):
            continue
        if attribute.name == "address":
            arguments["address"] = Address(**{field.spec.name: _typed(field, values.get(field))
                                              for field in attribute.fields})
        else:
            (field,) = attribute.fields
            arguments[attribute.name] = _typed(field, values.get(field))
    return arguments


class ClientRecordMethods:
    """What a :class:`ClientRecord` does beyond holding its fields."""

    __slots__ = ()

    @property
    def ref(self) -> ClientRef:
        record = cast("ClientRecord", self)
        return ClientRef(record.external_id, record.name)

    def values(self) -> dict[Field, FieldValue]:
        """The filled-in client fields (group fields excluded: see ``parent``)."""
        return _values(self, _CLIENT_VALUES)

    @classmethod
    def from_values(
        cls,
        rows: tuple[int, ...],
        values: Mapping[Field, FieldValue],
        parent: ClientRef | None = None,
    ) -> ClientRecord:
        """The inverse of :meth:`values`."""
        return ClientRecord(rows=rows, parent=parent, **_from_values(_CLIENT_LAYOUT, values))


class ContactRecordMethods:
    """What a :class:`ContactRecord` does beyond holding its fields."""

    __slots__ = ()

    @property
    def key(self) -> str | None:
        """The identity of the contact: its normalised email."""
        email = cast("ContactRecord", self).email
        return None if email is None else normalize_email(email)

    def values(self) -> dict[Field, FieldValue]:
        """The filled-in contact fields."""
        return _values(self, _CONTACT_VALUES)

    @classmethod
    def from_values(cls, rows: tuple[int, ...], values: Mapping[Field, FieldValue]) -> ContactRecord:
        """The inverse of :meth:`values`."""
        return ContactRecord(rows=rows, **_from_values(_CONTACT_LAYOUT, values))


_DOCS = {
    "Address": 'A postal address; ``street`` is the street line only, as the article asks.',
    "ClientRecord": "The client part of one or more rows. Unfilled fields are ``None`` (or ``()``).\n\n"
                    "    ``rows`` are the file rows it came from (one for a parsed row; several once "
                    "merged);\n    ``parent`` is the parent client when it is a subsidiary.",
    "ContactRecord": "The contact part of one or more rows; its identity is its normalised email (``key``).",
}
_DECORATORS = {
    "Address": "@attrs.frozen(slots=True)",
    "ClientRecord": "@attrs.frozen(slots=True, weakref_slot=False)",
    "ContactRecord": "@attrs.frozen(slots=True, weakref_slot=False)",
}
_BASES = {"Address": "", "ClientRecord": "(ClientRecordMethods)", "ContactRecord": "(ContactRecordMethods)"}


def _class_source(name: str, layout: tuple[_Attribute, ...]) -> str:
    lines = [_DECORATORS[name], f"class {name}{_BASES[name]}:", f'    """{_DOCS[name]}"""', ""]
    for attribute in layout:
        default = "" if attribute.default is None else f" = {attribute.default}"
        lines.append(f"    {attribute.name}: {attribute.annotation}{default}")
    return "\n".join(lines) + "\n"


def render_record_types() -> str:
    """The source of ``_record_types.py``: the record classes as type checkers see them,
    written from the field declarations. Regenerate it with
    ``python -c "import upflow_import.model as m; print(m.render_record_types(), end='')"
    > src/upflow_import/_record_types.py`` after changing a declaration."""
    header = '''"""The record classes as type checkers see them, generated from the field declarations.

Do not edit: :func:`upflow_import.model.render_record_types` writes it (a test checks it is up
to date). At run time the classes are made by :mod:`upflow_import.model` from the same declarations.
"""

from __future__ import annotations

import attrs

from upflow_import.model import ClientRecordMethods, ClientRef, ContactRecordMethods, Position

__all__ = ["Address", "ClientRecord", "ClientRef", "ContactRecord", "Position"]
'''
    classes = [_class_source("Address", _ADDRESS_LAYOUT), _class_source("ClientRecord", _CLIENT_LAYOUT),
               _class_source("ContactRecord", _CONTACT_LAYOUT)]
    return header + "\n\n" + "\n\n".join(classes)


def _make_class(name: str, layout: tuple[_Attribute, ...], bases: tuple[type, ...],
                namespace: Mapping[str, object], *, weakref_slot: bool = True) -> type:
    """The attrs class ``name`` with ``layout``'s attributes (the defaults evaluated in
    ``namespace``), as :func:`render_record_types` declares it."""
    these = {
        attribute.name: attrs.field() if attribute.default is None
        else attrs.field(default=eval(attribute.default, dict(namespace)))  # our own literals
        for attribute in layout
    }
    made = attrs.make_class(name, these, bases=bases, frozen=True, slots=True, weakref_slot=weakref_slot)
    made.__module__ = __name__
    made.__qualname__ = name
    made.__doc__ = _DOCS[name]
    return made


if TYPE_CHECKING:
    from upflow_import._record_types import Address as Address  # noqa: PLC0414  # re-exported
    from upflow_import._record_types import ClientRecord as ClientRecord  # noqa: PLC0414  # re-exported
    from upflow_import._record_types import ContactRecord as ContactRecord  # noqa: PLC0414  # re-exported
else:
    Address = _make_class("Address", _ADDRESS_LAYOUT, (), {})
    ClientRecord = _make_class("ClientRecord", _CLIENT_LAYOUT, (ClientRecordMethods,),
                               {"Address": Address}, weakref_slot=False)
    ContactRecord = _make_class("ContactRecord", _CONTACT_LAYOUT, (ContactRecordMethods,), {},
                                weakref_slot=False)

def _is_error(issue: Issue) -> bool:
    return issue.severity is Severity.ERROR


def client_fields_ok(issues: tuple[Issue, ...]) -> bool:
    """No error of ``issues`` concerns a client or group field, or the whole row."""
    return not issues or not any(_is_error(i) and (i.field is None or not i.field.is_contact) for i in issues)


def contact_fields_ok(issues: tuple[Issue, ...]) -> bool:
    """No error of ``issues`` concerns a contact field, or the whole row."""
    return not issues or not any(_is_error(i) and (i.field is None or i.field.is_contact) for i in issues)


@attrs.frozen(slots=True, weakref_slot=False)
class ParsedRow:
    """One data row after parsing: its records, its issues and its original cells.

    :attr:`ParsedImport.rows` makes them from the parsed file's columns when they are asked for.
    """

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
        return self.client is not None and client_fields_ok(self.issues)

    @property
    def contact_ok(self) -> bool:
        """False when the row has no usable contact (errors on contact fields included)."""
        return self.contact is not None and contact_fields_ok(self.issues)

    @property
    def has_errors(self) -> bool:
        return bool(self.issues) and any(_is_error(i) for i in self.issues)


class _Rows(Sequence[ParsedRow]):
    """:attr:`ParsedImport.rows`: each :class:`ParsedRow` made from the columns when asked for."""

    __slots__ = ("_parsed",)

    def __init__(self, parsed: ParsedImport) -> None:
        self._parsed = parsed

    def __len__(self) -> int:
        return len(self._parsed.numbers)

    @overload
    def __getitem__(self, position: int) -> ParsedRow: ...
    @overload
    def __getitem__(self, position: slice) -> Sequence[ParsedRow]: ...

    def __getitem__(self, position: int | slice) -> ParsedRow | Sequence[ParsedRow]:
        if isinstance(position, slice):
            return [self._parsed.row(index) for index in range(len(self))[position]]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        return self._parsed.row(position)

    def __iter__(self) -> Iterator[ParsedRow]:
        return map(self._parsed.row, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Rows):
            other = tuple(other)
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"ParsedRows({list(self)!r})"


@attrs.frozen(eq=False)
class ParsedImport:
    """The output of :func:`~upflow_import.parse`: every row typed, every problem found.

    The file is held as columns: one sequence of values per mapped field (each distinct
    cell parsed once, its value shared by every row that has it: see :meth:`column`), the
    row numbers, the issues of the rows that have some, and the rows' original cells (for
    the failed-rows export). :attr:`rows` makes a :class:`ParsedRow` of a position when
    it is asked for.
    """

    #: The file's row number of each position.
    numbers: Sequence[int]
    # The values of each mapped field, position by position (read them with column()).
    columns: Mapping[Field, Sequence[FieldValue | None]] = attrs.field(repr=False)
    #: Problems that concern the file or the mapping rather than one row.
    file_issues: tuple[Issue, ...]
    headers: tuple[str, ...]
    mapping: ColumnMapping
    #: The positions whose row has a contact.
    contact_positions: frozenset[int] = attrs.field(default=frozenset(), repr=False)
    #: The issues of the positions that have some.
    issues_by_position: Mapping[int, tuple[Issue, ...]] = attrs.field(factory=dict, repr=False)
    #: Each position's original cells, aligned with :attr:`headers`.
    cells: Sequence[tuple[str | None, ...]] = attrs.field(default=(), repr=False)
    #: The positions of the rows the reader could not produce (no records: only issues).
    unread_positions: frozenset[int] = attrs.field(default=frozenset(), repr=False)
    format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    @classmethod
    def from_rows(cls, rows: Iterable[ParsedRow], *, file_issues: tuple[Issue, ...] = (),
                  headers: tuple[str, ...], mapping: ColumnMapping, format: str = "csv",
                  encoding: str | None = None, delimiter: str | None = None,
                  sheet: str | None = None) -> ParsedImport:
        """The parsed file of ``rows`` (each one's records are split into the columns)."""
        rows = list(rows)
        columns: dict[Field, list[FieldValue | None]] = {field: [None] * len(rows) for field in Field}
        for position, row in enumerate(rows):
            values: dict[Field, FieldValue] = {}
            if row.client is not None:
                values.update(row.client.values())
                parent = row.client.parent
                if parent is not None:
                    values.update({field: value for field, value in (
                        (Field.GROUP_EXTERNAL_ID, parent.external_id), (Field.GROUP_NAME, parent.name))
                        if value is not None})
            if row.contact is not None:
                values.update(row.contact.values())
            for field, value in values.items():
                columns[field][position] = value
        for field, kind_column in columns.items():
            if field.spec.kind is Kind.CHOICE:
                columns[field] = [None if value is None else Position(str(value)) for value in kind_column]
        return cls(
            numbers=tuple(row.number for row in rows),
            columns={field: column for field, column in columns.items()
                     if any(value is not None for value in column)},
            file_issues=file_issues, headers=headers, mapping=mapping,
            contact_positions=frozenset(position for position, row in enumerate(rows)
                                        if row.contact is not None),
            issues_by_position={position: row.issues for position, row in enumerate(rows) if row.issues},
            cells=tuple(row.cells for row in rows),
            unread_positions=frozenset(position for position, row in enumerate(rows) if row.client is None),
            format=format, encoding=encoding, delimiter=delimiter, sheet=sheet,
        )

    @property
    def rows(self) -> Sequence[ParsedRow]:
        """Every row, made from the columns as it is asked for."""
        return _Rows(self)

    def column(self, field: Field) -> Sequence[FieldValue | None]:
        """The values of ``field``, position by position (all ``None`` when it is not mapped)."""
        column = self.columns.get(field)
        return _nothing_column(len(self.numbers)) if column is None else column

    def row_issues(self, position: int) -> tuple[Issue, ...]:
        """The issues of the row at ``position`` (reading problems first, then cell problems)."""
        return self.issues_by_position.get(position, ())

    def row(self, position: int) -> ParsedRow:
        """The :class:`ParsedRow` at ``position``."""
        return self._makers.row(position)

    def client_record(self, position: int) -> ClientRecord:
        """The client record of the row at ``position`` (one that was read: see
        :attr:`unread_positions`), made when asked: ``row(position).client``."""
        return self._makers.client(position)

    def contact_record(self, position: int) -> ContactRecord:
        """The contact record of the row at ``position`` (one of :attr:`contact_positions`),
        made when asked: ``row(position).contact``."""
        return self._makers.contact(position)

    @functools.cached_property
    def _makers(self) -> _RowMakers:
        return _row_makers(self)

    @property
    def issues(self) -> tuple[Issue, ...]:
        """Every issue: the file-level ones, then each row's, in row order."""
        by_position = self.issues_by_position
        return self.file_issues + tuple(issue for position in sorted(by_position)
                                        for issue in by_position[position])

    @property
    def has_file_errors(self) -> bool:
        """True when the file or mapping itself is unusable (nothing can be imported)."""
        return any(_is_error(i) for i in self.file_issues)

    def with_file_issues(self, file_issues: tuple[Issue, ...]) -> ParsedImport:
        """This parsed file with other file-level issues."""
        return attrs.evolve(self, file_issues=file_issues)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParsedImport):
            return NotImplemented
        return (tuple(self.rows), self.file_issues, self.headers, self.mapping, self.format, self.encoding,
                self.delimiter, self.sheet) == (tuple(other.rows), other.file_issues, other.headers,
                                                other.mapping, other.format, other.encoding, other.delimiter,
                                                other.sheet)

    __hash__ = None  # type: ignore[assignment]


def _nothing_column(length: int) -> Sequence[FieldValue | None]:
    return (None,) * length


_NO_ADDRESS = Address()


class _RowMakers(NamedTuple):
    """The functions making a position's records and row, written for one parsed file."""

    client: Callable[[int], ClientRecord]
    contact: Callable[[int], ContactRecord]
    row: Callable[[int], ParsedRow]


def _row_makers(parsed: ParsedImport) -> _RowMakers:
    """The functions making the records and the :class:`ParsedRow` of a position of ``parsed``,
    written from the record layouts and the columns ``parsed`` has (a column not mapped is a
    constant ``None``): one call builds a record without a loop over the fields, as attrs
    writes ``__init__``."""
    columns = parsed.columns
    namespace: dict[str, Any] = {
        "numbers": parsed.numbers, "cells": parsed.cells, "issues_of": parsed.issues_by_position.get,
        "unread": parsed.unread_positions, "contacts": parsed.contact_positions, "Address": Address,
        "ClientRef": ClientRef, "NO_ADDRESS": _NO_ADDRESS, "ParsedRow": ParsedRow,
        "new_client_record": new_client_record, "new_contact_record": new_contact_record,
        "new_parsed_row": new_parsed_row,
    }
    names: dict[Field, str] = {}
    for field, column in columns.items():
        names[field] = f"column_{len(names)}"
        namespace[names[field]] = column

    def value(field: Field) -> str:
        read = f"{names[field]}[position]" if field in names else "None"
        return f"({read} or ())" if field.spec.kind is Kind.EMAILS else read

    lines = ["def client_at(position):", "    own = (numbers[position],)"]
    arguments = ["own"]
    for attribute in _CLIENT_LAYOUT[1:]:
        if attribute.name == "parent":
            parts = [f"{field.spec.name}={value(field)}" for field in attribute.fields]
            test = " and ".join(f"{value(field)} is None" for field in attribute.fields)
            lines.append(f"    parent = None if {test} else ClientRef({', '.join(parts)})")
            arguments.append("parent")
        elif len(attribute.fields) > 1 or attribute.fields[0].spec.place is not None:
            mapped = [field for field in attribute.fields if field in names]
            if not mapped:
                arguments.append("NO_ADDRESS")
                continue
            test = " and ".join(f"{value(field)} is None" for field in mapped)
            place_values = ", ".join(value(field) for field in attribute.fields)
            lines.append(f"    {attribute.name} = NO_ADDRESS if {test} else Address({place_values})")
            arguments.append(attribute.name)
        else:
            arguments.append(value(attribute.fields[0]))
    lines.append(f"    return new_client_record({', '.join(arguments)})")
    contact_arguments = ", ".join(["(numbers[position],)",
                                   *(value(attribute.fields[0]) for attribute in _CONTACT_LAYOUT[1:])])
    lines += ["def contact_at(position):", f"    return new_contact_record({contact_arguments})"]
    lines += [
        "def row(position):",
        "    number = numbers[position]",
        "    row_cells = cells[position] if cells else ()",
        "    issues = issues_of(position, ())",
        "    if position in unread:",
        "        return ParsedRow(number, None, None, issues, row_cells)",
        "    contact = contact_at(position) if position in contacts else None",
        "    return new_parsed_row(number, client_at(position), contact, issues, row_cells)",
    ]
    exec("\n".join(lines), namespace)  # written from our own layouts and names
    return _RowMakers(namespace["client_at"], namespace["contact_at"], namespace["row"])


# -- comparison with stored values ----------------------------------------------------------------


def stored_matcher_source(name: str, subject: str, reads: Sequence[tuple[Field, str]],
                          skippable: Field | None) -> str:
    """The source of ``name(subject, stored, without=False)``: a comparison of a value holder
    with stored values, one test per field of ``reads`` (each field, and the expression that
    reads its value from ``subject``; the field itself is ``field_<index>`` of the namespace it
    runs in): what a hand-written ``x is None or stored.get(X) == x`` chain would be, without
    building the values. ``skippable`` is not compared when ``without`` is true."""
    lines = [f"def {name}({subject}, stored, without=False):", "    get = stored.get"]
    for index, (field, read) in enumerate(reads):
        lines.append(f"    value = {read}")
        filled = "value" if field.spec.kind is Kind.EMAILS else "value is not None"
        if field is skippable:
            filled = f"not without and {filled}"
        stored_form = "value._value_" if field.spec.kind is Kind.CHOICE else "value"
        lines.append(f"    if {filled} and get(field_{index}) != {stored_form}:")
        lines.append("        return False")
    lines.append("    return True")
    return "\n".join(lines)


def _matcher(name: str, readers: tuple[_Value, ...], skippable: Field | None = None) -> Callable[..., bool]:
    """The comparison of a record with stored values (see :func:`stored_matcher_source`)."""
    namespace: dict[str, Any] = {f"field_{index}": reader.field for index, reader in enumerate(readers)}
    reads = [(reader.field, f"record.{reader.field.spec.attribute}") for reader in readers]
    exec(stored_matcher_source(name, "record", reads, skippable), namespace)  # our own names and fields
    return cast("Callable[..., bool]", namespace[name])


_client_matches = _matcher("client_record_matches", _CLIENT_VALUES, Field.CLIENT_NAME)
_contact_matches = _matcher("contact_record_matches", _CONTACT_VALUES)


def client_record_matches(record: ClientRecord, stored: Mapping[Field, FieldValue], *,
                          without_name: bool = False) -> bool:
    """Every client value ``record`` fills in (its name excepted when ``without_name``) is the
    ``stored`` one: ``client_record_matches_reference``, without building the values."""
    return _client_matches(record, stored, without_name)


def client_record_matches_reference(record: ClientRecord, stored: Mapping[Field, FieldValue], *,
                                    without_name: bool = False) -> bool:
    """The plain version :func:`client_record_matches` must equal."""
    values = record.values()
    if without_name:
        values.pop(Field.CLIENT_NAME, None)
    return values.items() <= stored.items()


def contact_record_matches(record: ContactRecord, stored: Mapping[Field, FieldValue]) -> bool:
    """Every value ``record`` fills in is the ``stored`` one:
    ``contact_record_matches_reference``, without building the values."""
    return _contact_matches(record, stored)


def contact_record_matches_reference(record: ContactRecord, stored: Mapping[Field, FieldValue]) -> bool:
    """The plain version :func:`contact_record_matches` must equal."""
    return record.values().items() <= stored.items()


_CLIENT_BETWEEN_ROWS_AND_PARENT = operator.attrgetter(*(attribute.name for attribute in _CLIENT_LAYOUT[1:-1]))


def with_rows(record: ClientRecord, rows: tuple[int, ...], parent: ClientRef | None) -> ClientRecord:
    """``record`` for other ``rows`` and ``parent``: ``attrs.evolve(record, rows=rows,
    parent=parent)``, at the cost of a positional construction."""
    return new_client_record(rows, *_CLIENT_BETWEEN_ROWS_AND_PARENT(record), parent)


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


def twin_of(cls: type[attrs.AttrsInstance]) -> type:
    """The twin :func:`fast_constructor` needs for ``cls``, written from its attributes: a
    plain class with ``cls``'s slots whose ``__init__`` assigns each attribute in order, then
    makes the instance a ``cls``."""
    names = tuple(field.name for field in attrs.fields(cls))
    if not all(name.isidentifier() and not name.startswith("__") for name in names):
        raise ValueError(f"not plain attribute names: {names!r}")
    source = (f"def __init__(self, {', '.join(names)}):\n"
              + "".join(f"    self.{name} = {name}\n" for name in names)
              + "    self.__class__ = cls\n")
    namespace: dict[str, Any] = {"cls": cls}
    exec(source, namespace)  # attribute names checked above, as attrs itself does
    # The same bases as ``cls``: CPython lets an instance change class between equal layouts only.
    slots = getattr(cls, "__slots__", ())
    return type(f"_{cls.__name__}Slots", cls.__bases__,
                {"__slots__": slots, "__init__": namespace["__init__"]})


#: ``ClientRecord(...)`` with every field given positionally, for code that makes one per row.
new_client_record = fast_constructor(ClientRecord, twin_of(ClientRecord))
#: ``ContactRecord(...)`` with every field given positionally.
new_contact_record = fast_constructor(ContactRecord, twin_of(ContactRecord))
#: ``ParsedRow(...)`` with every field given positionally.
new_parsed_row = fast_constructor(ParsedRow, twin_of(ParsedRow))
