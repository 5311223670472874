"""Real exports of accounting and CRM tools map column by column.

tests/data/tool_exports.json holds the header sets of customer and contact
exports (or import templates) of Xero, QuickBooks, Salesforce, HubSpot, Odoo,
Dolibarr, Sage 100 and French invoicing tools, as their documentation lists
them, with the field each column should feed, or ``null`` for a column that
must stay unmapped. These tests measure the share mapped right, print it, and
hold the line: at least 97 % right, and no column that should stay unmapped
ever fed into a field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import upflow_import as ui
from header_spellings import UNRELATED
from upflow_import._docs_exports import known_exports_markdown
from upflow_import.fields import Field
from upflow_import.mapping import ColumnMapping, auto_map, normalize_header

DATA = Path(__file__).resolve().parent / "data" / "tool_exports.json"
SETS: list[dict[str, Any]] = json.loads(DATA.read_text(encoding="utf-8"))["sets"]
TARGET = 0.97


def set_id(header_set: dict[str, Any]) -> str:
    return f"{header_set['tool']} {header_set['edition']} ({header_set['language']})"


def table_of(header_set: dict[str, Any], headers: Sequence[str] | None = None) -> ui.Table:
    columns = header_set["columns"]
    rows = [[column[2][i] for column in columns] for i in range(len(columns[0][2]))]
    return ui.Table.from_rows(headers or [column[0] for column in columns], rows)


def expected(header_set: dict[str, Any]) -> list[str | None]:
    return [column[1] for column in header_set["columns"]]


def mapped(mapping: ColumnMapping) -> list[str | None]:
    return [None if match.field is None else match.field.value for match in mapping.matches]


def test_the_table_covers_ten_tools_in_french_and_english_with_known_fields() -> None:
    assert len({header_set["tool"] for header_set in SETS}) >= 10
    assert {header_set["language"] for header_set in SETS} == {"en", "fr"}
    keys = {field.value for field in Field}
    for header_set in SETS:
        assert header_set["source"]["url"].startswith("https://"), set_id(header_set)
        headers = [column[0] for column in header_set["columns"]]
        assert len(set(headers)) == len(headers), set_id(header_set)
        for header, key, values in header_set["columns"]:
            assert key is None or key in keys, (set_id(header_set), header, key)
            assert len(values) == len(header_set["columns"][0][2]), (set_id(header_set), header)


def test_the_share_of_columns_mapped_right_is_at_least_97_percent(capsys: pytest.CaptureFixture[str]) -> None:
    right = total = 0
    wrong_unmapped: list[str] = []
    misses: list[str] = []
    for header_set in SETS:
        got = mapped(auto_map(table_of(header_set)))
        for (header, want, _), have in zip(header_set["columns"], got, strict=True):
            total += 1
            if have == want:
                right += 1
                continue
            misses.append(f"{set_id(header_set)}: {header!r} -> {have} (expected {want})")
            if want is None:
                wrong_unmapped.append(misses[-1])
    with capsys.disabled():
        print(f"\nTool exports: {right}/{total} columns mapped right ({right / total:.1%}), "
              f"{len(wrong_unmapped)} wrongly mapped columns that should stay unmapped")
    assert wrong_unmapped == []
    assert right / total >= TARGET, "\n".join(misses)


@pytest.mark.parametrize("header_set", SETS, ids=[set_id(s) for s in SETS])
def test_no_export_maps_a_column_that_must_stay_unmapped(header_set: dict[str, Any]) -> None:
    got = mapped(auto_map(table_of(header_set)))
    leaked = [(column[0], have) for column, have in zip(header_set["columns"], got, strict=True)
              if column[1] is None and have is not None]
    assert leaked == []


# --- properties -------------------------------------------------------------------

def _words(header: str) -> list[str]:
    return normalize_header(header).split()


STYLES: dict[str, Callable[[list[str]], str]] = {
    "snake": "_".join,
    "kebab": "-".join,
    "dotted": ".".join,
    "upper": lambda words: " ".join(words).upper(),
    "title": lambda words: " ".join(word.capitalize() for word in words),
    "camel": lambda words: words[0] + "".join(word.capitalize() for word in words[1:]),
    "pascal": lambda words: "".join(word.capitalize() for word in words),
}
# Brackets and slashes carry meaning ("(days)", "Country/Region") that a
# restyled header loses; those headers keep their spelling.
_KEEP = re.compile(r"[/()\[\]]")


def restyle(header: str, style: str) -> str:
    words = _words(header)
    return header if not words or _KEEP.search(header) else STYLES[style](words)


# Mapping a whole export takes tens of milliseconds: no per-example deadline.
@settings(deadline=None)
@given(st.sampled_from(SETS), st.sampled_from(sorted(STYLES)))
def test_restyling_every_header_of_an_export_does_not_change_its_mapping(
        header_set: dict[str, Any], style: str) -> None:
    headers = [restyle(column[0], style) for column in header_set["columns"]]
    if len(set(headers)) < len(headers):
        return  # two headers became one (never with the styles above, but not the point here)
    assert mapped(auto_map(table_of(header_set, headers))) == mapped(auto_map(table_of(header_set)))


@settings(deadline=None)
@given(st.sampled_from(SETS), st.sampled_from(UNRELATED), st.sampled_from(["", "n/a", "12", "Oui"]))
def test_adding_an_unrelated_column_does_not_change_the_others(
        header_set: dict[str, Any], extra: str, value: str) -> None:
    headers = [column[0] for column in header_set["columns"]]
    if extra in headers:
        return
    before = auto_map(table_of(header_set))
    wider = table_of(header_set)
    rows = [[*row.values, value] for row in wider.rows]
    after = auto_map(ui.Table.from_rows([*headers, extra], rows))
    assert mapped(after)[:-1] == mapped(before)
    assert after.field_for(extra) is None


# --- documentation ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_docs_list_every_tool_of_the_table_and_the_share_mapped_right(lang: ui.issues.Lang) -> None:
    page = known_exports_markdown(SETS, lang)
    assert page.startswith("## Exports known to map" if lang == "en" else "## Exports reconnus")
    for header_set in SETS:
        assert f"| {header_set['tool']} | {header_set['edition']}" in page
        assert header_set["source"]["url"] in page
    total = sum(len(header_set["columns"]) for header_set in SETS)
    assert (f"of {total} columns (" if lang == "en" else f"colonnes sur {total} (") in page


def test_the_docs_count_a_column_wrong_when_its_field_is_not_the_expected_one() -> None:
    [xero] = [s for s in SETS if s["tool"] == "Xero"]
    columns = [list(column) for column in xero["columns"]]
    columns[0][1] = "contact.last_name"  # *ContactName is the company here
    page = known_exports_markdown([{**xero, "columns": columns}], "fr")
    assert f"{len(columns) - 1} colonnes sur {len(columns)} (" in page
    assert f"| {len(columns)} | {len(columns) - 1} |" in page
