"""The file's rows grouped by raw client identity, and the keys the planner asks the store for."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import attrs

from upflow_import.fields import Field
from upflow_import.identity import normalize_name
from upflow_import.model import ParsedImport
from upflow_import.planning.file_rows import FileRows
from upflow_import.planning.issue_log import RowIssues
from upflow_import.planning.keys import KEY_ID, KEY_NAME, ClientKey, NormalizedKeys
from upflow_import.repository import StoredClient

__all__ = [
    "FileIndex",
        "ReferenceValues",
    "external_ids_by_name",
    "external_ids_to_find",
    "index_rows",
    "names_to_find",
    "reference_values",
]

class ExternalIdsByName(NamedTuple):
    """:func:`external_ids_by_name`'s answer, and the stored clients it was worked out from."""

    stored: Mapping[str, StoredClient]
    names: dict[str, str | list[str]]


@attrs.define(eq=False)
class FileIndex:
    """The file's rows grouped by raw client identity, and the issue log."""

    rows: FileRows
    log: RowIssues
    columns: Mapping[Field, str]
    #: The positions of the rows of each raw identity (external id, or normalised name).
    groups: dict[ClientKey, list[int]]
    #: The last non-empty name the file gives each raw identity that has one.
    names: dict[ClientKey, str]
    #: The positions of the rows that refer to no client at all (unreadable, or neither id
    #: nor name): dropped.
    orphans: list[int]
    #: The last :func:`external_ids_by_name` computed, with the stored clients it was computed from.
    id_names: ExternalIdsByName | None = None
    #: Names and emails normalised once for the whole run.
    keys: NormalizedKeys = attrs.Factory(NormalizedKeys)


def index_rows(parsed: ParsedImport, progress: Callable[[int], None] | None = None) -> FileIndex:
    """Group the rows of ``parsed`` by raw client identity.

    A row with a client record but neither external id nor name gets
    ``value.required`` on the name (unless parsing already reported the
    problem), and is dropped with its contact.
    """
    columns = parsed.mapping.fields()
    rows = FileRows(parsed)
    log = RowIssues(parsed, columns)
    groups: dict[ClientKey, list[int]] = {}
    last_names: dict[ClientKey, str] = {}
    orphans: list[int] = []
    external_ids, names, unread = rows.external_ids, rows.names, rows.unread
    for position, (external_id, name) in enumerate(zip(external_ids, names, strict=True)):
        if progress is not None and position % 1000 == 999:
            progress(position + 1)
        key: ClientKey
        if external_id is not None and position not in unread:
            key = ClientKey(KEY_ID, external_id)
        elif name is not None and position not in unread:
            key = ClientKey(KEY_NAME, normalize_name(name))
        else:
            _orphan(rows, log, position)
            orphans.append(position)
            continue
        group = groups.get(key)
        if group is None:
            groups[key] = [position]
        else:
            group.append(position)
        if name is not None:
            last_names[key] = name
    return FileIndex(rows, log, columns, groups, last_names, orphans)


def _orphan(rows: FileRows, log: RowIssues, position: int) -> None:
    """A row naming no client is the name's fault, unless parsing explains it already (an
    unreadable row, or an error on the name or external id)."""
    number = rows.numbers[position]
    if position in rows.unread:
        unexplained = not any(issue.is_error for issue in rows.issues(position))
    else:
        unexplained = not log.has_error_on(number, (Field.CLIENT_NAME, Field.CLIENT_EXTERNAL_ID))
    if unexplained:
        log.add("value.required", number, Field.CLIENT_NAME)


def external_ids_to_find(index: FileIndex) -> list[str]:
    """Client external ids to look up: the rows' own and their parents'."""
    wanted: dict[str, None] = {}
    group_ids = index.rows.group_ids
    for key, group in index.groups.items():
        if key.kind == KEY_ID:
            wanted[str(key.value)] = None
        for parent_id in map(group_ids.__getitem__, group):
            if parent_id is not None:
                wanted[parent_id] = None
    return list(wanted)


def external_ids_by_name(index: FileIndex,
                         by_external_id: Mapping[str, StoredClient]) -> dict[str, str | list[str]]:
    """Normalised name → external id of the file's client known by that name (the last name the
    file gives it, else its stored name), or the list of them when several clients bear it."""
    if index.id_names is not None and index.id_names.stored is by_external_id:
        return index.id_names.names
    # A name is almost always one client's: a list only for the others (each external id comes
    # once: no set, which costs 4× more).
    names: dict[str, str | list[str]] = {}
    for key in index.groups:
        if key.kind != KEY_ID:
            continue
        external_id = str(key.value)
        name = index.names.get(key)
        if name is None and external_id in by_external_id:
            name = by_external_id[external_id].name
        if name is not None:
            name_key = index.keys.name(name)
            found = names.get(name_key)
            if found is None:
                names[name_key] = external_id
            elif isinstance(found, str):
                names[name_key] = [found, external_id]
            else:
                found.append(external_id)
    index.id_names = ExternalIdsByName(by_external_id, names)
    return names


def names_to_find(index: FileIndex, by_external_id: Mapping[str, StoredClient]) -> list[str]:
    """Normalised names to look up, once the external ids have been read.

    Only the names the file cannot resolve by itself: name-only clients and
    parents that no client of the file bears, and the names of new clients
    with an id (to warn when the name already exists under another id).
    """
    id_names = external_ids_by_name(index, by_external_id)
    wanted: dict[str, None] = {}
    group_ids, group_names = index.rows.group_ids, index.rows.group_names
    for key, group in index.groups.items():
        if key.kind == KEY_NAME:
            if key.value not in id_names:
                wanted[str(key.value)] = None
        elif str(key.value) not in by_external_id:
            name = index.names.get(key)
            if name is not None:
                wanted[index.keys.name(name)] = None
        for position in group:
            parent_name = group_names[position]
            if parent_name is not None and group_ids[position] is None:
                name_key = index.keys.name(parent_name)
                if name_key not in id_names and ClientKey(KEY_NAME, name_key) not in index.groups:
                    wanted[name_key] = None
    return list(wanted)


class ReferenceValues(NamedTuple):
    """The references the file uses, to check against the store."""

    #: Normalised emails.
    account_managers: list[str]
    #: As written.
    dunning_plans: list[str]


def reference_values(index: FileIndex) -> ReferenceValues:
    """The account-manager emails (normalised) and dunning-plan names (as written) the file uses."""
    managers: dict[str, None] = {}
    plans: dict[str, None] = {}
    rows = index.rows
    for group in index.groups.values():
        for position in group:
            for email in rows.managers[position] or ():
                managers[index.keys.email(email)] = None
            plan = rows.dunning_plans[position]
            if plan is not None:
                plans[plan] = None
    return ReferenceValues(list(managers), list(plans))
