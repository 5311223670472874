from __future__ import annotations

import pytest

import upflow_import as ui
from upflow_import.issues import CATALOGUE, LANGS


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_has_a_message_and_a_fix_in_both_languages(code: str) -> None:
    info = CATALOGUE[code]
    assert info.message.en.strip() and info.message.fr.strip()
    assert info.message.en != info.message.fr
    assert info.fix is not None and info.fix.en and info.fix.fr
    issue = ui.Issue.from_code(code, row=2, column="Col", field="client.name", value="x")
    for lang in LANGS:
        message = issue.message_in(lang)
        # Every placeholder the catalogue uses is filled for a realistic issue,
        # or left visible rather than raising.
        assert message
        assert issue.hint_in(lang)


def test_field_label_follows_the_language() -> None:
    issue = ui.Issue.from_code("value.required", row=3, field="client.name")
    assert issue.message == "Customer name is required."
    assert issue.message_in("fr") == "Le champ « Nom du client » est obligatoire."
    assert issue.severity is ui.Severity.ERROR


def test_codes_do_not_change_with_language() -> None:
    issue = ui.Issue.from_code("value.unknown_country", row=4, value="Frence")
    assert issue.to_dict("fr")["code"] == issue.to_dict("en")["code"] == "value.unknown_country"
    assert issue.severity is ui.Severity.WARNING
    assert "Frence" in issue.message_in("fr")


def test_exception_carries_its_code() -> None:
    error = ui.UnreadableFileError.from_code("file.empty")
    assert isinstance(error, ui.UpflowImportError)
    assert error.code == "file.empty"
    assert str(error) == "The file is empty."
