"""The contract kit as its users meet it: a pytest plugin whose checks name each mistake.

Each broken repository below makes one kind of mistake a person writing a
repository makes; the kit, run by pytest as in the user's project, must fail
it with a message naming that mistake (and say what it expected and what the
repository returned).
"""

from __future__ import annotations

import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

HEADER = '''
from contextlib import contextmanager

import pytest

from upflow_import import InMemoryRepository
from upflow_import.testing import RepositoryContract

'''

FOOTER = '''

class TestUserRepository(RepositoryContract):
    generated_files = 2

    @pytest.fixture
    def repository(self):
        return Broken()
'''

BROKEN = {
    "missing_method": '''
class Broken:
    """Forgot update_contact()."""

    def __init__(self):
        self._store = InMemoryRepository()

    def __getattr__(self, name):
        if name == "update_contact":
            raise AttributeError(name)
        return getattr(self._store, name)
''',
    "wrong_id": '''
class Broken(InMemoryRepository):
    """Returns its ids as text from create_client(), but stores and finds them as numbers."""

    def create_client(self, record, parent_id):
        return str(super().create_client(record, parent_id))
''',
    "case_insensitive_external_ids": '''
class Broken(InMemoryRepository):
    """Looks external ids up ignoring case and spaces (a COLLATE NOCASE column)."""

    def find_clients_by_external_ids(self, external_ids):
        wanted = {key.strip().casefold() for key in external_ids}
        return [c for c in self.clients() if c.external_id and c.external_id.casefold() in wanted]
''',
    "update_not_persisted": '''
class Broken(InMemoryRepository):
    """update_client() forgets to write (a missing commit)."""

    def update_client(self, client_id, changes):
        self.client(client_id)
''',
    "transaction_not_rolled_back": '''
class Broken(InMemoryRepository):
    """transaction() that commits whatever happens."""

    @contextmanager
    def transaction(self):
        yield self
''',
}

#: What the kit must say about each mistake: checks that must fail (a mistake such as a wrong id
#: breaks others too), and the message naming it, what was expected and what was returned.
EXPECTED = {
    "missing_method": (
        {"test_required_method[update_contact]"},
        ["Broken has no update_contact() method, which the Repository protocol requires"]),
    "wrong_id": (
        {"test_a_created_client_is_found_by_external_id_with_its_values",
         "test_created_ids_are_distinct_and_found_again"},
        ["find_clients_by_external_ids(['C001']) should return the id create_client() returned ('1'), "
         "but returned 1: ids must be given back exactly as create_client() made them"]),
    "case_insensitive_external_ids": (
        {"test_external_ids_match_exactly"},
        ["external ids must match exactly (case and spaces count: 'c001' is not 'C001'), but "
         "find_clients_by_external_ids(['c001', 'C001 ', 'C002']) returned [StoredClient(id=1, "
         "external_id='C001', name='Acme', values={'client.external_id': 'C001', 'client.name': 'Acme'})]"]),
    "update_not_persisted": (
        {"test_update_changes_only_the_given_fields", "test_a_renamed_client_is_found_by_its_new_name_only",
         "test_parents_are_stored_and_kept_when_an_update_gives_none"},
        ["after update_client(id, ClientChanges({client.city: 'Lyon'})) (the update must be stored), "
         "client.city should be 'Lyon', but the repository returned 'Paris'"]),
    "transaction_not_rolled_back": (
        {"test_a_transaction_that_raises_writes_nothing"},
        ["a transaction() block that raises must be rolled back (nothing written inside it may remain), "
         "but the repository still holds the client C1 (StoredClient(id=2, external_id='C1'",
         "the contact jean@acme.fr (StoredContact(id=3, client_id=2, email='jean@acme.fr'",
         "the update of client C0 (city 'Paris')"]),
}


