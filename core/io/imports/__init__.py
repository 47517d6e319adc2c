"""Importing a logic model from a CSV or Excel file with the export's columns.

The whole file is checked first: every bad row is reported with its row number as a
spreadsheet shows it (the header is row 1), the column, the value and the reason,
and nothing is imported unless every row passes. Then one write transaction applies
it through `core.plan.editing` and `core.plan.redating`, which check that the actor
is an admin and write each change to the plan's change log (one batch per import).
Rows that match the database change nothing, so importing the same file again
changes nothing.

Rows are matched by id; an empty id is found by what the row says (see `validate`).
Status columns are not imported: statuses change only through status updates.
Outcomes of the logic model that the file leaves out are reported and left as they
are, unless the import is asked to retire them.

The import is a pipeline, one module a stage:
`read` (the file → raw rows), `cells` (cleaning one cell), `rows` (one row of the
file and its errors), `match` (the logic model, strategies and outcomes the rows are
in the database), `plan` (the ImportPlan: what is added, changed and left out, and
with `duplicates`, the new outcomes that repeat an existing one),
`write` (applying it in one transaction; the entry points `import_file` and
`import_rows`) and `report` (the ImportReport). This package re-exports the public
names.
"""

from core.io.imports.cells import ID_MAX
from core.io.imports.duplicates import LikelyDuplicate
from core.io.imports.plan import ImportPlan, MissingOutcome, PlannedItem, validate
from core.io.imports.read import MAX_ROWS, ImportFileError, read_table
from core.io.imports.report import KIND_PLURAL, ImportReport
from core.io.imports.rows import REQUIRED_COLUMNS, RowError, shown
from core.io.imports.write import (
    ImportRejected,
    apply,
    command_line_actor,
    import_file,
    import_rows,
)

__all__ = [
    "ID_MAX",
    "KIND_PLURAL",
    "MAX_ROWS",
    "REQUIRED_COLUMNS",
    "ImportFileError",
    "ImportPlan",
    "ImportRejected",
    "ImportReport",
    "LikelyDuplicate",
    "MissingOutcome",
    "PlannedItem",
    "RowError",
    "apply",
    "command_line_actor",
    "import_file",
    "import_rows",
    "read_table",
    "shown",
    "validate",
]
