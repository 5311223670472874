"""Human output of the command line, in English and French.

Everything here renders plain dicts: the report document of DESIGN §9
(``ImportReport.to_dict()``) and the store export. Working from the contract
shape rather than from internal types keeps the command line's output stable
while the library's internals evolve.

Every user-facing sentence of the command line lives in :data:`STRINGS`, so
both languages stay complete (a test checks it).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Literal, TextIO

from upflow_import.fields import field_label
from upflow_import.issues import FRENCH_THOUSANDS, Text, format_number, quote
from upflow_import.lang import Lang

#: How the summary words its counts: ``check`` and ``plan`` say what would
#: happen, ``apply`` what happened.
Mode = Literal["check", "plan", "apply"]

#: Every user-facing sentence of the command line, in both languages.
STRINGS: Mapping[str, Text] = {
    # mapping table
    "mapping.title": Text("Column mapping", "Association des colonnes"),
    "mapping.column": Text("Column", "Colonne"),
    "mapping.field": Text("Field", "Champ"),
    "mapping.confidence": Text("Confidence", "Confiance"),
    "mapping.not_imported": Text("not imported", "non importée"),
    # summary
    "summary.title": Text("Summary", "Résumé"),
    "summary.file": Text("File", "Fichier"),
    "summary.rows": Text("Rows", "Lignes"),
    "summary.rows_value": Text("read: {total} · with errors: {with_errors}",
                               "lues : {total} · en erreur : {with_errors}"),
    # Which rows with errors lost everything, and which only their contact.
    "summary.rows_detail": Text(
        " (not imported: {not_imported} · customer imported without its contact: {contact_only})",
        " (non importées : {not_imported} · client importé sans son contact : {contact_only})"),
    "summary.clients": Text("Clients", "Clients"),
    "summary.contacts": Text("Contacts", "Contacts"),
    "summary.issues": Text("Issues", "Problèmes"),
    "summary.issues_value": Text("errors: {errors} · warnings: {warnings}",
                                 "erreurs : {errors} · avertissements : {warnings}"),
    "summary.separator": Text("separator {delimiter}", "séparateur {delimiter}"),
    "summary.sheet": Text("sheet {sheet}", "feuille {sheet}"),
    "summary.tab": Text("tab", "tabulation"),
    "summary.file_rows": Text("{rows} {rows:|row|rows}", "{rows} {rows:|ligne|lignes}"),
    "summary.stdin": Text("standard input", "entrée standard"),
    "counts.would": Text("to create: {create} · to update: {update} · unchanged: {unchanged} · "
                         "dropped: {dropped}",
                         "à créer : {create} · à mettre à jour : {update} · inchangés : {unchanged} · "
                         "écartés : {dropped}"),
    "counts.did": Text("created: {create} · updated: {update} · unchanged: {unchanged} · dropped: {dropped}",
                       "créés : {create} · mis à jour : {update} · inchangés : {unchanged} · "
                       "écartés : {dropped}"),
    # issues
    "issues.title": Text("Issues by code", "Problèmes par code"),
    "issues.error": Text("error", "erreur"),
    "issues.warning": Text("warning", "avertissement"),
    "issues.rows": Text("{count:|row|rows} {rows}", "{count:|ligne|lignes} {rows}"),
    "issues.more_rows": Text("{rows} and {more} more", "{rows} et {more} autres"),
    "issues.more_examples": Text("… {more} more like this", "… {more} autres du même type"),
    "issues.file_level": Text("whole file", "fichier entier"),
    "issues.row": Text("row {row}", "ligne {row}"),
    # French typography puts a space before a colon.
    "issues.located": Text("{where}: {message}", "{where} : {message}"),
    "issues.none": Text("No issues.", "Aucun problème."),
    # outcome lines
    "outcome.check_ok": Text("The file can be imported.", "Le fichier peut être importé."),
    "outcome.check_errors": Text(
        "The file has errors: the rows concerned would not be imported.",
        "Le fichier comporte des erreurs : les lignes concernées ne seraient pas importées."),
    "outcome.check_errors_contacts": Text(
        "The file has errors: the customers of the rows concerned would be imported, but not their "
        "contacts.",
        "Le fichier comporte des erreurs : les clients des lignes concernées seraient importés, mais "
        "pas leurs contacts."),
    "outcome.check_errors_partly": Text(
        "The file has errors: {not_imported} {not_imported:|row|rows} would not be imported, and "
        "{contact_only} {contact_only:|row|rows} would import {contact_only:|its|their} customer but "
        "not {contact_only:|its|their} contact.",
        "Le fichier comporte des erreurs : {not_imported} {not_imported:|ligne|lignes} ne "
        "{not_imported:|serait|seraient} pas {not_imported:|importée|importées}, et {contact_only} "
        "{contact_only:|ligne|lignes} {contact_only:|importerait|importeraient} le client mais pas "
        "le contact."),
    "outcome.check_scope": Text(
        "check validates the file alone, as if the store were empty; run plan to compare it with "
        "the store.",
        "check valide le fichier seul, comme si la base était vide ; lancez plan pour le comparer "
        "à la base."),
    "outcome.plan": Text("Dry run: nothing was written to {db}.",
                         "Simulation : rien n'a été écrit dans {db}."),
    "outcome.plan_no_store": Text("{db} does not exist yet: planned against an empty store.",
                                  "{db} n'existe pas encore : plan calculé sur une base vide."),
    "outcome.unusable": Text(
        "The file cannot be imported as it is (see the whole-file errors above): nothing was imported.",
        "Le fichier ne peut pas être importé tel quel (voir les erreurs sur le fichier entier "
        "ci-dessus) : rien n'a été importé."),
    "outcome.applied": Text("Written to {db}.", "Écrit dans {db}."),
    "outcome.aborted": Text(
        "Nothing was written: the file has errors and --on-error abort was given.",
        "Rien n'a été écrit : le fichier comporte des erreurs et --on-error abort a été demandé."),
    "outcome.skipped": Text(
        "Rows with errors were not imported; fix them and import them again.",
        "Les lignes en erreur n'ont pas été importées ; corrigez-les puis importez-les à nouveau."),
    # Some rows with errors imported their customer and dropped only their contact.
    "outcome.skipped_partly": Text(
        "{not_imported} {not_imported:|row|rows} with errors {not_imported:|was|were} not imported, "
        "and {contact_only} {contact_only:|row|rows} imported {contact_only:|its|their} customer "
        "but not {contact_only:|its|their} contact; fix them and import them again.",
        "{not_imported} {not_imported:|ligne|lignes} en erreur {not_imported:|n'a|n'ont} pas été "
        "{not_imported:|importée|importées}, et {contact_only} {contact_only:|ligne|lignes} "
        "{contact_only:|a|ont} importé le client mais pas le contact ; corrigez-les puis "
        "importez-les à nouveau."),
    "outcome.skipped_contacts": Text(
        "The customers of the rows with errors were imported, but not their contacts; fix the rows "
        "and import them again.",
        "Les clients des lignes en erreur ont été importés, mais pas leurs contacts ; corrigez les "
        "lignes puis importez-les à nouveau."),
    "note.account_managers_unchecked": Text(
        "Account managers are not checked: the store has none registered "
        "(upflow-import account-managers add EMAIL…).",
        "Les responsables de compte ne sont pas vérifiés : la base n'en connaît aucun "
        "(upflow-import account-managers add EMAIL…)."),
    "note.dunning_plans_unchecked": Text(
        "Dunning plans are not checked: the store has none registered "
        "(upflow-import dunning-plans add NAME…).",
        "Les plans de relance ne sont pas vérifiés : la base n'en connaît aucun "
        "(upflow-import dunning-plans add NOM…)."),
    "note.failed_rows": Text(
        "Rows with errors written to {path} ({count}): fix them there and import that file again.",
        "Lignes en erreur écrites dans {path} ({count}) : corrigez-les dans ce fichier puis "
        "importez-le à nouveau."),
    "note.failed_rows_none": Text("No row has errors: {path} holds the header only.",
                                  "Aucune ligne en erreur : {path} ne contient que l'en-tête."),
    "template.written": Text(
        "Template written to {path}: {columns} columns and one example row to replace.",
        "Modèle écrit dans {path} : {columns} colonnes et une ligne d'exemple à remplacer."),
    # errors that stop the command
    "error.line": Text("Error{code}: {message}", "Erreur{code} : {message}"),
    "error.not_available": Text(
        "{feature} is not available yet in this version of upflow-import.",
        "{feature} n'est pas encore disponible dans cette version d'upflow-import."),
    "error.mapping_file": Text(
        "The mapping file {path} cannot be used: {detail}. It must be a JSON object "
        '{{"column": "field key or null"}}.',
        "Le fichier d'association {path} ne peut pas être utilisé : {detail}. Il doit contenir un "
        'objet JSON {{"colonne": "clé de champ ou null"}}.'),
    "error.mapping_shape": Text("it holds something else than column names and field keys",
                                "il contient autre chose que des noms de colonnes et des clés de champ"),
    "error.output": Text("Cannot write {path}: {detail}.", "Impossible d'écrire {path} : {detail}."),
    "error.no_folder": Text("its folder does not exist", "son dossier n'existe pas"),
    "error.failed_rows_overwrites": Text(
        "--failed-rows {path} names the file being imported or the store: it would be overwritten.",
        "--failed-rows {path} désigne le fichier importé ou la base : il serait écrasé."),
    "error.delimiter": Text(
        "The separator must be one character, or one of: semicolon, comma, pipe, tab (got {value!r}).",
        "Le séparateur doit être un caractère, ou l'un de : semicolon, comma, pipe, tab ({value!r} "
        "reçu)."),
    "error.header_row": Text(
        "The header row must be a row number, 1 for the first row (got {value!r}).",
        "La ligne d'en-tête doit être un numéro de ligne, 1 pour la première ({value!r} reçu)."),
    "error.store_busy": Text(
        "The store {db} stayed locked by another import for too long ({detail}).",
        "La base {db} est restée verrouillée trop longtemps par un autre import ({detail})."),
    "error.invalid_account_manager": Text("{value!r} is not a valid email address.",
                                          "{value!r} n'est pas une adresse email valide."),
    # progress: one label per stage of the import, and the unit its counts are in
    "progress.read": Text("Reading", "Lecture"),
    "progress.map": Text("Mapping columns", "Association des colonnes"),
    "progress.parse": Text("Checking values", "Vérification des valeurs"),
    "progress.plan": Text("Planning", "Préparation"),
    "progress.apply": Text("Writing", "Écriture"),
    "progress.rows": Text("rows", "lignes"),
    "progress.operations": Text("operations", "opérations"),
    # reference data
    "references.added": Text("added: {count} · already registered: {known}",
                             "ajoutés : {count} · déjà enregistrés : {known}"),
    "references.none_managers": Text(
        "No account manager registered: the account manager column is not checked.",
        "Aucun responsable de compte enregistré : la colonne n'est pas vérifiée."),
    "references.none_plans": Text(
        "No dunning plan registered: the dunning plan column is not checked.",
        "Aucun plan de relance enregistré : la colonne n'est pas vérifiée."),
    # export
    "export.count": Text("clients: {clients} · contacts: {contacts}",
                         "clients : {clients} · contacts : {contacts}"),
    "export.subsidiary": Text("subsidiary of {parent}", "filiale de {parent}"),
    "export.main": Text("main", "principal"),
    "export.empty": Text("The store is empty.", "La base est vide."),
}


def say(key: str, lang: Lang, **params: object) -> str:
    """The sentence ``key`` of :data:`STRINGS` in ``lang``, with its ``{placeholders}`` filled."""
    return STRINGS[key].render(lang, params)


# -- mapping ------------------------------------------------------------------

def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = [indent + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append(indent + "  ".join("─" * w for w in widths))
    lines += [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return lines


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _percent(fraction: float, lang: Lang) -> str:
    # French typography puts a (narrow no-break) space before the percent sign.
    text = f"{fraction:.0%}"
    return text.replace("%", FRENCH_THOUSANDS + "%") if lang == "fr" else text


def render_mapping(document: Mapping[str, object], lang: Lang) -> str:
    """The column → field table: each column, its field (key and label) and the confidence."""
    rows = []
    for entry in _list(document.get("mapping")):
        field = entry.get("field")
        confidence = entry.get("confidence")
        if field is None:
            target, shown = "— " + say("mapping.not_imported", lang), ""
        else:
            target = f"{field} ({field_label(str(field), lang)})"
            shown = _percent(float(confidence), lang) if isinstance(confidence, (int, float)) else ""
        rows.append((_clip(str(entry.get("column", ""))), target, shown))
    headers = (say("mapping.column", lang), say("mapping.field", lang), say("mapping.confidence", lang))
    return "\n".join([say("mapping.title", lang), *_table(headers, rows)])


# -- summary ------------------------------------------------------------------

def _list(value: object) -> list[dict[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _counts(value: object, mode: Mode, lang: Lang) -> str:
    counts = _dict(value)
    key = "counts.did" if mode == "apply" else "counts.would"
    return say(key, lang, **{k: counts.get(k, 0) for k in ("create", "update", "unchanged", "dropped")})


def _describe_file(file: Mapping[str, object], name: str | None, lang: Lang) -> str:
    parts = [str(file.get("format", "?")).upper()]
    if file.get("encoding"):
        parts.append(str(file["encoding"]))
    if file.get("delimiter"):
        delimiter = str(file["delimiter"])
        shown = say("summary.tab", lang) if delimiter == "\t" else quote(delimiter, lang)
        parts.append(say("summary.separator", lang, delimiter=shown))
    if file.get("sheet"):
        parts.append(say("summary.sheet", lang, sheet=quote(file["sheet"], lang)))
    if file.get("rows") is not None:
        parts.append(say("summary.file_rows", lang, rows=file["rows"]))
    described = ", ".join(parts)
    return f"{name} — {described}" if name else described


def _summary_lines(summary: Mapping[str, object], lang: Lang, mode: Mode) -> list[tuple[str, str]]:
    rows = _dict(summary.get("rows"))
    rows_value = say("summary.rows_value", lang, total=rows.get("total", 0),
                     with_errors=rows.get("with_errors", 0))
    contact_only = rows.get("contact_not_imported", 0)
    if contact_only:
        rows_value += say("summary.rows_detail", lang, not_imported=rows.get("not_imported", 0),
                          contact_only=contact_only)
    return [
        (say("summary.rows", lang), rows_value),
        (say("summary.clients", lang), _counts(summary.get("clients"), mode, lang)),
        (say("summary.contacts", lang), _counts(summary.get("contacts"), mode, lang)),
        (say("summary.issues", lang), say("summary.issues_value", lang, errors=summary.get("errors", 0),
                                           warnings=summary.get("warnings", 0))),
    ]


def _aligned(title: str, lines: Sequence[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in lines)
    return "\n".join([title, *(f"  {label.ljust(width)}  {value}" for label, value in lines)])


def render_summary_lines(summary: Mapping[str, object], lang: Lang, mode: Mode) -> str:
    """The counts of a summary section (``Summary.to_dict()``) as a few aligned lines."""
    return _aligned(say("summary.title", lang), _summary_lines(summary, lang, mode))


def skipped_outcome(summary: Mapping[str, object], lang: Lang, *, check: bool = False) -> str:
    """What became of the rows with errors when the others were imported (``check``: what
    would become of them)."""
    rows = _dict(summary.get("rows"))
    contact_only = rows.get("contact_not_imported", 0)
    prefix = "outcome.check_errors" if check else "outcome.skipped"
    if not contact_only:
        return say(prefix, lang)
    not_imported = rows.get("not_imported", 0)
    if not not_imported:
        return say(f"{prefix}_contacts", lang)
    return say(f"{prefix}_partly", lang, not_imported=not_imported, contact_only=contact_only)


def render_summary(document: Mapping[str, object], lang: Lang, mode: Mode, name: str | None = None) -> str:
    """The one-screen summary: the file, rows, clients and contacts by outcome, issue counts."""
    summary = _dict(document.get("summary"))
    lines = [
        (say("summary.file", lang), _describe_file(_dict(document.get("file")), name, lang)),
        *_summary_lines(summary, lang, mode),
    ]
    return _aligned(say("summary.title", lang), lines)


# -- issues -------------------------------------------------------------------

def _row_list(rows: Sequence[int], lang: Lang, first: int) -> str:
    shown = ", ".join(format_number(r, lang) for r in rows[:first])
    if len(rows) > first:
        shown = say("issues.more_rows", lang, rows=shown, more=len(rows) - first)
    return say("issues.rows", lang, rows=shown, count=len(rows))


def render_issues(
    document: Mapping[str, object],
    lang: Lang,
    *,
    rows_per_code: int = 10,
    examples_per_code: int = 3,
) -> str:
    """The issues grouped by code, errors first: each code with how many times it
    occurs, its first row numbers and how many more, and its first few messages."""
    groups: dict[str, list[dict[str, object]]] = {}
    for issue in _list(document.get("issues")):
        groups.setdefault(str(issue.get("code")), []).append(issue)
    if not groups:
        return say("issues.none", lang)
    ordered = sorted(groups.items(), key=lambda item: item[1][0].get("severity") != "error")
    lines = [say("issues.title", lang)]
    for code, issues in ordered:
        severity = "issues.error" if issues[0].get("severity") == "error" else "issues.warning"
        rows = sorted({int(r) for i in issues if isinstance(r := i.get("row"), int)})
        head = f"  {say(severity, lang)}  {code}  ×{format_number(len(issues), lang)}"
        if rows:
            head += f" — {_row_list(rows, lang, rows_per_code)}"
        lines.append(head)
        shown = issues[:examples_per_code]
        hints = [i.get("hint") for i in shown]
        shared_hint = hints[0] if len(set(hints)) == 1 else None
        for issue in shown:
            where = (say("issues.row", lang, row=issue["row"]) if isinstance(issue.get("row"), int)
                     else say("issues.file_level", lang))
            if issue.get("column"):
                where += f" · {issue['column']}"
            message = issue.get("message", "")
            lines.append("      " + say("issues.located", lang, where=where, message=message))
            if shared_hint is None and issue.get("hint"):
                lines.append(f"        → {issue['hint']}")
        if len(issues) > examples_per_code:
            lines.append("      " + say("issues.more_examples", lang, more=len(issues) - examples_per_code))
        if shared_hint:
            lines.append(f"      → {shared_hint}")
    return "\n".join(lines)


def render_report(
    document: Mapping[str, object],
    lang: Lang,
    mode: Mode,
    *,
    name: str | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The whole human output of ``check``, ``plan`` and ``apply``: mapping, summary, issues, notes."""
    parts = [render_mapping(document, lang), render_summary(document, lang, mode, name),
             render_issues(document, lang)]
    if notes:
        parts.append("\n".join(notes))
    return "\n\n".join(parts) + "\n"


