"""Side-by-side timing of ``read_table`` against the bare readers it wraps.

Run: ``python benchmarks/readers_bench.py [ROWS]`` (default 100,000 rows x 19
columns). It writes a CSV (UTF-8, ``;``) and an XLSX of the same data in a
temporary folder, then times, best of three runs each:

- ``csv.reader`` merely iterating the CSV, and ``read_table`` iterating its rows, both from
  the file, then both from memory (``csv.reader`` on the decoded text, ``read_table`` on the
  bytes, so it still decodes, sniffs and detects);
- python-calamine loading the XLSX's first sheet (``to_python()``), and
  ``read_table`` on the XLSX (which includes the safety scan of the sheet).

Each pair runs alternately five times and the best CPU time of each is kept,
so that a busy machine penalises neither side.
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

from upflow_import import read_table

HEADERS = ["Identifiant Client", "Nom du client", "Code comptable du client", "Numéro de TVA", "Adresse",
           "Code postal", "Ville", "Etat / Région", "Pays", "Email du Responsable de Compte",
           "Nom du plan de relance", "Délai de paiement par défaut", "Nom du groupe",
           "Identifiant du groupe", "Email du contact", "Prénom du contact", "Nom du contact",
           "Téléphone du contact", "Poste du contact"]


def rows(count: int) -> list[list[object]]:
    return [[f"C{i:06d}", f"Société {i} SARL", f"411{i:05d}", f"FR{i:011d}", f"{i % 200} rue de la Paix",
             75001 + i % 20, "Paris", "Île-de-France", "France", "am@example.com", "Plan standard", 30,
             "" if i % 7 else "Groupe Alpha", "" if i % 7 else "G001", f"contact{i}@example.com", "Jean",
             "Dupont", f"+33 1 23 45 {i % 100:02d} {i % 97:02d}", "Comptable"] for i in range(count)]


def side_by_side(bare: Callable[[], object], ours: Callable[[], object],
                 runs: int = 5) -> tuple[float, float]:
    """Best CPU time of each, the two run alternately. CPU time of this process, not wall
    time, so that other work on a shared machine does not count."""
    bare_times, our_times = [], []
    for _ in range(runs):
        for run, times in ((bare, bare_times), (ours, our_times)):
            start = time.process_time()
            run()
            times.append(time.process_time() - start)
    return min(bare_times), min(our_times)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = rows(count)
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "clients.csv"
        with csv_path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file, delimiter=";")
            writer.writerow(HEADERS)
            writer.writerows(data)
        xlsx_path = Path(folder) / "clients.xlsx"
        workbook = xlsxwriter.Workbook(str(xlsx_path))
        sheet = workbook.add_worksheet("Clients")
        sheet.write_row(0, 0, HEADERS)
        for index, values in enumerate(data, start=1):
            sheet.write_row(index, 0, values)
        workbook.close()

        def bare_csv() -> None:
            with csv_path.open(newline="", encoding="utf-8") as file:
                for _ in csv.reader(file, delimiter=";"):
                    pass

        def table_csv() -> None:
            for _ in read_table(csv_path).rows:
                pass

        text = csv_path.read_text(encoding="utf-8")
        raw = csv_path.read_bytes()

        def bare_csv_text() -> None:
            for _ in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
                pass

        def table_csv_bytes() -> None:
            for _ in read_table(raw).rows:
                pass

        def bare_xlsx() -> None:
            CalamineWorkbook.from_path(str(xlsx_path)).get_sheet_by_index(0).to_python()

        def table_xlsx() -> None:
            for _ in read_table(xlsx_path).rows:
                pass

        print(f"{count:,} rows x {len(HEADERS)} columns; CSV {csv_path.stat().st_size / 1e6:.1f} MB, "
              f"XLSX {xlsx_path.stat().st_size / 1e6:.1f} MB")
        for label, bare, ours in (("CSV file  ", bare_csv, table_csv),
                                  ("CSV memory", bare_csv_text, table_csv_bytes),
                                  ("XLSX file ", bare_xlsx, table_xlsx)):
            bare_time, our_time = side_by_side(bare, ours)
            print(f"{label}: bare {bare_time:.3f} s, read_table {our_time:.3f} s, "
                  f"ratio {our_time / bare_time:.2f}")


if __name__ == "__main__":
    main()
