"""Errors for people: what was wrong, where (file, row, column), and how to fix it.

Every error evalcore raises on purpose is an `EvalcoreError`. The CLI prints `str(err)` on stderr and
exits with code 2; the dashboard shows it with `st.error`. Row numbers are 1-based data rows as a person
counts them in a spreadsheet (the header is not row 1 of the data; we say "row 1" for the first record).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
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
    line: int | None = None  # the line in a text file (a suite's YAML), where an error knows it

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
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        if self.hint:
            text += f" {self.hint}"
        return text


def _bullets(items: list[str], limit: int = 20) -> str:
    """'  - a' lines for the further problems of one error, at most `limit` of them and a count of the rest."""
    lines = [f"  - {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return "\n".join(lines)


@dataclass(frozen=True)
class SuiteProblem:
    """One thing wrong in a suite file: the text (naming the key path and the fix), the key path and its line."""

    message: str
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class SuiteError(EvalcoreError):
    """The suite file is invalid (unknown key, wrong type, missing dataset...). `field` is the key path
    (`candidates.0.release`) and `line` its line in the YAML file, when known; `problems` lists every problem
    found when there are several (the message is the first one's)."""

    title = "Invalid suite"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        line: int | None = None,
        field: str | None = None,
        problems: list[SuiteProblem] | None = None,
    ) -> None:
        super().__init__(message, file=file, row=row, column=column, hint=hint)
        self.line = line
        self.field = field
        self.problems = list(problems or [])

    def __str__(self) -> str:
        text = super().__str__()
        others = self.problems[1:]
        if others:
            text += f" ({len(self.problems)} problems in all)\n" + _bullets([str(p) for p in others])
        return text


def closest(name: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The known name a typo most likely meant (difflib's ratio), or None when nothing is close."""
    found = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(name: str, known: Iterable[str], cutoff: float = 0.6) -> str:
    """' Did you mean 'x'?' for the closest known name, or '' when none is close."""
    guess = closest(name, known, cutoff)
    return f" Did you mean '{guess}'?" if guess is not None else ""


def listing(names: list[str], limit: int = 30) -> str:
    """'a, b, c' for the names a message offers, the first `limit` of them and how many more."""
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def unknown_name(kind: str, name: str, known: Iterable[str], *, within: str, plural: str | None = None,
                 how: str | None = None) -> EvalcoreError:
    """'suite 't' has no scorer 'x'. Did you mean 'y'? Known scorers: a, b.' for a name typed on the command
    line (a run, suite, candidate or scorer); `how` says how to create one when none is known."""
    names = list(dict.fromkeys(str(k) for k in known))  # in the caller's order (declared, newest first...)
    hint = (f"Known {plural or kind + 's'}: {listing(names)}." if names else
            how or f"There are no {plural or kind + 's'} yet.")
    return EvalcoreError(f"{within} has no {kind} '{name}'.{did_you_mean(name, names)}", hint=hint)


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
            text += "\n" + _bullets([f"{p.where()}: {p.message}" if p.where() else p.message for p in extra])
        return text


class StoreError(EvalcoreError):
    """The workspace cannot be read or written as expected."""

    title = "Workspace problem"


class ScorerError(EvalcoreError):
    """A scorer is misconfigured (bad regex, unknown python function, invalid schema)."""

    title = "Scorer problem"