def render_error(code: str | None, message: str, hint: str | None, lang: Lang) -> str:
    """One error that stopped the command: its issue code, its message and how to fix it."""
    text = say("error.line", lang, code=f" [{code}]" if code else "", message=message)
    return text + (f"\n  → {hint}" if hint else "")


# -- export -------------------------------------------------------------------

def render_export(export: Mapping[str, object], lang: Lang) -> str:
    """What the store holds, one client per line and its contacts indented below."""
    clients = _list(export.get("clients"))
    if not clients:
        return say("export.empty", lang) + "\n"
    contact_count = sum(len(_list(c.get("contacts"))) for c in clients)
    lines = [say("export.count", lang, clients=format_number(len(clients), lang),
                 contacts=format_number(contact_count, lang))]
    # A parent is named as the user knows it (its external id, else its name), never by the
    # store's own id.
    known_as = {client.get("id"): str(client.get("external_id") or client.get("name")) for client in clients}
    for client in clients:
        head = f"{client.get('name')}"
        if client.get("external_id"):
            head += f" [{client['external_id']}]"
        place = ", ".join(str(client[k]) for k in ("postal_code", "city", "country") if client.get(k))
        if place:
            head += f" — {place}"
        if client.get("parent_id") is not None:
            parent = known_as.get(client["parent_id"], "?")
            head += f" ({say('export.subsidiary', lang, parent=parent)})"
        lines.append(head)
        for contact in _list(client.get("contacts")):
            person = " ".join(str(contact[k]) for k in ("first_name", "last_name") if contact.get(k))
            line = f"    {contact.get('email')}"
            if person:
                line += f"  {person}"
            if contact.get("position"):
                line += f"  {contact['position']}"
            if contact.get("is_main"):
                line += f"  ({say('export.main', lang)})"
            lines.append(line)
    return "\n".join(lines) + "\n"


