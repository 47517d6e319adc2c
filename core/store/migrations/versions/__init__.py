"""Alembic revision files, oldest first by their number."""
