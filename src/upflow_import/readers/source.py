"""Turn what the caller gives (a path, bytes, a binary file object) into bytes.

The bytes are bounded by :attr:`Limits.max_bytes` before they are all in
memory: a path's size is checked from the file system first, and a file
object is read at most one byte past the limit.

A path that does not exist or cannot be opened raises the usual
:class:`OSError` (``FileNotFoundError``, ``PermissionError``…): that is a
mistake of the caller, not a bad file. A directory is accepted only to
recognise an Apple Numbers bundle (a ``.numbers`` package is a folder on a
Mac), which gets ``file.numbers_unsupported``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Union

import attrs

from upflow_import.errors import FileTooLargeError, UnreadableFileError
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
    the limit, ``file.numbers_unsupported`` for a Numbers bundle folder, and
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
    if path.is_dir():
        if path.suffix.lower() == ".numbers" or (path / "Index.zip").exists() or (path / "Index").is_dir():
            raise UnreadableFileError.of("file.numbers_unsupported")
        raise IsADirectoryError(f"{path} is a folder, not a spreadsheet file")
    _check_size(path.stat().st_size, limits)
    with path.open("rb") as file:
        # The file may grow between stat() and read(): read one byte past the limit.
        data = file.read(limits.max_bytes + 1)
    _check_size(len(data), limits)
    return Source(data, path.name)


def _check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise FileTooLargeError.of("file.too_large", limit="max_bytes", actual=size,
                                   maximum=limits.max_bytes)
