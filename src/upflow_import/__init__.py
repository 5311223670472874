"""Import customer and contact spreadsheets into typed records and a create/update plan."""

from upflow_import.api import import_file
from upflow_import.apply import ApplyResult, OperationResult, OperationStatus, apply
from upflow_import.errors import (
    FileTooLargeError,
    MappingError,
    StoreError,
    UnreadableFileError,
    UpflowImportError,
)
from upflow_import.exports import write_failed_rows
from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name
from upflow_import.isolation import Isolation
from upflow_import.issues import Issue, Severity
from upflow_import.limits import Limits
from upflow_import.mapping import ColumnMapping, ColumnMatch, auto_map, normalize_header
from upflow_import.mapping_memory import MappingMemory, header_fingerprint
from upflow_import.memory import InMemoryRepository
from upflow_import.model import (
    Address,
    ClientRecord,
    ClientRef,
    ContactRecord,
    ParsedImport,
    ParsedRow,
    Position,
)
from upflow_import.parsing import parse
from upflow_import.planner import (
    CreateClient,
    CreateContact,
    Operation,
    Outcome,
    Plan,
    RowPlan,
    UpdateClient,
    UpdateContact,
    plan,
)
from upflow_import.readers import read_table
from upflow_import.report import ImportReport, RowReport
from upflow_import.repository import (
    ClientChanges,
    ContactChanges,
    Repository,
    StoredClient,
    StoredContact,
    SupportsBulkWrites,
)
from upflow_import.sqlite import SqliteRepository
from upflow_import.table import Row, Table
from upflow_import.templates import write_template

__version__ = "0.1.0"

__all__ = [
    "Address",
    "ApplyResult",
    "ClientChanges",
    "ClientRecord",
    "ClientRef",
    "ColumnMapping",
    "ColumnMatch",
    "ContactChanges",
    "ContactRecord",
    "CreateClient",
    "CreateContact",
    "Field",
    "FileTooLargeError",
    "ImportReport",
    "InMemoryRepository",
    "Isolation",
    "Issue",
    "Limits",
    "MappingError",
    "MappingMemory",
    "Operation",
    "OperationResult",
    "OperationStatus",
    "Outcome",
    "ParsedImport",
    "ParsedRow",
    "Plan",
    "Position",
    "Repository",
    "Row",
    "RowPlan",
    "RowReport",
    "Severity",
    "SqliteRepository",
    "StoreError",
    "StoredClient",
    "StoredContact",
    "SupportsBulkWrites",
    "Table",
    "UnreadableFileError",
    "UpdateClient",
    "UpdateContact",
    "UpflowImportError",
    "apply",
    "auto_map",
    "header_fingerprint",
    "import_file",
    "normalize_email",
    "normalize_header",
    "normalize_name",
    "parse",
    "plan",
    "read_table",
    "write_failed_rows",
    "write_template",
]
