"""Renders the "Exports known to map" section of the "Column mapping" page.

The section is measured, not written: each header set of the project's table
of real exports (``tests/data/tool_exports.json``) is mapped with
:func:`~upflow_import.auto_map` and its columns counted, so the page states
the share mapped right of the library as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from upflow_import.lang import Lang
from upflow_import.mapping import auto_map
from upflow_import.table import Table

__all__ = ["known_exports_markdown"]


_EXPORTS_WORDS: Mapping[Lang, Mapping[str, Any]] = {
    "en": {"title": "## Exports known to map", "tool": "Tool", "edition": "Export", "lang": "Language",
           "columns": "Columns", "right": "Mapped right", "source": "Source",
           "lead": ("The automatic mapping is measured on the customer and contact exports (or import "
                    "templates) of these tools, as their documentation lists them: {right} of {total} "
                    "columns ({share}) get the field a person would choose, or stay unmapped when no field "
                    "fits. Exports marked \\* were rebuilt from a documented list of fields rather than "
                    "copied from a downloaded file."),
           "langs": {"en": "English", "fr": "French"}},
    "fr": {"title": "## Exports reconnus", "tool": "Logiciel", "edition": "Export", "lang": "Langue",
           "columns": "Colonnes", "right": "Bien associées", "source": "Source",
           "lead": ("L'association automatique est mesurée sur les exports de clients et de contacts (ou les "
                    "modèles d'import) de ces logiciels, tels que leur documentation les décrit : {right} "
                    "colonnes sur {total} ({share}) reçoivent le champ qu'une personne choisirait, ou ne "
                    "sont pas importées quand aucun champ ne convient. Les exports marqués \\* ont été "
                    "reconstitués à partir d'une liste de champs documentée plutôt que copiés d'un fichier "
                    "téléchargé."),
           "langs": {"en": "anglais", "fr": "français"}},
}


def _percent(share: float, lang: Lang) -> str:
    text = f"{share * 100:.1f}"
    return f"{text} %" if lang == "fr" else f"{text}%"


def known_exports_markdown(header_sets: Sequence[Mapping[str, Any]], lang: Lang = "en") -> str:
    """The "Exports known to map" section (Markdown), measured on ``header_sets``.

    Each set is ``{"tool", "edition", "language", "source": {"title", "url"},
    "note", "columns": [[header, field key or None, [sample values…]], …]}``,
    as in the project's table of real exports (``tests/data/tool_exports.json``).
    Every set is mapped with :func:`~upflow_import.auto_map`; a column counts
    as right when it gets the expected field, or stays unmapped when none is
    expected. A note starting with "Reconstructed" marks the set with ``*``.
    """
    words = _EXPORTS_WORDS[lang]
    rows = []
    right_total = columns_total = 0
    for header_set in header_sets:
        columns = header_set["columns"]
        samples = max((len(column[2]) for column in columns), default=0)
        table = Table.from_rows([column[0] for column in columns],
                                [[column[2][i] if i < len(column[2]) else None for column in columns]
                                 for i in range(samples)])
        mapping = auto_map(table)
        right = sum(1 for match, column in zip(mapping.matches, columns, strict=True)
                    if (None if match.field is None else match.field.value) == column[1])
        right_total += right
        columns_total += len(columns)
        rebuilt = " \\*" if str(header_set.get("note", "")).startswith("Reconstructed") else ""
        source = header_set["source"]
        language = words["langs"].get(header_set["language"], header_set["language"])
        rows.append(f"| {header_set['tool']} | {header_set['edition']}{rebuilt} | {language} | "
                    f"{len(columns)} | {right} | [{source['title']}]({source['url']}) |")
    share = right_total / columns_total if columns_total else 0.0
    lead = words["lead"].format(right=right_total, total=columns_total, share=_percent(share, lang))
    header = (f"| {words['tool']} | {words['edition']} | {words['lang']} | {words['columns']} | "
              f"{words['right']} | {words['source']} |")
    return "\n".join([words["title"], "", lead, "", header, "|---|---|---|---|---|---|", *rows]) + "\n"
