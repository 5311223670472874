"""The library logs its stages at DEBUG to the ``upflow_import`` logger, and prints nothing by itself."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import upflow_import as ui

CSV = b"Nom du client;Email du contact\nAcme;anne@acme.fr\nGlobex;bob@globex.fr\n"


def test_the_package_logger_has_only_a_null_handler() -> None:
    logger = logging.getLogger("upflow_import")
    assert [type(handler) for handler in logger.handlers] == [logging.NullHandler]
    assert logger.level == logging.NOTSET  # the application decides the level


def test_an_import_logs_each_stage_its_duration_and_the_repository_calls(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="upflow_import"):
        ui.import_file(CSV, ui.InMemoryRepository())
    messages = [record.getMessage() for record in caplog.records]
    assert all(record.name.startswith("upflow_import") for record in caplog.records)
    assert all(record.levelno == logging.DEBUG for record in caplog.records)
    done = [m.split(":")[0] for m in messages if ": done in " in m]
    assert done == ["read", "map", "parse", "plan", "apply"]
    assert "parse: 2 rows" in messages
    assert "plan: 2 rows, 4 operations; repository calls: 2 (find_clients_by_names: 1, " \
           "find_contacts_by_emails: 1)" in messages
    assert "apply: 4 operations, 4 written; repository calls: 4 (create_client: 2, create_contact: 2)" \
        in messages


def test_a_dry_run_logs_no_write(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="upflow_import"):
        ui.import_file(CSV, ui.InMemoryRepository(), dry_run=True)
    assert not any(record.getMessage().startswith("apply") for record in caplog.records)


def test_nothing_is_printed_unless_the_application_configures_logging() -> None:
    code = (f"import logging, upflow_import as ui\n"
            f"ui.import_file({CSV!r}, ui.InMemoryRepository())\n"
            f"logging.basicConfig()\n"  # the application's usual setup: WARNING and above
            f"ui.import_file({CSV!r}, ui.InMemoryRepository())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_a_progress_callback_with_a_stage_method_is_told_each_stage_before_its_counts() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.events: list[str] = []

        def stage(self, name: str) -> None:
            self.events.append(name)

        def __call__(self, done: int, total: int) -> None:
            if self.events[-1] != "count":
                self.events.append("count")

    recorder = Recorder()
    ui.import_file(CSV, ui.InMemoryRepository(), progress=recorder)
    assert recorder.events == ["read", "map", "parse", "plan", "count", "apply", "count"]
    dry = Recorder()
    ui.import_file(CSV, ui.InMemoryRepository(), progress=dry, dry_run=True)
    assert dry.events == ["read", "map", "parse", "plan", "count"]
