"""An import service: ``POST /imports`` takes one spreadsheet, imports it into PostgreSQL and
returns the import report as JSON.

    DATABASE_URL=postgresql://... uvicorn --factory app:create_app

See README.md beside this file for the switches, the status codes, the settings and the choices.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, get_args

import attrs
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import upflow_import as ui
from upflow_import import aio
from upflow_import.lang import LANGS, Lang
from upflow_import.planner import OnError
from upflow_import.postgres import AsyncPostgresRepository, create_schema_async

MiB = 1024 * 1024

#: What a multipart request may carry besides the file's own bytes (boundaries, part headers,
#: the switches as form fields): a body longer than the file limit plus this is refused unread.
ENVELOPE_BYTES = 64 * 1024

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")

#: The service's own messages, in each language (the library's come from its issue catalogue).
MESSAGES: dict[str, dict[Lang, str]] = {
    "switch": {"en": "The switch {name} must be one of {allowed}, not {value!r}.",
               "fr": "Le paramètre {name} doit valoir {allowed}, et non {value!r}."},
    "no_file": {"en": "Send the file as the field 'file' of a multipart/form-data body.",
                "fr": "Envoyez le fichier dans le champ 'file' d'un corps multipart/form-data."},
    "not_multipart": {"en": "The body is not a readable multipart/form-data form.",
                      "fr": "Le corps de la requête n'est pas un formulaire multipart/form-data lisible."},
    "busy": {"en": "Every database connection is in use; try again in a moment.",
             "fr": "Toutes les connexions à la base de données sont occupées ; réessayez dans un instant."},
}


@attrs.frozen
class Settings:
    """What the service needs, read from the environment by :meth:`from_environ`."""

    #: The PostgreSQL connection string (``postgresql://…`` or ``host=… dbname=…``).
    dsn: str
    #: The largest file accepted, in bytes (the library's ``Limits.max_bytes``).
    max_upload_bytes: int = 10 * MiB
    #: The most database connections open at once, hence imports running at once.
    pool_size: int = 4
    #: Seconds a request waits for a free connection before the service answers 503.
    pool_timeout: float = 30.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        dsn = environ.get("DATABASE_URL")
        if not dsn:
            raise RuntimeError("set DATABASE_URL to the PostgreSQL database the service imports into")
        return cls(dsn=dsn, max_upload_bytes=int(environ.get("UPFLOW_MAX_UPLOAD_BYTES", 10 * MiB)),
                   pool_size=int(environ.get("UPFLOW_POOL_SIZE", 4)),
                   pool_timeout=float(environ.get("UPFLOW_POOL_TIMEOUT", 30.0)))

    @property
    def limits(self) -> ui.Limits:
        return ui.Limits(max_bytes=self.max_upload_bytes)


@attrs.frozen
class Switches:
    """The switches of one import, from the query string or the form's fields."""

    dry_run: bool
    lang: Lang
    on_error: OnError


class BadRequest(Exception):
    """The request cannot be served as sent (400): one of :data:`MESSAGES`."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message_in(self, lang: Lang) -> str:
        return MESSAGES[self.key][lang].format(**self.params)


class UploadTooLarge(Exception):
    """The request's body went past the file limit and its envelope (413)."""

    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


class UploadLimit:
    """Refuse a request body longer than ``max_bytes``: at once when its ``Content-Length`` says
    so, else as soon as the bytes read pass it, so that no upload is spooled past the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        # Raised from the first read, inside the endpoint, so that the app's handler answers it.
        received = int(declared) if declared.isdigit() and int(declared) > self.max_bytes else 0

        async def bounded_receive() -> Message:
            nonlocal received
            if received > self.max_bytes:
                raise UploadTooLarge(received)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise UploadTooLarge(received)
            return message

        await self.app(scope, bounded_receive, send)


async def report_response(report: ui.ImportReport, lang: Lang) -> Response:
    """The report as the command line's ``--json`` document: 200 without errors, else 422."""

    def render() -> bytes:  # as ``upflow-import --json`` prints it
        return json.dumps(report.to_dict(lang=lang), ensure_ascii=False).encode()

    # The document of a large file takes a while to build: not on the event loop.
    body = await asyncio.to_thread(render)
    return Response(body, status_code=200 if report.ok else 422, media_type="application/json")


def error_response(status: int, code: str | None, message: str, hint: str | None = None) -> JSONResponse:
    """The command line's error document: ``{"error": {"code", "message", "hint"}}``."""
    return JSONResponse({"error": {"code": code, "message": message, "hint": hint}}, status_code=status)


