"""State: SQLModel tables, Alembic migrations, the database engine and the Parquet lake.

- ``db``: the engine per database URL, migrated on first use; ``layoffwatch db upgrade``.
- ``tables``, ``types``: the tables and the column types shared by SQLite and PostgreSQL.
- ``batches``, ``enterprises``: repository functions over those tables; ``uow``: one transaction.
- ``lake``, ``quarantine``: validated and quarantined rows as Parquet under ``LAYOFFWATCH_HOME``.
"""
