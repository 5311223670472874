"""The contract test-suite: :class:`RepositoryContract`, every behaviour the planner relies on.

Each check's failure says what the importer expected and what the repository
returned, in its own message (so that it reads the same under
``--assert=plain``); the pytest plugin of this package also has pytest
rewrite this module's assertions, for the detail of the values.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Hashable, Iterable
from typing import Any, ClassVar, Generic, TypeVar, cast

import pytest

from upflow_import.apply import apply
from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name
from upflow_import.mapping_memory import MappingMemory
from upflow_import.model import ClientRecord, ContactRecord, FieldValue
from upflow_import.planner import plan
from upflow_import.repository import (
    ClientChanges,
    ContactChanges,
    Repository,
    StoredClient,
    StoredContact,
    SupportsContactExternalIds,
)
from upflow_import.testing._builders import parsed_import

__all__ = ["OPTIONAL_METHODS", "REQUIRED_METHODS", "RepositoryContract"]

#: The caller's repository type, and the type of the ids its ``create_*`` methods return.
RepoT = TypeVar("RepoT", bound=Repository)
IdT = TypeVar("IdT", bound=Hashable)

#: The methods of :class:`~upflow_import.Repository`, which every repository must have.
REQUIRED_METHODS = (
    "find_clients_by_external_ids", "find_clients_by_names", "find_contacts_by_emails",
    "known_account_managers", "known_dunning_plans",
    "create_client", "update_client", "create_contact", "update_contact",
)
#: The optional methods, each with what the importer does without it.
OPTIONAL_METHODS = {
    "transaction": "apply() then runs without a transaction: a failed write leaves the writes before it",
    "find_contacts_by_external_ids": "a contact id already used by another contact is not reported "
                                     "(contact.external_id_conflict)",
    "all_account_managers": "no 'did you mean' hint for an unknown account manager",
    "all_dunning_plans": "no 'did you mean' hint for an unknown dunning plan",
    "load_mapping": "column mappings are not remembered (MappingMemory)",
    "save_mapping": "column mappings are not remembered (MappingMemory)",
}


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


def _shown(found: object) -> str:
    """A stored record (or a list of them) as a failure message shows it: its keys and values by
    field key, not the whole dataclass."""
    if isinstance(found, list | tuple):
        return "[" + ", ".join(_shown(item) for item in found) + "]"
    if isinstance(found, StoredClient):
        return (f"StoredClient(id={found.id!r}, external_id={found.external_id!r}, name={found.name!r}, "
                f"values={_values(found.values)})")
    if isinstance(found, StoredContact):
        return (f"StoredContact(id={found.id!r}, client_id={found.client_id!r}, email={found.email!r}, "
                f"values={_values(found.values)})")
    return repr(found)


def _values(values: Any) -> str:
    return repr({getattr(field, "value", field): value for field, value in dict(values).items()})


def _listed(found: Iterable[Any], call: str) -> list[Any]:
    """The answer of ``call`` as a list, after checking it holds only stored records."""
    try:
        items = list(found)
    except TypeError:
        pytest.fail(f"{call} must return an iterable of stored records, but returned {_shown(found)}")
    return items


def _one_client(found: Iterable[Any], call: str) -> StoredClient:
    items = _listed(found, call)
    assert len(items) == 1, f"{call} should return exactly one StoredClient, but returned {_shown(items)}"
    assert isinstance(items[0], StoredClient), (
        f"{call} should return StoredClient objects, but returned a {type(items[0]).__name__}: "
        f"{_shown(items[0])}")
    return items[0]


def _one_contact(found: Iterable[Any], call: str) -> StoredContact:
    items = _listed(found, call)
    assert len(items) == 1, f"{call} should return exactly one StoredContact, but returned {_shown(items)}"
    assert isinstance(items[0], StoredContact), (
        f"{call} should return StoredContact objects, but returned a {type(items[0]).__name__}: "
        f"{_shown(items[0])}")
    return items[0]


def _expect_value(stored: StoredClient | StoredContact, field: Field, expected: FieldValue | None,
                  after: str) -> None:
    actual = stored.values.get(field)
    assert actual == expected, (
        f"after {after}, {field.value} should be {expected!r}, but the repository returned {actual!r} "
        f"(values: {_values(stored.values)})")


class RepositoryContract(Generic[RepoT, IdT]):
    """The behaviours of a :class:`~upflow_import.Repository` that the planner and
    :func:`~upflow_import.apply` rely on, as pytest checks.

    Subclass it in a test module (as ``TestMyRepository(RepositoryContract[MyRepository, int])``:
    your repository type and the type of its ids) and override the
    ``repository`` fixture to return a new, empty repository. Override
    :meth:`add_account_managers` and :meth:`add_dunning_plans` if your
    repository tracks them; the checks that need them are skipped otherwise.
    ``transaction()``, ``find_contacts_by_external_ids`` and the mapping
    memory (:class:`~upflow_import.MappingMemory`) are checked when the
    repository offers them; each optional method it lacks is a skipped
    ``test_optional_method`` that says what the importer does without it.
    A required method it lacks fails ``test_required_method``, naming it,
    and every other check is skipped.
    """

    #: How many keys the planner sends per lookup call (its default chunk size).
    chunk_size: ClassVar[int] = 1000
    #: How many generated files the property check imports (it needs hypothesis; 0 skips it).
    generated_files: ClassVar[int] = 10

    @pytest.fixture
    def repository(self) -> RepoT:
        """A new, empty repository: override this fixture in your subclass."""
        pytest.fail("override the `repository` fixture of your RepositoryContract subclass so that it "
                    "returns a new, empty repository")

    @pytest.fixture(autouse=True)
    def _complete_repository(self, request: pytest.FixtureRequest, repository: RepoT) -> None:
        """Skip every behaviour check of a repository that lacks a required method:
        ``test_required_method`` fails for each one, naming it."""
        if request.function.__name__ == "test_required_method":
            return
        missing = [name for name in REQUIRED_METHODS if not callable(getattr(repository, name, None))]
        if missing:
            pytest.skip(f"the repository lacks {', '.join(name + '()' for name in missing)}: "
                        "see test_required_method")

    def add_account_managers(self, repository: RepoT, emails: Collection[str]) -> None:
        """Register account managers in ``repository``; override if it tracks them."""
        pytest.skip("this repository does not track account managers (override add_account_managers "
                    "to check known_account_managers)")

    def add_dunning_plans(self, repository: RepoT, names: Collection[str]) -> None:
        """Register dunning plans in ``repository``; override if it tracks them."""
        pytest.skip("this repository does not track dunning plans (override add_dunning_plans "
                    "to check known_dunning_plans)")

    # -- the protocol's methods ------------------------------------------------------------------

    @pytest.mark.parametrize("method", REQUIRED_METHODS)
    def test_required_method(self, repository: RepoT, method: str) -> None:
        assert callable(getattr(repository, method, None)), (
            f"{type(repository).__name__} has no {method}() method, which the Repository protocol "
            f"requires: the importer calls it (see the Repository protocol for its signature)")

    @pytest.mark.parametrize("method", list(OPTIONAL_METHODS))
    def test_optional_method(self, repository: RepoT, method: str) -> None:
        try:
            present = callable(getattr(repository, method, None))
        except AttributeError:  # a property that refuses, as InMemoryRepository(transactional=False)
            present = False
        if not present:
            pytest.skip(f"optional {method}() not offered: {OPTIONAL_METHODS[method]}")

    # -- clients ------------------------------------------------------------------------------

    def test_a_created_client_is_found_by_external_id_with_its_values(self, repository: RepoT) -> None:
        record = _client("C001", "Acme SA", city="Paris", payment_term_days=30,
                         account_manager_email=("anne@example.com", "paul@example.com"))
        client_id = cast(IdT, repository.create_client(record, None))
        call = "find_clients_by_external_ids(['C001'])"
        found = _one_client(repository.find_clients_by_external_ids(["C001"]), call)
        assert found.id == client_id, (
            f"{call} should return the id create_client() returned ({client_id!r}), but returned "
            f"{found.id!r}: ids must be given back exactly as create_client() made them")
        assert (found.external_id, found.name) == ("C001", "Acme SA"), (
            f"{call} should return external_id 'C001' and name 'Acme SA', but returned "
            f"{found.external_id!r} and {found.name!r}")
        after = "create_client()"
        _expect_value(found, Field.CLIENT_CITY, "Paris", after)
        _expect_value(found, Field.CLIENT_PAYMENT_TERM_DAYS, 30, after)
        _expect_value(found, Field.CLIENT_ACCOUNT_MANAGER_EMAIL, ("anne@example.com", "paul@example.com"),
                      after)
        assert found.parent_id is None and found.main_contact_id is None, (
            f"a client created without parent or contact should have parent_id and main_contact_id None, "
            f"but the repository returned {found.parent_id!r} and {found.main_contact_id!r}")

    def test_external_ids_match_exactly(self, repository: RepoT) -> None:
        repository.create_client(_client("C001", "Acme"), None)
        call = "find_clients_by_external_ids(['c001', 'C001 ', 'C002'])"
        found = _listed(repository.find_clients_by_external_ids(["c001", "C001 ", "C002"]), call)
        assert found == [], (
            f"external ids must match exactly (case and spaces count: 'c001' is not 'C001'), but {call} "
            f"returned {_shown(found)}")
        found = _listed(repository.find_clients_by_external_ids([]), "find_clients_by_external_ids([])")
        assert found == [], (
            f"find_clients_by_external_ids([]) should return nothing, but returned {_shown(found)}")

    def test_created_ids_are_distinct_and_found_again(self, repository: RepoT) -> None:
        ids = [repository.create_client(_client(f"C{n}", f"Client {n}"), None) for n in range(5)]
        assert len(set(ids)) == 5, f"create_client() should return a new id each time, but returned {ids!r}"
        keys = [f"C{n}" for n in range(5)]
        found = {c.external_id: c.id for c in _listed(repository.find_clients_by_external_ids(keys),
                                                       f"find_clients_by_external_ids({keys!r})")}
        expected = {f"C{n}": client_id for n, client_id in enumerate(ids)}
        assert found == expected, (
            f"each client should be found under the id create_client() returned: expected {expected!r}, "
            f"but the repository returned {_shown(found)}")

    def test_names_are_found_by_their_normalised_key(self, repository: RepoT) -> None:
        first = repository.create_client(_client(None, "Boulangerie\u00a0Dupont"), None)
        second = repository.create_client(_client("C2", "BOULANGERIE  dupont "), None)
        repository.create_client(_client("C3", "Boulangerie Durand"), None)
        key = normalize_name("boulangerie dupont")
        call = f"find_clients_by_names([{key!r}])"
        found = _listed(repository.find_clients_by_names([key]), call)
        assert sorted(map(repr, (c.id for c in found))) == sorted(map(repr, (first, second))), (
            f"{call} should return the clients whose normalize_name(name) is {key!r} (ids {first!r} and "
            f"{second!r}: 'Boulangerie\\xa0Dupont' and 'BOULANGERIE  dupont '), but returned "
            f"{[(c.id, c.name) for c in found]!r}")
        found = _listed(repository.find_clients_by_names(["nobody"]), "find_clients_by_names(['nobody'])")
        assert found == [], (
            f"find_clients_by_names(['nobody']) should return nothing, but returned {_shown(found)}")

    def test_a_full_chunk_of_keys_is_answered_completely(self, repository: RepoT) -> None:
        count = self.chunk_size
        for n in range(count):
            client_id = repository.create_client(_client(f"K{n:05}", f"Client {n}"), None)
            repository.create_contact(client_id, _contact(f"person{n}@example.com"))
        ids = [f"K{n:05}" for n in range(count)]
        found_ids = {c.external_id for c in repository.find_clients_by_external_ids(ids)}
        assert found_ids == set(ids), (
            f"find_clients_by_external_ids() with {count} keys should return all {count} clients, "
            f"but returned {len(found_ids)}")
        names = [normalize_name(f"Client {n}") for n in range(count)]
        by_name = len(list(repository.find_clients_by_names(names)))
        assert by_name == count, (
            f"find_clients_by_names() with {count} keys should return {count} clients, "
            f"but returned {by_name}")
        emails = [f"person{n}@example.com" for n in range(count)]
        found_emails = {normalize_email(c.email) for c in repository.find_contacts_by_emails(emails)}
        assert found_emails == set(emails), (
            f"find_contacts_by_emails() with {count} keys should return all {count} contacts, "
            f"but returned {len(found_emails)}")

    def test_update_changes_only_the_given_fields(self, repository: RepoT) -> None:
        client_id = repository.create_client(_client("C1", "Acme", city="Paris", vat_number="FR123"), None)
        repository.update_client(client_id, ClientChanges({Field.CLIENT_CITY: "Lyon"}))
        found = _one_client(repository.find_clients_by_external_ids(["C1"]),
                            "find_clients_by_external_ids(['C1'])")
        after = "update_client(id, ClientChanges({client.city: 'Lyon'}))"
        _expect_value(found, Field.CLIENT_CITY, "Lyon", after + " (the update must be stored)")
        _expect_value(found, Field.CLIENT_VAT_NUMBER, "FR123", after + " (a field the update does not name "
                                                                     "must keep its value)")
        assert found.name == "Acme", f"after {after}, the name should still be 'Acme', but is {found.name!r}"

    def test_a_renamed_client_is_found_by_its_new_name_only(self, repository: RepoT) -> None:
        client_id = repository.create_client(_client("C1", "Acme"), None)
        repository.update_client(client_id, ClientChanges({Field.CLIENT_NAME: "Acme Group"}))
        old = _listed(repository.find_clients_by_names(["acme"]), "find_clients_by_names(['acme'])")
        assert old == [], (
            f"after renaming 'Acme' to 'Acme Group', find_clients_by_names(['acme']) should return nothing "
            f"(the name key must follow the name), but returned {_shown(old)}")
        call = "find_clients_by_names(['acme group'])"
        found = _one_client(repository.find_clients_by_names(["acme group"]), call)
        assert found.id == client_id, f"{call} should return id {client_id!r}, but returned {found.id!r}"

    def test_parents_are_stored_and_kept_when_an_update_gives_none(self, repository: RepoT) -> None:
        group = repository.create_client(_client("G", "Group"), None)
        other = repository.create_client(_client("H", "Other group"), None)
        subsidiary = repository.create_client(_client("S", "Subsidiary"), group)
        call = "find_clients_by_external_ids(['S'])"
        stored = _one_client(repository.find_clients_by_external_ids(["S"]), call)
        assert stored.parent_id == group, (
            f"create_client(record, parent_id={group!r}) should store the parent, but {call} returned "
            f"parent_id={stored.parent_id!r}")
        repository.update_client(subsidiary, ClientChanges({Field.CLIENT_CITY: "Nice"}, parent_id=None))
        stored = _one_client(repository.find_clients_by_external_ids(["S"]), call)
        assert stored.parent_id == group, (
            f"an update with parent_id=None keeps the parent: expected {group!r}, but the repository "
            f"returned {stored.parent_id!r}")
        repository.update_client(subsidiary, ClientChanges({}, parent_id=other))
        stored = _one_client(repository.find_clients_by_external_ids(["S"]), call)
        assert stored.parent_id == other, (
            f"an update with parent_id={other!r} should move the client, but the repository returned "
            f"parent_id={stored.parent_id!r}")

    # -- contacts -----------------------------------------------------------------------------

    def test_a_contact_is_found_by_its_normalised_email(self, repository: RepoT) -> None:
        client_id = repository.create_client(_client("C1", "Acme"), None)
        contact_id = repository.create_contact(
            client_id, _contact("Jean.Dupont@Acme.FR", first_name="Jean", position="ACCOUNTING"))
        call = "find_contacts_by_emails(['jean.dupont@acme.fr'])"
        found = _one_contact(repository.find_contacts_by_emails(["jean.dupont@acme.fr"]), call)
        assert (found.id, found.client_id) == (contact_id, client_id), (
            f"{call} should return the contact id create_contact() returned and its client's id "
            f"({contact_id!r}, {client_id!r}), but returned ({found.id!r}, {found.client_id!r}): "
            f"is the contact attached to the client it was created under?")
        assert normalize_email(found.email) == "jean.dupont@acme.fr", (
            f"{call} returned a contact with email {found.email!r}")
        _expect_value(found, Field.CONTACT_FIRST_NAME, "Jean", "create_contact()")
        _expect_value(found, Field.CONTACT_POSITION, "ACCOUNTING", "create_contact()")
        nobody = _listed(repository.find_contacts_by_emails(["nobody@acme.fr"]),
                         "find_contacts_by_emails(['nobody@acme.fr'])")
        assert nobody == [], (
            f"find_contacts_by_emails(['nobody@acme.fr']) should return nothing, "
            f"but returned {_shown(nobody)}")

    def test_contact_update_changes_only_the_given_fields(self, repository: RepoT) -> None:
        client_id = repository.create_client(_client("C1", "Acme"), None)
        contact_id = repository.create_contact(client_id, _contact("jean@acme.fr", first_name="Jean",
                                                                     phone="+33142685300"))
        repository.update_contact(contact_id, ContactChanges({Field.CONTACT_PHONE: "+33600000000"}))
        found = _one_contact(repository.find_contacts_by_emails(["jean@acme.fr"]),
                             "find_contacts_by_emails(['jean@acme.fr'])")
        after = "update_contact(id, ContactChanges({contact.phone: '+33600000000'}))"
        _expect_value(found, Field.CONTACT_PHONE, "+33600000000", after + " (the update must be stored)")
        _expect_value(found, Field.CONTACT_FIRST_NAME, "Jean", after + " (a field the update does not name "
                                                                      "must keep its value)")

    def test_the_main_contact_is_the_clients_main_contact_id(self, repository: RepoT) -> None:
        client_id = repository.create_client(_client("C1", "Acme"), None)
        first = repository.create_contact(client_id, _contact("a@acme.fr", is_main=True))
        second = repository.create_contact(client_id, _contact("b@acme.fr", is_main=False))
        main = self._main_of(repository, "C1")
        assert main == first, (
            f"after create_contact() of a main contact (id {first!r}), the client's main_contact_id "
            f"should be {first!r}, but the repository returned {main!r}")
        stored_first = _one_contact(repository.find_contacts_by_emails(["a@acme.fr"]),
                                    "find_contacts_by_emails(['a@acme.fr'])")
        assert stored_first.is_main, (
            f"a contact created with is_main=True should have contact.is_main True, but its values are "
            f"{_values(stored_first.values)}")
        repository.update_contact(first, ContactChanges({Field.CONTACT_IS_MAIN: False}))
        main = self._main_of(repository, "C1")
        assert main is None, (
            f"after update_contact(main, contact.is_main=False), the client should have no main contact, "
            f"but the repository returned main_contact_id={main!r}")
        repository.update_contact(second, ContactChanges({Field.CONTACT_IS_MAIN: True}))
        main = self._main_of(repository, "C1")
        assert main == second, (
            f"after update_contact(id {second!r}, contact.is_main=True), main_contact_id should be "
            f"{second!r}, but the repository returned {main!r}")
        stored_first = _one_contact(repository.find_contacts_by_emails(["a@acme.fr"]),
                                    "find_contacts_by_emails(['a@acme.fr'])")
        assert not stored_first.is_main, (
            f"the demoted contact should have contact.is_main False, but its values are "
            f"{_values(stored_first.values)}")

    def _main_of(self, repository: RepoT, external_id: str) -> IdT | None:
        client = _one_client(repository.find_clients_by_external_ids([external_id]),
                             f"find_clients_by_external_ids([{external_id!r}])")
        return cast("IdT | None", client.main_contact_id)

    def test_contacts_by_external_id_when_offered(self, repository: RepoT) -> None:
        if not isinstance(repository, SupportsContactExternalIds):
            pytest.skip("this repository does not look contacts up by external id")
        client_id = repository.create_client(_client("C1", "Acme"), None)
        contact_id = repository.create_contact(client_id, _contact("jean@acme.fr", external_id="K1"))
        call = "find_contacts_by_external_ids(['K1', 'K2'])"
        found = [c.id for c in _listed(repository.find_contacts_by_external_ids(["K1", "K2"]), call)]
        assert found == [contact_id], f"{call} should return [{contact_id!r}], but returned {_shown(found)}"

    # -- references -----------------------------------------------------------------------------

    def test_known_account_managers_is_the_registered_subset(self, repository: RepoT) -> None:
        self.add_account_managers(repository, ["anne@example.com", "paul@example.com"])
        known = repository.known_account_managers(["anne@example.com", "zoe@example.com"])
        assert known is not None and set(known) == {"anne@example.com"}, (
            f"known_account_managers(['anne@example.com', 'zoe@example.com']) should return "
            f"{{'anne@example.com'}} (the registered ones only), but returned {known!r}")

    def test_known_dunning_plans_is_the_registered_subset(self, repository: RepoT) -> None:
        self.add_dunning_plans(repository, ["Plan Standard", "Plan VIP"])
        known = repository.known_dunning_plans(["Plan VIP", "Plan inconnu"])
        assert known is not None and set(known) == {"Plan VIP"}, (
            f"known_dunning_plans(['Plan VIP', 'Plan inconnu']) should return {{'Plan VIP'}} (the "
            f"registered ones only), but returned {known!r}")

    # -- mapping memory -----------------------------------------------------------------------

    def test_mapping_memory_when_offered(self, repository: RepoT) -> None:
        if not isinstance(repository, MappingMemory):
            pytest.skip("this repository does not remember column mappings")
        fingerprint = "0" * 64
        loaded = repository.load_mapping(fingerprint)
        assert loaded is None, f"load_mapping() of an unknown fingerprint should be None, not {loaded!r}"
        saved = {"Société": "client.name", "Notes": None}
        repository.save_mapping(fingerprint, saved)
        loaded = repository.load_mapping(fingerprint)
        assert dict(loaded or {}) == saved, f"load_mapping() should return {saved!r}, but returned {loaded!r}"
        replaced = {"Raison sociale": "client.name"}
        repository.save_mapping(fingerprint, replaced)
        loaded = repository.load_mapping(fingerprint)
        assert dict(loaded or {}) == replaced, (
            f"save_mapping() again should replace the mapping: expected {replaced!r}, got {loaded!r}")
        other = repository.load_mapping("1" * 64)
        assert other is None, f"load_mapping() of another fingerprint should be None, not {other!r}"

    # -- transactions ---------------------------------------------------------------------------

    def test_a_transaction_that_raises_writes_nothing(self, repository: RepoT) -> None:
        try:
            transaction = getattr(repository, "transaction", None)
        except AttributeError:
            transaction = None
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
        left = [
            *(f"the client C1 ({_shown(c)})" for c in repository.find_clients_by_external_ids(["C1"])),
            *(f"the contact jean@acme.fr ({_shown(c)})"
              for c in repository.find_contacts_by_emails(["jean@acme.fr"])),
        ]
        kept_client = _one_client(repository.find_clients_by_external_ids(["C0"]),
                                  "find_clients_by_external_ids(['C0'])")
        if Field.CLIENT_CITY in kept_client.values:
            left.append(f"the update of client C0 (city {kept_client.values[Field.CLIENT_CITY]!r})")
        assert not left, (
            "a transaction() block that raises must be rolled back (nothing written inside it may "
            f"remain), but the repository still holds {', '.join(left)}")

    # -- through the planner ----------------------------------------------------------------------

    def test_importing_the_same_rows_twice_writes_nothing_the_second(self, repository: RepoT) -> None:
        rows: list[dict[str, FieldValue | None]] = [
            {"client.external_id": "G1", "client.name": "Groupe Lumière", "client.city": "Lyon"},
            {"client.external_id": "S1", "client.name": "Hôtel Lumière Nice", "group.external_id": "G1",
             "contact.email": "Compta@Lumiere.fr", "contact.first_name": "Inès", "contact.is_main": True},
            {"client.name": "Café des Arts", "client.payment_term_days": 30,
             "contact.email": "cafe@arts.fr", "contact.position": "PAYER"},
        ]
        first = plan(parsed_import(rows), repository)
        assert first.ok, (
            f"the first import should plan without issues, but: {[i.message for i in first.issues]}")
        result = apply(first, repository)
        assert result.ok, (
            f"the first import should write without failing, but: {[i.message for i in result.issues]}")
        second = plan(parsed_import(rows), repository)
        assert second.ok and second.operations == (), (
            "importing the same rows again should change nothing (the repository must return what was "
            f"written), but the second plan has {[op.to_dict() for op in second.operations]!r} and issues "
            f"{[i.message for i in second.issues]!r}")
        subsidiary = _one_client(repository.find_clients_by_external_ids(["S1"]),
                                 "find_clients_by_external_ids(['S1'])")
        group = _one_client(repository.find_clients_by_external_ids(["G1"]),
                            "find_clients_by_external_ids(['G1'])")
        assert subsidiary.parent_id == group.id, (
            f"S1 should be stored under its group G1 (id {group.id!r}), but parent_id is "
            f"{subsidiary.parent_id!r}")
        contact = _one_contact(repository.find_contacts_by_emails(["compta@lumiere.fr"]),
                               "find_contacts_by_emails(['compta@lumiere.fr'])")
        assert subsidiary.main_contact_id == contact.id, (
            f"S1's main contact should be {contact.id!r}, but main_contact_id is "
            f"{subsidiary.main_contact_id!r}")

    def test_generated_files_import_once(self, repository: RepoT) -> None:
        """Property check over generated files (valid and broken, CSV and XLSX, with groups,
        contacts and conflicts): every row is accounted for as the file says, and importing the
        file a second time writes nothing. Needs hypothesis."""
        if self.generated_files <= 0:
            pytest.skip("generated_files = 0: the property check over generated files is off")
        pytest.importorskip("hypothesis", reason="the property check needs hypothesis")
        from hypothesis import HealthCheck, given, settings  # noqa: PLC0415

        from upflow_import.testing.strategies import check_import_twice, import_files  # noqa: PLC0415

        namespaces = itertools.count()

        @settings(max_examples=self.generated_files, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(import_files(namespace=lambda: f"n{next(namespaces)}-"))
        def check(generated: Any) -> None:
            check_import_twice(generated, repository)

        check()
