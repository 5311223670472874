"""Parents and subsidiaries: parent references resolved, cycles found, parents ordered before
their subsidiaries, and drops propagated down the groups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from upflow_import.fields import Field
from upflow_import.model import ClientRef
from upflow_import.planning.entities import ClientEntity, StoredClients
from upflow_import.planning.index import FileIndex
from upflow_import.planning.issue_log import RowIssues, describe_clients
from upflow_import.planning.keys import KEY_ID, ClientKey
from upflow_import.repository import Id, StoredClient

__all__ = ["GroupRules"]

class GroupRules:
    """The group rules of the client resolver (:mod:`upflow_import.planning.clients`), which
    holds the state they read."""

    index: FileIndex
    log: RowIssues
    stored: StoredClients
    entities: dict[ClientKey, ClientEntity]
    by_stored_id: dict[Id, ClientEntity]

    def _stored_named(self, name_key: str) -> list[StoredClient]:
        """Stored clients bearing ``name_key`` once the file is imported."""
        raise NotImplementedError

    def _error(self, entity: ClientEntity, code: str, row: int, field: Field | None,
               value: str | None, **params: object) -> None:
        self.log.add(code, row, field, value, **params)
        entity.add_error_row(row)


    def _name_index(self, entities: Iterable[ClientEntity]) -> dict[str, list[ClientEntity]]:
        index: dict[str, list[ClientEntity]] = {}
        for entity in entities:
            name = entity.name
            if name is not None:
                index.setdefault(self.index.keys.name(name), []).append(entity)
        return index

    def _resolve_parent(self, entity: ClientEntity, name_index: Mapping[str, list[ClientEntity]]) -> None:
        ref = entity.parent_ref
        if ref is None:
            return
        row = entity.parent_ref_row
        assert row is not None
        field = Field.GROUP_EXTERNAL_ID if ref.external_id is not None else Field.GROUP_NAME
        value = ref.external_id if ref.external_id is not None else ref.name
        candidates = self._parent_candidates(ref, name_index)
        if (len(candidates) == 1 and ref.external_id is not None and ref.name is not None
                and candidates[0].name is not None
                and self.index.keys.name(ref.name) != self.index.keys.name(candidates[0].name)):
            # The group's ID and name designate different clients: neither may silently win.
            self._error(entity, "group.parent_mismatch", row, Field.GROUP_NAME, ref.name,
                        external_id=ref.external_id, parent_name=candidates[0].name)
        elif not candidates:
            self._error(entity, "group.parent_not_found", row, field, value)
        elif len(candidates) > 1:
            self._error(entity, "group.ambiguous_parent", row, field, value, count=len(candidates),
                        candidates=describe_clients(candidates))
        elif candidates[0] is entity:
            self._error(entity, "group.self_parent", row, field, value)
        elif isinstance(candidates[0], ClientEntity):
            entity.parent_entity = candidates[0]
        else:
            entity.parent_stored = candidates[0]

    def _parent_candidates(self, ref: ClientRef, name_index: Mapping[str, list[ClientEntity]],
                           ) -> list[ClientEntity | StoredClient]:
        """The clients a parent reference may designate: by id, the file's client, else the stored
        one; by name, the file's clients bearing it, else the stored ones."""
        if ref.external_id is not None:
            in_file = self.entities.get(ClientKey(KEY_ID, ref.external_id))
            if in_file is not None:
                return [in_file]
            stored = self.stored.by_external_id.get(ref.external_id)
            return [] if stored is None else [stored]
        assert ref.name is not None
        name_key = self.index.keys.name(ref.name)
        named: list[ClientEntity | StoredClient] = list(name_index.get(name_key, ()))
        if named:
            return named
        found: dict[int, ClientEntity | StoredClient] = {}
        for client in self._stored_named(name_key):
            target = self.by_stored_id.get(client.id, client)
            found[id(target)] = target
        return list(found.values())

    def _find_cycles(self, entities: list[ClientEntity], stored_by_id: Mapping[Id, StoredClient]) -> None:
        """Find loops of parents among the file's clients and the stored clients read.

        Each node has at most one parent, so one walk per node with colours is
        linear. Only loops the file creates (one of its parent links in the
        loop) are reported, on the clients whose parent the file sets.
        """

        def node_of_stored(stored_id: Id | None) -> object | None:
            if stored_id is None:
                return None
            if stored_id in self.by_stored_id:
                return self.by_stored_id[stored_id]
            return stored_by_id.get(stored_id)

        def parent_of(node: object) -> object | None:
            if isinstance(node, ClientEntity):
                if node.parent_entity is not None:
                    return node.parent_entity
                if node.parent_stored is not None:
                    return node_of_stored(node.parent_stored.id)
                return None if node.stored is None else node_of_stored(node.stored.parent_id)
            assert isinstance(node, StoredClient)
            return node_of_stored(node.parent_id)

        done: set[int] = set()
        for start in entities:
            path: list[object] = []
            on_path: dict[int, int] = {}
            node: object | None = start
            while node is not None and id(node) not in done and id(node) not in on_path:
                on_path[id(node)] = len(path)
                path.append(node)
                node = parent_of(node)
            if node is not None and id(node) in on_path:
                self._report_cycle(path[on_path[id(node)]:])
            done.update(on_path)

    def _report_cycle(self, cycle: list[object]) -> None:
        setters = [n for n in cycle if isinstance(n, ClientEntity) and n.parent_ref is not None
                   and (n.parent_entity is not None or n.parent_stored is not None)]
        if not setters:
            return  # a loop already in the store; the file does not touch it
        names = [n.describe() if isinstance(n, ClientEntity) else ClientRef(n.external_id, n.name).describe()
                 for n in cycle if isinstance(n, ClientEntity | StoredClient)]
        text = " → ".join([*names, names[0]])
        for entity in setters:
            ref = entity.parent_ref
            assert ref is not None and entity.parent_ref_row is not None
            field = Field.GROUP_EXTERNAL_ID if ref.external_id is not None else Field.GROUP_NAME
            self._error(entity, "group.cycle", entity.parent_ref_row, field,
                        ref.external_id or ref.name, cycle=text)
            # Cut the loop so that ordering and drop propagation see a forest.
            entity.parent_entity = entity.parent_stored = None

    def _parents_first(self, entities: list[ClientEntity]) -> list[ClientEntity]:
        children: dict[int, list[ClientEntity]] = {}
        roots: list[ClientEntity] = []
        for entity in entities:
            if entity.parent_entity is None:
                roots.append(entity)
            else:
                children.setdefault(id(entity.parent_entity), []).append(entity)
        ordered: list[ClientEntity] = []
        stack = list(reversed(roots))
        while stack:
            entity = stack.pop()
            ordered.append(entity)
            stack.extend(reversed(children.get(id(entity), ())))
        assert len(ordered) == len(entities), "the parent graph must be a forest once loops are cut"
        return ordered

    def _propagate_drops(self, ordered: list[ClientEntity]) -> None:
        for entity in ordered:
            parent = entity.parent_entity
            if not entity.error_rows and parent is not None and parent.dropped:
                entity.dropped_by = parent
            if entity.error_rows:
                dependency, cause = entity.describe(), min(entity.error_rows)
            elif entity.dropped_by is not None:
                dependency, cause = entity.dropped_by.describe(), entity.dropped_by.cause_row
            else:
                continue
            for number in entity.numbers:
                if number not in entity.error_rows:
                    self.log.add("plan.dependency_dropped", number, None, None,
                                 dependency=dependency, dependency_row=cause)
