"""Errors that reach the user: each names the file, the problem and the fix."""

from __future__ import annotations

from os import PathLike


class HKTwinError(Exception):
    """Base class for errors that are shown to the user as one line."""


class DataError(HKTwinError):
    """Input data that cannot be used, with enough context for the user to act on it."""

    def __init__(
        self,
        path: str | PathLike[str] | None,
        problem: str,
        fix: str = "",
        field: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        self.fix = fix
        self.field = field
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = self.path or "<input>"
        if self.field:
            where = f"{where} [{self.field}]"
        text = f"{where}: {self.problem}"
        return f"{text}. Fix: {self.fix}" if self.fix else text


class Cancelled(Exception):
    """Long work stopped because the user asked it to: the one cancellation of the app.

    Deliberately *not* an `HKTwinError`: a cancel is not a failure, and code that reports
    `HKTwinError`s as "... failed" must never catch it as one. Coverage evaluation, importers and
    the session's task runner all raise and recognise this class.
    """
