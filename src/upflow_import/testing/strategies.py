"""Hypothesis strategies that write import files, for property tests of your own repository.

:func:`import_files` draws a :class:`GeneratedFile`: the bytes of a CSV
(UTF-8, UTF-8 with BOM or Windows-1252; comma or semicolon) or XLSX file
(when XlsxWriter is installed) of clients with groups and contacts, valid or
broken on purpose (an invalid email, a payment term that is not a number, one
contact given for two clients), and what the importer must do with it::

    from hypothesis import given
    from upflow_import import import_file
    from upflow_import.testing.strategies import check_import_twice, import_files

    @given(import_files())
    def test_my_repository_imports_any_file_once(generated):
        check_import_twice(generated, MyRepository(fresh_database()))

:func:`check_import_twice` is the property the contract suite checks itself:
every row is accounted for, the errors are the expected ones, a valid file
creates exactly its clients and contacts, and importing the file again
writes nothing. Needs hypothesis (and XlsxWriter for XLSX files).
"""

from __future__ import annotations

import csv
import importlib
import io
from collections.abc import Callable
from typing import Any, Literal

import attrs
from hypothesis import strategies as st

from upflow_import.api import import_file
from upflow_import.repository import Repository

__all__ = ["GeneratedFile", "check_import_twice", "import_files"]

# Headers the automatic mapping recognises with full confidence.
HEADERS = ("Identifiant Client", "Nom du client", "Identifiant du groupe", "Délai de paiement par défaut",
           "Email du contact", "Prénom du contact", "Contact principal")
_WORDS = ("Acme", "Café des Arts", "Hôtel Lumière", "Boulangerie Dupont", "Globex", "Librairie Étoile")
_INVALID_EMAIL = "nobody@"
_FIRST_NAMES = ("Inès", "Jean", "Zoé", "Paul", "Anne", "")
Breakage = Literal["invalid_email", "invalid_payment_term", "contact_for_two_clients"]
#: The error each breakage must be reported as.
BREAKAGE_CODES: dict[str, str] = {
    "invalid_email": "value.invalid_email",
    "invalid_payment_term": "value.invalid_integer",
    "contact_for_two_clients": "contact.client_conflict",
}


