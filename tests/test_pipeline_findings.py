"""Regression tests for what the long fuzzing runs found in the whole pipeline (``import_file``
dry run), each on a file written here with the csv module in the shape of the finding."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import json, sys
import upflow_import as ui
report = ui.import_file(sys.argv[1], ui.InMemoryRepository(), dry_run=True)
codes = {}
for issue in report.issues:
    codes[issue.code] = codes.get(issue.code, 0) + 1
print(json.dumps({"rows": report.summary.rows, "codes": codes}))
"""


def test_one_client_on_tens_of_thousands_of_wrong_rows_is_planned_in_linear_time(tmp_path: Path) -> None:
    # Found by the long fuzzing run: a 2 MiB CSV repeating a row 41,000 times (one client by id,
    # its parent by name, a contact whose email and phone are wrong) took more than a minute to
    # plan, because each wrong row copied the set of the wrong rows of the client and of its
    # parent. Planned in linear time, 80,000 such rows take a few seconds; quadratic, well over
    # a minute: the bound below tells them apart even on a busy machine.
    rows = 80_000
    path = tmp_path / "repeated.csv"
    with path.open("w", newline="", encoding="cp1252") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(["Identifiant client", "Nom du client", "Email du contact", "Prénom du contact",
                         "Téléphone du contact", "Nom du groupe"])
        writer.writerows(["C001", "", "2A004", "Jean", "1", "Payeur"] for _ in range(rows))
    process = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True,
                             timeout=45, check=False)
    assert process.returncode == 0, process.stderr[-2000:]
    outcome = json.loads(process.stdout)
    # Every row accounted for with its own issues (the unknown client id without a name, the
    # email, the phone), and the parent no row or stored client names once.
    assert outcome == {"rows": rows, "codes": {
        "value.invalid_email": rows, "value.invalid_phone": rows, "client.not_found": rows,
        "group.parent_not_found": 1}}
