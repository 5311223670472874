"""Each field is declared once (its Field member's FieldSpec); everything else follows from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
from hypothesis import given
from hypothesis import strategies as st

import upflow_import
from upflow_import import model
from upflow_import.fields import SPECS, Field, Kind
from upflow_import.model import (
    Address,
    ClientRecord,
    ClientRef,
    ContactRecord,
    Position,
    client_record_matches,
    client_record_matches_reference,
    contact_record_matches,
    contact_record_matches_reference,
    new_client_record,
    new_contact_record,
    with_rows,
)

PACKAGE = Path(upflow_import.__file__).parent


def test_the_typed_declaration_of_the_records_is_the_one_the_field_declarations_write() -> None:
    # If this fails after a field was added or changed, regenerate the file:
    # python -c "import upflow_import.model as m; print(m.render_record_types(), end='')" \
    #   > src/upflow_import/_record_types.py
    assert (PACKAGE / "_record_types.py").read_text(encoding="utf-8") == model.render_record_types()


def test_every_field_is_held_by_the_record_attribute_it_declares() -> None:
    record = ClientRecord.from_values((2,), {field: _sample(field) for field in Field
                                             if field.entity == "client"})
    contact = ContactRecord.from_values((2,), {field: _sample(field) for field in Field if field.is_contact})
    for field in Field:
        if field.entity == "group":
            continue
        holder = record if field.entity == "client" else contact
        place = field.spec.place
        value = getattr(getattr(holder, place) if place else holder, field.spec.name)
        assert (value.value if isinstance(value, Position) else value) == _sample(field), field


def test_every_field_declares_what_the_rest_derives() -> None:
    assert list(SPECS) == list(Field)
    for field in Field:
        spec = field.spec
        assert spec.key == field.value and spec.field is field
        assert spec.attribute and spec.label_fr and spec.label_en
        # Text-like fields are bounded; numbers, choices and flags have their own grammar.
        has_grammar = spec.kind in (Kind.INTEGER, Kind.CHOICE, Kind.FLAG)
        assert (spec.max_length is None) == has_grammar, field
        # Every field but the group's (a reference to the parent) has its store column.
        assert (spec.column is None) == (field.entity == "group"), field


def _sample(field: Field) -> object:
    kind = field.spec.kind
    if kind is Kind.EMAILS:
        return ("am@example.com",)
    if kind is Kind.INTEGER:
        return 30
    if kind is Kind.FLAG:
        return True
    if kind is Kind.CHOICE:
        return "SALES"
    return f"{field.spec.name} value"


# -- fast paths beside their reference ----------------------------------------------------------

_text = st.none() | st.text(max_size=5)
_addresses = st.builds(Address, _text, _text, _text, _text, _text)
_refs = st.none() | st.builds(ClientRef, _text, _text)
_rows = st.tuples(st.integers(2, 99)) | st.tuples(st.integers(2, 99), st.integers(2, 99))
_client_arguments = st.tuples(_rows, _text, _text, _text, _text, _addresses,
                              st.lists(st.text(max_size=5), max_size=2).map(tuple), _text,
                              st.none() | st.integers(0, 90), _refs)
_contact_arguments = st.tuples(_rows, _text, _text, _text, _text, _text,
                               st.none() | st.sampled_from(Position),
                               st.none() | st.booleans())


@given(_client_arguments)
def test_the_fast_client_constructor_builds_the_record_the_class_builds(
        arguments: tuple[object, ...]) -> None:
    fast, plain = new_client_record(*arguments), ClientRecord(*arguments)
    assert type(fast) is ClientRecord
    assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
    assert attrs.astuple(fast, recurse=False) == arguments


@given(_contact_arguments)
def test_the_fast_contact_constructor_builds_the_record_the_class_builds(
        arguments: tuple[object, ...]) -> None:
    fast, plain = new_contact_record(*arguments), ContactRecord(*arguments)
    assert type(fast) is ContactRecord
    assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)


@given(_client_arguments)
def test_values_and_from_values_are_inverses(arguments: tuple[object, ...]) -> None:
    record = ClientRecord(*arguments)
    values = record.values()
    assert ClientRecord.from_values(record.rows, values, record.parent).values() == values


def _stored(values: dict[Field, object], changes: st.DataObject) -> dict[Field, object]:
    """Stored values equal to ``values``, or with one of them changed, dropped or added."""
    stored = dict(values)
    action = changes.draw(st.sampled_from(["same", "change", "drop", "add"]))
    if action != "same" and stored:
        field = changes.draw(st.sampled_from(sorted(stored)))
        if action == "change":
            stored[field] = changes.draw(st.sampled_from(["other", 31, False, ("x@example.com",)]))
        elif action == "drop":
            del stored[field]
    if action == "add":
        stored[Field.CLIENT_CITY] = "Lyon"
        stored[Field.CONTACT_PHONE] = "+33100000000"
    return stored


@given(_client_arguments, st.booleans(), st.data())
def test_client_record_matches_is_its_reference(arguments: tuple[object, ...], without_name: bool,
                                                changes: st.DataObject) -> None:
    record = ClientRecord(*arguments)
    stored = _stored(record.values(), changes)  # type: ignore[arg-type]
    assert client_record_matches(record, stored, without_name=without_name) == \
        client_record_matches_reference(record, stored, without_name=without_name)  # type: ignore[arg-type]


@given(_contact_arguments, st.data())
def test_contact_record_matches_is_its_reference(arguments: tuple[object, ...],
                                                 changes: st.DataObject) -> None:
    record = ContactRecord(*arguments)
    stored = _stored(record.values(), changes)  # type: ignore[arg-type]
    assert contact_record_matches(record, stored) == contact_record_matches_reference(record, stored)  # type: ignore[arg-type]


# -- one field added in one place flows from the file to the store -------------------------------

_WEBSITE = '''
    CLIENT_WEBSITE = _S("client.website", "Site web", "Website", K.TEXT, synonyms=("Site internet", "URL"),
                        attribute="website", max_length=200, column="website", example=("https://exemple.fr",
                                                                                        "https://example.com"))
'''

_IMPORT = textwrap.dedent('''
    import sqlite3, sys
    import upflow_import as ui
    from upflow_import.fields import Field

    csv_path, store = sys.argv[1], sys.argv[2]
    repository = ui.SqliteRepository(store)
    report = ui.import_file(csv_path, repository)
    assert report.summary.errors == 0, report.to_json()
    [acme] = repository.find_clients_by_external_ids(["C1"])
    print(acme.values[Field("client.website")])
    second = ui.import_file(csv_path.replace("first", "second"), repository)
    [acme] = repository.find_clients_by_external_ids(["C1"])
    print(acme.values[Field("client.website")], second.summary.clients.update)
    too_long = ui.import_file(csv_path.replace("first", "third"), repository, dry_run=True)
    print([issue.code for issue in too_long.issues])
    from upflow_import.mapping import mapping_reference_markdown
    from upflow_import.templates import template_headers
    print("Site web" in template_headers("fr"), "(`client.website`)" in mapping_reference_markdown("fr"))
    repository.close()
    print(sqlite3.connect(store).execute("SELECT website FROM clients").fetchall())
''')


def test_a_field_declared_in_one_place_flows_from_the_file_to_the_store(tmp_path: Path) -> None:
    copy = tmp_path / "src" / "upflow_import"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    fields = copy / "fields.py"
    source = fields.read_text(encoding="utf-8")
    anchor = '    GROUP_NAME = _S('
    assert source.count(anchor) == 1
    fields.write_text(source.replace(anchor, _WEBSITE.lstrip("\n") + anchor), encoding="utf-8")

    (tmp_path / "first.csv").write_text("Customer ID,Customer name,Website\nC1,Acme,https://acme.example\n",
                                        encoding="utf-8")
    (tmp_path / "second.csv").write_text("Customer ID,Website\nC1,https://acme.example/fr\n",
                                         encoding="utf-8")
    (tmp_path / "third.csv").write_text(f"Customer ID,Website\nC1,https://{'a' * 200}.example\n",
                                        encoding="utf-8")
    script = tmp_path / "run.py"
    script.write_text(_IMPORT, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(copy.parent)}
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "first.csv"), str(tmp_path / "store.db")],
        capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "https://acme.example"
    assert lines[1] == "https://acme.example/fr 1"
    assert lines[2] == "['value.too_long']"
    assert lines[3] == "True True"  # the template and the generated docs have it too
    assert lines[-1] == "[('https://acme.example/fr',)]"


@given(_client_arguments, _rows, _refs)
def test_with_rows_is_evolve(arguments: tuple[object, ...], rows: tuple[int, ...],
                             parent: ClientRef | None) -> None:
    record = ClientRecord(*arguments)
    assert with_rows(record, rows, parent) == attrs.evolve(record, rows=rows, parent=parent)
