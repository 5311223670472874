"""The service example (examples/service/) runs: uvicorn serves the real app on a loopback socket,
a real HTTP client (httpx) posts real files to it, and the PostgreSQL database it wrote is read."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("psycopg_pool")
psycopg = pytest.importorskip("psycopg")
httpx = pytest.importorskip("httpx")
jsonschema = pytest.importorskip("jsonschema")
xlsxwriter = pytest.importorskip("xlsxwriter")

import upflow_import as ui  # noqa: E402
from conftest import _fresh_database as fresh_database  # noqa: E402
from upflow_import import report_json_schema  # noqa: E402
from upflow_import.postgres import LOCK_KEY  # noqa: E402

SERVICE = Path(__file__).resolve().parents[1] / "examples" / "service"
EXAMPLES = SERVICE.parent
#: The service's file limit in these tests: small, so that a too-large file is cheap to send.
MAX_UPLOAD = 200_000


class Service:
    """The example running in a child process, and the database it imports into."""

    def __init__(self, url: str, dsn: str) -> None:
        self.url = url
        self.dsn = dsn

    def post(self, name: str, content: bytes, **switches: str) -> httpx.Response:
        return httpx.post(f"{self.url}/imports", params=switches, files={"file": (name, content)},
                          timeout=30)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            return connection.execute(sql).fetchall()

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as connection:
            connection.execute(sql)

    def count(self, table: str) -> int:
        return int(self.query(f"SELECT count(*) FROM {table}")[0][0])

    def empty(self) -> None:
        self.execute("TRUNCATE contacts, clients")

    def external_ids(self) -> list[str]:
        return [row[0] for row in self.query(
            "SELECT external_id FROM clients WHERE external_id IS NOT NULL ORDER BY external_id")]


@pytest.fixture(scope="module")
def running_service(postgres_server: str) -> Iterator[Service]:
    """The service, started once for the module on a database of its own, without tables (the
    service creates them as it starts); each test starts from an empty store (``service``)."""
    with fresh_database(postgres_server, "template0") as dsn, serving(dsn) as url:
        yield Service(url, dsn)


@contextmanager
def serving(dsn: str, **settings: str) -> Iterator[str]:
    """Run the example with uvicorn, as its README says, on a loopback port; yield its URL.
    ``settings`` are more environment variables."""
    # The socket is bound here and handed to uvicorn (--fd): no race for a free port, and a
    # connection made before the app is ready waits in the backlog instead of failing.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = {**os.environ, "DATABASE_URL": dsn, "UPFLOW_MAX_UPLOAD_BYTES": str(MAX_UPLOAD), **settings}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "app:create_app", "--app-dir", str(SERVICE),
         "--fd", str(listener.fileno()), "--log-level", "warning"],
        pass_fds=(listener.fileno(),), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    listener.close()
    try:
        _wait_ready(url, process)
        yield url
    finally:
        # SIGINT, as Ctrl-C: uvicorn finishes the requests in flight, runs the app's shutdown
        # (closing the connection pool) and exits 0.
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr


@pytest.fixture
def service(running_service: Service) -> Service:
    running_service.empty()
    return running_service


def _wait_ready(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service exited: {process.communicate()[1]}")
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the service did not answer within 30 s")


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ";") -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Clients")
    for number, row in enumerate(rows):
        sheet.write_row(number, 0, row)
    workbook.close()
    return buffer.getvalue()


def assert_report(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` is a report as the command line's ``--json`` prints it (not an error document)."""
    jsonschema.validate(document, report_json_schema())
    assert "error" not in document
    return document


HEADERS = ["Identifiant Client", "Nom du client", "Ville", "Email du contact", "Délai de paiement par défaut"]


# -- what the service answers --------------------------------------------------------------------


def test_a_post_is_a_dry_run_by_default_and_writes_nothing(service: Service) -> None:
    response = service.post("clients_fr.csv", (EXAMPLES / "clients_fr.csv").read_bytes())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = assert_report(response.json())
    assert document["file"] == {"format": "csv", "encoding": "cp1252", "delimiter": ";", "sheet": None,
                                "rows": 8}
    assert document["summary"]["clients"]["create"] == 6
    assert document["summary"]["contacts"]["create"] == 7
    assert len(document["operations"]) == 13
    assert service.count("clients") == 0 and service.count("contacts") == 0


