"""Validation: each source's rules as Polars quarantine checks and as a Great Expectations suite."""
