"""The planner's identity, merging, update and error-scope rules (DESIGN §6, §7), one test per rule."""

from __future__ import annotations

import pytest

import upflow_import as ui
from planner_helpers import (
    codes,
    issues_of,
    parsed_import,
    plan_rows,
    run,
    seed_client,
    seed_contact,
    with_issues,
)
from upflow_import.fields import Field
from upflow_import.planner import CreateClient, CreateContact, UpdateClient, UpdateContact


def ops(plan: ui.Plan) -> list[tuple[str, str]]:
    return [(op.op, op.key) for op in plan.operations]


# -- client identity -------------------------------------------------------------------------------


def test_rows_with_one_external_id_are_one_client() -> None:
    plan = plan_rows(
        [
            {"client.external_id": "C1", "client.name": "Acme", "contact.email": "a@acme.fr"},
            {"client.external_id": "C1", "contact.email": "b@acme.fr"},
        ]
    )
    assert ops(plan) == [
        ("create_client", "C1"),
        ("create_contact", "a@acme.fr"),
        ("create_contact", "b@acme.fr"),
    ]
    assert plan.operations[0].rows == (2, 3)


def test_rows_without_id_are_one_client_by_name_whatever_the_case_and_spaces() -> None:
    plan = plan_rows(
        [
            {"client.name": "Boulangerie Dupont", "contact.email": "a@dupont.fr"},
            {"client.name": " BOULANGERIE\u00a0 dupont", "contact.email": "b@dupont.fr"},
        ]
    )
    assert [op.op for op in plan.operations] == ["create_client", "create_contact", "create_contact"]
    assert plan.operations[0].rows == (2, 3)
    assert codes(plan) == []


def test_a_name_only_row_refers_to_the_file_client_with_that_name() -> None:
    plan = plan_rows(
        [
            {"client.external_id": "C1", "client.name": "Acme"},
            {"client.name": "ACME", "contact.email": "jean@acme.fr"},
        ]
    )
    assert ops(plan) == [("create_client", "C1"), ("create_contact", "jean@acme.fr")]
    create = plan.operations[0]
    assert isinstance(create, CreateClient) and create.record.name == "Acme"  # a reference never renames
    assert plan.operations[1].depends_on == (0,)


def test_a_name_only_row_refers_to_the_stored_client_with_that_name() -> None:
    repository = ui.InMemoryRepository()
    client_id = seed_client(repository, "C1", "Acme")
    plan, result = run([{"client.name": "acme", "client.city": "Paris"}], repository)
    assert ops(plan) == [("update_client", "C1")]
    assert dict(plan.operations[0].changes) == {"client.city": (None, "Paris")}
    assert result.ok and repository.client(client_id).values[Field.CLIENT_CITY] == "Paris"
    assert repository.client(client_id).name == "Acme"


def test_a_name_shared_by_two_clients_of_the_file_is_ambiguous() -> None:
    plan = plan_rows(
        [
            {"client.external_id": "C1", "client.name": "Acme"},
            {"client.external_id": "C2", "client.name": "Acme"},
            {"client.name": "Acme", "contact.email": "jean@acme.fr"},
        ]
    )
    assert codes(plan, 4) == ["client.ambiguous_name"]
    assert issues_of(plan, 4)[0].message == (
        "Several customers are named 'Acme' (C1, C2); this row does not say which one.")
    assert ops(plan) == [("create_client", "C1"), ("create_client", "C2")]
    assert plan.rows[2].client is ui.Outcome.DROPPED and plan.rows[2].contact is ui.Outcome.DROPPED


def test_a_name_shared_by_two_stored_clients_is_ambiguous() -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "C1", "Acme")
    seed_client(repository, None, "ACME")
    plan = plan_rows([{"client.name": "Acme", "client.city": "Lyon"}], repository)
    assert codes(plan) == ["client.ambiguous_name"]
    assert plan.operations == ()


