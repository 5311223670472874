"""The ``upflow-import`` command line, run as a person runs it: a subprocess on real files.

Each subprocess costs a few tenths of a second, so every test checks one
scenario end to end with several assertions. The many ways a command line
can be unusable (exit 2) run in-process through ``main()``, which is the
same code, after one subprocess proves the exit status and the absence of a
traceback.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
import xlsxwriter

from upflow_import.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "clients_with_errors.csv"

FR_HEADERS = ["Identifiant Client", "Nom du client", "Ville", "Email du Responsable de Compte",
              "Nom du plan de relance", "Nom du groupe", "Email du contact", "Prénom du contact",
              "Contact principal"]


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m upflow_import ARGS`` in ``cwd``, as a person would."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "upflow_import", *map(str, args)], cwd=cwd, check=False,
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
              encoding: str = "cp1252", delimiter: str = ";") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def clean_rows(prefix: str, count: int) -> list[list[str]]:
    """``count`` clients each with one main contact, ids ``{prefix}1``…"""
    return [[f"{prefix}{n}", f"Client {prefix}{n}", "Paris", "", "", "", f"{prefix.lower()}{n}@example.com",
             "Anne", "1"] for n in range(1, count + 1)]


def counts(db: Path) -> tuple[int, int]:
    connection = sqlite3.connect(db)
    try:
        clients = connection.execute("SELECT COUNT(*) FROM clients").fetchone()[0]
        contacts = connection.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
    finally:
        connection.close()
    return clients, contacts


def test_the_sample_file_imports_into_the_default_store_once(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "clients_fr.csv")
    first = run("apply", "clients_fr.csv", cwd=tmp_path)
    # The sample has one invalid contact email: reported, the rest imported.
    assert first.returncode == 1, first.stderr
    assert first.stderr == ""  # no progress bar when stderr is not a terminal
    out = first.stdout
    assert "Column mapping" in out and "client.name (Customer name)" in out
    assert "CSV, cp1252, separator ';', 8 rows" in out
    assert "created: 6" in out
    assert "value.invalid_email" in out and "'paul.etoile@'" in out
    assert "Written to upflow.db." in out
    assert "Account managers are not checked" in out and "Dunning plans are not checked" in out
    db = tmp_path / "upflow.db"
    assert counts(db) == (6, 6)

    exported = run("export", "--json", cwd=tmp_path)
    assert exported.returncode == 0
    clients = {c["external_id"]: c for c in json.loads(exported.stdout)["clients"]}
    assert clients["G101"]["parent_id"] == clients["G100"]["id"] == clients["G102"]["parent_id"]
    dupont = clients["C001"]
    assert dupont["postal_code"] == "75002" and dupont["payment_term_days"] == 30
    assert [(c["email"], c["is_main"]) for c in dupont["contacts"]] == [
        ("jean.dupont@boulangerie-dupont.fr", True), ("marie.dupont@boulangerie-dupont.fr", False)]
    # The contact with the invalid email is dropped, its client is not.
    assert [c["email"] for c in clients["C002"]["contacts"]] == ["commandes@librairie-etoile.fr"]

    again = run("apply", "clients_fr.csv", "--json", cwd=tmp_path)
    assert again.returncode == 1
    document = json.loads(again.stdout)
    assert document["operations"] == []
    assert document["summary"]["clients"]["create"] == document["summary"]["clients"]["update"] == 0
    assert counts(db) == (6, 6)

    listing = run("export", "--lang", "fr", cwd=tmp_path)
    assert "clients : 6 · contacts : 6" in listing.stdout
    # Clients and parents are named as the user knows them, never by the store's ids.
    assert "\nGroupe Hôtelier Lumière [G100]" in listing.stdout and "#" not in listing.stdout
    assert listing.stdout.count("(filiale de G100)") == 2


def test_check_validates_without_any_store_and_prints_one_json_document(tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "clients.csv", FR_HEADERS, [
        ["C1", "Acme", "Paris", "", "", "", "jean@", "Jean", "1"],
        ["C2", "Globex", "Lyon", "", "", "Acme", "marie@globex.fr", "Marie", "oui peut-être"],
    ])
    result = run("check", bad, "--json", "--lang", "fr", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == ""
    document = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert set(document) == {"file", "mapping", "summary", "issues", "operations"}
    assert document["file"] == {"format": "csv", "encoding": "cp1252", "delimiter": ";", "sheet": None,
                                "rows": 2}
    codes = {(i["code"], i["row"]) for i in document["issues"]}
    assert ("value.invalid_email", 2) in codes and ("value.invalid_flag", 3) in codes
    email = next(i for i in document["issues"] if i["code"] == "value.invalid_email")
    assert "n'est pas une adresse email valide" in email["message"]
    assert list(tmp_path.glob("*.db")) == []

    good = write_csv(tmp_path / "good.csv", FR_HEADERS, clean_rows("C", 3))
    human = run("check", good, cwd=tmp_path)
    assert human.returncode == 0
    assert "to create: 3" in human.stdout and "The file can be imported." in human.stdout
    assert "No issues." in human.stdout
    assert list(tmp_path.glob("*.db")) == []


def test_plan_never_writes_to_the_store(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    first = write_csv(tmp_path / "first.csv", FR_HEADERS, clean_rows("C", 3))
    missing = run("plan", first, "--db", db, cwd=tmp_path)
    assert missing.returncode == 0
    assert "does not exist yet" in missing.stdout and not db.exists()

    assert run("apply", first, "--db", db, cwd=tmp_path).returncode == 0
    before = db.read_bytes()
    changed = clean_rows("C", 5)
    changed[0][2] = "Marseille"
    second = write_csv(tmp_path / "second.csv", FR_HEADERS, changed)
    planned = run("plan", second, "--db", db, "--json", cwd=tmp_path)
    assert planned.returncode == 0
    summary = json.loads(planned.stdout)["summary"]
    assert summary["clients"] == {"create": 2, "update": 1, "unchanged": 2, "dropped": 0}
    assert db.read_bytes() == before
    assert counts(db) == (3, 3)
    assert not Path(f"{db}-wal").exists()


def test_on_error_abort_writes_nothing(tmp_path: Path) -> None:
    rows = clean_rows("C", 3)
    rows[1][6] = "not-an-email"
    path = write_csv(tmp_path / "clients.csv", FR_HEADERS, rows)
    aborted = run("apply", path, "--db", "store.db", "--on-error", "abort", cwd=tmp_path)
    assert aborted.returncode == 1
    assert "Nothing was written" in aborted.stdout
    assert counts(tmp_path / "store.db") == (0, 0)
    skipped = run("apply", path, "--db", "store.db", "--on-error", "skip", "--lang", "fr", cwd=tmp_path)
    assert skipped.returncode == 1
    # The bad cell is a contact's email: the client was imported, only its contact was not.
    assert ("Les clients des lignes en erreur ont été importés, mais pas leurs contacts"
            in skipped.stdout)
    assert counts(tmp_path / "store.db") == (3, 2)


def test_sheet_mapping_encoding_and_delimiter_options(tmp_path: Path) -> None:
    workbook_path = tmp_path / "clients.xlsx"
    workbook = xlsxwriter.Workbook(str(workbook_path))
    workbook.add_worksheet("Notes").write(0, 0, "Ignore me")
    sheet = workbook.add_worksheet("Clients")
    for col, header in enumerate(["Customer ID", "Raison sociale", "Contact email", "Chiffre d'affaires"]):
        sheet.write(0, col, header)
    sheet.write_row(1, 0, ["C1", "Acme", "jean@acme.fr", 1000])
    sheet.write_row(2, 0, ["C2", "Globex", "marie@globex.fr", 2000])
    workbook.close()
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Raison sociale": "client.name", "Chiffre d'affaires": None}),
                       encoding="utf-8")
    result = run("apply", workbook_path, "--sheet", "Clients", "--mapping", mapping, "--db", "store.db",
                 "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    document = json.loads(result.stdout)
    assert document["file"]["sheet"] == "Clients"
    fields = {m["column"]: m["field"] for m in document["mapping"]}
    assert fields["Raison sociale"] == "client.name" and fields["Chiffre d'affaires"] is None
    assert counts(tmp_path / "store.db") == (2, 2)

    # Latin-1 with a pipe separator, both given explicitly.
    piped = write_csv(tmp_path / "piped.csv", ["Nom du client", "Ville"], [["Café Noël", "Orléans"]],
                      encoding="latin-1", delimiter="|")
    explicit = run("check", piped, "--encoding", "latin-1", "--delimiter", "pipe", "--json", cwd=tmp_path)
    assert explicit.returncode == 0
    file = json.loads(explicit.stdout)["file"]
    assert codecs.lookup(file["encoding"]).name == "iso8859-1" and file["delimiter"] == "|"


def test_registered_references_are_checked_with_a_did_you_mean(tmp_path: Path) -> None:
    assert run("account-managers", "list", "--db", "store.db", cwd=tmp_path).stdout.startswith(
        "No account manager registered")
    added = run("account-managers", "add", "claire@exemple.fr", "Claire@exemple.fr", "tom@exemple.fr",
                "--db", "store.db", cwd=tmp_path)
    assert added.returncode == 0 and "added: 2 · already registered: 1" in added.stdout
    assert run("dunning-plans", "add", "Plan Standard", "--db", "store.db", cwd=tmp_path).returncode == 0
    plans = run("dunning-plans", "list", "--db", "store.db", "--json", cwd=tmp_path)
    assert json.loads(plans.stdout) == ["Plan Standard"]
    managers = run("account-managers", "list", "--db", "store.db", cwd=tmp_path)
    assert managers.stdout.splitlines() == ["claire@exemple.fr", "tom@exemple.fr"]

    path = write_csv(tmp_path / "clients.csv", FR_HEADERS, [
        ["C1", "Acme", "Paris", "claire@exemple.fr", "Plan Standard", "", "", "", ""],
        ["C2", "Globex", "Lyon", "tom@exemple.fr", "plan\u00a0standard", "", "", "", ""],
    ])
    result = run("apply", path, "--db", "store.db", cwd=tmp_path)
    assert result.returncode == 1
    assert "reference.unknown_dunning_plan" in result.stdout and "Plan Standard" in result.stdout
    assert "are not checked" not in result.stdout
    assert counts(tmp_path / "store.db") == (1, 0)


def test_two_imports_at_once_on_one_store_both_complete(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    first = write_csv(tmp_path / "a.csv", FR_HEADERS, clean_rows("A", 1500))
    second = write_csv(tmp_path / "b.csv", FR_HEADERS, clean_rows("B", 1500))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    processes = [
        subprocess.Popen([sys.executable, "-m", "upflow_import", "apply", str(path), "--db", str(db),
                          "--json"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for path in (first, second)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr.decode()
        assert json.loads(stdout)["summary"]["clients"]["create"] == 1500
    assert counts(db) == (3000, 3000)
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()


def test_a_terminal_gets_a_progress_bar_on_stderr(tmp_path: Path) -> None:
    pty = pytest.importorskip("pty")
    path = write_csv(tmp_path / "clients.csv", FR_HEADERS, clean_rows("C", 200))
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "upflow_import", "apply", str(path), "--db", "store.db"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=follower, env=env)
    stdout, _ = process.communicate(timeout=120)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once everything is read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    terminal = b"".join(chunks).decode("utf-8")
    assert process.returncode == 0
    # Each stage once, under its own label, counting in its own unit: 200 rows are
    # planned into 400 operations (a client and a contact each), written as such.
    labels = ["Reading…", "Mapping columns…", "Checking values…", "Planning…", "Writing…"]
    assert [terminal.count(label) for label in labels] == [1, 1, 1, 1, 1]
    assert [terminal.index(label) for label in labels] == sorted(terminal.index(label) for label in labels)
    assert "200/200 rows" in terminal and "400/400 operations" in terminal
    assert "/400 rows" not in terminal and "/200 operations" not in terminal
    assert "Writing" not in stdout.decode("utf-8")


def test_an_unusable_file_or_command_line_exits_2_without_a_traceback(tmp_path: Path) -> None:
    image = tmp_path / "logo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    result = run("apply", image, "--db", "store.db", "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "[file.unsupported_format]" in result.stderr
    assert json.loads(result.stdout)["error"]["code"] == "file.unsupported_format"
    assert counts(tmp_path / "store.db") == (0, 0)
    wrong = run("import", "clients.csv", cwd=tmp_path)
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr


def in_process(args: Sequence[str | Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_each_way_of_being_unusable_names_its_cause(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    good = write_csv(tmp_path / "good.csv", FR_HEADERS, clean_rows("C", 2))
    workbook = xlsxwriter.Workbook(str(tmp_path / "one.xlsx"))
    workbook.add_worksheet("Feuil1").write_row(0, 0, ["Nom du client"])
    workbook.close()
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"Nom du client": "client.nom"}', encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    listed = tmp_path / "listed.json"
    listed.write_text('["Nom du client", "client.name"]', encoding="utf-8")

    cases: list[tuple[list[str | Path], str]] = [
        (["check", tmp_path / "absent.csv"], "[file.not_found]"),
        (["check", tmp_path], "[file.not_regular]"),
        (["check", good, "--mapping", unknown], "[mapping.unknown_field]"),
        (["check", good, "--mapping", broken], "mapping file"),
        (["check", good, "--mapping", listed], "something else than column names"),
        (["check", good, "--delimiter", ";;"], "separator"),
        (["check", good, "--encoding", "no-such-codec"], "[file.encoding]"),
        (["check", tmp_path / "one.xlsx", "--sheet", "Clients"], "[file.sheet_not_found]"),
        (["apply", good, "--failed-rows", "failed.ods"], "[export.unsupported_format]"),
        (["apply", good, "--failed-rows", tmp_path / "nowhere" / "failed.csv"], "folder does not exist"),
        (["apply", good, "--failed-rows", "good.csv"], "names the file being imported or the store"),
        (["apply", good, "--db", "store.csv", "--failed-rows", tmp_path / "store.csv"],
         "would be overwritten"),
        (["plan", good, "--db", "store.csv", "--failed-rows", "store.csv"], "would be overwritten"),
        (["template", "template.ods"], "[export.unsupported_format]"),
        (["account-managers", "add", "not-an-email"], "not a valid email"),
        (["plan", good, "--db", good], "[store.unusable]"),
    ]
    for args, expected in cases:
        status, out, err = in_process(args, capsys)
        assert status == 2, (args, out, err)
        assert expected in err, (args, err)
        assert "format=" not in err  # the command line's hints name no Python argument
        assert out == ""
    assert good.read_bytes().startswith(b"Identifiant Client;")  # --failed-rows never overwrote it
    # A file whose errors concern it as a whole cannot be used either; its report says why.
    no_name = write_csv(tmp_path / "no_name.csv", ["Ville", "Pays"], [["Paris", "France"]])
    status, out, _ = in_process(["apply", no_name, "--db", "store.db"], capsys)
    assert status == 2
    assert "mapping.required_field_missing" in out and "nothing was imported" in out
    assert counts(tmp_path / "store.db") == (0, 0)
    status, _, err = in_process(["check", tmp_path / "absent.csv", "--lang", "fr"], capsys)
    assert status == 2 and "n'existe pas" in err
    assert not (tmp_path / "upflow.db").exists() and not (tmp_path / "failed.csv").exists()
    assert main(["apply", str(good), "--on-error", "later"]) == 2
    capsys.readouterr()
    assert main(["--help"]) == 0
    assert "check" in capsys.readouterr().out


def test_the_human_report_is_french_with_lang_fr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = clean_rows("C", 2)
    rows[0][6] = "jean@"
    path = write_csv(tmp_path / "clients.csv", FR_HEADERS, rows)
    status, out, _ = in_process(["plan", path, "--db", tmp_path / "store.db", "--lang", "fr"], capsys)
    assert status == 1
    for expected in ("Association des colonnes", "client.name (Nom du client)", "Résumé",
                     "à créer : 2", "Problèmes par code", "erreur  value.invalid_email  ×1 — ligne 2",
                     "ligne 2 · Email du contact : « jean@ » n'est pas une adresse email valide",
                     "plan calculé sur une base vide"):
        assert expected in out, expected
    assert "Traceback" not in out


# -- command-line conventions -------------------------------------------------------------------------


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"upflow-import {version('upflow-import')}\n"


def test_help_lists_the_formats_the_exit_statuses_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "formats: CSV, XLSX, XLS, XLSB, ODS" in text
    for status in ("0    no error", "1    the import reported errors", "2    the file, the store or"):
        assert status in text
    examples = text.split("examples:", 1)[1]
    assert examples.count("upflow-import ") >= 2
    assert main(["check", "--help"]) == 0
    assert "or - to read it from standard input" in " ".join(capsys.readouterr().out.split())


def test_a_file_on_standard_input_is_sniffed_from_its_bytes(tmp_path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(tmp_path / "clients.xlsx"))
    sheet = workbook.add_worksheet("Clients")
    sheet.write_row(0, 0, ["Nom du client", "Ville"])
    sheet.write_row(1, 0, ["Acme", "Lyon"])
    workbook.close()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "upflow_import", "apply", "-", "--db", "store.db"]
    with (tmp_path / "clients.xlsx").open("rb") as stdin:
        result = subprocess.run(command, cwd=tmp_path, stdin=stdin, capture_output=True, check=False,
                                env=env, timeout=120)
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr
    assert "standard input — XLSX, sheet 'Clients', 1 row\n" in out
    assert counts(tmp_path / "store.db") == (1, 0)
    csv_bytes = "Nom du client;Ville\nCafé Dupré;Nîmes\n".encode("cp1252")
    checked = subprocess.run([sys.executable, "-m", "upflow_import", "check", "-", "--json"], cwd=tmp_path,
                             input=csv_bytes, capture_output=True, check=False, env=env, timeout=120)
    document = json.loads(checked.stdout)
    assert checked.returncode == 0
    assert document["file"]["format"] == "csv" and document["file"]["encoding"] == "cp1252"
    assert document["operations"][0]["key"] == "Café Dupré"


def test_standard_input_is_read_within_the_size_limit(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from upflow_import import Limits

    class Stdin:
        """Standard input that answers any read with a small CSV and records the sizes asked."""

        def __init__(self) -> None:
            self.asked: list[int] = []
            self.buffer = self

        def read(self, size: int = -1) -> bytes:
            self.asked.append(size)
            return b"Nom du client\nAcme\n"

    stdin = Stdin()
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["check", "-"]) == 0
    assert stdin.asked == [Limits().max_bytes + 1]  # never read(-1): one byte past the limit at most
    assert "standard input — CSV" in capsys.readouterr().out


def test_a_missing_or_unreadable_file_has_its_code_in_the_json_error(tmp_path: Path) -> None:
    missing = run("check", "absent.csv", "--json", "--lang", "fr", cwd=tmp_path)
    assert missing.returncode == 2
    error = json.loads(missing.stdout)["error"]
    assert error["code"] == "file.not_found"
    assert error["message"] == "Le fichier absent.csv n'existe pas."
    assert error["hint"] and "Traceback" not in missing.stderr
    (tmp_path / "exports").mkdir()
    folder = run("check", "exports", "--json", cwd=tmp_path)
    assert folder.returncode == 2 and json.loads(folder.stdout)["error"]["code"] == "file.not_regular"


def test_a_failed_rows_file_that_cannot_be_written_after_apply_still_reports_the_import(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = clean_rows("C", 3)
    rows[0][6] = "jean@"
    path = write_csv(tmp_path / "clients.csv", FR_HEADERS, rows)
    (tmp_path / "rejected.csv").mkdir()  # passes the checks made before importing, fails the write
    status, out, err = in_process(["apply", path, "--db", "store.db", "--failed-rows", "rejected.csv"],
                                  capsys)
    assert status == 2
    assert counts(tmp_path / "store.db") == (3, 2)  # committed before the export failed
    assert "created: 3" in out and "Written to store.db." in out
    assert "Cannot write rejected.csv" in err
    status, out, err = in_process(["apply", path, "--db", "again.db", "--failed-rows", "rejected.csv",
                                   "--json"], capsys)
    document = json.loads(out)
    assert status == 2
    assert document["summary"]["clients"]["create"] == 3 and document["operations"]
    assert "Cannot write rejected.csv" in document["error"]["message"]
    assert counts(tmp_path / "again.db") == (3, 2)


def test_verbose_logs_the_stages_on_stderr_and_only_then(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", FR_HEADERS, clean_rows("C", 3))
    quiet = run("apply", path, "--db", "store.db", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""
    verbose = run("plan", path, "--db", "store.db", "-v", cwd=tmp_path)
    assert verbose.returncode == 0
    for stage in ("read", "map", "parse", "plan"):
        assert f"{stage}: done in" in verbose.stderr, stage
    # The store holds the three clients already: planned as unchanged, after two lookups.
    assert "plan: 3 rows, 0 operations; repository calls: 2 (find_clients_by_external_ids: 1, " \
           "find_contacts_by_emails: 1)" in verbose.stderr
    assert "apply:" not in verbose.stderr  # plan writes nothing
    assert "read: done in" not in verbose.stdout
