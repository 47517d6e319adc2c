"""The column contract shared by the export, the import template and the import."""

from __future__ import annotations

# One column contract for the export, the import template and the import (see
# data/README.md, "Import and export columns"): the ids and human columns rebuild a
# logic model's rows; date_basis, date_flag, flags, baseline_due_date, status and
# last_updated, and the standing reason (latest_note, evidence_url) with the schedule
# and days_overdue are for reading and are ignored by the import. A strategy's
# ultimate outcome, resources and tasks (one per line) repeat on each of its rows.
EXPORT_COLUMNS = [
    "outcome_id",
    "region_id",
    "region",
    "logic_model_id",
    "logic_model",
    "logic_model_start",
    "need_id",
    "need",
    "strategy_id",
    "strategy",
    "strategy_label",
    "term",
    "number",
    "text",
    "date_as_written",
    "due_date",
    "baseline_due_date",
    "date_basis",
    "date_flag",
    "flags",
    "status",
    "last_updated",
    "latest_note",
    "evidence_url",
    "schedule",
    "days_overdue",
    "ultimate_outcome",
    "resources",
    "tasks",
]
