"""Sphinx configuration for the upflow_import user guide."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from _inventories import write_inventories  # noqa: E402  (found through the path set just above)

import upflow_import  # noqa: E402

project = "upflow_import"
author = "upflow_import developers"
copyright = "2026, upflow_import developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "_generate",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_generated"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
# Every cross-reference must resolve: a broken one fails the build.
nitpicky = True
# Python's, attrs' and cattrs' objects link to their online documentation, through
# inventories written here: the build has no network to download theirs (see _inventories.py).
intersphinx_mapping = write_inventories(HERE / "_build" / "inventories")
html_theme = "furo"
html_title = "upflow_import"


def _package_name(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a bare name the package exports (``Lang``, ``SourceLike``…) to its entry under
    ``upflow_import``: autodoc writes the aliases of the signatures as the modules spell them
    (``from __future__ import annotations``), while docs/api.md documents them where users
    import them from. Anything else still fails the build."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or target not in upflow_import.__all__:
        return None
    return env.get_domain("py").resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                             f"upflow_import.{target}", node, contnode)


def setup(app: Any) -> None:
    app.connect("missing-reference", _package_name)
