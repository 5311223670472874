"""The planner's field-by-field "unchanged" checks say what the dictionary comparisons they replace say."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from upflow_import.fields import Field
from upflow_import.model import (
    Address,
    ClientRecord,
    ContactRecord,
    Position,
    client_record_matches,
    contact_record_matches,
)
from upflow_import.repository import StoredClient

_text = st.none() | st.sampled_from(["a", "b", "A"])
_number = st.none() | st.sampled_from([0, 1, 30])


def _stored_values(draw: st.DrawFn, fields: list[Field], values: list[object]) -> dict[Field, object]:
    stored: dict[Field, object] = {}
    for field in fields:
        choice = draw(st.sampled_from(["missing", "same", "other"]))
        if choice == "same" or (choice == "other" and not values):
            stored[field] = draw(st.sampled_from(values)) if values else "a"
        elif choice == "other":
            stored[field] = draw(st.sampled_from(["a", "b", 1, 30, True, False, ("x@y.fr",)]))
    return stored


@st.composite
def _contacts(draw: st.DrawFn) -> tuple[ContactRecord, dict[Field, object]]:
    record = ContactRecord(
        rows=(1,), email=draw(_text), first_name=draw(_text), last_name=draw(_text), phone=draw(_text),
        external_id=draw(_text), position=draw(st.none() | st.sampled_from(list(Position))),
        is_main=draw(st.none() | st.booleans()),
    )
    values = list(record.values().values())
    fields = [Field.CONTACT_EMAIL, Field.CONTACT_FIRST_NAME, Field.CONTACT_LAST_NAME, Field.CONTACT_PHONE,
              Field.CONTACT_EXTERNAL_ID, Field.CONTACT_POSITION, Field.CONTACT_IS_MAIN]
    return record, _stored_values(draw, fields, values)


@st.composite
def _clients(draw: st.DrawFn) -> tuple[ClientRecord, StoredClient, bool]:
    record = ClientRecord(
        rows=(1,), external_id=draw(_text), name=draw(_text), accounting_code=draw(_text),
        vat_number=draw(_text),
        address=Address(draw(_text), draw(_text), draw(_text), draw(_text), draw(_text)),
        account_manager_emails=draw(st.sampled_from([(), ("x@y.fr",), ("a",)])),
        dunning_plan=draw(_text), payment_term_days=draw(_number),
    )
    values = list(record.values().values())
    stored_values = _stored_values(draw, list(Field), values)
    # A stored client's name and external id are text, the name always there.
    if type(stored_values.get(Field.CLIENT_NAME)) is not str:
        stored_values[Field.CLIENT_NAME] = draw(_text) or "a"
    if type(stored_values.get(Field.CLIENT_EXTERNAL_ID, "")) is not str:
        del stored_values[Field.CLIENT_EXTERNAL_ID]
    stored = StoredClient(id=1, values=stored_values)  # type: ignore[arg-type]
    return record, stored, draw(st.booleans())


@given(_contacts())
def test_contact_record_matches_is_the_items_comparison(
        case: tuple[ContactRecord, dict[Field, object]]) -> None:
    record, stored = case
    expected = record.values().items() <= stored.items()
    assert contact_record_matches(record, stored) == expected  # type: ignore[arg-type]


@given(_clients())
def test_client_record_matches_is_the_items_comparison(case: tuple[ClientRecord, StoredClient, bool]) -> None:
    record, stored, by_name_only = case
    merged = record.values()
    if by_name_only:
        merged.pop(Field.CLIENT_NAME, None)
    assert client_record_matches(record, stored.values, without_name=by_name_only) == (
        merged.items() <= stored.values.items())
