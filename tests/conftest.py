"""Shared test fixtures: a fresh home per test, and databases (SQLite always, PostgreSQL when reachable)."""