def test_an_id_only_row_updates_the_stored_client() -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "C1", "Acme")
    plan = plan_rows([{"client.external_id": "C1", "client.payment_term_days": 45}], repository)
    assert ops(plan) == [("update_client", "C1")]
    assert dict(plan.operations[0].changes) == {"client.payment_term_days": (None, 45)}


def test_an_id_only_row_joins_the_file_row_that_names_the_client() -> None:
    plan = plan_rows(
        [
            {"client.external_id": "C1", "contact.email": "jean@acme.fr"},
            {"client.external_id": "C1", "client.name": "Acme"},
        ]
    )
    assert ops(plan) == [("create_client", "C1"), ("create_contact", "jean@acme.fr")]
    assert codes(plan) == []


def test_an_unknown_id_without_a_name_is_not_found() -> None:
    plan = plan_rows([{"client.external_id": "C9", "client.city": "Paris"}])
    [issue] = issues_of(plan, 2)
    assert (issue.code, issue.field, issue.value, issue.column) == (
        "client.not_found",
        "client.external_id",
        "C9",
        "client.external_id",
    )
    assert plan.operations == ()


def test_a_row_naming_no_client_requires_a_name() -> None:
    plan = plan_rows([{"client.name": "Acme"}, {"client.city": "Paris", "contact.email": "x@y.fr"}])
    assert codes(plan, 3) == ["value.required"]
    assert issues_of(plan, 3)[0].field == "client.name"
    assert plan.rows[1].client is ui.Outcome.DROPPED and plan.rows[1].contact is ui.Outcome.DROPPED
    assert plan.clients.dropped == 1 and plan.contacts.dropped == 1


def test_value_required_is_not_repeated_when_parsing_reported_it() -> None:
    parsed = with_issues(
        parsed_import([{"client.city": "Paris"}]),
        {2: [ui.Issue.from_code("value.required", row=2, field="client.name")]},
    )
    plan = ui.plan(parsed, ui.InMemoryRepository())
    assert codes(plan) == ["value.required"]


# -- merging and updating --------------------------------------------------------------------------


def test_a_later_different_value_wins_with_a_warning() -> None:
    plan = plan_rows(
        [
            {"client.external_id": "C1", "client.name": "Acme", "client.city": "Paris"},
            {"client.external_id": "C1", "client.city": "Lyon"},
        ]
    )
    [issue] = issues_of(plan, 3)
    assert issue.code == "client.value_overridden" and issue.severity is ui.Severity.WARNING
    assert "'Paris' on row 2" in issue.message and "'Lyon'" in issue.message
    create = plan.operations[0]
    assert isinstance(create, CreateClient) and create.record.address.city == "Lyon"


def test_blank_cells_never_erase_stored_values() -> None:
    repository = ui.InMemoryRepository()
    client_id = seed_client(repository, "C1", "Acme", city="Paris", vat_number="FR123")
    plan, _ = run(
        [
            {
                "client.external_id": "C1",
                "client.name": "Acme",
                "client.city": None,
                "client.vat_number": "FR999",
            }
        ],
        repository,
    )
    assert dict(plan.operations[0].changes) == {"client.vat_number": ("FR123", "FR999")}
    stored = repository.client(client_id)
    assert stored.values[Field.CLIENT_CITY] == "Paris" and stored.values[Field.CLIENT_VAT_NUMBER] == "FR999"


def test_a_client_equal_to_the_stored_one_is_unchanged() -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "C1", "Acme", city="Paris")
    plan = plan_rows(
        [{"client.external_id": "C1", "client.name": "Acme", "client.city": "Paris"}], repository
    )
    assert plan.operations == ()
    assert plan.clients == ui.planner.EntityCounts(unchanged=1)
    assert plan.rows[0].client is ui.Outcome.UNCHANGED


def test_a_client_with_an_id_can_be_renamed() -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "C1", "Acme")
    plan = plan_rows([{"client.external_id": "C1", "client.name": "Acme Group"}], repository)
    assert dict(plan.operations[0].changes) == {"client.name": ("Acme", "Acme Group")}