def library_error_response(error: ui.UpflowImportError, lang: Lang) -> JSONResponse:
    """A file the library refused: 413 past a limit, else 400, with the issue's code and words."""
    status = 413 if isinstance(error, ui.FileTooLargeError) else 400
    return error_response(status, error.code, error.message_in(lang), error.issue.hint_in(lang))


def lang_of(values: Mapping[str, Any]) -> Lang:
    """The language asked for, when it is one (else English, for the message saying it is not)."""
    lang = values.get("lang")
    return lang if lang in LANGS else "en"


def switches_of(values: Mapping[str, Any]) -> Switches:
    """The switches named in ``values`` (``dry_run``, ``lang``, ``on_error``), checked."""
    lang = values.get("lang", "en")
    if lang not in LANGS:
        raise BadRequest("switch", name="lang", allowed=", ".join(LANGS), value=lang)
    on_error = values.get("on_error", "skip")
    if on_error not in get_args(OnError):
        raise BadRequest("switch", name="on_error", allowed=", ".join(get_args(OnError)), value=on_error)
    dry_run = str(values.get("dry_run", "true")).lower()
    if dry_run not in _TRUE + _FALSE:
        raise BadRequest("switch", name="dry_run", allowed="true, false", value=dry_run)
    return Switches(dry_run=dry_run in _TRUE, lang=lang, on_error=on_error)


async def run_import(pool: AsyncConnectionPool, limits: ui.Limits, data: bytes,
                     switches: Switches) -> ui.ImportReport:
    """Import ``data`` on a connection of the pool. Reading and parsing run in worker threads
    (a workbook in a capped child process): only the database calls are awaited here, so
    the other requests go on meanwhile."""
    async with pool.connection() as connection:
        # Planning and writing share one transaction (the repository's transaction(), which
        # takes the store's import lock): two uploads never create the same client twice.
        return await aio.import_file(data, AsyncPostgresRepository(connection), dry_run=switches.dry_run,
                                     lang=switches.lang, on_error=switches.on_error, limits=limits)


def create_app(settings: Settings | None = None) -> Starlette:
    """The service for ``settings`` (default: read from the environment)."""
    settings = Settings.from_environ() if settings is None else settings
    # Autocommit: the repository's transaction() is then the transaction (see upflow_import.postgres).
    pool = AsyncConnectionPool(settings.dsn, min_size=1, max_size=settings.pool_size,
                               timeout=settings.pool_timeout, open=False, kwargs={"autocommit": True})

    async def post_import(request: Request) -> Response:
        lang = lang_of(request.query_params)
        try:
            # The body is bounded by UploadLimit; a multipart request carries one file and
            # the few switches, nothing else.
            async with request.form(max_files=1, max_fields=8) as form:
                values = {**request.query_params, **{k: v for k, v in form.items() if isinstance(v, str)}}
                lang = lang_of(values)
                switches = switches_of(values)
                upload = form.get("file")
                if not isinstance(upload, UploadFile):
                    raise BadRequest("no_file")
                data = await upload.read()
        except HTTPException:  # Starlette's word for a body that is not the form it says it is
            return error_response(400, None, MESSAGES["not_multipart"][lang])
        except BadRequest as error:
            return error_response(400, None, error.message_in(lang))
        try:
            report = await run_import(pool, settings.limits, data, switches)
        except ui.UpflowImportError as error:
            return library_error_response(error, lang)
        except PoolTimeout:
            return error_response(503, None, MESSAGES["busy"][lang])
        return await report_response(report, lang)

    async def upload_too_large(request: Request, error: Exception) -> Response:
        assert isinstance(error, UploadTooLarge)
        # ``actual`` is the body's length, the file's and its multipart envelope's.
        too_large = ui.FileTooLargeError.from_code("file.too_large", limit="max_bytes", actual=error.received,
                                            maximum=settings.max_upload_bytes)
        return library_error_response(too_large, lang_of(request.query_params))

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.open(wait=True)
        try:
            async with pool.connection() as connection:
                await create_schema_async(connection)  # what exists already is left as it is
            yield
        finally:
            await pool.close()

    return Starlette(
        routes=[Route("/imports", post_import, methods=["POST"]), Route("/health", health)],
        middleware=[Middleware(UploadLimit, max_bytes=settings.max_upload_bytes + ENVELOPE_BYTES)],
        exception_handlers={UploadTooLarge: upload_too_large},
        lifespan=lifespan,
    )
