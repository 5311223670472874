"""Zip-level checks of XLSX, XLSM, XLSB and ODS files, before any parser sees them.

What is checked, from the archive's central directory:

- the number of entries (at most :data:`MAX_ENTRIES`);
- the declared uncompressed size of all entries together, against
  :attr:`Limits.max_uncompressed_bytes`;
- each entry's declared compression ratio, against
  :attr:`Limits.max_compression_ratio` (entries under :data:`RATIO_FLOOR`
  bytes are exempt: small repetitive XML parts legitimately compress well);
- zip-level encryption, and ODS encryption (``manifest:encryption-data``):
  ``file.password_protected``;
- entries sharing a name (``file.corrupt``), also once ``\\`` is read as
  ``/`` and ASCII letters in either case (python-calamine looks its parts up
  that way, and keeps one of the entries that collide): readers could
  disagree on which one they read, and the one checked must be the one parsed.

Why declared sizes can be trusted: both readers of the archive stop at them.
Python's :mod:`zipfile`, used here to stream the parts that are inspected,
never inflates an entry past its declared size (and then fails its CRC
check), and the Rust ``zip`` crate behind python-calamine refuses an entry
"larger than its declared uncompressed size". A lying header therefore
yields ``file.corrupt``, never unbounded inflation. The streaming helper
counts the bytes it inflates as well, so the bound holds even if that
behaviour changed.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Generator

from upflow_import.errors import FileTooLargeError, UnreadableFileError
from upflow_import.limits import Limits

__all__ = ["CHUNK", "MAX_ENTRIES", "RATIO_FLOOR", "ZIP_ERRORS", "calamine_entry", "entry_key", "open_archive",
           "read_small", "stream_entry"]

#: More entries than any real workbook has (pictures and all), fewer than a zip bomb made of many.
MAX_ENTRIES = 10_000
#: Entries smaller than this are not checked for their compression ratio.
RATIO_FLOOR = 1024 * 1024
#: Bytes inflated at a time when streaming an entry.
CHUNK = 1024 * 1024
#: What the zipfile module raises on a damaged archive.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
               NotImplementedError, RuntimeError, KeyError)


def open_archive(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """Open ``data`` as a zip archive and check its entries against ``limits``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except ZIP_ERRORS as error:
        raise UnreadableFileError.from_code("file.corrupt", detail=f"broken zip archive: {error}") from None
    names = {entry_key(info.filename) for info in infos}
    if len(names) != len(infos):
        # Two entries of one name: readers may disagree on which one is the sheet.
        raise UnreadableFileError.from_code("file.corrupt", detail="two zip entries have the same name")
    if len(infos) > MAX_ENTRIES:
        raise FileTooLargeError.from_code("file.too_large", limit="archive entries", actual=len(infos),
                                   maximum=MAX_ENTRIES)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnreadableFileError.from_code("file.password_protected")
        total += info.file_size
        if total > limits.max_uncompressed_bytes:
            raise FileTooLargeError.from_code("file.too_large", limit="max_uncompressed_bytes",
                                       actual=sum(i.file_size for i in infos),
                                       maximum=limits.max_uncompressed_bytes)
        if info.file_size > RATIO_FLOOR:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise FileTooLargeError.from_code("file.too_large", limit="max_compression_ratio",
                                           actual=round(ratio, 1), maximum=limits.max_compression_ratio)
    manifest = read_small(archive, "META-INF/manifest.xml", 1024 * 1024)
    if manifest is not None and b"encryption-data" in manifest:
        raise UnreadableFileError.from_code("file.password_protected")
    return archive


def entry_key(name: str) -> str:
    """How python-calamine indexes the entry ``name``: ``\\`` read as ``/``, ASCII letters in
    lower case (other letters as they are)."""
    return name.replace("\\", "/").translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def calamine_entry(archive: zipfile.ZipFile, path: str) -> str | None:
    """The entry python-calamine opens when it looks for ``path`` (``None``: none), as it does:
    the entry whose :func:`entry_key` is ``path`` with ASCII letters in lower case, else the
    entry named exactly ``path``."""
    keys = {entry_key(name): name for name in archive.namelist()}
    found = keys.get(path.translate(_ASCII_LOWER))
    if found is not None:
        return found
    return path if path in archive.NameToInfo else None


def read_small(archive: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    """The content of entry ``name``, or ``None`` when it is absent or larger than ``limit``."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limit:
        return None
    return b"".join(stream_entry(archive, info))


def stream_entry(archive: zipfile.ZipFile, entry: str | zipfile.ZipInfo) -> Generator[bytes, None, None]:
    """The inflated content of ``entry`` in chunks, never more than its declared size."""
    try:
        info = entry if isinstance(entry, zipfile.ZipInfo) else archive.getinfo(entry)
        left = info.file_size
        with archive.open(info) as file:
            while True:
                chunk = file.read(CHUNK)
                if not chunk:
                    return
                left -= len(chunk)
                if left < 0:
                    raise UnreadableFileError.from_code("file.corrupt",
                                                 detail=f"{info.filename} is larger than declared")
                yield chunk
    except ZIP_ERRORS as error:
        raise UnreadableFileError.from_code("file.corrupt", detail=f"broken zip entry: {error}") from None
