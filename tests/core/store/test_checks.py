"""One rule in three places, side by side: the enums (core/models.py), the CHECK
constraints of the models and of migration 0004, and the values a restore accepts
(core/store/backup_checks.py ENUMS); and the chain's hash as 0004 froze it."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime

from sqlmodel import SQLModel

from core.store import backup_checks, chain, migrate

MIGRATION = migrate.MIGRATIONS_DIR / "versions" / "0004_checks_and_chain.py"


def frozen_0004():
    spec = importlib.util.spec_from_file_location("revision_0004", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def model_checks() -> dict[str, str]:
    return {
        c.name: str(c.sqltext)
        for table in SQLModel.metadata.tables.values()
        for c in table.constraints
        if c.__class__.__name__ == "CheckConstraint" and isinstance(c.name, str)
    }


def test_check_constraints_allow_exactly_the_enums():
    checks = model_checks()
    for (table, column), enum in backup_checks.ENUMS.items():
        name = "ck_user_role" if table == "user_account" else f"ck_{table}_{column}"
        allowed = re.findall(r"'([^']*)'", checks[name].split(" IN ", 1)[1])
        assert allowed == [e.value for e in enum], name


def test_migration_writes_the_models_checks():
    frozen = {name: sql for checks in frozen_0004().CHECKS.values() for name, sql in checks}
    assert frozen == {k: v for k, v in model_checks().items() if k in frozen}
    assert len(frozen) == len(backup_checks.ENUMS) - 1  # the role's came with the baseline


def test_migration_hashes_as_the_chain_does():
    row = {
        "id": 7,
        "outcome_id": "x",
        "changed_at": datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "changed_by": "ünï",
        "old_status": "Done",
        "new_status": "Blocked",
        "note": "a\nb",
        "evidence_url": None,
        "reverts_id": 3,
        "chain_hash": "ignored",
    }
    naive = {**row, "changed_at": row["changed_at"].replace(tzinfo=None)}  # SQLite's
    for previous in (None, "ab" * 32):
        expected = chain.entry_hash(row, previous)
        assert frozen_0004().entry_hash(row, previous) == expected
        assert chain.entry_hash(naive, previous) == expected
    json_row = {"id": 1, "before": {"b": [1, 2.5], "a": None}, "chain_hash": None}
    assert frozen_0004().entry_hash(json_row, None) == chain.entry_hash(json_row, None)