def test_a_new_id_with_a_stored_name_warns_and_creates() -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "C1", "Acme")
    plan = plan_rows([{"client.external_id": "C2", "client.name": "ACME"}], repository)
    [issue] = issues_of(plan, 2)
    assert issue.code == "client.same_name_exists" and not issue.is_error
    assert "C1" in issue.message
    assert ops(plan) == [("create_client", "C2")]


# -- groups ----------------------------------------------------------------------------------------


def test_a_subsidiary_listed_before_its_parent_is_created_after_it() -> None:
    repository = ui.InMemoryRepository()
    plan, result = run(
        [
            {"client.external_id": "S1", "client.name": "Hôtel Nice", "group.name": "Groupe Lumière"},
            {"client.external_id": "S2", "client.name": "Hôtel Lyon", "group.external_id": "G1"},
            {"client.external_id": "G1", "client.name": "Groupe Lumière"},
        ],
        repository,
    )
    assert ops(plan) == [("create_client", "G1"), ("create_client", "S1"), ("create_client", "S2")]
    assert plan.operations[1].depends_on == (0,) and plan.operations[2].depends_on == (0,)
    assert result.ok
    group = repository.client_by_external_id("G1")
    assert repository.client_by_external_id("S1").parent_id == group.id
    assert repository.client_by_external_id("S2").parent_id == group.id


def test_a_parent_may_be_a_stored_client() -> None:
    repository = ui.InMemoryRepository()
    group_id = seed_client(repository, None, "Groupe Lumière")
    seed_client(repository, "S1", "Hôtel Nice")
    plan, _ = run([{"client.external_id": "S1", "group.name": "groupe lumière"}], repository)
    assert dict(plan.operations[0].changes) == {"group.name": (None, "Groupe Lumière")}
    assert repository.client_by_external_id("S1").parent_id == group_id


def test_an_unknown_parent_is_not_found() -> None:
    plan = plan_rows([{"client.external_id": "S1", "client.name": "Hôtel", "group.external_id": "G9"}])
    [issue] = issues_of(plan, 2)
    assert (issue.code, issue.field, issue.value) == ("group.parent_not_found", "group.external_id", "G9")
    assert plan.operations == ()


def test_a_client_cannot_be_its_own_parent() -> None:
    plan = plan_rows([{"client.external_id": "C1", "client.name": "Acme", "group.external_id": "C1"}])
    assert codes(plan) == ["group.self_parent"]


def test_a_loop_of_parents_is_reported_on_each_client_of_the_loop() -> None:
    plan = plan_rows(
        [
            {"client.external_id": "A", "client.name": "Alpha", "group.external_id": "B"},
            {"client.external_id": "B", "client.name": "Beta", "group.external_id": "A"},
            {"client.external_id": "C", "client.name": "Gamma"},
        ]
    )
    assert codes(plan, 2) == ["group.cycle"] and codes(plan, 3) == ["group.cycle"]
    assert "Alpha (A)" in issues_of(plan, 2)[0].message and "Beta (B)" in issues_of(plan, 2)[0].message
    assert ops(plan) == [("create_client", "C")]


def test_a_loop_through_a_stored_parent_link_is_reported() -> None:
    repository = ui.InMemoryRepository()
    alpha = seed_client(repository, "A", "Alpha")
    seed_client(repository, "B", "Beta", parent_id=alpha)
    plan = plan_rows([{"client.external_id": "A", "group.external_id": "B"}], repository)
    assert codes(plan) == ["group.cycle"]
    assert plan.operations == ()


def test_a_parent_name_shared_by_two_clients_is_ambiguous() -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "G1", "Lumière")
    seed_client(repository, "G2", "Lumière")
    plan = plan_rows(
        [{"client.external_id": "S1", "client.name": "Hôtel", "group.name": "Lumière"}], repository
    )
    assert codes(plan) == ["group.ambiguous_parent"]


# -- error scope -----------------------------------------------------------------------------------


