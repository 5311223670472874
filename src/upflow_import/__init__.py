"""Import customer and contact spreadsheets into typed records and a create/update plan."""

import logging

from upflow_import._sheets import Destination
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
from upflow_import.identity import normalize_email, normalize_name, normalize_reference
from upflow_import.issues import Issue, Severity, Text
from upflow_import.lang import Lang
from upflow_import.limits import Limits
from upflow_import.mapping import ColumnMapping, ColumnMatch, Overrides, auto_map, normalize_header
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
    EntityCounts,
    OnError,
    Operation,
    Outcome,
    Plan,
    Progress,
    RowReport,
    RowStatus,
    Target,
    UpdateClient,
    UpdateContact,
    plan,
)
from upflow_import.readers import SourceLike, read_table
from upflow_import.readers.isolation import Isolation
from upflow_import.readers.records import read_records
from upflow_import.report import (
    FileInfo,
    ImportReport,
    Summary,
    report_json_schema,
)
from upflow_import.repository import (
    ClientChanges,
    ContactChanges,
    Repository,
    StoredClient,
    StoredContact,
    SupportsBulkWrites,
)
from upflow_import.sqlite import SqliteRepository
from upflow_import.table import Format, Row, Table
from upflow_import.templates import write_template

#: The package's version; pyproject.toml reads it from here.
__version__ = "0.1.0"

# A library logs, the application decides what is shown: without a handler of the
# application's, the DEBUG records of the stages go nowhere (not to stderr).
logging.getLogger("upflow_import").addHandler(logging.NullHandler())

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
    "Destination",
    "EntityCounts",
    "Field",
    "FileInfo",
    "FileTooLargeError",
    "Format",
    "ImportReport",
    "InMemoryRepository",
    "Isolation",
    "Issue",
    "Lang",
    "Limits",
    "MappingError",
    "MappingMemory",
    "OnError",
    "Operation",
    "OperationResult",
    "OperationStatus",
    "Outcome",
    "Overrides",
    "ParsedImport",
    "ParsedRow",
    "Plan",
    "Position",
    "Progress",
    "Repository",
    "Row",
    "RowReport",
    "RowStatus",
    "Severity",
    "SourceLike",
    "SqliteRepository",
    "StoreError",
    "StoredClient",
    "StoredContact",
    "Summary",
    "SupportsBulkWrites",
    "Table",
    "Target",
    "Text",
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
    "normalize_reference",
    "parse",
    "plan",
    "read_records",
    "read_table",
    "report_json_schema",
    "write_failed_rows",
    "write_template",
]
