"""The report keeps no row objects: everything it says about rows is derived from the parsed file,
the plan and what the writes changed, and must equal the plain way of making every RowReport and
reading them (``reference_rows``), whatever the file, the failed writes and the language."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import upflow_import as ui
from planner_helpers import FailingRepository
from upflow_import.report import reference_row_dict, reference_rows
from upflow_import.testing.strategies import GeneratedFile, import_files

IMPORTED = (ui.Outcome.CREATE, ui.Outcome.UPDATE, ui.Outcome.UNCHANGED)


def reference_summary(report: ui.ImportReport, rows: tuple[ui.RowReport, ...]) -> dict[str, int]:
    """The row counts of the summary, counted on the rows made the plain way."""
    issues = [*report.file_issues, *(issue for row in rows for issue in row.issues)]
    failed = [row for row in rows if row.has_errors]
    contact_only = sum(1 for row in failed if row.client in IMPORTED)
    return {"rows": len(rows), "rows_with_errors": len(failed),
            "errors": sum(issue.is_error for issue in issues),
            "warnings": sum(not issue.is_error for issue in issues),
            "rows_not_imported": len(failed) - contact_only, "rows_contact_not_imported": contact_only}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=import_files(formats=("csv",)), dry_run=st.booleans(),
       failing=st.sets(st.integers(1, 12), max_size=3), lang=st.sampled_from(["en", "fr"]),
       other_lang=st.sampled_from(["en", "fr"]))
def test_everything_the_report_derives_equals_the_rows_made_the_plain_way(
        generated: GeneratedFile, dry_run: bool, failing: set[int], lang: ui.Lang,
        other_lang: ui.Lang) -> None:
    repository = FailingRepository()
    parsed = ui.parse(table := ui.read_table(generated.data), ui.auto_map(table))
    plan = ui.plan(parsed, repository)
    repository.fail_at = failing
    result = None if dry_run else ui.apply(plan, repository)
    report = ui.ImportReport.from_plan(parsed, plan, result, lang=lang)
    expected = reference_rows(parsed, plan, result, lang)

    assert tuple(report.rows) == expected
    assert len(report.rows) == len(expected)
    if expected:
        assert report.rows[0] == expected[0] and report.rows[-1] == expected[-1]
        assert report.rows[1:] == expected[1:]
    assert report.issues == report.file_issues + tuple(issue for row in expected for issue in row.issues)
    assert report.failed_rows == tuple(row for row in expected if row.has_errors)
    assert report.ok == (not any(issue.is_error for issue in report.issues))
    summary = report.summary
    counts = reference_summary(report, expected)
    assert {key: getattr(summary, key) for key in counts} == counts
    assert report.to_rows(other_lang) == [reference_row_dict(row, report.headers, other_lang)
                                          for row in expected]
    assert report.to_dict(other_lang)["issues"] == [issue.to_dict(other_lang) for issue in report.issues]
    assert report.to_json(other_lang) == json.dumps(report.to_dict(other_lang), ensure_ascii=False)
    assert [row.status for row in report.rows] == [row.status for row in expected]


def test_rows_are_a_sequence_made_on_demand() -> None:
    repository = ui.InMemoryRepository()
    report = ui.import_file(b"Nom du client;Email du contact\nAcme;a@acme.fr\nGlobex;bad@\n", repository)
    rows = report.rows
    assert len(rows) == 2 and [row.number for row in rows] == [2, 3]
    assert rows[-1] is not rows[-1] and rows[-1] == rows[1]  # made when read, equal each time
    assert rows == tuple(rows) and rows == list(rows)
    assert rows[5:] == ()
    try:
        rows[2]
    except IndexError:
        pass
    else:
        raise AssertionError("row 2 of 2 rows was found")
    assert [row.status for row in rows] == ["created", "failed"]
