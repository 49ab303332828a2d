"""Alembic migrations for the tables in ``store.tables``; run through ``store.db``, never by hand."""
