"""Test helpers: the :class:`RepositoryContract` test-suite and the :func:`parsed_import` builder.

To check your own repository against everything the planner relies on,
subclass :class:`RepositoryContract` in a pytest test module and override its
``repository`` fixture so that it returns a new, empty repository::

    import pytest
    from upflow_import.testing import RepositoryContract

    class TestMyRepository(RepositoryContract):
        @pytest.fixture
        def repository(self):
            return MyRepository(connect_to_a_fresh_test_database())

        # Optional: if your repository tracks account managers / dunning plans.
        def add_account_managers(self, repository, emails):
            repository.register_managers(emails)

Every ``test_*`` method of the class then runs against it. The module needs
pytest, which is only imported here, never by the library itself.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import pytest

from upflow_import.apply import apply
from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name
from upflow_import.mapping import ColumnMapping
from upflow_import.mapping_memory import MappingMemory
from upflow_import.model import ClientRecord, ClientRef, ContactRecord, FieldValue, ParsedImport, ParsedRow
from upflow_import.planner import plan
from upflow_import.repository import (
    ClientChanges,
    ContactChanges,
    Id,
    Repository,
    StoredClient,
    StoredContact,
    SupportsContactExternalIds,
)

__all__ = ["RepositoryContract", "parsed_import"]

_GROUP_FIELDS = (Field.GROUP_EXTERNAL_ID, Field.GROUP_NAME)


def _typed(field: Field, value: FieldValue) -> FieldValue:
    if field is Field.CLIENT_ACCOUNT_MANAGER_EMAIL and isinstance(value, str):
        return tuple(email.strip() for email in value.split(","))
    return value


def _cell(value: FieldValue | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def parsed_import(rows: Sequence[Mapping[str, FieldValue | None]], *, first_row: int = 2) -> ParsedImport:
    """A :class:`~upflow_import.ParsedImport` made of rows given as ``{field key: value}``.

    It stands for a clean file whose columns are named after the field keys,
    so that planner tests and repository tests need no file. ``None`` values
    are blank cells; a row has a contact when it fills a ``contact.*`` field.
    Account managers may be given as one comma-separated string.

    >>> parsed = parsed_import([{"client.external_id": "C1", "client.name": "Acme",
    ...                          "contact.email": "jean@acme.fr", "contact.is_main": True}])
    >>> parsed.rows[0].client.name, parsed.rows[0].contact.is_main
    ('Acme', True)
    """
    headers = tuple(dict.fromkeys(key for row in rows for key in row))
    fields = {key: Field(key) for key in headers}
    parsed_rows = []
    for offset, row in enumerate(rows):
        number = first_row + offset
        values = {fields[key]: _typed(fields[key], value) for key, value in row.items() if value is not None}
        client_values = {f: v for f, v in values.items() if f.entity == "client"}
        contact_values = {f: v for f, v in values.items() if f.is_contact}
        parent = ClientRef(
            None if values.get(Field.GROUP_EXTERNAL_ID) is None else str(values[Field.GROUP_EXTERNAL_ID]),
            None if values.get(Field.GROUP_NAME) is None else str(values[Field.GROUP_NAME]),
        )
        client = ClientRecord.from_values((number,), client_values, parent or None)
        contact = ContactRecord.from_values((number,), contact_values) if contact_values else None
        cells = tuple(_cell(row.get(key)) for key in headers)
        parsed_rows.append(ParsedRow(number, client, contact, (), cells))
    return ParsedImport(
        rows=tuple(parsed_rows),
        issues=(),
        headers=headers,
        mapping=ColumnMapping.from_dict({key: key for key in headers}),
    )


def _client(external_id: str | None, name: str, **values: FieldValue) -> ClientRecord:
    fields: dict[Field, FieldValue] = {Field.CLIENT_NAME: name}
    if external_id is not None:
        fields[Field.CLIENT_EXTERNAL_ID] = external_id
    fields.update({Field(f"client.{key}"): value for key, value in values.items()})
    return ClientRecord.from_values((2,), fields)


def _contact(email: str, **values: FieldValue) -> ContactRecord:
    fields: dict[Field, FieldValue] = {Field.CONTACT_EMAIL: email}
    fields.update({Field(f"contact.{key}"): value for key, value in values.items()})
    return ContactRecord.from_values((2,), fields)


def _one(found: Sequence[StoredClient] | Sequence[StoredContact]) -> StoredClient | StoredContact:
    assert len(found) == 1, f"expected exactly one result, got {found!r}"
    return found[0]


class RepositoryContract:
    """The behaviours of a :class:`~upflow_import.Repository` that the planner and
    :func:`~upflow_import.apply` rely on, as pytest tests.

    Override the ``repository`` fixture to return a new, empty repository.
    Override :meth:`add_account_managers` and :meth:`add_dunning_plans` if
    your repository tracks them; the tests that need them are skipped
    otherwise. ``transaction()``, ``find_contacts_by_external_ids`` and the
    mapping memory (:class:`~upflow_import.MappingMemory`) are checked when
    the repository offers them.
    """

    #: How many keys the planner sends per lookup call (its default chunk size).
    chunk_size = 1000

    @pytest.fixture
    def repository(self) -> Repository:
        """A new, empty repository: override this fixture in your subclass."""
        raise NotImplementedError("override the `repository` fixture to return an empty repository")

    def add_account_managers(self, repository: Repository, emails: Collection[str]) -> None:
        """Register account managers in ``repository``; override if it tracks them."""
        pytest.skip("this repository does not track account managers")

    def add_dunning_plans(self, repository: Repository, names: Collection[str]) -> None:
        """Register dunning plans in ``repository``; override if it tracks them."""
        pytest.skip("this repository does not track dunning plans")

    # -- clients ------------------------------------------------------------------------------

    def test_a_created_client_is_found_by_external_id_with_its_values(self, repository: Repository) -> None:
        record = _client("C001", "Acme SA", city="Paris", payment_term_days=30,
                         account_manager_email=("anne@example.com", "paul@example.com"))
        client_id = repository.create_client(record, None)
        found = _one(list(repository.find_clients_by_external_ids(["C001"])))
        assert isinstance(found, StoredClient)
        assert found.id == client_id
        assert (found.external_id, found.name) == ("C001", "Acme SA")
        assert found.values[Field.CLIENT_CITY] == "Paris"
        assert found.values[Field.CLIENT_PAYMENT_TERM_DAYS] == 30
        assert found.values[Field.CLIENT_ACCOUNT_MANAGER_EMAIL] == ("anne@example.com", "paul@example.com")
        assert found.parent_id is None and found.main_contact_id is None

    def test_external_ids_match_exactly(self, repository: Repository) -> None:
        repository.create_client(_client("C001", "Acme"), None)
        assert list(repository.find_clients_by_external_ids(["c001", "C001 ", "C002"])) == []
        assert list(repository.find_clients_by_external_ids([])) == []

    def test_created_ids_are_distinct_and_found_again(self, repository: Repository) -> None:
        ids = [repository.create_client(_client(f"C{n}", f"Client {n}"), None) for n in range(5)]
        assert len(set(ids)) == 5
        stored = repository.find_clients_by_external_ids([f"C{n}" for n in range(5)])
        found = {c.external_id: c.id for c in stored}
        assert found == {f"C{n}": client_id for n, client_id in enumerate(ids)}

    def test_names_are_found_by_their_normalised_key(self, repository: Repository) -> None:
        first = repository.create_client(_client(None, "Boulangerie\u00a0Dupont"), None)
        second = repository.create_client(_client("C2", "BOULANGERIE  dupont "), None)
        repository.create_client(_client("C3", "Boulangerie Durand"), None)
        found = list(repository.find_clients_by_names([normalize_name("boulangerie dupont")]))
        assert sorted(map(repr, (c.id for c in found))) == sorted(map(repr, (first, second)))
        assert list(repository.find_clients_by_names(["nobody"])) == []

    def test_a_full_chunk_of_keys_is_answered_completely(self, repository: Repository) -> None:
        count = self.chunk_size
        for n in range(count):
            client_id = repository.create_client(_client(f"K{n:05}", f"Client {n}"), None)
            repository.create_contact(client_id, _contact(f"person{n}@example.com"))
        ids = [f"K{n:05}" for n in range(count)]
        assert {c.external_id for c in repository.find_clients_by_external_ids(ids)} == set(ids)
        names = [normalize_name(f"Client {n}") for n in range(count)]
        assert len(list(repository.find_clients_by_names(names))) == count
        emails = [f"person{n}@example.com" for n in range(count)]
        assert {normalize_email(c.email) for c in repository.find_contacts_by_emails(emails)} == set(emails)

    def test_update_changes_only_the_given_fields(self, repository: Repository) -> None:
        client_id = repository.create_client(_client("C1", "Acme", city="Paris", vat_number="FR123"), None)
        repository.update_client(client_id, ClientChanges({Field.CLIENT_CITY: "Lyon"}))
        found = _one(list(repository.find_clients_by_external_ids(["C1"])))
        assert isinstance(found, StoredClient)
        assert found.values[Field.CLIENT_CITY] == "Lyon"
        assert found.values[Field.CLIENT_VAT_NUMBER] == "FR123"
        assert found.name == "Acme"

    def test_a_renamed_client_is_found_by_its_new_name_only(self, repository: Repository) -> None:
        client_id = repository.create_client(_client("C1", "Acme"), None)
        repository.update_client(client_id, ClientChanges({Field.CLIENT_NAME: "Acme Group"}))
        assert list(repository.find_clients_by_names(["acme"])) == []
        assert _one(list(repository.find_clients_by_names(["acme group"]))).id == client_id

    def test_parents_are_stored_and_kept_when_an_update_gives_none(self, repository: Repository) -> None:
        group = repository.create_client(_client("G", "Group"), None)
        other = repository.create_client(_client("H", "Other group"), None)
        subsidiary = repository.create_client(_client("S", "Subsidiary"), group)
        stored = _one(list(repository.find_clients_by_external_ids(["S"])))
        assert isinstance(stored, StoredClient) and stored.parent_id == group
        repository.update_client(subsidiary, ClientChanges({Field.CLIENT_CITY: "Nice"}, parent_id=None))
        assert _one(list(repository.find_clients_by_external_ids(["S"]))).parent_id == group  # type: ignore[union-attr]
        repository.update_client(subsidiary, ClientChanges({}, parent_id=other))
        assert _one(list(repository.find_clients_by_external_ids(["S"]))).parent_id == other  # type: ignore[union-attr]

    # -- contacts -----------------------------------------------------------------------------

    def test_a_contact_is_found_by_its_normalised_email(self, repository: Repository) -> None:
        client_id = repository.create_client(_client("C1", "Acme"), None)
        contact_id = repository.create_contact(
            client_id, _contact("Jean.Dupont@Acme.FR", first_name="Jean", position="ACCOUNTING"))
        found = _one(list(repository.find_contacts_by_emails(["jean.dupont@acme.fr"])))
        assert isinstance(found, StoredContact)
        assert (found.id, found.client_id) == (contact_id, client_id)
        assert normalize_email(found.email) == "jean.dupont@acme.fr"
        assert found.values[Field.CONTACT_FIRST_NAME] == "Jean"
        assert found.values[Field.CONTACT_POSITION] == "ACCOUNTING"
        assert list(repository.find_contacts_by_emails(["nobody@acme.fr"])) == []

    def test_contact_update_changes_only_the_given_fields(self, repository: Repository) -> None:
        client_id = repository.create_client(_client("C1", "Acme"), None)
        contact_id = repository.create_contact(client_id, _contact("jean@acme.fr", first_name="Jean",
                                                                     phone="+33142685300"))
        repository.update_contact(contact_id, ContactChanges({Field.CONTACT_PHONE: "+33600000000"}))
        found = _one(list(repository.find_contacts_by_emails(["jean@acme.fr"])))
        assert found.values[Field.CONTACT_PHONE] == "+33600000000"
        assert found.values[Field.CONTACT_FIRST_NAME] == "Jean"

    def test_the_main_contact_is_the_clients_main_contact_id(self, repository: Repository) -> None:
        client_id = repository.create_client(_client("C1", "Acme"), None)
        first = repository.create_contact(client_id, _contact("a@acme.fr", is_main=True))
        second = repository.create_contact(client_id, _contact("b@acme.fr", is_main=False))
        assert self._main_of(repository, "C1") == first
        stored_first = _one(list(repository.find_contacts_by_emails(["a@acme.fr"])))
        assert isinstance(stored_first, StoredContact) and stored_first.is_main
        repository.update_contact(first, ContactChanges({Field.CONTACT_IS_MAIN: False}))
        assert self._main_of(repository, "C1") is None
        repository.update_contact(second, ContactChanges({Field.CONTACT_IS_MAIN: True}))
        assert self._main_of(repository, "C1") == second
        stored_first = _one(list(repository.find_contacts_by_emails(["a@acme.fr"])))
        assert isinstance(stored_first, StoredContact) and not stored_first.is_main

    def _main_of(self, repository: Repository, external_id: str) -> Id | None:
        client = _one(list(repository.find_clients_by_external_ids([external_id])))
        assert isinstance(client, StoredClient)
        return client.main_contact_id

    def test_contacts_by_external_id_when_offered(self, repository: Repository) -> None:
        if not isinstance(repository, SupportsContactExternalIds):
            pytest.skip("this repository does not look contacts up by external id")
        client_id = repository.create_client(_client("C1", "Acme"), None)
        contact_id = repository.create_contact(client_id, _contact("jean@acme.fr", external_id="K1"))
        found = list(repository.find_contacts_by_external_ids(["K1", "K2"]))
        assert [c.id for c in found] == [contact_id]

    # -- references -----------------------------------------------------------------------------

    def test_known_account_managers_is_the_registered_subset(self, repository: Repository) -> None:
        self.add_account_managers(repository, ["anne@example.com", "paul@example.com"])
        known = repository.known_account_managers(["anne@example.com", "zoe@example.com"])
        assert known is not None and set(known) == {"anne@example.com"}

    def test_known_dunning_plans_is_the_registered_subset(self, repository: Repository) -> None:
        self.add_dunning_plans(repository, ["Plan Standard", "Plan VIP"])
        known = repository.known_dunning_plans(["Plan VIP", "Plan inconnu"])
        assert known is not None and set(known) == {"Plan VIP"}

    # -- mapping memory -----------------------------------------------------------------------

    def test_mapping_memory_when_offered(self, repository: Repository) -> None:
        if not isinstance(repository, MappingMemory):
            pytest.skip("this repository does not remember column mappings")
        fingerprint = "0" * 64
        assert repository.load_mapping(fingerprint) is None
        repository.save_mapping(fingerprint, {"Société": "client.name", "Notes": None})
        assert dict(repository.load_mapping(fingerprint) or {}) == {"Société": "client.name", "Notes": None}
        repository.save_mapping(fingerprint, {"Raison sociale": "client.name"})
        assert dict(repository.load_mapping(fingerprint) or {}) == {"Raison sociale": "client.name"}
        assert repository.load_mapping("1" * 64) is None

    # -- transactions ---------------------------------------------------------------------------

    def test_a_transaction_that_raises_writes_nothing(self, repository: Repository) -> None:
        transaction = getattr(repository, "transaction", None)
        if not callable(transaction):
            pytest.skip("this repository offers no transaction()")
        kept = repository.create_client(_client("C0", "Kept"), None)

        class Boom(Exception):
            pass

        with pytest.raises(Boom), transaction():
            client_id = repository.create_client(_client("C1", "Acme"), None)
            repository.create_contact(client_id, _contact("jean@acme.fr"))
            repository.update_client(kept, ClientChanges({Field.CLIENT_CITY: "Paris"}))
            raise Boom
        assert list(repository.find_clients_by_external_ids(["C1"])) == []
        assert list(repository.find_contacts_by_emails(["jean@acme.fr"])) == []
        assert Field.CLIENT_CITY not in _one(list(repository.find_clients_by_external_ids(["C0"]))).values

    # -- through the planner ----------------------------------------------------------------------

    def test_importing_the_same_rows_twice_writes_nothing_the_second(self, repository: Repository) -> None:
        rows: list[dict[str, FieldValue | None]] = [
            {"client.external_id": "G1", "client.name": "Groupe Lumière", "client.city": "Lyon"},
            {"client.external_id": "S1", "client.name": "Hôtel Lumière Nice", "group.external_id": "G1",
             "contact.email": "Compta@Lumiere.fr", "contact.first_name": "Inès", "contact.is_main": True},
            {"client.name": "Café des Arts", "client.payment_term_days": 30,
             "contact.email": "cafe@arts.fr", "contact.position": "PAYER"},
        ]
        first = plan(parsed_import(rows), repository)
        assert first.ok, [issue.message for issue in first.issues]
        assert apply(first, repository).ok
        second = plan(parsed_import(rows), repository)
        assert second.ok and second.operations == ()
        subsidiary = _one(list(repository.find_clients_by_external_ids(["S1"])))
        group = _one(list(repository.find_clients_by_external_ids(["G1"])))
        assert isinstance(subsidiary, StoredClient)
        assert subsidiary.parent_id == group.id
        contact = _one(list(repository.find_contacts_by_emails(["compta@lumiere.fr"])))
        assert subsidiary.main_contact_id == contact.id