# -- progress -----------------------------------------------------------------

class ProgressBar:
    """A one-line progress bar redrawn in place on a terminal stream, one stage after another.

    :func:`~upflow_import.import_file` announces each stage (``stage(name)``):
    the bar then shows that stage's label, and its counts in that stage's
    unit, rows while planning and operations while writing. Redraws at most
    ten times a second, so that a callback per row costs nothing noticeable;
    :meth:`close` erases the line.
    """

    WIDTH = 30
    #: The unit of each stage's ``(done, total)`` counts; the other stages report none.
    UNITS: Mapping[str, str] = {"plan": "progress.rows", "apply": "progress.operations"}

    def __init__(self, stream: TextIO, lang: Lang, interval: float = 0.1) -> None:
        self._stream = stream
        self._lang = lang
        self._interval = interval
        self._last = 0.0
        self._drawn = False
        self._stage = "plan"

    def stage(self, name: str) -> None:
        """Start the stage ``name``: its label replaces the previous stage's line."""
        self._stage = name
        self._last = 0.0
        self._draw(say(f"progress.{name}", self._lang) + "…")

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < self._interval and done < total:
            return
        self._last = now
        fraction = min(done / total, 1.0) if total else 1.0
        filled = int(fraction * self.WIDTH)
        bar = "█" * filled + "░" * (self.WIDTH - filled)
        label = say(f"progress.{self._stage}", self._lang)
        unit = say(self.UNITS.get(self._stage, "progress.rows"), self._lang)
        self._draw(f"{label} {bar} {_percent(fraction, self._lang):>5}  "
                   f"{format_number(done, self._lang)}/{format_number(total, self._lang)} {unit}")

    def _draw(self, line: str) -> None:
        self._stream.write(f"\r\033[K{line}")
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the bar so that the report starts on a clean line."""
        if self._drawn:
            self._stream.write("\r\033[K")
            self._stream.flush()
