"""Developer tasks: ``nox -s tests lint typecheck docs bench fuzz difffuzz``."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.default_venv_backend = "venv"

#: The Python versions the suite runs on in CI: the oldest that ``requires-python``
#: admits and the newest one installed on the CI machines. pyproject.toml's classifiers and
#: ``requires-python``, and ``.python-version`` (which lets pyenv's shims find
#: both), name the same versions; tests/test_packaging.py checks it.
PYTHONS = ["3.11", "3.13"]

SOURCES = ["src", "tests", "fuzz", "examples", "benchmarks", "noxfile.py", "docs/conf.py",
           "docs/_inventories.py"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The test suite on each supported Python: the README's test command (what CI runs)."""
    session.install("-e", ".[test]")
    # CI starts one PostgreSQL server for every session (.ci/run); without it the tests start their own.
    dsn = os.environ.get("UPFLOW_TEST_POSTGRES_DSN")
    session.run("python", "-m", "pytest", "-n", "auto", *session.posargs,
                env={"UPFLOW_TEST_POSTGRES_DSN": dsn} if dsn else {})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: style and common bugs."""
    session.install("ruff")
    session.run("ruff", "check", *SOURCES)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the library."""
    session.install("-e", ".[postgres]", "mypy")
    session.run("mypy", "--strict", "src")


@nox.session
def docs(session: nox.Session) -> None:
    """The user guide, warnings as errors."""
    session.install("-e", ".[docs]")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session
def fuzz(session: nox.Session) -> None:
    """The long fuzzing run (``nox -s fuzz -- --minutes 30 --target both``); see docs/security.md."""
    session.install("-e", ".[test]", "atheris")
    session.run("python", "fuzz/run.py", *session.posargs)


@nox.session
def difffuzz(session: nox.Session) -> None:
    """The differential fuzzer, guard against calamine (``nox -s difffuzz -- --minutes 30 --corpus DIR``)."""
    session.install("-e", ".[test]")
    session.run("python", "fuzz/differential.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Side-by-side performance measurements; writes docs/performance.md."""
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/run.py", *session.posargs)
    session.run("python", "benchmarks/async_loop.py")
    session.run("python", "benchmarks/postgres.py")