def test_a_client_error_drops_its_rows_contacts_and_subsidiaries() -> None:
    parsed = with_issues(
        parsed_import(
            [
                {"client.external_id": "G1", "client.name": "Groupe", "contact.email": "a@g.fr"},
                {"client.external_id": "G1", "client.payment_term_days": None, "contact.email": "b@g.fr"},
                {
                    "client.external_id": "S1",
                    "client.name": "Filiale",
                    "group.external_id": "G1",
                    "contact.email": "c@g.fr",
                },
                {"client.external_id": "X1", "client.name": "Other", "contact.email": "d@x.fr"},
            ]
        ),
        {3: [ui.Issue.from_code("value.invalid_integer", row=3, field="client.payment_term_days",
                                value="x")]},
    )
    plan = ui.plan(parsed, ui.InMemoryRepository())
    assert ops(plan) == [("create_client", "X1"), ("create_contact", "d@x.fr")]
    assert codes(plan, 2) == ["plan.dependency_dropped"]
    assert codes(plan, 3) == ["value.invalid_integer"]
    assert codes(plan, 4) == ["plan.dependency_dropped"]
    assert "Groupe (G1)" in issues_of(plan, 4)[0].message and "row 3" in issues_of(plan, 4)[0].message
    assert [row.client for row in plan.rows] == [ui.Outcome.DROPPED] * 3 + [ui.Outcome.CREATE]
    assert plan.clients.dropped == 2 and plan.contacts.dropped == 3


def test_a_contact_error_drops_only_that_contact() -> None:
    parsed = with_issues(
        parsed_import(
            [
                {
                    "client.external_id": "C1",
                    "client.name": "Acme",
                    "contact.email": "a@acme.fr",
                    "contact.position": None,
                },
                {"client.external_id": "C1", "contact.email": "b@acme.fr"},
                {"client.external_id": "C1", "contact.email": "a@acme.fr", "contact.first_name": "Jean"},
            ]
        ),
        {2: [ui.Issue.from_code("value.invalid_choice", row=2, field="contact.position", value="Boss")]},
    )
    plan = ui.plan(parsed, ui.InMemoryRepository())
    assert ops(plan) == [("create_client", "C1"), ("create_contact", "b@acme.fr")]
    assert codes(plan, 4) == ["plan.dependency_dropped"]
    assert plan.rows[0].client is ui.Outcome.CREATE and plan.rows[0].contact is ui.Outcome.DROPPED


def test_abort_plans_nothing_when_there_is_an_error() -> None:
    rows = [{"client.external_id": "C1", "client.name": "Acme"}, {"client.external_id": "C9"}]
    assert ops(plan_rows(rows, on_error="skip")) == [("create_client", "C1")]
    aborted = plan_rows(rows, on_error="abort")
    assert aborted.operations == () and aborted.aborted
    assert aborted.clients == ui.planner.EntityCounts(dropped=2)
    assert aborted.rows[0].client is ui.Outcome.DROPPED and aborted.rows[0].operations == ()


def test_warnings_never_drop_anything_even_with_abort() -> None:
    plan = plan_rows(
        [
            {"client.external_id": "C1", "client.name": "Acme", "client.city": "Paris"},
            {"client.external_id": "C1", "client.city": "Lyon"},
        ],
        on_error="abort",
    )
    assert codes(plan) == ["client.value_overridden"] and ops(plan) == [("create_client", "C1")]


def test_a_file_level_error_plans_nothing_and_keeps_every_row() -> None:

    parsed = parsed_import([{"client.name": "Acme"}, {"client.name": "Globex"}])
    parsed = parsed.with_file_issues((ui.Issue.from_code("header.duplicate", column="Nom"),))
    plan = ui.plan(parsed, ui.InMemoryRepository())
    assert plan.operations == () and not plan.ok
    assert [row.client for row in plan.rows] == [ui.Outcome.DROPPED, ui.Outcome.DROPPED]


