"""Alembic revisions of the tracker's schema; run them with `python -m core migrate`."""
