"""The parsed file as the planner reads it: its columns, by position.

The planner groups, merges and compares rows through the columns of the parsed file; a
row's records are made only for what changes something (a client or contact to create or
update, values to merge), never one object per row of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from upflow_import.fields import Field
from upflow_import.issues import Issue
from upflow_import.model import (
    CLIENT_FIELDS,
    CONTACT_FIELDS,
    ClientRef,
    FieldValue,
    ParsedImport,
    client_fields_ok,
    client_record_matches,
    contact_fields_ok,
    contact_record_matches,
    stored_matcher_source,
)

__all__ = ["FileRows", "client_ok", "contact_ok"]

_GROUP_FIELDS = (Field.GROUP_EXTERNAL_ID, Field.GROUP_NAME)


#: ``ParsedRow.client_ok`` and ``contact_ok`` of a row that was read (and has a contact), from its issues.
client_ok = client_fields_ok
contact_ok = contact_fields_ok


class FileRows:
    """The parsed file's columns by position, and each position's records made when asked."""

    def __init__(self, parsed: ParsedImport) -> None:
        self.numbers: Sequence[int] = parsed.numbers
        column = parsed.column
        self.external_ids = cast("Sequence[str | None]", column(Field.CLIENT_EXTERNAL_ID))
        self.names = cast("Sequence[str | None]", column(Field.CLIENT_NAME))
        self.group_ids = cast("Sequence[str | None]", column(Field.GROUP_EXTERNAL_ID))
        self.group_names = cast("Sequence[str | None]", column(Field.GROUP_NAME))
        self.managers = cast("Sequence[tuple[str, ...] | None]", column(Field.CLIENT_ACCOUNT_MANAGER_EMAIL))
        self.dunning_plans = cast("Sequence[str | None]", column(Field.CLIENT_DUNNING_PLAN))
        self.emails = cast("Sequence[str | None]", column(Field.CONTACT_EMAIL))
        self.contact_ids = cast("Sequence[str | None]", column(Field.CONTACT_EXTERNAL_ID))
        self.is_main = cast("Sequence[bool | None]", column(Field.CONTACT_IS_MAIN))
        self.unread = parsed.unread_positions
        self.with_contact = parsed.contact_positions
        self.issues_of = parsed.issues_by_position
        self.client = parsed.client_record
        self.contact = parsed.contact_record
        mapped = parsed.columns
        # The client's columns (its group's included): two rows say the same of their client
        # when they agree on each.
        self._same_client = _column_comparison(
            [mapped[field] for field in (*CLIENT_FIELDS, *_GROUP_FIELDS) if field in mapped])
        self._client_matches = _column_matcher("client_matches", CLIENT_FIELDS, mapped, Field.CLIENT_NAME)
        self._contact_matches = _column_matcher("contact_matches", CONTACT_FIELDS, mapped)

    def __len__(self) -> int:
        return len(self.numbers)

    def issues(self, position: int) -> tuple[Issue, ...]:
        """The parse issues of the row at ``position``."""
        return self.issues_of.get(position, ())

    def parent(self, position: int) -> ClientRef | None:
        """The parent the row names (``record.parent``), or ``None``."""
        external_id, name = self.group_ids[position], self.group_names[position]
        if external_id is None and name is None:
            return None
        return ClientRef(external_id, name)

    def same_client(self, one: int, other: int) -> bool:
        """The two rows say the same of their client: ``same_client_reference``, from the columns."""
        return self._same_client(one, other)

    def same_client_reference(self, one: int, other: int) -> bool:
        """The plain version :meth:`same_client` must equal: the records, their rows aside."""
        first, second = self.client(one), self.client(other)
        return (first.values(), first.parent) == (second.values(), second.parent)

    def client_matches(self, position: int, stored: Mapping[Field, FieldValue], *,
                       without_name: bool) -> bool:
        """Every client value of the row is the stored one (its name aside when ``without_name``):
        :func:`~upflow_import.model.client_record_matches` of its record, from the columns."""
        return self._client_matches(position, stored, without_name)

    def client_matches_reference(self, position: int, stored: Mapping[Field, FieldValue], *,
                                 without_name: bool) -> bool:
        return client_record_matches(self.client(position), stored, without_name=without_name)

    def contact_matches(self, position: int, stored: Mapping[Field, FieldValue]) -> bool:
        """Every contact value of the row is the stored one, from the columns."""
        return self._contact_matches(position, stored)

    def contact_matches_reference(self, position: int, stored: Mapping[Field, FieldValue]) -> bool:
        return contact_record_matches(self.contact(position), stored)

    def client_values(self, position: int) -> dict[Field, FieldValue]:
        """``client(position).values()``."""
        return self.client(position).values()

    def contact_values(self, position: int) -> dict[Field, FieldValue]:
        """``contact(position).values()``."""
        return self.contact(position).values()


def _column_matcher(name: str, fields: Sequence[Field], columns: Mapping[Field, Sequence[Any]],
                    skippable: Field | None = None) -> Callable[..., bool]:
    """A comparison of one position's values with stored values, one test per mapped field:
    what ``model``'s record matchers do on a record, read from the columns (a field not
    mapped is never filled)."""
    mapped = [field for field in fields if field in columns]
    namespace: dict[str, Any] = {}
    for index, field in enumerate(mapped):
        namespace[f"column_{index}"], namespace[f"field_{index}"] = columns[field], field
    reads = [(field, f"column_{index}[position]") for index, field in enumerate(mapped)]
    exec(stored_matcher_source(name, "position", reads, skippable), namespace)  # our own names and columns
    return cast("Callable[..., bool]", namespace[name])


def _column_comparison(columns: Sequence[Sequence[Any]]) -> Callable[[int, int], bool]:
    """``lambda one, other: all(column[one] == column[other] for column in columns)``, written
    out column by column (one expression, no generator per call)."""
    namespace: dict[str, Any] = {f"column_{index}": column for index, column in enumerate(columns)}
    tests = " and ".join(f"column_{index}[one] == column_{index}[other]" for index in range(len(columns)))
    exec(f"def same(one, other):\n    return {tests or 'True'}", namespace)  # our own names only
    return cast("Callable[[int, int], bool]", namespace["same"])