def test_every_row_is_accounted_for_and_progress_reaches_the_total() -> None:
    seen: list[tuple[int, int]] = []
    rows = [{"client.name": f"Client {n % 700}"} for n in range(2500)]
    plan = plan_rows(rows, progress=lambda done, total: seen.append((done, total)))
    assert [row.number for row in plan.rows] == list(range(2, 2502))
    assert all(row.client is ui.Outcome.CREATE and row.operations for row in plan.rows)
    assert seen[-1] == (2500, 2500) and len(seen) > 3 and seen == sorted(seen)
    assert all(total == 2500 for _, total in seen)


# -- contacts --------------------------------------------------------------------------------------


def test_contact_details_without_email_are_reported_once() -> None:
    plan = plan_rows([{"client.name": "Acme", "contact.first_name": "Jean"}])
    assert codes(plan) == ["contact.email_required"]
    assert ops(plan) == [("create_client", "Acme")]
    parsed = with_issues(
        parsed_import([{"client.name": "Acme", "contact.first_name": "Jean"}]),
        {2: [ui.Issue.from_code("contact.email_required", row=2, field="contact.email")]},
    )
    assert codes(ui.plan(parsed, ui.InMemoryRepository())) == ["contact.email_required"]


def test_rows_of_one_email_are_one_contact_and_later_values_win() -> None:
    plan = plan_rows(
        [
            {"client.name": "Acme", "contact.email": "Jean@Acme.fr", "contact.phone": "+33100000000"},
            {"client.name": "Acme", "contact.email": "jean@acme.fr", "contact.phone": "+33200000000"},
        ]
    )
    assert ops(plan) == [("create_client", "Acme"), ("create_contact", "jean@acme.fr")]
    [issue] = issues_of(plan, 3)
    assert issue.code == "contact.value_overridden" and "+33100000000" in issue.message
    create = plan.operations[1]
    assert isinstance(create, CreateContact) and create.record.phone == "+33200000000"


def test_one_email_under_two_clients_of_the_file_is_a_conflict() -> None:
    plan = plan_rows(
        [
            {"client.external_id": "C1", "client.name": "Acme", "contact.email": "jean@acme.fr"},
            {"client.external_id": "C2", "client.name": "Globex", "contact.email": "JEAN@acme.fr"},
        ]
    )
    assert codes(plan, 2) == ["contact.client_conflict"] and codes(plan, 3) == ["contact.client_conflict"]
    assert ops(plan) == [("create_client", "C1"), ("create_client", "C2")]


def test_a_stored_contact_of_another_client_is_not_moved() -> None:
    repository = ui.InMemoryRepository()
    other = seed_client(repository, "C1", "Acme")
    seed_contact(repository, other, "jean@acme.fr")
    plan = plan_rows(
        [{"client.external_id": "C2", "client.name": "Globex", "contact.email": "jean@acme.fr"}], repository
    )
    [issue] = issues_of(plan, 2)
    # The other client is not in the file: it is read by its store id, and the message names
    # it as the user knows it, never by that id.
    assert issue.code == "contact.belongs_to_other_client"
    assert issue.message == "The contact 'jean@acme.fr' already belongs to another customer (Acme (C1))."
    assert f"({other})" not in issue.message
    assert ops(plan) == [("create_client", "C2")]
    # When the file also names the other client, the message names it properly.
    plan = plan_rows(
        [
            {"client.external_id": "C2", "client.name": "Globex", "contact.email": "jean@acme.fr"},
            {"client.external_id": "C1", "client.city": "Paris"},
        ],
        repository,
    )
    assert "Acme (C1)" in issues_of(plan, 2)[0].message


def test_one_contact_id_on_two_emails_is_a_conflict() -> None:
    plan = plan_rows(
        [
            {"client.name": "Acme", "contact.email": "a@acme.fr", "contact.external_id": "K1"},
            {"client.name": "Acme", "contact.email": "b@acme.fr", "contact.external_id": "K1"},
            {"client.name": "Acme", "contact.email": "c@acme.fr", "contact.external_id": "K2"},
        ]
    )
    assert codes(plan, 2) == codes(plan, 3) == ["contact.external_id_conflict"]
    assert ops(plan) == [("create_client", "Acme"), ("create_contact", "c@acme.fr")]


