"""The package's metadata says what the project does: the Pythons it is tested on, its licence, its deps.

The supported Python versions are declared once, in the noxfile's ``PYTHONS``
(what CI runs); every other place that names them is checked against it here.
"""

from __future__ import annotations

import ast
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _tested_pythons() -> list[str]:
    """The noxfile's ``PYTHONS``, read without importing nox (not installed with the test extra)."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == "PYTHONS" for t in targets):
            value = ast.literal_eval(node.value)  # type: ignore[union-attr]
            assert isinstance(value, list)
            return [str(v) for v in value]
    raise AssertionError("noxfile.py declares no PYTHONS")


TESTED = _tested_pythons()


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


OLDEST, NEWEST = min(TESTED, key=_key), max(TESTED, key=_key)


def test_the_oldest_and_the_newest_tested_python_are_two_versions() -> None:
    assert len(TESTED) >= 2 and OLDEST != NEWEST


def test_requires_python_admits_the_oldest_tested_version_and_nothing_older() -> None:
    assert PROJECT["requires-python"] == f">={OLDEST}"


def test_the_classifiers_list_exactly_the_tested_pythons() -> None:
    listed = [c.rsplit(" :: ", 1)[1] for c in PROJECT["classifiers"]
              if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    assert sorted(listed, key=_key) == sorted(TESTED, key=_key)


def test_pyenv_finds_the_tested_pythons_and_the_tools_target_the_oldest() -> None:
    assert (ROOT / ".python-version").read_text(encoding="utf-8").split() == TESTED
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + OLDEST.replace(".", "")
    assert PYPROJECT["tool"]["mypy"]["python_version"] == OLDEST


def test_the_readme_names_the_tested_pythons() -> None:
    assert f"Python {OLDEST} or newer" in README
    assert f"the test suite runs on Python {OLDEST} and {NEWEST}" in README


def test_the_licence_is_an_spdx_expression_with_its_file() -> None:
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])  # deprecated by PEP 639


def test_the_installed_metadata_carries_the_licence_and_the_pythons() -> None:
    installed = metadata.metadata("upflow-import")
    if installed.get("License-Expression") is None:
        pytest.skip("installed by a build backend older than the project's (reinstall with pip install -e .)")
    assert installed["License-Expression"] == "MIT"
    assert installed["Requires-Python"] == f">={OLDEST}"
    assert installed["Author"] == "upflow_import developers"
    assert f"Programming Language :: Python :: {NEWEST}" in installed.get_all("Classifier", [])


def test_the_readme_explains_every_runtime_dependency() -> None:
    section = README.split("## Dependencies", 1)[1]
    for requirement in PROJECT["dependencies"]:
        name = Requirement(requirement).name
        assert re.search(rf"\*\*{re.escape(name)}\*\*", section, re.IGNORECASE), name


def test_the_build_backend_writes_nothing_into_the_checkout() -> None:
    # setuptools leaves build/ and src/*.egg-info behind after `pip install .`; hatchling
    # builds in a temporary folder. CI also builds the wheel and checks the checkout.
    assert PYPROJECT["build-system"]["build-backend"] == "hatchling.build"


def test_the_corpus_tests_say_what_they_need_when_they_skip() -> None:
    from conftest import CORPUS, CORPUS_MISSING

    where = "../shared/corpus/calamine"
    assert CORPUS.relative_to(ROOT.parent).as_posix() == where.removeprefix("../")
    assert where in CORPUS_MISSING  # the reason pytest -rs prints
    assert f"`{where}`" in README.split("## Development", 1)[1]
