"""The issue log of a planning run: every row's issues (parsing's, then the planner's), and
how issues name several clients."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Protocol

from upflow_import.fields import Field
from upflow_import.issues import Issue, Text
from upflow_import.model import FieldValue, ParsedImport
from upflow_import.planning.keys import KEY_ID, ClientKey

__all__ = ["HasExternalId", "RowIssues", "describe_clients", "value_text"]


class HasExternalId(Protocol):
    """A client as messages name it: a stored client, or one of the import."""

    @property
    def external_id(self) -> str | None: ...


def value_text(value: FieldValue) -> str:
    """A value as an issue shows it."""
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def describe_clients(clients: Iterable[HasExternalId | ClientKey], *,
                     labelled: bool = False) -> Text:
    """Several clients as the user knows them: their external ids, then how many have none.

    The store's own ids never show: a client without an external id is only counted.
    ``labelled`` says "ID C1" rather than "C1" (for clients that share a name, where the
    ID is what tells them apart).
    """
    ids: list[str] = []
    without = 0
    for client in clients:
        if isinstance(client, tuple):
            external_id = str(client.value) if client.kind == KEY_ID else None
        else:
            external_id = client.external_id
        if external_id is None:
            without += 1
        elif external_id not in ids:
            ids.append(external_id)
    en = [f"ID {i}" for i in ids] if labelled else list(ids)
    fr = [f"identifiant {i}" for i in ids] if labelled else list(ids)
    if without:
        if labelled and not ids and without == 1:
            en.append("without an ID")
            fr.append("sans identifiant")
        else:
            en.append(f"{without} without an ID")
            fr.append(f"{without} sans identifiant")
    return Text(", ".join(en), ", ".join(fr))


class RowIssues:
    """The issues of every data row, parse issues first, planner issues appended."""

    def __init__(self, parsed: ParsedImport, columns: Mapping[Field, str]) -> None:
        # Most rows have no issue: only the others are kept, by row number.
        numbers = parsed.numbers
        self._parsed: dict[int, tuple[Issue, ...]] = {
            numbers[position]: issues for position, issues in parsed.issues_by_position.items() if issues}
        self._added: dict[int, list[Issue]] = {}
        self._columns = columns

    def add(
        self,
        code: str,
        row: int,
        field: Field | None = None,
        value: str | None = None,
        **params: object,
    ) -> Issue:
        """Record a planner issue on ``row``, located at the column that feeds ``field``."""
        issue = Issue.from_code(
            code,
            row=row,
            column=None if field is None else self._columns.get(field),
            field=field,
            value=value,
            **params,  # type: ignore[arg-type]
        )
        self._added.setdefault(row, []).append(issue)
        return issue

    def added(self) -> Mapping[int, list[Issue]]:
        """The planner's issues, by row (rows without any are not keys)."""
        return self._added

    def of(self, row: int) -> tuple[Issue, ...]:
        """Every issue of ``row``: parsing's, then the planner's."""
        added = self._added.get(row)
        parsed = self._parsed.get(row, ())
        return parsed if added is None else parsed + tuple(added)

    def has_error_on(self, row: int, fields: Collection[Field], codes: Collection[str] = ()) -> bool:
        """True when ``row`` already has an error on one of ``fields`` or with one of ``codes``."""
        return any(
            issue.is_error and (issue.field in fields or issue.code in codes) for issue in self.of(row)
        )

    def any_error(self) -> bool:
        """True when any row has an error."""
        return any(issue.is_error for issues in self._parsed.values() for issue in issues) or any(
            issue.is_error for issues in self._added.values() for issue in issues)
