"""Which column of the file feeds which field.

:class:`ColumnMapping` is the value; :func:`auto_map` builds it from a table's
headers and first rows, and an explicit mapping (a dict, or a saved JSON
document) can be laid over it. :meth:`ColumnMapping.validate` reports what
makes a mapping unusable or incomplete.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs
import cattrs

from upflow_import._docs_mapping import mapping_reference_markdown
from upflow_import._matching import (
    SAMPLE_ROWS,
    SUGGESTION_FLOOR,
    ColumnScores,
    assign,
    normalize_header,
    score_column,
)
from upflow_import.errors import MappingError
from upflow_import.fields import SPECS, Field
from upflow_import.issues import Issue, Text, quoted_list
from upflow_import.table import Table

__all__ = [
    "ColumnMapping",
    "ColumnMatch",
    "auto_map",
    "mapping_reference_markdown",
    "normalize_header",
]

@attrs.frozen
class ColumnMatch:
    """The field chosen for one column, how sure the mapper is, and the runners-up.

    ``field`` is ``None`` for a column that is not imported. ``confidence`` is
    1.0 for an explicit choice or an exact label, lower for synonyms and
    guesses; ``alternatives`` are the next best fields with their scores.
    ``reason`` says, for an automatic choice, which rule gave it (the header
    it resembles, the address block, the values…); it is an explanation for
    developers, in English, and takes no part in comparisons or saved mappings.
    """

    column: str
    field: Field | None
    confidence: float = 1.0
    alternatives: tuple[tuple[Field, float], ...] = ()
    reason: str = attrs.field(default="", eq=False)


#: What :func:`auto_map` and :meth:`ColumnMapping.with_overrides` accept as an
#: explicit mapping: ``{column: field key, Field or None}`` or a mapping object.
Overrides: TypeAlias = "Mapping[str, str | Field | None] | ColumnMapping"


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
        """The columns, in the table's order."""
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

        ``None`` or ``""`` means the column is not imported. Unknown field keys
        raise :class:`~upflow_import.MappingError` (``mapping.unknown_field``).
        Two columns may name the same field here; :meth:`validate` reports it.
        """
        return cls(tuple(ColumnMatch(column, _field(column, key), 1.0) for column, key in mapping.items()))

    @classmethod
    def from_matches(cls, matches: Iterable[ColumnMatch]) -> ColumnMapping:
        """A mapping made of ready :class:`ColumnMatch` values."""
        return cls(tuple(matches))

    def with_overrides(self, overrides: Overrides) -> ColumnMapping:
        """This mapping with the explicit choices of ``overrides`` laid over it.

        An overridden column takes the given field with confidence 1.0; a
        column of this mapping whose field an override claims is left
        unmapped (its field stays among its alternatives). Overrides naming a
        column this mapping does not have are ignored. To let the freed
        columns find another field, pass the overrides to :func:`auto_map`.
        """
        explicit = _as_mapping(overrides)
        own = set(self.columns)
        chosen = {m.column: m for m in explicit.matches if m.column in own}
        claimed = {m.field for m in chosen.values() if m.field is not None}
        merged = []
        for match in self.matches:
            if match.column in chosen:
                merged.append(chosen[match.column])
            elif match.field is not None and match.field in claimed:
                runners_up = ((match.field, match.confidence), *match.alternatives)
                merged.append(ColumnMatch(match.column, None, 0.0, runners_up[:3]))
            else:
                merged.append(match)
        return ColumnMapping(tuple(merged))

    def validate(self) -> tuple[Issue, ...]:
        """Everything wrong or worth knowing about this mapping, errors first.

        - ``mapping.field_mapped_twice``: several columns feed one field;
        - ``mapping.required_field_missing``: neither the customer name nor
          the customer ID is mapped, or contact columns are mapped without
          the contact email;
        - ``mapping.unmapped_column`` (warning): a named column is not imported;
        - ``mapping.unmapped_column_suggestion`` (warning) instead, when the
          automatic mapping found the column close to a field no other column
          feeds: the message names that field ("did you mean").
        """
        return (*self._twice(), *self._missing(), *self._unmapped())

    def _twice(self) -> list[Issue]:
        columns_by_field: dict[Field, list[str]] = {}
        for match in self.matches:
            if match.field is not None:
                columns_by_field.setdefault(match.field, []).append(match.column)
        return [
            Issue.from_code("mapping.field_mapped_twice", column=columns[1], field=field,
                            columns=quoted_list(columns))
            for field, columns in columns_by_field.items() if len(columns) > 1
        ]

    def _missing(self) -> list[Issue]:
        mapped = self.fields()
        issues = []
        if Field.CLIENT_NAME not in mapped and Field.CLIENT_EXTERNAL_ID not in mapped:
            name, ident = SPECS[Field.CLIENT_NAME], SPECS[Field.CLIENT_EXTERNAL_ID]
            issues.append(Issue.from_code(
                "mapping.required_field_missing", field=Field.CLIENT_NAME,
                field_label=Text(f"{name.label_en} or {ident.label_en}",
                                 f"{name.label_fr} ou {ident.label_fr}"),
                reason=Text("every row must say which customer it describes",
                            "chaque ligne doit indiquer de quel client elle parle"),
            ))
        contact_columns = [column for field, column in mapped.items() if field.is_contact]
        if contact_columns and Field.CONTACT_EMAIL not in mapped:
            listed = quoted_list(contact_columns)
            issues.append(Issue.from_code(
                "mapping.required_field_missing", field=Field.CONTACT_EMAIL,
                reason=Text(f"the columns {listed.en} describe contacts, and a contact is imported only "
                            "with its email",
                            f"les colonnes {listed.fr} décrivent des contacts, et un contact n'est importé "
                            "qu'avec son email"),
            ))
        return issues

    def _unmapped(self) -> list[Issue]:
        fed = set(self.fields())
        issues = []
        for match in self.matches:
            if match.field is not None or not match.column.strip():
                continue
            close = next(((field, score) for field, score in match.alternatives
                          if field not in fed and score >= SUGGESTION_FLOOR), None)
            if close is None:
                issues.append(Issue.from_code("mapping.unmapped_column", column=match.column))
            else:
                percent = round(close[1] * 100)
                issues.append(Issue.from_code("mapping.unmapped_column_suggestion", column=match.column,
                                              field=close[0],
                                              confidence=Text(f"{percent}%", f"{percent} %")))
        return issues

    def to_document(self) -> dict[str, Any]:
        """The mapping as plain JSON data (see :meth:`to_json`)."""
        document = _MappingDocument(_DOCUMENT_VERSION, tuple(
            _MatchDocument(m.column, None if m.field is None else m.field.value, m.confidence,
                           tuple(_AlternativeDocument(f.value, c) for f, c in m.alternatives))
            for m in self.matches
        ))
        unstructured: dict[str, Any] = _CONVERTER.unstructure(document)
        return unstructured

    def to_json(self, *, indent: int | None = 2) -> str:
        """The mapping as a JSON document, to save a confirmed mapping and reuse it.

        ``{"version": 1, "columns": [{"column": …, "field": key or null,
        "confidence": …, "alternatives": [{"field": …, "confidence": …}]}]}``;
        :meth:`from_json` reads it back.
        """
        return json.dumps(self.to_document(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_document(cls, document: object) -> ColumnMapping:
        """Read :meth:`to_document`'s output, or a plain ``{column: field key or null}`` object.

        Raises :class:`~upflow_import.MappingError`: ``mapping.unknown_field``
        for a field key that does not exist, ``mapping.invalid`` for any other
        shape.
        """
        if isinstance(document, Mapping) and isinstance(document.get("columns"), list):
            try:
                parsed = _CONVERTER.structure(document, _MappingDocument)
            except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as error:
                raise MappingError.from_code("mapping.invalid", detail=_describe(error)) from None
            return cls(tuple(
                ColumnMatch(m.column, _field(m.column, m.field), m.confidence,
                            tuple((_known_field(m.column, a.field), a.confidence) for a in m.alternatives))
                for m in parsed.columns
            ))
        if isinstance(document, Mapping) and all(
                isinstance(column, str) and (key is None or isinstance(key, str))
                for column, key in document.items()):
            return cls.from_dict(document)
        raise MappingError.from_code("mapping.invalid",
                              detail="expected an object of column names to field keys or null")

    @classmethod
    def from_json(cls, text: str | bytes) -> ColumnMapping:
        """Read a mapping saved by :meth:`to_json`, or a hand-written ``{column: field key}`` object."""
        try:
            document = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise MappingError.from_code("mapping.invalid", detail=f"not JSON ({error})") from None
        return cls.from_document(document)


def _field(column: str, key: str | Field | None) -> Field | None:
    if key is None or key == "":
        return None
    try:
        return Field(key)
    except ValueError:
        raise MappingError.from_code("mapping.unknown_field", column=column, value=str(key)) from None


def _known_field(column: str, key: str) -> Field:
    field = _field(column, key)
    if field is None:
        raise MappingError.from_code("mapping.unknown_field", column=column, value=key)
    return field


def _as_mapping(overrides: Overrides) -> ColumnMapping:
    return overrides if isinstance(overrides, ColumnMapping) else ColumnMapping.from_dict(overrides)


def _describe(error: Exception) -> str:
    if isinstance(error, cattrs.BaseValidationError):
        return "; ".join(str(e) for e in error.exceptions) or str(error)
    return str(error)


# --- JSON document --------------------------------------------------------------

_DOCUMENT_VERSION = 1


@attrs.frozen
class _AlternativeDocument:
    field: str
    confidence: float


@attrs.frozen
class _MatchDocument:
    column: str
    field: str | None
    confidence: float = 1.0
    alternatives: tuple[_AlternativeDocument, ...] = ()


@attrs.frozen
class _MappingDocument:
    version: int
    columns: tuple[_MatchDocument, ...]


_CONVERTER = cattrs.Converter()


# --- automatic mapping ------------------------------------------------------------


def auto_map(table: Table, *, overrides: Overrides | None = None) -> ColumnMapping:
    """Map each column of ``table`` to its most likely field.

    Headers are compared with the catalogue's labels, synonyms and generic
    headers (see the "Column mapping" page), address blocks and the other
    columns are taken into account, and the first rows' values settle
    ambiguous headers. Each field is fed by one column at most; a column with
    no field scoring at least 0.6 stays unmapped. ``overrides`` are explicit
    choices (``{column: field key or None}`` or a saved mapping): they win, and
    the other columns are mapped around them.

    Only the headers and the first 50 rows are read.
    """
    explicit = {} if overrides is None else {m.column: m for m in _as_mapping(overrides).matches}
    headers = table.headers
    samples = _samples(table, [index for index, header in enumerate(headers) if header not in explicit])
    columns: list[ColumnScores] = []
    fixed: set[int] = set()
    for index, header in enumerate(headers):
        if header in explicit:
            field = explicit[header].field
            scores = {} if field is None else {field: 1.0}
            columns.append(ColumnScores(header, normalize_header(header), scores))
            fixed.add(index)
        else:
            columns.append(score_column(header, samples.get(index, ())))
    assignments = assign(columns, fixed=fixed)
    return ColumnMapping(tuple(
        explicit[header] if index in fixed
        else ColumnMatch(header, a.field, a.confidence, a.alternatives, a.reason)
        for index, (header, a) in enumerate(zip(headers, assignments, strict=True))
    ))


def _samples(table: Table, indexes: Sequence[int]) -> dict[int, list[str | None]]:
    """The first rows' values of the columns at ``indexes``, read lazily."""
    if not indexes:
        return {}
    samples: dict[int, list[str | None]] = {index: [] for index in indexes}
    for row in itertools.islice(table.rows, SAMPLE_ROWS):
        for index in indexes:
            if index < len(row.values):
                samples[index].append(row.values[index])
    return samples
