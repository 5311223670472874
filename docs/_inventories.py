"""Intersphinx inventories, written offline, for the Python, attrs and cattrs objects these docs cite.

The docs link to Python's, attrs' and cattrs' own documentation, but they are
built where only package registries are reachable, so intersphinx cannot
download those projects' ``objects.inv``. :func:`write_inventories` writes a
small inventory for each, in Sphinx's version 2 format, from the list below:
every object the docs cite, at its address in that project's online
documentation. The built pages link to the real pages; a reference to an
object missing from the list fails the build (``nitpicky``), and is added
here with its address.
"""

from __future__ import annotations

import zlib
from pathlib import Path

#: ``name: (project, version, base address, [(object, domain:role, page#anchor), …])``.
#: ``$`` in an anchor stands for the object's name, as in Sphinx's own inventories.
INVENTORIES: dict[str, tuple[str, str, str, list[tuple[str, str, str]]]] = {
    "python": ("Python", "3", "https://docs.python.org/3/", [
        *((name, "py:class", "library/functions.html#$") for name in ("bool", "float", "int", "object")),
        *((name, "py:class", "library/stdtypes.html#$")
          for name in ("bytearray", "bytes", "dict", "list", "memoryview", "set", "str", "tuple")),
        ("None", "py:data", "library/constants.html#$"),
        ("FileNotFoundError", "py:exception", "library/exceptions.html#$"),
        *((f"collections.abc.{name}", "py:class", "library/collections.abc.html#$")
          for name in ("AsyncIterator", "Callable", "Collection", "Generator", "Hashable", "Iterable",
                       "Iterator", "Mapping", "Sequence")),
        ("contextlib.AbstractContextManager", "py:class", "library/contextlib.html#$"),
        ("contextlib.AbstractAsyncContextManager", "py:class", "library/contextlib.html#$"),
        *((f"collections.abc.{name}", "py:class", "library/collections.abc.html#$")
          for name in ("Awaitable", "Coroutine")),
        ("asyncio.Runner", "py:class", "library/asyncio-runner.html#$"),
        # What autodoc makes of asyncio.Runner in a signature: the same page.
        ("asyncio.runners.Runner", "py:class", "library/asyncio-runner.html#asyncio.Runner"),
        ("os.PathLike", "py:class", "library/os.html#$"),
        ("subprocess", "py:module", "library/subprocess.html#module-subprocess"),
        *((f"typing.{name}", "py:data", "library/typing.html#$") for name in ("Any", "ClassVar", "Literal")),
        ("typing.BinaryIO", "py:class", "library/typing.html#$"),
        ("typing.IO", "py:class", "library/typing.html#$"),
        ("logging.getLogger", "py:function", "library/logging.html#$"),
        ("logging.DEBUG", "py:data", "library/logging.html#$"),
        ("logging.NullHandler", "py:class", "library/logging.handlers.html#$"),
        ("str.format", "py:method", "library/stdtypes.html#$"),
    ]),
    "psycopg": ("psycopg", "3", "https://www.psycopg.org/psycopg3/docs/", [
        *((f"psycopg.{name}", "py:class", "api/connections.html#$")
          for name in ("Connection", "AsyncConnection")),
    ]),
    "hypothesis": ("Hypothesis", "latest", "https://hypothesis.readthedocs.io/en/latest/", [
        ("hypothesis.strategies.SearchStrategy", "py:class", "reference/api.html#$"),
    ]),
    "attrs": ("attrs", "stable", "https://www.attrs.org/en/stable/", [
        ("attrs.frozen", "py:function", "api.html#$"),
        ("attrs.evolve", "py:function", "api.html#$"),
    ]),
    "cattrs": ("cattrs", "stable", "https://catt.rs/en/stable/", [
        ("cattrs.Converter", "py:class", "cattrs.html#$"),
        ("cattrs.BaseValidationError", "py:exception", "cattrs.html#$"),
    ]),
}


def inventory_bytes(project: str, version: str, objects: list[tuple[str, str, str]]) -> bytes:
    """An ``objects.inv`` (version 2) listing ``objects``: each ``(name, domain:role, uri)``."""
    header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
              "# The remainder of this file is compressed using zlib.\n")
    # name domain:role priority uri display-name ("-": the name itself)
    body = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in sorted(objects))
    return header.encode() + zlib.compress(body.encode(), 9)


def write_inventories(folder: Path) -> dict[str, tuple[str, str]]:
    """Write one inventory per project into ``folder``; return ``intersphinx_mapping`` for them."""
    folder.mkdir(parents=True, exist_ok=True)
    mapping = {}
    for name, (project, version, base, objects) in INVENTORIES.items():
        path = folder / f"{name}.inv"
        data = inventory_bytes(project, version, objects)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        mapping[name] = (base, str(path))
    return mapping
