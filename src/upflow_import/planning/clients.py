"""Client resolution: the file's rows become client entities.

Identity resolution never calls a repository: the planner asks it which keys to look up
(:mod:`~upflow_import.planning.index`, :func:`~upflow_import.planning.contacts.contact_keys_to_find`),
reads them in batches (:mod:`~upflow_import.planning.lookups`), and hands the results back
(:class:`~upflow_import.planning.entities.StoredClients`,
:class:`~upflow_import.planning.entities.StoredContacts`). Rules 5 and 6 live in
:mod:`~upflow_import.planning.groups`, rule 7 in :mod:`~upflow_import.planning.contacts`.

The rules (DESIGN §6) in the order they are applied:

1. Rows are grouped by their raw identity: the client external id when the
   row has one, else the normalised name.
2. Name-only groups refer to the client with that name: among the file's
   clients that have an id first, then in the repository. Several
   candidates: ``client.ambiguous_name``. A name the file takes away from a
   client it renames is another client by that name, with the ``client.renamed_name`` warning.
3. The rows of one client are merged; a later different value wins with
   ``client.value_overridden``.
4. A client that exists nowhere and has no name is ``client.not_found``;
   a new client whose name is stored under another id warns
   ``client.same_name_exists``; account managers and dunning plans are checked.
5. Parents are resolved like client references (file first); a group name
   that designates another client than the group id is
   ``group.parent_mismatch``; then self parents and loops are found.
6. Errors drop their client, and the client drops its subsidiaries.
7. Contacts are grouped by normalised email, checked, merged, and the main
   contact of each client decided (the last one marked wins).

Everything is linear in the number of rows: dictionaries keyed by identity,
no pairwise comparison.
"""

from __future__ import annotations

from collections.abc import Sequence

from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name, normalize_reference
from upflow_import.issues import HINTS
from upflow_import.model import ClientRef, FieldValue
from upflow_import.planning.contacts import build_contacts
from upflow_import.planning.entities import (
    ClientEntity,
    References,
    Resolution,
    StoredClients,
    row_numbers,
)
from upflow_import.planning.file_rows import client_ok
from upflow_import.planning.groups import GroupRules
from upflow_import.planning.index import FileIndex, external_ids_by_name
from upflow_import.planning.issue_log import describe_clients, value_text
from upflow_import.planning.keys import KEY_ID, KEY_NAME, KEY_STORED, ClientKey
from upflow_import.planning.suggestions import Suggestion, suggest
from upflow_import.repository import Id, StoredClient

__all__ = ["resolve_clients"]

