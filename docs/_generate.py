"""Writes the pages generated from the library's own catalogues before the build.

The error-codes and column-mapping pages are rendered from the code, so they
cannot drift from what the library does. The list of exports known to map is
measured, at each build, on the table of real exports the tests use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GENERATED = Path(__file__).resolve().parent / "_generated"
TOOL_EXPORTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "tool_exports.json"


def _write(name: str, text: str) -> None:
    GENERATED.mkdir(exist_ok=True)
    path = GENERATED / name
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate(_app: Any) -> None:
    from upflow_import._docs_codes import error_codes_markdown
    from upflow_import._docs_exports import known_exports_markdown
    from upflow_import.mapping import mapping_reference_markdown

    _write("error-codes.md", error_codes_markdown())
    _write("mapping-reference.md", mapping_reference_markdown())
    header_sets = json.loads(TOOL_EXPORTS.read_text(encoding="utf-8"))["sets"]
    _write("known-exports.md", known_exports_markdown(header_sets))


def setup(app: Any) -> dict[str, bool]:
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True}
