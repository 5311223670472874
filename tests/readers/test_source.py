"""Only a regular file's content is read from a path: a named pipe would block the read forever, a
device such as /dev/zero never ends; they, sockets and folders are refused with ``file.not_regular``
before anything is opened for reading, and the command line says so too."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import upflow_import as ui
from upflow_import.cli import main

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX file kinds")


def refusal(path: str | Path) -> ui.UpflowImportError:
    """The error reading ``path`` raises, in a thread so that a blocked read fails the test
    instead of hanging it."""
    outcome: list[BaseException | object] = []

    def read() -> None:
        try:
            outcome.append(ui.read_table(path))
        except BaseException as error:  # handed to the test
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=20)
    if reader.is_alive():
        if Path(path).is_fifo():  # let the blocked open() or read() return
            with open(path, "wb"):
                pass
        pytest.fail(f"reading {path} blocked")
    assert len(outcome) == 1
    error = outcome[0]
    assert isinstance(error, ui.UpflowImportError), error
    return error


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path: a Unix socket's path must fit in about 100 bytes."""
    with tempfile.TemporaryDirectory(prefix="ui") as folder:
        yield Path(folder)


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "clients.csv"
    os.mkfifo(fifo)

    for path in (fifo, str(fifo)):
        error = refusal(path)
        assert error.code == "file.not_regular"
        assert error.message_in("en") == "This is not a file that can be read: a named pipe (FIFO)."
        assert error.message_in("fr") == "Ce n'est pas un fichier qui peut être lu : un tube nommé (FIFO)."


def test_devices_sockets_and_folders_are_refused(tmp_path: Path, short_dir: Path) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(short_dir / "s"))
    try:
        kinds = {path: refusal(path).message_in("en").rsplit(": ", 1)[1]
                 for path in (os.devnull, "/dev/zero", short_dir / "s", tmp_path) if Path(path).exists()}
    finally:
        server.close()

    assert kinds == {os.devnull: "a device.", "/dev/zero": "a device.", short_dir / "s": "a socket.",
                     tmp_path: "a folder."}


def test_a_link_to_a_regular_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "clients.csv").write_bytes(b"Nom du client\nAcme\n")
    (tmp_path / "link.csv").symlink_to(tmp_path / "clients.csv")

    assert [row.values for row in ui.read_table(tmp_path / "link.csv").rows] == [("Acme",)]


def test_the_cli_refuses_a_named_pipe_rather_than_calling_it_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "clients.csv"
    os.mkfifo(fifo)

    assert main(["check", str(fifo), "--json"]) == 2
    assert '"file.not_regular"' in capsys.readouterr().out