@attrs.frozen
class GeneratedFile:
    """An import file drawn by :func:`import_files`, and what the importer must make of it."""

    data: bytes = attrs.field(repr=False)
    format: Literal["csv", "xlsx"]
    #: The CSV encoding and separator (``None`` for XLSX).
    encoding: str | None
    delimiter: str | None
    headers: tuple[str, ...]
    #: The data rows as written, header excluded.
    rows: tuple[tuple[str, ...], ...]
    #: ``None`` for a valid file, else how it was broken (a key of
    #: :data:`~upflow_import.testing.strategies.BREAKAGE_CODES`).
    breakage: Breakage | None
    #: The clients (external ids) and contacts (emails, the invalid one excluded) of the file:
    #: what it creates in an empty store when valid.
    clients: frozenset[str]
    contacts: frozenset[str]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How hypothesis shows a failing example: the rows, not the bytes."""
        printer.text(repr(self))

    @property
    def expected_errors(self) -> frozenset[str]:
        """The error codes importing it must report (none for a valid file); the rows that
        depend on a broken one may also report ``plan.dependency_dropped``."""
        return frozenset() if self.breakage is None else frozenset({BREAKAGE_CODES[self.breakage]})


def _xlsx_available() -> bool:
    try:
        importlib.import_module("xlsxwriter")
    except ImportError:
        return False
    return True


@st.composite
def _files(draw: st.DrawFn, namespace: Callable[[], str], valid: bool | None,
           formats: tuple[str, ...]) -> GeneratedFile:
    prefix = namespace()
    count = draw(st.integers(1, 6))
    clients: list[dict[str, str]] = []
    for index in range(count):
        parent = draw(st.none() | st.integers(0, index - 1)) if index else None
        clients.append({
            "Identifiant Client": f"{prefix}C{index}",
            "Nom du client": f"{draw(st.sampled_from(_WORDS))} {prefix}{index}",
            "Identifiant du groupe": "" if parent is None else f"{prefix}C{parent}",
            "Délai de paiement par défaut": draw(st.sampled_from(["", "30", "45", "60"])),
        })
    rows: list[dict[str, str]] = []
    for index, client in enumerate(clients):
        contacts = draw(st.integers(0, 2))
        if not contacts:
            rows.append({**client, "Email du contact": "", "Prénom du contact": "", "Contact principal": ""})
        for number in range(contacts):
            rows.append({**client, "Email du contact": f"{prefix.lower()}p{index}.{number}@example.com",
                         "Prénom du contact": draw(st.sampled_from(_FIRST_NAMES)),
                         "Contact principal": "oui" if number == 0 else "non"})
    breakage: Breakage | None = None
    if valid is False or (valid is None and draw(st.booleans())):
        with_contact = [row for row in rows if row["Email du contact"]]
        kinds: list[Breakage] = ["invalid_email", "invalid_payment_term"] if with_contact else [
            "invalid_payment_term"]
        if with_contact and len(clients) > 1:
            kinds.append("contact_for_two_clients")
        breakage = draw(st.sampled_from(kinds))
        if breakage == "invalid_email":
            draw(st.sampled_from(with_contact))["Email du contact"] = _INVALID_EMAIL
        elif breakage == "invalid_payment_term":
            draw(st.sampled_from(rows))["Délai de paiement par défaut"] = "soon"
        else:
            taken = draw(st.sampled_from(with_contact))
            other = next(client for client in clients
                         if client["Identifiant Client"] != taken["Identifiant Client"])
            rows.append({**other, "Email du contact": taken["Email du contact"], "Prénom du contact": "",
                         "Contact principal": "non"})
    rows = draw(st.permutations(rows))
    table = tuple(tuple(row[header] for header in HEADERS) for row in rows)
    kind = draw(st.sampled_from([f for f in formats if f == "csv" or _xlsx_available()]))
    encoding = delimiter = None
    if kind == "csv":
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
        delimiter = draw(st.sampled_from([",", ";"]))
        data = _csv(table, encoding, delimiter)
    else:
        data = _xlsx(table)
    return GeneratedFile(
        data=data, format="xlsx" if kind == "xlsx" else "csv", encoding=encoding, delimiter=delimiter,
        headers=HEADERS, rows=table, breakage=breakage,
        clients=frozenset(client["Identifiant Client"] for client in clients),
        contacts=frozenset(row["Email du contact"] for row in rows
                           if row["Email du contact"] and row["Email du contact"] != _INVALID_EMAIL),
    )


def _csv(rows: tuple[tuple[str, ...], ...], encoding: str, delimiter: str) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def _xlsx(rows: tuple[tuple[str, ...], ...]) -> bytes:
    xlsxwriter: Any = importlib.import_module("xlsxwriter")
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet("Clients")
    sheet.write_row(0, 0, HEADERS)
    for number, row in enumerate(rows, start=1):
        for column, cell in enumerate(row):
            if cell.isdigit():  # a number typed in Excel is stored as one
                sheet.write_number(number, column, int(cell))
            elif cell:
                sheet.write_string(number, column, cell)
    workbook.close()
    return output.getvalue()


def import_files(*, valid: bool | None = None, formats: tuple[str, ...] = ("csv", "xlsx"),
                 namespace: Callable[[], str] | str = "") -> st.SearchStrategy[GeneratedFile]:
    """Import files: valid ones (``valid=True``), broken ones (``False``) or both (``None``).

    ``formats`` chooses among ``"csv"`` and ``"xlsx"`` (XLSX only when
    XlsxWriter is installed). Every external id, name and email starts with
    ``namespace`` (a string, or a function called once per file) so that
    files imported one after the other into one store never share a client.
    """
    unknown = set(formats) - {"csv", "xlsx"}
    if unknown or not formats:
        raise ValueError(f"formats must be among 'csv' and 'xlsx', not {formats!r}")
    prefix = namespace if callable(namespace) else (lambda: namespace)
    return _files(prefix, valid, formats)


def check_import_twice(generated: GeneratedFile, repository: Repository) -> None:
    """Import ``generated`` into ``repository`` twice and check what the importer promises.

    Every row is accounted for in file order, the errors are exactly the
    expected ones, a valid file creates exactly its clients and contacts (in
    a store that holds none of them), and the second import writes nothing.
    """
    report = import_file(generated.data, repository)
    numbers = [row.number for row in report.rows]
    expected_numbers = list(range(2, len(generated.rows) + 2))
    assert numbers == expected_numbers, (
        f"every row of the file should be in the report, in order: expected rows {expected_numbers}, "
        f"got {numbers}")
    errors = {issue.code for issue in report.issues if issue.is_error}
    allowed = generated.expected_errors | ({"plan.dependency_dropped"} if generated.breakage else set())
    assert generated.expected_errors <= errors <= allowed, (
        f"a file {'broken by ' + generated.breakage if generated.breakage else 'without mistakes'} should "
        f"report the errors {sorted(generated.expected_errors)}, but reported "
        f"{[(i.code, i.row, i.message) for i in report.issues if i.is_error]}")
    if generated.breakage is None:
        created = report.summary
        assert (created.clients.create, created.contacts.create) == (
            len(generated.clients), len(generated.contacts)), (
            f"a valid file of {len(generated.clients)} clients and {len(generated.contacts)} contacts "
            f"should create them all, but the import created {created.clients.create} clients and "
            f"{created.contacts.create} contacts")
    again = import_file(generated.data, repository)
    assert again.operations == (), (
        "importing the same file a second time should write nothing (the repository must return "
        f"what was written), but it wrote {[op.to_dict() for op in again.operations]}")
