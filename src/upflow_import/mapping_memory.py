"""Mapping memory: a confirmed column mapping is reused for the next file with the same headers.

As Odoo, OneSchema or CSVBox do: when a file is imported with an explicit
mapping, the repository remembers the resulting mapping under the file's
header fingerprint (:func:`header_fingerprint`); the next file with the same
headers is mapped the same way without being told, and the report says so
with the ``mapping.remembered`` warning. A repository takes part by
implementing the optional :class:`MappingMemory` protocol;
:class:`~upflow_import.InMemoryRepository` and
:class:`~upflow_import.SqliteRepository` do.

The fingerprint ignores the order of the columns, the case, accents and
punctuation of their headers (:func:`~upflow_import.normalize_header`) and
the message column of a failed-rows export, so that a failed-rows file
comes back with the mapping of the file it came from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from upflow_import._matching import normalize_header
from upflow_import._sheets import ERRORS_HEADERS, HINTS_HEADERS
from upflow_import.errors import MappingError
from upflow_import.issues import Issue
from upflow_import.mapping import ColumnMapping
from upflow_import.model import ParsedImport

__all__ = ["MappingMemory", "header_fingerprint", "recall_mapping", "remember_mapping", "with_recall_notice"]

_IGNORED = frozenset(normalize_header(header)
                     for header in (*ERRORS_HEADERS.values(), *HINTS_HEADERS.values()))


@runtime_checkable
class MappingMemory(Protocol):
    """Optional repository methods that let :func:`~upflow_import.import_file` remember mappings.

    ``save_mapping`` receives ``{column: field key or None}`` for every column
    of a file imported with an explicit mapping; ``load_mapping`` returns it
    back, or ``None`` when nothing is remembered under that fingerprint. Store
    it as JSON; the latest save under one fingerprint wins.
    """

    def load_mapping(self, fingerprint: str) -> Mapping[str, str | None] | None:
        """The mapping saved under ``fingerprint``, or ``None``."""
        ...

    def save_mapping(self, fingerprint: str, mapping: Mapping[str, str | None]) -> None:
        """Remember ``mapping`` under ``fingerprint``, replacing what was there."""
        ...


def _keys(headers: Sequence[str]) -> list[str] | None:
    keys = [normalize_header(header) for header in headers]
    keys = [key for key in keys if key and key not in _IGNORED]
    # Two headers that normalise alike could not be told apart when the
    # mapping is laid over another file: such files are not remembered.
    if not keys or len(set(keys)) != len(keys):
        return None
    return keys


def header_fingerprint(headers: Sequence[str]) -> str | None:
    """A stable key of a file's headers (SHA-256, hexadecimal), or ``None`` when
    the headers cannot be remembered (none, or two that only differ by case or accents).

    >>> header_fingerprint(["Nom du client", "Ville"]) == header_fingerprint(["VILLE", "Nom du  client"])
    True
    """
    keys = _keys(headers)
    if keys is None:
        return None
    return hashlib.sha256(json.dumps(sorted(keys), ensure_ascii=False).encode("utf-8")).hexdigest()


def recall_mapping(repository: object, headers: Sequence[str]) -> ColumnMapping | None:
    """The mapping ``repository`` remembers for ``headers``, laid onto these very headers;
    ``None`` when the repository has no memory or nothing usable is remembered."""
    if not isinstance(repository, MappingMemory):
        return None
    fingerprint = header_fingerprint(headers)
    if fingerprint is None:
        return None
    return saved_mapping_for(headers, repository.load_mapping(fingerprint))


def saved_mapping_for(headers: Sequence[str], saved: Mapping[str, str | None] | None) -> ColumnMapping | None:
    """``saved`` (what ``load_mapping`` returned for the fingerprint of ``headers``) laid onto
    these very headers; ``None`` when nothing usable was saved."""
    if not saved:
        return None
    by_key = {normalize_header(column): field for column, field in saved.items()}
    try:
        return ColumnMapping.from_dict({header: by_key[normalize_header(header)]
                                        for header in headers if normalize_header(header) in by_key})
    except MappingError:
        return None  # saved by a version that knew other fields: map automatically instead


def remember_mapping(repository: object, parsed: ParsedImport) -> bool:
    """Save the mapping of ``parsed`` in ``repository`` if it has a memory and the
    mapping is usable (no file-level error); return whether it was saved."""
    if not isinstance(repository, MappingMemory):
        return False
    entry = mapping_to_remember(parsed)
    if entry is None:
        return False
    repository.save_mapping(*entry)
    return True


def mapping_to_remember(parsed: ParsedImport) -> tuple[str, dict[str, str | None]] | None:
    """The fingerprint and mapping to save for ``parsed``; ``None`` when it is not to be
    remembered (a file-level error, or headers that cannot be told apart)."""
    if parsed.has_file_errors:
        return None
    fingerprint = header_fingerprint(parsed.headers)
    if fingerprint is None:
        return None
    return fingerprint, parsed.mapping.to_dict()


def with_recall_notice(parsed: ParsedImport) -> ParsedImport:
    """``parsed`` with the ``mapping.remembered`` warning first among its file issues."""
    return parsed.with_file_issues((Issue.from_code("mapping.remembered"), *parsed.file_issues))