@pytest.mark.parametrize(("name", "lang"), [("clients_fr.csv", "en"), ("clients_with_errors.csv", "fr")])
def test_the_document_is_the_command_lines_json_byte_for_byte(service: Service, name: str, lang: str) -> None:
    path = EXAMPLES / name
    response = service.post(name, path.read_bytes(), lang=lang)
    # `check` plans against an empty store, as this dry run does against the empty database.
    command_line = subprocess.run([sys.executable, "-m", "upflow_import", "check", str(path), "--json",
                                   "--lang", lang], capture_output=True, check=False)
    assert command_line.stdout == response.content + b"\n"


def test_dry_run_false_applies_and_a_second_upload_changes_nothing(service: Service) -> None:
    content = (EXAMPLES / "clients_en.xlsx").read_bytes()
    first = service.post("clients_en.xlsx", content, dry_run="false")
    assert first.status_code == 200, first.text
    created = assert_report(first.json())["summary"]["clients"]["create"]
    assert created > 0
    assert service.count("clients") == created
    again = assert_report(service.post("clients_en.xlsx", content, dry_run="false").json())
    assert again["summary"]["clients"]["create"] == 0 and again["operations"] == []
    assert service.count("clients") == created


def test_the_switches_may_come_as_form_fields(service: Service) -> None:
    content = csv_bytes([HEADERS, ["C1", "Acme", "Paris", "", "30"]])
    response = httpx.post(f"{service.url}/imports", data={"dry_run": "false", "lang": "fr"},
                          files={"file": ("clients.csv", content)}, timeout=30)
    assert response.status_code == 200, response.text
    assert service.external_ids() == ["C1"]


def test_a_file_with_errors_is_422_with_the_report_in_french(service: Service) -> None:
    content = xlsx_bytes([HEADERS, ["C1", "Acme", "Paris", "compta@acme.fr", 30],
                          ["C2", "Globex", "Lyon", "pas-un-email", "bientôt"]])
    response = service.post("clients.xlsx", content, lang="fr", dry_run="false")
    assert response.status_code == 422
    document = assert_report(response.json())
    assert document["file"]["format"] == "xlsx"
    assert document["summary"]["rows"] == {"total": 2, "with_errors": 1}
    errors = [issue for issue in document["issues"] if issue["severity"] == "error"]
    assert {issue["row"] for issue in errors} == {3}
    # The messages and hints are the library's French ones, not English.
    french = ui.import_file(content, ui.InMemoryRepository(), lang="fr").to_dict()["issues"]
    english = ui.import_file(content, ui.InMemoryRepository(), lang="en").to_dict()["issues"]
    assert document["issues"] == french != english
    # on_error=skip (the default): the valid row is written, the other is not.
    assert service.external_ids() == ["C1"]


def test_on_error_abort_writes_nothing_from_a_file_with_errors(service: Service) -> None:
    response = service.post("clients_with_errors.csv", (EXAMPLES / "clients_with_errors.csv").read_bytes(),
                            dry_run="false", on_error="abort")
    assert response.status_code == 422
    assert assert_report(response.json())["summary"]["errors"] > 0
    assert service.count("clients") == 0


def test_a_file_past_the_limit_is_413_with_the_error_document(service: Service) -> None:
    rows = [HEADERS] + [[f"C{n}", f"Client {n}", "Paris", "", "30"] for n in range(8_000)]
    content = csv_bytes(rows)
    assert MAX_UPLOAD < len(content) < MAX_UPLOAD + 64 * 1024  # refused by the library's Limits
    response = service.post("big.csv", content, lang="fr")
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "file.too_large" and "limite" in error["message"]
    jsonschema.validate(response.json(), report_json_schema())


def test_a_body_far_past_the_limit_is_refused_before_it_is_read(service: Service) -> None:
    response = service.post("huge.csv", b"a;b\n" * 1_000_000)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file.too_large"
    assert service.count("clients") == 0


def test_a_streamed_body_without_a_length_is_refused_past_the_limit(service: Service) -> None:
    sent = 0

    def chunked_upload() -> Iterator[bytes]:  # no Content-Length: sent in chunks, as a stream
        nonlocal sent
        yield (b'--cut\r\nContent-Disposition: form-data; name="file"; filename="huge.csv"\r\n'
               b"Content-Type: text/csv\r\n\r\n")
        for _ in range(200):
            chunk = b"a;b\n" * 4096
            sent += len(chunk)
            yield chunk
        yield b"\r\n--cut--\r\n"

    try:
        response = httpx.post(f"{service.url}/imports", content=chunked_upload(), timeout=30,
                              headers={"content-type": "multipart/form-data; boundary=cut"})
    except httpx.TransportError:
        # The server answered and closed the connection while the client was still sending.
        assert sent < 200 * 4 * 4096
    else:
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "file.too_large"
    assert service.count("clients") == 0


