"""Turn what the caller gives (a path, bytes, a binary file object) into bytes.

The bytes are bounded by :attr:`Limits.max_bytes` before they are all in
memory: a path's size is checked from the file system first, and a file
object is read at most one byte past the limit.

A path that does not exist or cannot be opened raises the usual
:class:`OSError` (``FileNotFoundError``, ``PermissionError``…): that is a
mistake of the caller, not a bad file. A path must name a regular file: a
named pipe would block the read forever and a device such as ``/dev/zero``
never ends, so they, sockets and folders get ``file.not_regular``, checked
before the file is opened and again on what was opened (the path may change
in between). A folder that is an Apple Numbers bundle (a ``.numbers``
package is a folder on a Mac) gets ``file.numbers_unsupported``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, Union

import attrs

from upflow_import.errors import FileTooLargeError, UnreadableFileError
from upflow_import.issues import Text
from upflow_import.limits import Limits

__all__ = ["Source", "SourceLike", "load_source"]

#: What :func:`~upflow_import.read_table` accepts as a source.
SourceLike = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]


@attrs.frozen
class Source:
    """The file's bytes and, when known, its name (for messages and format hints)."""

    data: bytes
    name: str | None = None


def load_source(source: SourceLike, limits: Limits) -> Source:
    """Read ``source`` into memory, refusing more than ``limits.max_bytes`` bytes.

    Raises :class:`~upflow_import.FileTooLargeError` (``file.too_large``) past
    the limit, ``file.numbers_unsupported`` for a Numbers bundle folder,
    ``file.not_regular`` for a path that is not a regular file, and
    :class:`TypeError` for a source of the wrong kind (a text file object, for
    instance).
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        _check_size(len(data), limits)
        return Source(data)
    if isinstance(source, (str, os.PathLike)):
        return _load_path(Path(source), limits)
    read = getattr(source, "read", None)
    if read is None:
        raise TypeError(f"read_table() needs a path, bytes or a binary file object, not "
                        f"{type(source).__name__}")
    chunk = read(limits.max_bytes + 1)
    if isinstance(chunk, str):
        raise TypeError("read_table() needs a binary file object (open the file with 'rb')")
    data = bytes(chunk)
    _check_size(len(data), limits)
    name = getattr(source, "name", None)
    return Source(data, os.path.basename(name) if isinstance(name, str) else None)


def _load_path(path: Path, limits: Limits) -> Source:
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode) and (path.suffix.lower() == ".numbers" or (path / "Index.zip").exists()
                               or (path / "Index").is_dir()):
        raise UnreadableFileError.from_code("file.numbers_unsupported")
    _check_regular(mode)
    # O_NONBLOCK: should the path have become a named pipe since stat(), opening it must not
    # wait for a writer; it is refused just below. Reading a regular file ignores the flag.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as file:
        opened = os.fstat(fd)
        _check_regular(opened.st_mode)
        _check_size(opened.st_size, limits)
        # The file may grow between fstat() and read(): read one byte past the limit. The size
        # first, then the rest if it grew: read(max_bytes + 1) alone sets a buffer of that size
        # aside, whatever the size of the file.
        data = file.read(opened.st_size + 1)
        if len(data) > opened.st_size:
            data += file.read(limits.max_bytes + 1 - len(data))
    _check_size(len(data), limits)
    return Source(data, path.name)


_KINDS = ((stat.S_ISDIR, Text("a folder", "un dossier")),
          (stat.S_ISFIFO, Text("a named pipe (FIFO)", "un tube nommé (FIFO)")),
          (stat.S_ISCHR, Text("a device", "un périphérique")),
          (stat.S_ISBLK, Text("a device", "un périphérique")),
          (stat.S_ISSOCK, Text("a socket", "une socket")))


def _check_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((kind for test, kind in _KINDS if test(mode)),
                    Text("not a regular file", "pas un fichier ordinaire"))
        raise UnreadableFileError.from_code("file.not_regular", kind=kind)


def _check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise FileTooLargeError.from_code("file.too_large", limit="max_bytes", actual=size,
                                   maximum=limits.max_bytes)