def test_a_contact_id_held_by_another_stored_contact_is_a_conflict() -> None:
    repository = ui.InMemoryRepository()
    client_id = seed_client(repository, "C1", "Acme")
    seed_contact(repository, client_id, "a@acme.fr", external_id="K1")
    plan = plan_rows(
        [{"client.external_id": "C1", "contact.email": "b@acme.fr", "contact.external_id": "K1"}], repository
    )
    [issue] = issues_of(plan, 2)
    assert issue.code == "contact.external_id_conflict" and "a@acme.fr" in issue.message
    assert plan.operations == ()


# -- main contact ----------------------------------------------------------------------------------


def test_the_last_contact_marked_main_wins() -> None:
    repository = ui.InMemoryRepository()
    plan, result = run(
        [
            {
                "client.external_id": "C1",
                "client.name": "Acme",
                "contact.email": "a@acme.fr",
                "contact.is_main": True,
            },
            {"client.external_id": "C1", "contact.email": "b@acme.fr", "contact.is_main": True},
        ],
        repository,
    )
    [issue] = issues_of(plan, 3)
    assert issue.code == "contact.main_overridden" and "b@acme.fr" in issue.message
    assert result.ok
    client = repository.client_by_external_id("C1")
    main = repository.contact(client.main_contact_id)
    assert main.email == "b@acme.fr"
    assert [c.is_main for c in repository.contacts_of(client.id)] == [False, True]


def test_a_new_main_contact_demotes_the_stored_one_first() -> None:
    repository = ui.InMemoryRepository()
    client_id = seed_client(repository, "C1", "Acme")
    old = seed_contact(repository, client_id, "old@acme.fr", is_main=True)
    plan, result = run(
        [{"client.external_id": "C1", "contact.email": "new@acme.fr", "contact.is_main": True}], repository
    )
    assert ops(plan) == [("update_contact", "old@acme.fr"), ("create_contact", "new@acme.fr")]
    demotion, promotion = plan.operations
    assert isinstance(demotion, UpdateContact) and dict(demotion.changes) == {
        "contact.is_main": (True, False)
    }
    assert promotion.depends_on == (0,)
    assert result.ok
    assert repository.client(client_id).main_contact_id != old
    assert not repository.contact(old).is_main


def test_a_stored_main_contact_in_the_file_is_demoted_in_its_own_update() -> None:
    repository = ui.InMemoryRepository()
    client_id = seed_client(repository, "C1", "Acme")
    seed_contact(repository, client_id, "old@acme.fr", is_main=True, first_name="Jean")
    seed_contact(repository, client_id, "new@acme.fr")
    plan, result = run(
        [
            {"client.external_id": "C1", "contact.email": "new@acme.fr", "contact.is_main": True},
            {"client.external_id": "C1", "contact.email": "old@acme.fr", "contact.first_name": "Jeanne"},
        ],
        repository,
    )
    assert ops(plan) == [("update_contact", "old@acme.fr"), ("update_contact", "new@acme.fr")]
    assert dict(plan.operations[0].changes) == {
        "contact.first_name": ("Jean", "Jeanne"),
        "contact.is_main": (True, False),
    }
    assert plan.operations[1].depends_on == (0,)
    assert (
        result.ok and repository.contact(repository.client(client_id).main_contact_id).email == "new@acme.fr"
    )


def test_zero_in_the_main_column_demotes_a_stored_main_contact() -> None:
    repository = ui.InMemoryRepository()
    client_id = seed_client(repository, "C1", "Acme")
    seed_contact(repository, client_id, "a@acme.fr", is_main=True)
    plan, _ = run(
        [{"client.external_id": "C1", "contact.email": "a@acme.fr", "contact.is_main": False}], repository
    )
    assert dict(plan.operations[0].changes) == {"contact.is_main": (True, False)}
    assert repository.client(client_id).main_contact_id is None


