"""The "Error codes" documentation page, rendered from the issue catalogue.

The page cannot drift from the code: every code of
:data:`~upflow_import.issues.CATALOGUE` appears with its severity, its
message and fix in English and French, and an example of what causes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from upflow_import.issues import CATALOGUE, CodeInfo, Severity, Text

__all__ = ["error_codes_markdown"]

_SEVERITY = {
    Severity.ERROR: "error / erreur",
    Severity.WARNING: "warning / avertissement",
}

# Message placeholders ("{value!r}", "{field_label}") shown as a name in italics.
_PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?(?::[^}]*)?\}")
_PLACEHOLDER_NAMES = {"field_label": "field"}


# A word agreeing with a count ("{count:|row|rows}") shown as both forms.
_PLURAL = re.compile(r"\{\w+:\|([^|}]*)\|([^}]*)\}")


def _readable(template: str) -> str:
    text = _PLURAL.sub(lambda m: f"{m.group(1)}/{m.group(2)}", template)
    text = _PLACEHOLDER.sub(lambda m: f"*{_PLACEHOLDER_NAMES.get(m.group(1), m.group(1))}*", text)
    return text.replace("|", "\\|").replace("\n", " ")


def _row(label: str, text: Text | None) -> str:
    if text is None:
        return f"| {label} | | |"
    return f"| {label} | {_readable(text.en)} | {_readable(text.fr)} |"


def _family(code: str) -> str:
    return code.split(".", 1)[0]


def _section(info: CodeInfo) -> list[str]:
    lines = [f"### `{info.code}`", "", f"Severity / sévérité: **{_SEVERITY[info.severity]}**", ""]
    if info.example:
        lines += [f"Example / exemple: {_readable(info.example)}", ""]
    lines += [
        "| | English | Français |",
        "|---|---|---|",
        _row("Meaning / signification", info.message),
        _row("How to fix / correction", info.fix),
        "",
    ]
    return lines


def error_codes_markdown(entries: Iterable[CodeInfo] | None = None) -> str:
    """The Markdown of the "Error codes" page: an index, then one section per code.

    Codes are grouped by family (``file``, ``csv``, ``value``…) in catalogue
    order. In messages, placeholders filled at run time appear in italics
    (*value*, *field*). Headings start at level 2 so that the page can be
    included under its own title.
    """
    infos = list(CATALOGUE.values() if entries is None else entries)
    lines = ["## Index", "", "| Code | Severity / sévérité | Meaning |", "|---|---|---|"]
    lines += [f"| [`{i.code}`](#{_anchor(i.code)}) | {i.severity.value} | {_readable(i.message.en)} |"
              for i in infos]
    lines.append("")
    family = None
    for info in infos:
        if _family(info.code) != family:
            family = _family(info.code)
            lines += [f"## `{family}.*`", ""]
        lines += _section(info)
    return "\n".join(lines).rstrip() + "\n"


def _anchor(code: str) -> str:
    # The slug MyST and GitHub give a heading such as "`value.invalid_email`".
    return re.sub(r"[^a-z0-9_\- ]", "", code.lower()).replace(" ", "-")
