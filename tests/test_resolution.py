"""Identity resolution: normalisation-based identity (hypothesis), lookups asked, did-you-mean."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

import upflow_import as ui
from planner_helpers import parsed_import, plan_rows, seed_client
from upflow_import.fields import Field
from upflow_import.identity import normalize_email, normalize_name
from upflow_import.planning.index import external_ids_to_find, index_rows, names_to_find
from upflow_import.planning.suggestions import suggest

WORDS = st.lists(st.text(string.ascii_letters + "éèàçÉ", min_size=1, max_size=8), min_size=1, max_size=4)
SPACES = st.sampled_from([" ", "  ", "\u00a0", "\u202f", "\t", " \u00a0 "])


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """One name written twice, with other case and other (non-breaking) spaces."""
    words = draw(WORDS)
    first = " ".join(words)
    cased = [word.upper() if draw(st.booleans()) else word.lower() for word in words]
    second = draw(SPACES) + "".join(word + draw(SPACES) for word in cased)
    return first, second


@settings(max_examples=60, deadline=None)
@given(spellings())
def test_rows_naming_a_client_with_other_case_or_spaces_are_one_client(names: tuple[str, str]) -> None:
    first, second = names
    plan = plan_rows([{"client.name": first, "client.city": "Paris"}, {"client.name": second}])
    assert [(op.op, op.rows) for op in plan.operations] == [("create_client", (2, 3))]


@settings(max_examples=60, deadline=None)
@given(spellings())
def test_a_name_finds_the_stored_client_whatever_its_spelling(names: tuple[str, str]) -> None:
    stored, written = names
    repository = ui.InMemoryRepository()
    client_id = seed_client(repository, "C1", stored)
    plan = plan_rows([{"client.name": written, "client.city": "Lyon"}], repository)
    [update] = plan.operations
    assert update.op == "update_client" and update.key == "C1"
    assert repository.client(client_id).name == stored  # a reference by name never renames


@settings(max_examples=60, deadline=None)
@given(st.emails(), st.sampled_from([str.upper, str.lower, str.title]), SPACES)
def test_one_email_in_any_case_is_one_contact(email: str, case: object, space: str) -> None:
    other = case(email) + space  # type: ignore[operator]
    plan = plan_rows(
        [
            {"client.name": "Acme", "contact.email": email},
            {"client.name": "Acme", "contact.email": other.strip()},
        ]
    )
    assert [op.op for op in plan.operations] == ["create_client", "create_contact"]
    assert normalize_email(other) == normalize_email(email)


@settings(max_examples=60, deadline=None)
@given(st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=6))
def test_external_ids_are_case_sensitive(external_id: str) -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, external_id, "Acme")
    other = external_id.swapcase()
    plan = plan_rows([{"client.external_id": other, "client.name": "Globex"}], repository)
    expected = "update_client" if other == external_id else "create_client"
    assert [op.op for op in plan.operations] == [expected]


def test_only_the_names_the_file_cannot_resolve_are_looked_up() -> None:
    parsed = parsed_import(
        [
            {"client.external_id": "C1", "client.name": "Acme"},
            {"client.name": "ACME"},  # resolved by the file: C1
            {"client.name": "Globex"},  # not in the file: the store is asked
            {"client.external_id": "C2", "client.name": "Initech", "group.name": "Umbrella"},
            {"client.external_id": "C3", "client.name": "Hooli", "group.external_id": "C9"},
        ]
    )
    index = index_rows(parsed)
    assert external_ids_to_find(index) == ["C1", "C2", "C3", "C9"]
    # C1..C3 are new here, so their names are asked too (to warn about a stored namesake).
    assert sorted(names_to_find(index, {})) == ["acme", "globex", "hooli", "initech", "umbrella"]
    stored = ui.StoredClient(1, {Field.CLIENT_EXTERNAL_ID: "C1", Field.CLIENT_NAME: "Acme"})
    assert "acme" not in names_to_find(index, {"C1": stored})


def test_suggestions_prefer_a_spacing_or_case_twin_then_a_close_spelling() -> None:
    plans = ["Plan\u00a0Standard", "Plan Grands Comptes"]
    assert suggest("plan standard", plans, normalize_name) == ("Plan\u00a0Standard", True)
    assert suggest("Plan grand compte", plans, normalize_name) == ("Plan Grands Comptes", False)
    assert suggest("Relance VIP", plans, normalize_name) is None
    assert suggest("jean.dupond@acme.fr", ["jean.dupont@acme.fr"], normalize_email) == (
        "jean.dupont@acme.fr",
        False,
    )


def test_a_name_only_row_naming_a_client_the_file_renames_is_another_client_with_a_warning() -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "C2", "Globex")
    rows = [{"client.name": "Globex"}, {"client.external_id": "C2", "client.name": "Acme"}]
    plan = plan_rows(rows, repository)
    # "Globex" is C2's name before the file and no client's after it: the file frees the name, so
    # the row without an ID is another client by that name (the article), and the user is told.
    assert sorted((op.op, op.key) for op in plan.operations) == [
        ("create_client", "Globex"), ("update_client", "C2")]
    [issue] = [issue for issue in plan.issues if issue.row == 2]
    assert issue.code == "client.renamed_name" and not issue.is_error
    assert issue.message_in("fr") == (
        "« Globex » est l'ancien nom du client C2, que ce fichier renomme « Acme » ; cette ligne ne "
        "donne pas d'identifiant, elle est donc lue comme un autre client nommé « Globex ».")
    # Applied, then imported again: the same reading, nothing more to do.
    ui.apply(plan, repository)
    assert plan_rows(rows, repository).operations == ()


def test_a_name_only_row_naming_an_earlier_name_of_a_client_in_the_same_file_is_warned() -> None:
    rows = [{"client.external_id": "C2", "client.name": "Globex"},
            {"client.external_id": "C2", "client.name": "Acme"},
            {"client.name": "Globex"}]
    plan = plan_rows(rows, ui.InMemoryRepository())
    assert sorted((op.op, op.key) for op in plan.operations) == [
        ("create_client", "C2"), ("create_client", "Globex")]
    assert [issue.code for issue in plan.issues if issue.row == 4] == ["client.renamed_name"]


def test_a_name_only_row_naming_a_renamed_client_and_another_stored_client_means_the_other() -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "C2", "Globex")
    seed_client(repository, "C9", "Globex")
    rows = [{"client.name": "Globex"}, {"client.external_id": "C2", "client.name": "Acme"}]
    plan = plan_rows(rows, repository)
    # C2 gives up the name, so the only client still named "Globex" is C9.
    assert [issue.code for issue in plan.issues if issue.row == 2] == ["client.renamed_name"]
    assert sorted(op.key for op in plan.operations) == ["C2"]
