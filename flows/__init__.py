"""Prefect flows: orchestration only; every task calls one function from the packages above."""
