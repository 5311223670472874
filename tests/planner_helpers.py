"""Helpers shared by the planner, apply and report tests: rows as dicts, a seeded store, issue lookups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import upflow_import as ui
from upflow_import.fields import Field
from upflow_import.model import ClientRecord, ContactRecord, FieldValue
from upflow_import.repository import ClientChanges, ContactChanges, Id
from upflow_import.testing import parsed_import

Rows = Sequence[Mapping[str, FieldValue | None]]

__all__ = [
    "FailingRepository", "Rows", "codes", "issues_of", "parsed_import", "plan_rows", "run", "seed_client",
    "seed_contact", "with_issues",
]


def plan_rows(rows: Rows, repository: ui.InMemoryRepository | None = None, **options: object) -> ui.Plan:
    """Plan ``rows`` (dicts of field keys) against ``repository`` (a new empty one by default)."""
    return ui.plan(parsed_import(rows), repository or ui.InMemoryRepository(), **options)  # type: ignore[arg-type]


def run(rows: Rows, repository: ui.InMemoryRepository, **options: object) -> tuple[ui.Plan, ui.ApplyResult]:
    """Plan and apply ``rows``."""
    planned = plan_rows(rows, repository, **options)
    return planned, ui.apply(planned, repository)


def issues_of(plan: ui.Plan, row: int) -> list[ui.Issue]:
    return list(next(r for r in plan.rows if r.number == row).issues)


def codes(plan: ui.Plan, row: int | None = None) -> list[str]:
    """Issue codes of ``row`` (of the whole plan when ``None``), in order."""
    issues = plan.issues if row is None else issues_of(plan, row)
    return [issue.code for issue in issues]


def seed_client(repository: ui.InMemoryRepository, external_id: str | None, name: str,
                parent_id: Id | None = None, **values: FieldValue) -> Id:
    """Store a client directly, as if an earlier import had."""
    fields: dict[Field, FieldValue] = {Field.CLIENT_NAME: name}
    if external_id is not None:
        fields[Field.CLIENT_EXTERNAL_ID] = external_id
    fields.update({Field(f"client.{key}"): value for key, value in values.items()})
    return repository.create_client(ui.ClientRecord.from_values((0,), fields), parent_id)


def seed_contact(repository: ui.InMemoryRepository, client_id: Id, email: str, **values: FieldValue) -> Id:
    """Store a contact directly."""
    fields: dict[Field, FieldValue] = {Field.CONTACT_EMAIL: email}
    fields.update({Field(f"contact.{key}"): value for key, value in values.items()})
    return repository.create_contact(client_id, ui.ContactRecord.from_values((0,), fields))


def with_issues(parsed: ui.ParsedImport, issues: Mapping[int, Sequence[ui.Issue]]) -> ui.ParsedImport:
    """``parsed`` with parse ``issues`` added to some rows, as if their cells were invalid."""
    import attrs

    rows = tuple(
        attrs.evolve(row, issues=(*row.issues, *issues.get(row.number, ()))) for row in parsed.rows
    )
    return ui.ParsedImport.from_rows(rows, file_issues=parsed.file_issues, headers=parsed.headers,
                                     mapping=parsed.mapping)


class FailingRepository(ui.InMemoryRepository):
    """Raises on the write attempts whose numbers (from 1) are in ``fail_at``."""

    def __init__(self, *, transactional: bool = False) -> None:
        super().__init__(transactional=transactional)
        self.fail_at: set[int] = set()
        self.attempts = 0

    def _attempt(self) -> None:
        self.attempts += 1
        if self.attempts in self.fail_at:
            raise ConnectionError("the database went away")

    def create_client(self, record: ClientRecord, parent_id: Id | None) -> int:
        self._attempt()
        return super().create_client(record, parent_id)

    def update_client(self, client_id: Id, changes: ClientChanges) -> None:
        self._attempt()
        super().update_client(client_id, changes)

    def create_contact(self, client_id: Id, record: ContactRecord) -> int:
        self._attempt()
        return super().create_contact(client_id, record)

    def update_contact(self, contact_id: Id, changes: ContactChanges) -> None:
        self._attempt()
        super().update_contact(contact_id, changes)
