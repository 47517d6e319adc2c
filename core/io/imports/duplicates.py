"""Import stage 5a — likely duplicates: a new outcome that says what an existing one
says (same strategy, term, number and text, whitespace folded and case ignored).

Such a row is almost always an existing outcome whose outcome_id was mistyped; adding
it would show the same milestone twice. The plan lists them, and the import adds them
only when asked to (`confirm_duplicates`, `--allow-duplicates`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.io.imports.cells import norm
from core.io.imports.rows import RowError, shown


@dataclass(frozen=True)
class LikelyDuplicate:
    """Row `row` would add outcome `new_id`, which repeats outcome `existing_id`."""

    row: int
    new_id: str
    existing_id: str
    text: str

    def error(self) -> RowError:
        """The refusal of an import that was not asked to add it anyway."""
        return RowError(
            self.row,
            "outcome_id",
            shown(self.new_id),
            f"a new outcome with the same strategy, term, number and text as outcome "
            f"{self.existing_id!r} (a mistyped outcome_id?). Give that id to update it, "
            "or confirm the likely duplicates to add it anyway.",
        )

    def line(self) -> str:
        return (
            f"Row {self.row} would add {self.new_id!r}, which repeats outcome "
            f"{self.existing_id!r} (same strategy, term, number and text)."
        )


def _key(strategy_id: Any, term: Any, number: Any, text: Any) -> tuple[str, str, str, str]:
    return (str(strategy_id), str(term), norm(number), norm(text).casefold())


def find(
    existing: Iterable[Any], new: Iterable[tuple[int, str, dict[str, Any]]]
) -> list[LikelyDuplicate]:
    """The likely duplicates among `new` (row, outcome id, values of a new outcome) of
    the `existing` outcomes (rows with id, strategy_id, term, number and text)."""
    known: dict[tuple[str, str, str, str], str] = {}
    for o in existing:
        known.setdefault(_key(o.strategy_id, o.term, o.number, o.text), o.id)
    found: list[LikelyDuplicate] = []
    for row, item_id, v in new:
        key = _key(v["strategy_id"], v["term"], v["number"], v["text"])
        if (same := known.get(key)) is not None:
            found.append(LikelyDuplicate(row, item_id, same, v["text"]))
    return found
