"""Writes the pages generated from the library's own catalogues before the build.

The error-codes and column-mapping pages are rendered from the code, so they
cannot drift from what the library does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

GENERATED = Path(__file__).resolve().parent / "_generated"


def _write(name: str, text: str) -> None:
    GENERATED.mkdir(exist_ok=True)
    path = GENERATED / name
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate(_app: Any) -> None:
    from upflow_import._docs_codes import error_codes_markdown
    from upflow_import.mapping import mapping_reference_markdown

    _write("error-codes.md", error_codes_markdown())
    _write("mapping-reference.md", mapping_reference_markdown())


def setup(app: Any) -> dict[str, bool]:
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True}
