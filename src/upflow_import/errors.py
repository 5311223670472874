"""Exceptions. Every exception the library raises on purpose derives from
:class:`UpflowImportError` and carries the :class:`~upflow_import.Issue` that
explains it, so callers can branch on ``error.code``."""

from __future__ import annotations

from upflow_import.issues import Issue, Lang


class UpflowImportError(Exception):
    """Base of every exception the library raises on purpose."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue

    @classmethod
    def from_code(cls, code: str, **params: object) -> UpflowImportError:
        """Build the exception for ``code`` with the issue's fields and params."""
        return cls(Issue.from_code(code, **params))  # type: ignore[arg-type]

    @property
    def code(self) -> str:
        return self.issue.code

    def message_in(self, lang: Lang = "en") -> str:
        return self.issue.message_in(lang)


class UnreadableFileError(UpflowImportError):
    """The file cannot be read at all (``file.*`` codes)."""


class FileTooLargeError(UnreadableFileError):
    """The file exceeds one of the :class:`~upflow_import.Limits` (``file.too_large``)."""


class MappingError(UpflowImportError):
    """A column mapping cannot be used (``mapping.*`` codes)."""


class StoreError(UpflowImportError):
    """The embedded store cannot be opened or used (``store.*`` codes)."""