class _ClientResolver(GroupRules):
    """The client half of resolution; one instance per plan."""

    def __init__(self, index: FileIndex, stored: StoredClients, references: References) -> None:
        self.index = index
        self.log = index.log
        self.stored = stored
        self.references = references
        # Normalised once: the checks below run per client.
        self.known_managers = (None if references.account_managers is None
                               else {normalize_email(email) for email in references.account_managers})
        self.known_plans = None if references.dunning_plans is None else set(references.dunning_plans)
        # Plans are compared as the user sees them: a registered name and a cell that differ only
        # by the kind of space (a non-breaking one) are the same plan.
        self.plan_keys = {normalize_reference(name) for name in (*(references.dunning_plans or ()),
                                                             *references.all_dunning_plans)}
        self.file = index.rows
        self.entities: dict[ClientKey, ClientEntity] = {}
        self.ambiguous: list[list[int]] = []
        self.by_stored_id: dict[Id, ClientEntity] = {}
        #: Former names of the file's renamed clients (see :meth:`_former_names`).
        self.renamed: dict[str, list[str]] = {}
        # External id → the normalised name the file gives that client, when it gives one.
        self.file_names: dict[str, str] = {}
        for key, name in index.names.items():
            if key.kind == KEY_ID:
                self.file_names[str(key.value)] = self.index.keys.name(name)

    def _stored_named(self, name_key: str) -> list[StoredClient]:
        """Stored clients bearing ``name_key`` once the file is imported: a client the file
        renames no longer answers to its old name (or a re-run would resolve differently)."""
        file_names = self.file_names
        return [client for client in self.stored.by_name.get(name_key, ())
                if client.external_id is None or file_names.get(client.external_id, name_key) == name_key]

    def run(self) -> Resolution:
        self._build_entities()
        numbers = self.file.numbers
        entities = sorted(self.entities.values(), key=lambda e: numbers[e.positions[0]])  # e.first_row
        by_stored_id = self.by_stored_id
        for entity in entities:
            _settle_positions(entity)
            if entity.stored is not None:
                by_stored_id[entity.stored.id] = entity
            self._merge(entity)
            self._check_existence(entity)
            self._check_references(entity)
        # Only parents named without an id are looked up by name: most files give ids.
        name_index = (self._name_index(entities) if any(
            entity.parent_ref is not None and entity.parent_ref.external_id is None for entity in entities)
            else {})
        for entity in entities:
            self._resolve_parent(entity, name_index)
        stored_by_id = self.stored.by_id()
        self._find_cycles(entities, stored_by_id)
        ordered = self._parents_first(entities)
        self._propagate_drops(ordered)
        resolution = Resolution(self.index, ordered, self.ambiguous, stored_by_id)
        build_contacts(resolution)
        return resolution

    # identity ------------------------------------------------------------------------------------

    def _entity(self, key: ClientKey, stored: StoredClient | None) -> ClientEntity:
        entity = self.entities.get(key)
        if entity is None:
            entity = self.entities[key] = ClientEntity(self.file, key, [], stored)
        return entity

    def _canonical(self, client: StoredClient) -> ClientKey:
        if client.external_id is not None:
            return ClientKey(KEY_ID, client.external_id)
        return ClientKey(KEY_STORED, client.id)

    def _build_entities(self) -> None:
        by_external_id = self.stored.by_external_id
        self.renamed = self._former_names() if any(
            key.kind == KEY_NAME for key in self.index.groups) else {}
        entities = self.entities
        for key, group in self.index.groups.items():
            if key.kind == KEY_ID:  # the first entities made: one per key, each new
                # The entity takes its group's list over rather than a copy of it: nothing reads
                # a group's positions once the entities are made (the entity may grow and
                # reorder the list).
                entities[key] = ClientEntity(self.file, key, group, by_external_id.get(str(key.value)))
        for key, group in self.index.groups.items():
            if key.kind == KEY_NAME:
                self._place_named(str(key.value), group)

    def _place_named(self, name_key: str, group: list[int]) -> None:
        """Rows naming a client without an id join the client the name designates (rule 2)."""
        candidates = self._candidates(name_key, group)
        if len(candidates) > 1:
            self._ambiguous(group, candidates)
            return
        if not candidates:
            self._entity(ClientKey(KEY_NAME, name_key), None).positions.extend(group)
            return
        target = candidates[0]
        stored_client = None
        if target.kind == KEY_ID:
            stored_client = self.stored.by_external_id.get(str(target.value))
        if stored_client is None:
            named = self._stored_named(name_key)
            stored_client = next((c for c in named if self._canonical(c) == target), None)
        self._entity(target, stored_client).positions.extend(group)

    def _candidates(self, name_key: str, group: list[int]) -> list[ClientKey]:
        """The clients ``name_key`` may designate: the file's clients with an id first, then the
        stored ones, leaving out those the file renames (with the warning)."""
        in_file = external_ids_by_name(self.index, self.stored.by_external_id).get(name_key)
        if isinstance(in_file, str):
            return [ClientKey(KEY_ID, in_file)]
        if in_file:
            return [ClientKey(KEY_ID, external_id) for external_id in sorted(in_file)]
        stored = self._stored_named(name_key)
        candidates = list(dict.fromkeys(self._canonical(client) for client in stored))
        renamed = self.renamed.get(name_key)
        if renamed:
            # The name is one a client of the file had before the file renamed it. The file
            # frees that name: a row naming it without an ID is another client by that name
            # (a name identifies a client without an ID), created when there is none. Said,
            # never silent; and a re-run of the same file reads it the same way.
            freed = {ClientKey(KEY_ID, external_id) for external_id in renamed}
            candidates = [candidate for candidate in candidates if candidate not in freed]
            self._renamed(group, renamed[0])
        return candidates

    def _ambiguous(self, group: list[int], candidates: Sequence[ClientKey]) -> None:
        self.ambiguous.append(group)
        described = describe_clients(candidates)
        numbers, names = self.file.numbers, self.file.names
        for position in group:
            self.log.add("client.ambiguous_name", numbers[position], Field.CLIENT_NAME, names[position],
                         count=len(candidates), candidates=described)

    def _renamed(self, group: list[int], external_id: str) -> None:
        new_name = self.index.names.get(ClientKey(KEY_ID, external_id))
        numbers, names = self.file.numbers, self.file.names
        for position in group:
            self.log.add("client.renamed_name", numbers[position], Field.CLIENT_NAME, names[position],
                         external_id=external_id, new_name=new_name)

    def _former_names(self) -> dict[str, list[str]]:
        """Names the file's clients with an ID had before the file renamed them (their stored
        name, or an earlier row's), by normalised name."""
        former: dict[str, list[str]] = {}
        by_external_id = self.stored.by_external_id
        names_at = self.file.names
        for key, group in self.index.groups.items():
            if key.kind != KEY_ID:
                continue
            external_id = str(key.value)
            last = self.file_names.get(external_id)
            if last is None:
                continue
            names = set()
            stored = by_external_id.get(external_id)
            if stored is not None:
                names.add(self.index.keys.name(stored.name))
            if len(group) > 1:
                names.update(self.index.keys.name(name) for name in map(names_at.__getitem__, group)
                             if name is not None)
            names.discard(last)
            for name in names:
                former.setdefault(name, []).append(external_id)
        return former

    # merging -------------------------------------------------------------------------------------

    def _merge(self, entity: ClientEntity) -> None:
        positions = entity.positions
        if len(positions) == 1:
            _merge_one_row(entity)
            return
        file = self.file
        first = positions[0]
        if (file.external_ids[first] is not None or entity.key.kind == KEY_NAME) and all(
                file.same_client(position, first) for position in positions[1:]):
            _merge_repeated_rows(entity)
            return
        # The first row's values are the start (their row is the entity's first: value_rows
        # need not say it); each later row that repeats the one before it changes nothing.
        entity.merged, entity.value_rows = {}, {}
        before: int | None = None
        for position in positions:
            number = file.numbers[position]
            if not client_ok(file.issues(position)):
                entity.add_error_row(number)
            if before is None or not file.same_client(position, before):
                self._merge_values(entity, position)
            before = position
            parent = file.parent(position)
            if parent:
                self._merge_parent(entity, parent, number)

    def _merge_values(self, entity: ClientEntity, position: int) -> None:
        """Lay the values of the row at ``position`` over the entity's: a later different value wins."""
        values, value_rows = entity.merged, entity.value_rows
        assert values is not None and isinstance(value_rows, dict)
        number = self.file.numbers[position]
        first = entity.first_row
        by_name_only = self.file.external_ids[position] is None and entity.key.kind != KEY_NAME
        for field, value in self.file.client_values(position).items():
            if by_name_only and field is Field.CLIENT_NAME:
                # The row only refers to the client by name: it identifies, never renames.
                continue
            previous = values.get(field)
            if previous == value:
                continue  # rows repeating their client's values: the usual case, nothing to do
            if previous is not None and not _same_name(field, previous, value):
                self.log.add(
                    "client.value_overridden", number, field, value_text(value),
                    previous=value_text(previous), previous_row=value_rows.get(field, first),
                )
            values[field] = value
            if number != first:
                value_rows[field] = number

    def _merge_parent(self, entity: ClientEntity, parent: ClientRef, number: int) -> None:
        """Row ``number`` names ``parent``: the last parent named wins."""
        if entity.parent_ref is not None and entity.parent_ref != parent:
            field = Field.GROUP_EXTERNAL_ID if parent.external_id else Field.GROUP_NAME
            assert entity.parent_ref_row is not None
            self.log.add(
                "client.value_overridden", number, field, parent.describe(),
                previous=entity.parent_ref.describe(), previous_row=entity.parent_ref_row,
            )
        entity.parent_ref, entity.parent_ref_row = parent, number

    def _check_existence(self, entity: ClientEntity) -> None:
        if entity.stored is not None or entity.key.kind != KEY_ID:
            return
        external_id = str(entity.key.value)
        name = entity.value_of(Field.CLIENT_NAME)
        if name is None:
            for number in entity.numbers:
                self._error(entity, "client.not_found", number, Field.CLIENT_EXTERNAL_ID, external_id)
            return
        same_name = self._stored_named(self.index.keys.name(str(name)))
        others = [c for c in same_name if c.external_id != external_id]
        if others:
            self.log.add(
                "client.same_name_exists", entity.row_of(Field.CLIENT_NAME), Field.CLIENT_NAME, str(name),
                count=len(others), others=describe_clients(others, labelled=True),
            )

    def _check_references(self, entity: ClientEntity) -> None:
        refs = self.references
        source = entity.source
        managers: FieldValue | None
        plan: FieldValue | None
        if entity.merged is None and source is not None:  # ClientEntity.value_of, without its calls
            managers, plan = self.file.managers[source] or None, self.file.dunning_plans[source]
        else:
            managers = entity.value_of(Field.CLIENT_ACCOUNT_MANAGER_EMAIL)
            plan = entity.value_of(Field.CLIENT_DUNNING_PLAN)
        known = self.known_managers
        if known is not None and isinstance(managers, tuple):
            for email in managers:
                if self.index.keys.email(email) not in known:
                    self._unknown_reference(
                        entity, "reference.unknown_account_manager", Field.CLIENT_ACCOUNT_MANAGER_EMAIL,
                        email, suggest(email, refs.all_account_managers, normalize_email),
                    )
        if (self.known_plans is not None and plan is not None and plan not in self.known_plans
                and normalize_reference(str(plan)) not in self.plan_keys):
            self._unknown_reference(
                entity, "reference.unknown_dunning_plan", Field.CLIENT_DUNNING_PLAN, str(plan),
                suggest(str(plan), refs.all_dunning_plans, normalize_name),
            )

    def _unknown_reference(self, entity: ClientEntity, code: str, field: Field, value: str,
                           suggestion: Suggestion | None) -> None:
        row = entity.row_of(field)
        if suggestion is None:
            self._error(entity, code, row, field, value)
            return
        hint = HINTS["did_you_mean_spacing" if suggestion[1] else "did_you_mean"]
        self._error(entity, code, row, field, value, hint=hint, suggestion=suggestion[0])

    # groups --------------------------------------------------------------------------------------