# -- references ------------------------------------------------------------------------------------


def test_an_unknown_account_manager_is_an_error_with_a_did_you_mean() -> None:
    repository = ui.InMemoryRepository(account_managers=["claire.martin@exemple.fr"])
    plan = plan_rows(
        [{"client.name": "Acme", "client.account_manager_email": "claire.martn@exemple.fr"}], repository
    )
    [issue] = issues_of(plan, 2)
    assert issue.code == "reference.unknown_account_manager" and issue.value == "claire.martn@exemple.fr"
    assert issue.hint == "Did you mean 'claire.martin@exemple.fr'?"
    assert issue.hint_in("fr") == "Vouliez-vous dire « claire.martin@exemple.fr » ?"
    assert plan.operations == ()


def test_a_dunning_plan_differing_by_a_non_breaking_space_gets_a_precise_hint() -> None:
    repository = ui.InMemoryRepository(dunning_plans=["Plan\u00a0Standard", "Plan VIP"])
    plan = plan_rows([{"client.name": "Acme", "client.dunning_plan": "plan standard"}], repository)
    [issue] = issues_of(plan, 2)
    assert issue.code == "reference.unknown_dunning_plan"
    # The registered name is quoted as it was registered, and visibly differs from the cell.
    assert issue.hint == "Did you mean 'Plan\u00a0Standard'? The two differ only in upper/lower case."
    assert issue.hint_in("fr") == ("Vouliez-vous dire « Plan\u00a0Standard » ? Les deux ne diffèrent "
                                   "que par les majuscules.")


@pytest.mark.parametrize("registered", ["Plan\u00a0standard", "Plan\u202fstandard", "Plan  standard ",
                                        "Plan\u200b standard"])
def test_a_dunning_plan_registered_with_another_kind_of_space_is_the_same_plan(registered: str) -> None:
    repository = ui.InMemoryRepository(dunning_plans=[registered])
    plan = plan_rows([{"client.name": "Acme", "client.dunning_plan": "Plan standard"}], repository)
    assert plan.issues == () and ops(plan) == [("create_client", "Acme")]


def test_known_or_untracked_references_are_accepted() -> None:
    rows = [
        {
            "client.name": "Acme",
            "client.account_manager_email": "Anne@Example.com",
            "client.dunning_plan": "Plan VIP",
        }
    ]
    tracked = ui.InMemoryRepository(account_managers=["anne@example.com"], dunning_plans=["Plan VIP"])
    assert plan_rows(rows, tracked).ok
    assert plan_rows(rows, ui.InMemoryRepository()).ok


def test_update_operations_carry_only_changed_values() -> None:
    repository = ui.InMemoryRepository()
    seed_client(repository, "C1", "Acme", city="Paris")
    plan = plan_rows(
        [{"client.external_id": "C1", "client.name": "Acme", "client.city": "Paris", "client.state": "IDF"}],
        repository,
    )
    [update] = plan.operations
    assert isinstance(update, UpdateClient) and dict(update.values) == {Field.CLIENT_STATE: "IDF"}


def test_a_row_is_told_once_why_it_is_dropped() -> None:
    parsed = with_issues(
        parsed_import(
            [
                {"client.external_id": "C1", "client.name": "Acme", "client.payment_term_days": None},
                {"client.external_id": "C1", "contact.email": "a@acme.fr", "contact.position": None},
                {"client.external_id": "C1", "contact.email": "a@acme.fr"},
            ]
        ),
        {
            2: [ui.Issue.from_code("value.invalid_integer", row=2, field="client.payment_term_days",
                                   value="x")],
            3: [ui.Issue.from_code("value.invalid_choice", row=3, field="contact.position", value="Boss")],
        },
    )
    plan = ui.plan(parsed, ui.InMemoryRepository())
    assert codes(plan, 3) == ["value.invalid_choice", "plan.dependency_dropped"]
    assert codes(plan, 4) == ["plan.dependency_dropped"]
