"""Use cases over many rows at once (an Excel import's): every row is checked first, and each
problem named by the caller's key for its row (a sheet's row number) and the field, so that the
caller reports it in its own terms (a column); then the rows the caller chooses are written."""

from dataclasses import dataclass, field
from typing import NamedTuple


class RowProblem(NamedTuple):
    row: object
    field: str
    message: str


@dataclass
class Checked:
    """The rows as checked ({key: row, ready to write}) and their problems."""

    rows: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    def refuse(self, row, name, message):
        self.problems.append(RowProblem(row, name, str(message)))

    def refuse_all(self, row, errors):
        """A ValidationError's message_dict (or {field: message}) as the row's problems."""
        for name, messages in errors.items():
            self.refuse(row, name, " ".join(map(str, messages)) if isinstance(messages, list) else messages)


@dataclass
class Written:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