def _settle_positions(entity: ClientEntity) -> None:
    """Put the entity's rows in row order and note their numbers."""
    positions, numbers = entity.positions, entity.file.numbers
    count = len(positions)
    if count == 1:
        entity.numbers = (numbers[positions[0]],)
    elif count == 2:  # the next most usual case: two rows, often already in order
        one, two = numbers[positions[0]], numbers[positions[1]]
        if one > two:
            positions.reverse()
            one, two = two, one
        entity.numbers = (one, two)
    else:
        positions.sort(key=numbers.__getitem__)
        entity.numbers = row_numbers(entity.file, positions)


def _merge_one_row(entity: ClientEntity) -> None:
    """The usual case, one row per client: its values as they are."""
    file, position = entity.file, entity.positions[0]
    issues = file.issues(position)
    if issues and not client_ok(issues):
        entity.add_error_row(entity.numbers[0])
    entity.source = position
    has_id = file.external_ids[position] is not None
    entity.source_by_name_only = not has_id and entity.key.kind != KEY_NAME
    parent = file.parent(position)
    if parent:
        entity.parent_ref, entity.parent_ref_row = parent, entity.numbers[0]
    entity.uniform = has_id or entity.key.kind == KEY_NAME


def _merge_repeated_rows(entity: ClientEntity) -> None:
    """Every row repeats the first, which names the client: its values are the first row's
    (read from it when asked), nothing is overridden."""
    file = entity.file
    entity.source, entity.uniform = entity.positions[0], True
    parent = file.parent(entity.positions[0])
    for position, number in zip(entity.positions, entity.numbers, strict=True):
        issues = file.issues(position)
        if issues and not client_ok(issues):
            entity.add_error_row(number)
        if parent:
            entity.parent_ref, entity.parent_ref_row = parent, number


def _same_name(field: Field, previous: FieldValue, value: FieldValue) -> bool:
    # Rows known by one name may spell it with other case or spaces: same client, no warning.
    return field is Field.CLIENT_NAME and normalize_name(str(previous)) == normalize_name(str(value))


def resolve_clients(index: FileIndex, stored: StoredClients, references: References) -> Resolution:
    """Resolve the file's clients against what the repository holds (rules 2 to 6 above),
    then group the contacts by email and report what the file alone shows about them."""
    return _ClientResolver(index, stored, references).run()


# -- contacts --------------------------------------------------------------------------------------
