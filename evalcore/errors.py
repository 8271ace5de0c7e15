"""Errors for people: what was wrong, where (file, row, column), and how to fix it.

Every error evalcore raises on purpose is an `EvalcoreError`. The CLI prints `str(err)` on stderr and
exits with code 2; the dashboard shows it with `st.error`. Row numbers are 1-based data rows as a person
counts them in a spreadsheet (the header is not row 1 of the data; we say "row 1" for the first record).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in an input file."""

    message: str
    row: int | None = None
    column: str | None = None

    def where(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)


class EvalcoreError(Exception):
    """Base class: carries the file, row, column and a hint on how to fix it."""

    title = "evalcore error"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.hint = hint

    def __str__(self) -> str:
        where = [str(self.file)] if self.file else []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        if self.hint:
            text += f" {self.hint}"
        return text


class SuiteError(EvalcoreError):
    """The suite file is invalid (unknown key, wrong type, missing dataset...)."""

    title = "Invalid suite"


class IngestError(EvalcoreError):
    """An input file was rejected. Carries every problem found (up to a limit), nothing was written."""

    title = "Input file rejected"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        super().__init__(message, file=file, row=row, column=column, hint=hint)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        text = super().__str__()
        extra = [p for p in self.problems if (p.row, p.column, p.message) != (self.row, self.column, self.message)]
        if extra:
            lines = [f"  - {p.where()}: {p.message}" if p.where() else f"  - {p.message}" for p in extra[:20]]
            if len(extra) > 20:
                lines.append(f"  ... and {len(extra) - 20} more")
            text += "\n" + "\n".join(lines)
        return text


class StoreError(EvalcoreError):
    """The workspace cannot be read or written as expected."""

    title = "Workspace problem"


class ScorerError(EvalcoreError):
    """A scorer is misconfigured (bad regex, unknown python function, invalid schema)."""

    title = "Scorer problem"
