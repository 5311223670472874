"""A throwaway PostgreSQL server for the tests, the benchmark and CI: started, used, removed.

One starter for everyone: the pytest fixtures (tests/conftest.py), the
PostgreSQL benchmark and ``.ci/run`` (through this module's command line)
all start the server here, so there is one way of doing it:

- ``initdb`` in a new temporary folder, as an unprivileged user (``initdb``
  and ``postgres`` refuse to run as root: under root the ``postgres`` account
  is used, or a system account ``upflow-pg`` is created for the purpose);
- the server listens on 127.0.0.1 only, on a free port, with its Unix socket
  in that folder; trust authentication, for that loopback address only;
- durability is switched off (``fsync``, ``full_page_writes``): the data is
  thrown away, and tests should not wait for disks;
- ``stop()`` (``pg_ctl stop -m fast``) and the folder removed.

Command line, for scripts that start the server once and stop it later::

    python tests/postgres_server.py start   # prints "DSN<TAB>FOLDER"
    python tests/postgres_server.py stop FOLDER
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: The database user the server is initialised with (its superuser).
SUPERUSER = "upflow"
#: Why tests skip when there is no PostgreSQL at all (``.ci/run`` installs it, so CI never skips).
NO_POSTGRES = ("needs PostgreSQL's server programs (initdb, pg_ctl) on PATH or under "
               "/usr/lib/postgresql/*/bin, or UPFLOW_TEST_POSTGRES_DSN naming a server")
#: The environment variable naming a server to use instead of starting one.
DSN_VARIABLE = "UPFLOW_TEST_POSTGRES_DSN"
_SERVICE_ACCOUNT = "upflow-pg"
_START_TIMEOUT = 60


def server_programs() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
    on_path = shutil.which("initdb")
    # Debian links only some programs onto PATH: the real folder has them all.
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += sorted((Path(found) for found in glob.glob("/usr/lib/postgresql/*/bin")),
                         key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
                         reverse=True)
    for folder in candidates:
        if all((folder / program).is_file() for program in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _unprivileged_account() -> str | None:
    """The account the server runs as: ``None`` (this one) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", _SERVICE_ACCOUNT):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    _SERVICE_ACCOUNT], check=True, capture_output=True)
    return _SERVICE_ACCOUNT


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayServer:
    """A PostgreSQL server in its own temporary folder; :meth:`stop` removes everything."""

    def __init__(self, folder: Path, port: int, account: str | None, programs: Path) -> None:
        self.folder = folder
        self.port = port
        self._account = account
        self._programs = programs

    @property
    def dsn(self) -> str:
        """A libpq connection string for the ``postgres`` database, as the superuser."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls, programs: Path | None = None) -> ThrowawayServer:
        """initdb a new cluster in a temporary folder and start it; raise ``RuntimeError`` if it fails."""
        programs = programs or server_programs()
        if programs is None:
            raise RuntimeError(NO_POSTGRES)
        account = _unprivileged_account()
        # Not under pytest's own temporary folders: those are private to root, and the server's
        # account must be able to reach its data.
        folder = Path(tempfile.mkdtemp(prefix="upflow-pg-"))
        try:
            if account is not None:
                entry = pwd.getpwnam(account)
                os.chown(folder, entry.pw_uid, entry.pw_gid)
            server = cls(folder, 0, account, programs)
            server._run("initdb", "-D", str(folder / "data"), "-U", SUPERUSER, "--auth=trust",
                        "--encoding=UTF8", "--locale=C", "--no-sync")
            for _attempt in range(5):
                server.port = _free_port()
                # Another process may take the port between the probe and the start: try another.
                if server._try_start():
                    return server
            raise RuntimeError(f"PostgreSQL did not start: {server.log()}")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def _command(self, program: str, *arguments: str) -> list[str]:
        command = [str(self._programs / program), *arguments]
        if self._account is None:
            return command
        return ["runuser", "-u", self._account, "--", *command]

    def _run(self, program: str, *arguments: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self._command(program, *arguments), capture_output=True, text=True,
                                cwd=self.folder, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}): {result.stderr or result.stdout}")
        return result

    def _try_start(self) -> bool:
        options = " ".join((
            "-c listen_addresses=127.0.0.1", f"-p {self.port}", f"-c unix_socket_directories={self.folder}",
            "-c fsync=off", "-c full_page_writes=off", "-c synchronous_commit=off",
            "-c max_connections=200", "-c shared_buffers=64MB"))
        result = subprocess.run(
            self._command("pg_ctl", "start", "-D", str(self.folder / "data"), "-l",
                          str(self.folder / "server.log"), "-w", "-t", str(_START_TIMEOUT), "-o", options),
            capture_output=True, text=True, cwd=self.folder, check=False)
        return result.returncode == 0

    def log(self) -> str:
        """The server's log so far (what a failure to start says)."""
        try:
            return (self.folder / "server.log").read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the server (fast: open sessions are ended) and remove its folder."""
        try:
            if (self.folder / "data" / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-D", str(self.folder / "data"), "-m", "fast", "-w")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def throwaway_server() -> Iterator[ThrowawayServer]:
    """A started server, stopped and removed on leaving the block."""
    server = ThrowawayServer.start()
    try:
        yield server
    finally:
        server.stop()


def stop_folder(folder: Path) -> None:
    """Stop the server living in ``folder`` (as ``start`` on the command line printed it) and remove it."""
    account = None
    if os.geteuid() == 0 and folder.exists():
        account = pwd.getpwuid(folder.stat().st_uid).pw_name
    programs = server_programs()
    if programs is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    ThrowawayServer(folder, 0, account, programs).stop()


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["start"] and len(arguments) == 1:
        server = ThrowawayServer.start()
        print(f"{server.dsn}\t{server.folder}")
        return 0
    if arguments[:1] == ["stop"] and len(arguments) == 2:
        stop_folder(Path(arguments[1]))
        return 0
    print("usage: postgres_server.py start | stop FOLDER", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
