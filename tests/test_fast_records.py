"""The positional constructors parse() uses per row build records like the classes' own."""

from __future__ import annotations

import copy
import pickle

import attrs
import pytest

from upflow_import.model import (
    Address,
    ClientRecord,
    ClientRef,
    ContactRecord,
    ParsedRow,
    Position,
    fast_constructor,
    new_client_record,
    new_contact_record,
    new_parsed_row,
)


def test_the_fast_constructors_are_in_use() -> None:
    assert new_client_record is not ClientRecord
    assert new_contact_record is not ContactRecord
    assert new_parsed_row is not ParsedRow


def test_a_fast_record_is_the_record_the_class_makes() -> None:
    values = ((2, 3), "C1", "Acme", "411", "FR40732829320", Address("1 rue", "75001", "Paris", None, "FR"),
              ("am@example.com",), "Plan", 30, ClientRef("G1", "Group"))
    fast, plain = new_client_record(*values), ClientRecord(*values)
    assert type(fast) is ClientRecord
    assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
    assert attrs.astuple(fast, recurse=False) == values
    assert attrs.evolve(fast, name="Globex") == attrs.evolve(plain, name="Globex")
    assert copy.copy(fast) == plain and pickle.loads(pickle.dumps(fast)) == plain
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.name = "Globex"  # type: ignore[misc]

    fields = ((2,), "a@b.fr", "Jean", "Dupont", "+33142000000", "K1", Position.SALES, True)
    contact = new_contact_record(*fields)
    assert contact == ContactRecord(*fields)
    assert type(contact) is ContactRecord
    row = new_parsed_row(2, fast, contact, (), ("C1", "Acme"))
    assert row == ParsedRow(2, plain, contact, (), ("C1", "Acme")) and type(row) is ParsedRow
    assert row.client_ok and row.contact_ok


def test_a_twin_that_does_not_match_gives_the_class_itself() -> None:
    class Missing:
        __slots__ = ParsedRow.__slots__

        def __init__(self, number: object, client: object, contact: object, issues: object) -> None:
            pass

    assert fast_constructor(ParsedRow, Missing) is ParsedRow

    @attrs.frozen
    class Converted:
        value: int = attrs.field(converter=int)

    class Twin:
        __slots__ = vars(Converted)["__slots__"]

        def __init__(self, value: object) -> None:
            self.value = value

    assert fast_constructor(Converted, Twin) is Converted


def test_row_reports_are_made_fast_and_alike() -> None:
    from upflow_import.planning import types as planner

    assert planner.new_row_report is not planner.RowReport
    values = (2, ("Acme",), (), (0,), planner.Outcome.UPDATE, planner.Outcome.CREATE, None, None)
    assert planner.new_row_report(*values) == planner.RowReport(*values)
    assert type(planner.new_row_report(*values)) is planner.RowReport
