"""Import stage 7 — the ImportReport: what an import found and did (or, for a dry
run, would do), and its lines for the user: every problem found, or the counts of
new, changed and unchanged items, what the file leaves out, and the notes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from core.io.imports.plan import ImportPlan
from core.io.imports.rows import RowError

KIND_PLURAL = {"logic_model": "logic model", "strategy": "strategies", "outcome": "outcomes"}


@dataclass
class ImportReport:
    """What an import found and did (or, for a dry run, would do)."""

    filename: str
    errors: list[RowError] = field(default_factory=list)
    plan: ImportPlan | None = None
    counts: dict[str, Counter[str]] | None = None
    applied: bool = False
    dry_run: bool = False
    retire_missing: bool = False
    confirm_duplicates: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def count_line(self) -> str:
        counts = self.counts or {}
        lm = counts.get("logic_model", Counter())
        parts = [f"logic model {next((k for k in ('new', 'changed') if lm[k]), 'unchanged')}"]
        for kind in ("strategy", "outcome"):
            c = counts.get(kind, Counter())
            text = f"{c['new']} new, {c['changed']} changed, {c['unchanged']} unchanged"
            if c["retired"]:
                text += f", {c['retired']} retired"
            parts.append(f"{KIND_PLURAL[kind]} {text}")
        return "; ".join(parts) + "."

    def lines(self) -> list[str]:
        if self.errors:
            return self._error_lines()
        assert self.plan is not None
        if self.applied:
            head = f"Imported {self.filename}: {self.count_line()}"
        else:
            head = (
                f"Checked {self.filename}; nothing was changed yet. Importing it: "
                f"{self.count_line()}"
            )
        return [
            head,
            _status_line(self.plan.status_differs),
            *self._missing_outcomes_lines(len(self.plan.missing_outcomes)),
            *_missing_strategies_lines(len(self.plan.missing_strategies)),
            *self._duplicate_lines(),
            *self.plan.notes,
        ]

    def _duplicate_lines(self) -> list[str]:
        assert self.plan is not None
        found = self.plan.likely_duplicates
        if not found:
            return []
        n = len(found)
        if self.applied:
            head = f"{n} likely duplicate{'s were' if n != 1 else ' was'} added, as confirmed:"
        else:
            head = (
                f"{n} new outcome{'s repeat' if n != 1 else ' repeats'} an existing one; "
                "the import adds "
                f"{'them' if n != 1 else 'it'} only when confirmed (a mistyped outcome_id?):"
            )
        return [head, *(d.line() for d in found)]

    def _error_lines(self) -> list[str]:
        n = len({e.row for e in self.errors if e.row is not None})
        head = (
            f"{self.filename}: {n} row{'s' if n != 1 else ''} with problems; "
            if n
            else f"{self.filename}: "
        )
        return [head + "nothing was imported.", *map(str, self.errors)]

    def _missing_outcomes_lines(self, missing: int) -> list[str]:
        if not missing:
            return []
        start = (
            f"{missing} outcome{'s' if missing != 1 else ''} in the database "
            f"{'are' if missing != 1 else 'is'} not in the file; "
        )
        if not self.retire_missing:
            return [start + "they were left as they are."]
        verb = "were" if self.applied else "would be"
        return [start + f"they {verb} retired."]


def _status_line(differ: int) -> str:
    return "Status columns were not imported: statuses change only through status updates" + (
        f" ({differ} row{'s show' if differ != 1 else ' shows'} a status other than "
        "the database's)."
        if differ
        else "."
    )


def _missing_strategies_lines(n: int) -> list[str]:
    if not n:
        return []
    return [
        f"{n} strateg{'ies' if n != 1 else 'y'} of this logic model "
        f"{'have' if n != 1 else 'has'} no row in the file; left as "
        f"{'they are' if n != 1 else 'it is'}."
    ]
