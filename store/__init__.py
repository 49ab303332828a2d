"""State: SQLModel tables, Alembic migrations, the database engine and the Parquet lake."""
