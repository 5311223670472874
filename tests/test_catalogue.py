"""The issue catalogue is complete in both languages, used consistently, and documented.

tests/test_issues.py checks that every code has a message and a fix in English
and French; this file checks what that does not: placeholders agree between
the languages, every code the code base reports exists, and the generated
"Error codes" page shows all of it.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from upflow_import import Issue
from upflow_import._docs_codes import error_codes_markdown
from upflow_import.issues import CATALOGUE, HINTS, PHRASES, Severity, Text

SOURCE = Path(__file__).resolve().parents[1] / "src" / "upflow_import"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def texts() -> list[tuple[str, Text]]:
    found = []
    for code, info in CATALOGUE.items():
        found.append((f"{code} message", info.message))
        if info.fix is not None:
            found.append((f"{code} fix", info.fix))
    found += [(f"hint {name}", text) for name, text in HINTS.items()]
    found += [(f"phrase {name}", text) for name, text in PHRASES.items()]
    return found


#: Placeholders the French text leaves out on purpose: a reader's technical diagnosis, only
#: ever written in English, would be English inside French (it stays in the issue's params).
LEFT_OUT_IN_FRENCH = {"file.corrupt message": {"detail"}}


@pytest.mark.parametrize(("where", "text"), texts(), ids=[where for where, _ in texts()])
def test_both_languages_use_the_same_placeholders(where: str, text: Text) -> None:
    assert text.en.strip() and text.fr.strip(), where
    assert placeholders(text.en) - LEFT_OUT_IN_FRENCH.get(where, set()) == placeholders(text.fr), where


def test_a_corrupt_file_is_told_in_french_without_the_english_diagnosis() -> None:
    from upflow_import import Issue

    issue = Issue.from_code("file.corrupt", detail="the sheet's XML has a duplicate attribute")
    assert "duplicate attribute" in issue.message_in("en")
    assert issue.message_in("fr") == ("Ce fichier est endommagé, ou construit d'une façon qui ne peut "
                                      "pas être lue sans risque.")


def test_codes_follow_the_family_dot_name_pattern() -> None:
    for code, info in CATALOGUE.items():
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", code), code
        assert info.code == code
        assert isinstance(info.severity, Severity)


_REPORTED = re.compile(r"""(?:Issue\.from_code|\.from_code|Problem|_issue)\(\s*["']([a-z]+\.[a-z_]+)["']""")


def test_every_code_the_library_reports_is_in_the_catalogue() -> None:
    reported = {code for path in SOURCE.rglob("*.py")
                for code in _REPORTED.findall(path.read_text(encoding="utf-8"))}
    # The value layer's codes at least are found, so the scan itself works.
    assert {"value.invalid_email", "value.invalid_integer", "contact.email_required"} <= reported
    assert reported - set(CATALOGUE) == set()


def test_text_params_render_in_the_language_of_the_message() -> None:
    issue = Issue.from_code("value.invalid_choice", row=3, field="contact.position", value="Boss",
                            choices=PHRASES["positions"])
    assert issue.message_in("en") == (
        "'Boss' is not an accepted value for Contact position; accepted: ACCOUNTING, SALES, "
        "PURCHASER or PAYER (or the French Comptable, Commercial, Acheteur, Payeur).")
    assert issue.message_in("fr") == (
        "« Boss » n'est pas une valeur acceptée pour le champ « Poste du contact » ; valeurs acceptées : "
        "Comptable (ACCOUNTING), Commercial (SALES), Acheteur (PURCHASER) ou Payeur (PAYER).")


def test_the_error_codes_page_documents_every_code_in_both_languages() -> None:
    page = error_codes_markdown()
    for code, info in CATALOGUE.items():
        heading = f"### `{code}`"
        assert page.count(heading) == 1, code
        section = page.split(heading, 1)[1].split("\n### ", 1)[0]
        assert ("error / erreur" if info.severity is Severity.ERROR
                else "warning / avertissement") in section, code
        for text in (info.message, info.fix):
            assert text is not None
            for language in (text.en, text.fr):
                # Placeholders are shown as their name in italics; the words around them stay.
                for word in re.split(r"\{[^}]*\}", language):
                    assert word.strip().replace("|", "\\|") in section, (code, word)
        if info.example:
            assert info.example in section, code


def test_the_error_codes_page_renders_placeholders_readably() -> None:
    page = error_codes_markdown()
    assert "*value* is not a whole number." in page
    assert "{" + "value!r}" not in page
    assert page.startswith("## Index\n")
