"""What the planning and writing cores ask of the store, and what they are answered.

The cores never call a repository: they yield a :class:`Read` or a :class:`Write` and are
resumed with its answer (or with :class:`Failed` when the call raised). See
:mod:`upflow_import.planning.steps` for the drivers' side of the conversation.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import NamedTuple, TypeVar

from upflow_import.planning.types import ApplyResult

__all__ = ["Failed", "Read", "Reading", "RollBack", "Write", "Writing", "answer_of"]

_T = TypeVar("_T")


class Read(NamedTuple):
    """One repository read the planner needs: ``getattr(repository, method)(*args)``."""

    #: A repository method name, e.g. ``"find_clients_by_external_ids"``.
    method: str
    #: Its arguments, e.g. ``(chunk_of_keys,)``; ``()`` for ``all_account_managers``.
    args: tuple[object, ...]


class Write(NamedTuple):
    """One repository write apply needs: ``getattr(repository, method)(*args)``."""

    #: ``"create_client"``, ``"update_client"``, …, or a bulk one, ``"create_clients"``, ….
    method: str
    args: tuple[object, ...]


class Failed(NamedTuple):
    """Sent back into a core instead of a return value when the call raised."""

    error: Exception


class RollBack(Exception):
    """Raised out of :func:`~upflow_import.planning.steps.applying` when everything written
    inside the transaction must be undone; the driver lets it through the transaction's
    context manager, then reports :attr:`result`."""

    def __init__(self, result: ApplyResult) -> None:
        super().__init__("the transaction must be rolled back")
        #: Every operation's fate once the transaction is undone.
        self.result = result


#: The planner's conversation: it yields reads, is sent their answers, and returns ``_T``.
Reading = Generator[Read, object, _T]
#: Apply's conversation: it yields writes, is sent their answers, and returns ``_T``.
Writing = Generator[Write, object, _T]


def answer_of(answer: object) -> object:
    """The answer itself; a failed read is the repository's own exception, raised again."""
    if isinstance(answer, Failed):
        raise answer.error
    return answer