def run_kit(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makepyfile(test_user_repository=HEADER + textwrap.dedent(source) + FOOTER)
    return pytester.runpytest("-p", "no:cacheprovider", "-rfs")


def failed_checks(result: pytest.RunResult) -> set[str]:
    return {line.split("::")[-1].split(" - ")[0] for line in result.outlines if line.startswith("FAILED ")}


@pytest.mark.parametrize("mistake", list(BROKEN))
def test_each_broken_repository_fails_with_a_message_naming_its_mistake(
        pytester: pytest.Pytester, mistake: str) -> None:
    result = run_kit(pytester, BROKEN[mistake])
    checks, messages = EXPECTED[mistake]
    output = result.stdout.str()
    assert checks <= failed_checks(result), output
    for message in messages:
        assert f"AssertionError: {messages[0]}" in output and message in output, output


def test_a_missing_method_skips_the_other_checks_saying_why(pytester: pytest.Pytester) -> None:
    result = run_kit(pytester, BROKEN["missing_method"])
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 1 and outcomes["passed"] >= 8  # the other required methods are there
    result.stdout.fnmatch_lines(["SKIPPED*the repository lacks update_contact(): see test_required_method*"])


def test_assertions_are_rewritten_so_the_values_compared_are_shown(pytester: pytest.Pytester) -> None:
    result = run_kit(pytester, BROKEN["wrong_id"])
    # The kit's own message, then pytest's introspection of the assertion.
    result.stdout.fnmatch_lines(["E  *AssertionError: find_clients_by_external_ids(*", "E  *assert 1 == '1'"])


def test_a_correct_repository_passes_and_optional_methods_are_listed_as_skipped(
        pytester: pytest.Pytester) -> None:
    result = run_kit(pytester, '''
class Broken(InMemoryRepository):
    """Not broken: the reference repository, without transactions."""
''')
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and outcomes["passed"] >= 20, result.stdout.str()
    result.stdout.fnmatch_lines([
        "SKIPPED*optional transaction() not offered: apply() then runs without a transaction*",
        "SKIPPED*this repository does not track account managers*",
    ])


def test_forgetting_the_repository_fixture_says_what_to_do(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user_repository=HEADER + '''
class TestUserRepository(RepositoryContract):
    pass
''')
    result = pytester.runpytest("-p", "no:cacheprovider", "-x")
    result.stdout.fnmatch_lines(["*override the `repository` fixture of your RepositoryContract subclass*"])


def test_the_plugin_is_registered_through_a_pytest11_entry_point() -> None:
    plugins = {entry.name: entry.value for entry in entry_points(group="pytest11")}
    assert plugins.get("upflow_import") == "upflow_import._pytest_plugin"


def test_a_typed_subclass_passes_mypy_strict_and_a_wrong_one_does_not(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    typed = Path(__file__).parent / "typed" / "test_typed_contract.py"
    # Every typed use in tests/typed (the contract kit; a repository keyed by int) passes.
    out, err, status = api.run(["--strict", "--no-error-summary", str(typed.parent)])
    assert status == 0, out + err
    wrong = tmp_path / "wrong.py"
    wrong.write_text(typed.read_text("utf-8").replace(
        "def add_dunning_plans(self, repository: InMemoryRepository",
        "def add_dunning_plans(self, repository: int"), encoding="utf-8")
    out, err, status = api.run(["--strict", "--no-error-summary", str(wrong)])
    assert status == 1 and "violates the Liskov substitution principle" in out, out + err


def test_the_kit_runs_with_pytest_alone(pytester: pytest.Pytester) -> None:
    # As after `pip install upflow-import[testing]`: no hypothesis, so only the property check skips.
    pytester.makeconftest("import sys\nsys.modules['hypothesis'] = None\n")
    pytester.makepyfile(test_user_repository=HEADER + '''
class Broken(InMemoryRepository):
    """Not broken."""
''' + FOOTER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-rfs")
    outcomes = result.parseoutcomes()
    assert "failed" not in outcomes and "error" not in outcomes, result.stdout.str()
    result.stdout.fnmatch_lines(["SKIPPED*the property check needs hypothesis*"])
