"""Which column of the file feeds which field.

:class:`ColumnMapping` is the value; :func:`auto_map` builds it from a table's
headers and first rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from upflow_import.errors import MappingError
from upflow_import.fields import Field


@attrs.frozen
class ColumnMatch:
    """The field chosen for one column, how sure the mapper is, and the runners-up."""

    column: str
    field: Field | None
    confidence: float = 1.0
    alternatives: tuple[tuple[Field, float], ...] = ()


@attrs.frozen
class ColumnMapping:
    """A column → field mapping, in the table's column order."""

    matches: tuple[ColumnMatch, ...]

    def _match(self, column: str) -> ColumnMatch | None:
        for match in self.matches:
            if match.column == column:
                return match
        return None

    def field_for(self, column: str) -> Field | None:
        """The field fed by ``column``, or ``None`` when it is not imported."""
        match = self._match(column)
        return None if match is None else match.field

    def confidence(self, column: str) -> float:
        """How sure the mapping is of ``column`` (1.0 for explicit or exact matches)."""
        match = self._match(column)
        return 0.0 if match is None else match.confidence

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(m.column for m in self.matches)

    def fields(self) -> dict[Field, str]:
        """Mapped fields and the column feeding each."""
        return {m.field: m.column for m in self.matches if m.field is not None}

    def to_dict(self) -> dict[str, str | None]:
        """``{column: field key or None}``, readable back by :meth:`from_dict`."""
        return {m.column: None if m.field is None else m.field.value for m in self.matches}

    @classmethod
    def from_dict(cls, mapping: Mapping[str, str | Field | None]) -> ColumnMapping:
        """An explicit mapping; every listed column has confidence 1.0.

        Unknown field keys raise :class:`~upflow_import.MappingError`
        (``mapping.unknown_field``).
        """
        matches = []
        for column, key in mapping.items():
            if key is None or key == "":
                matches.append(ColumnMatch(column, None, 1.0))
                continue
            try:
                field = Field(key)
            except ValueError:
                raise MappingError.of("mapping.unknown_field", column=column,
                                      value=str(key)) from None
            matches.append(ColumnMatch(column, field, 1.0))
        return cls(tuple(matches))

    @classmethod
    def from_matches(cls, matches: Iterable[ColumnMatch]) -> ColumnMapping:
        return cls(tuple(matches))
