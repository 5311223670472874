"""The API reference covers the public API, and the docs build checks every cross-reference.

The build itself (``sphinx-build -W --keep-going``, every reference resolved)
is a CI step; these tests check what a build that passes would not: that no
public name is left out of the reference, and that the build cannot quietly
stop checking.
"""

from __future__ import annotations

import ast
import importlib
import io
import posixpath
import re
import sys
from pathlib import Path

import pytest

import upflow_import
from upflow_import import mapping_memory, testing

DOCS = Path(__file__).resolve().parents[1] / "docs"
API = (DOCS / "api.md").read_text(encoding="utf-8")
_DIRECTIVE = re.compile(r"^\.\. (?:auto(?:function|class|exception|data|module)|py:type):: ([\w.]+)$",
                        re.MULTILINE)


def documented() -> set[str]:
    return set(_DIRECTIVE.findall(API))


def test_every_name_the_package_exports_is_in_the_api_reference_and_nothing_else() -> None:
    modules = set(re.findall(r"^\.\. automodule:: ([\w.]+)$", API, re.MULTILINE))
    at_package_level = {name.removeprefix("upflow_import.") for name in documented() - modules
                        if name.count(".") == 1}
    assert set(upflow_import.__all__) - at_package_level == set(), "exported but not documented"
    assert at_package_level - set(upflow_import.__all__) == set(), "documented but not exported"


def test_the_testing_kit_and_the_mapping_memory_functions_are_documented() -> None:
    kit = {name.rpartition(".")[2] for name in documented() if name.startswith("upflow_import.testing.")}
    assert set(testing.__all__) - kit == set(), "in the testing kit but not documented"
    for name in ("recall_mapping", "remember_mapping"):
        assert name in mapping_memory.__all__
        assert f"upflow_import.mapping_memory.{name}" in documented()


def test_every_documented_name_exists() -> None:
    for name in documented():
        module, _, attribute = name.rpartition(".")
        try:
            target = importlib.import_module(name)
        except ImportError:
            target = getattr(importlib.import_module(module), attribute, None)
        assert target is not None, name


def test_the_build_checks_every_reference_and_hides_none() -> None:
    tree = ast.parse((DOCS / "conf.py").read_text(encoding="utf-8"))
    assigned = {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    assert isinstance(assigned["nitpicky"], ast.Constant) and assigned["nitpicky"].value is True
    for hiding in ("nitpick_ignore", "nitpick_ignore_regex", "suppress_warnings"):
        assert hiding not in assigned, hiding
    assert "intersphinx_mapping" in assigned


def test_the_guide_cites_no_section_of_a_design_document_it_does_not_include() -> None:
    for page in [*DOCS.glob("*.md"), DOCS.parent / "README.md"]:
        text = page.read_text(encoding="utf-8")
        assert "§" not in text and "design's section" not in text, page.name


def test_the_offline_inventories_read_back_as_links_to_the_projects_own_pages() -> None:
    inventory = pytest.importorskip("sphinx.util.inventory")
    sys.path.insert(0, str(DOCS))
    try:
        from _inventories import INVENTORIES, inventory_bytes
    finally:
        sys.path.remove(str(DOCS))
    expected = {
        ("python", "py:class", "collections.abc.Mapping"):
            "https://docs.python.org/3/library/collections.abc.html#collections.abc.Mapping",
        ("attrs", "py:function", "attrs.evolve"): "https://www.attrs.org/en/stable/api.html#attrs.evolve",
        ("cattrs", "py:class", "cattrs.Converter"): "https://catt.rs/en/stable/cattrs.html#cattrs.Converter",
    }
    for (name, role, target), uri in expected.items():
        project, version, base, objects = INVENTORIES[name]
        loaded = inventory.InventoryFile.load(io.BytesIO(inventory_bytes(project, version, objects)), base,
                                              posixpath.join)
        assert loaded[role][target].uri == uri
        assert len(loaded[role]) == sum(r == role for _, r, _ in objects)
