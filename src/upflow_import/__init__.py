"""Import customer and contact spreadsheets into typed records and a create/update plan."""

from upflow_import.errors import (
    FileTooLargeError,
    MappingError,
    StoreError,
    UnreadableFileError,
    UpflowImportError,
)
from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name
from upflow_import.issues import Issue, Severity
from upflow_import.limits import Limits
from upflow_import.mapping import ColumnMapping, ColumnMatch, auto_map, normalize_header
from upflow_import.model import (
    Address,
    ClientRecord,
    ClientRef,
    ContactRecord,
    ParsedImport,
    ParsedRow,
    Position,
)
from upflow_import.repository import (
    ClientChanges,
    ContactChanges,
    Repository,
    StoredClient,
    StoredContact,
)
from upflow_import.sqlite import SqliteRepository
from upflow_import.table import Row, Table

__version__ = "0.1.0"

__all__ = [
    "Address",
    "ClientChanges",
    "ClientRecord",
    "ClientRef",
    "ColumnMapping",
    "ColumnMatch",
    "ContactChanges",
    "ContactRecord",
    "Field",
    "FileTooLargeError",
    "Issue",
    "Limits",
    "MappingError",
    "ParsedImport",
    "ParsedRow",
    "Position",
    "Repository",
    "Row",
    "Severity",
    "SqliteRepository",
    "StoreError",
    "StoredClient",
    "StoredContact",
    "Table",
    "UnreadableFileError",
    "UpflowImportError",
    "auto_map",
    "normalize_email",
    "normalize_header",
    "normalize_name",
]