@pytest.mark.parametrize(("content", "code"), [
    (b"", "file.empty"),
    (b"PK\x03\x04 not really a workbook", None),
])
def test_an_unreadable_file_is_400(service: Service, content: bytes, code: str | None) -> None:
    response = service.post("clients.xlsx", content)
    assert response.status_code == 400
    document = response.json()
    jsonschema.validate(document, report_json_schema())
    assert document["error"]["code"].startswith("file.")
    if code is not None:
        assert document["error"]["code"] == code


@pytest.mark.parametrize("switches", [{"lang": "de"}, {"on_error": "ignore"}, {"dry_run": "maybe"}])
def test_a_bad_switch_is_400_naming_it(service: Service, switches: dict[str, str]) -> None:
    response = service.post("clients.csv", csv_bytes([HEADERS, ["C1", "Acme", "Paris", "", "30"]]),
                            **switches)
    assert response.status_code == 400
    (name,) = switches
    assert name in response.json()["error"]["message"]


def test_the_services_own_messages_speak_the_requests_language(service: Service) -> None:
    response = service.post("clients.csv", csv_bytes([HEADERS, ["C1", "Acme", "Paris", "", "30"]]),
                            lang="fr", on_error="ignorer")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Le paramètre on_error doit valoir skip, abort, et non 'ignorer'.")


def test_a_request_without_a_file_is_400(service: Service) -> None:
    response = httpx.post(f"{service.url}/imports", data={"dry_run": "false"}, timeout=30)
    assert response.status_code == 400
    assert "file" in response.json()["error"]["message"]


# -- concurrency ----------------------------------------------------------------------------------


def test_two_concurrent_uploads_of_overlapping_files_create_each_client_once(service: Service) -> None:
    first = csv_bytes([HEADERS] + [[f"C{n}", f"Client {n}", "Paris", f"c{n}@example.com", "30"]
                                   for n in range(300)])
    second = csv_bytes([HEADERS] + [[f"C{n}", f"Client {n}", "Paris", f"c{n}@example.com", "30"]
                                    for n in range(150, 450)])

    async def both() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=service.url, timeout=60) as client:
            return list(await asyncio.gather(*(
                client.post("/imports", params={"dry_run": "false"}, files={"file": (name, content)})
                for name, content in (("first.csv", first), ("second.csv", second)))))

    responses = asyncio.run(both())
    assert [response.status_code for response in responses] == [200, 200]
    created = [assert_report(response.json())["summary"]["clients"]["create"] for response in responses]
    assert sum(created) == 450  # every client created by exactly one of the two
    assert service.external_ids() == sorted(f"C{n}" for n in range(450))
    assert service.count("contacts") == 450


def test_an_import_waits_for_the_store_lock_and_a_request_finding_no_connection_is_503(
        postgres_dsn: str) -> None:
    content = csv_bytes([HEADERS, ["C1", "Acme", "Paris", "", "30"]])
    with serving(postgres_dsn, UPFLOW_POOL_SIZE="1", UPFLOW_POOL_TIMEOUT="0.5") as url, \
            psycopg.connect(postgres_dsn, autocommit=True) as holder, \
            psycopg.connect(postgres_dsn, autocommit=True) as other:

        def waiting_for_the_lock() -> bool:
            return bool(other.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                      "AND NOT granted").fetchone()[0])  # type: ignore[index]

        async def scenario() -> tuple[httpx.Response, httpx.Response]:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                with holder.transaction():
                    # Another import of the same store holds its lock: this one waits for it,
                    # on the service's only connection.
                    holder.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                    applying = asyncio.create_task(client.post(
                        "/imports", params={"dry_run": "false"}, files={"file": ("a.csv", content)}))
                    deadline = time.monotonic() + 10
                    while not waiting_for_the_lock():
                        assert time.monotonic() < deadline and not applying.done()
                        await asyncio.sleep(0.02)
                    busy = await client.post("/imports", files={"file": ("b.csv", content)})
                    assert not applying.done()
                return await applying, busy

        applied, busy = asyncio.run(scenario())
        assert busy.status_code == 503 and busy.json()["error"]["code"] is None
        assert applied.status_code == 200
        assert assert_report(applied.json())["summary"]["clients"]["create"] == 1
