"""The schema declaration is coherent: the one place every other part is derived from."""

from __future__ import annotations

import pytest

from sources.schema import SOURCES, Kind, Source


@pytest.mark.parametrize("source", SOURCES.values(), ids=list(SOURCES))
def test_every_header_spelling_maps_to_exactly_one_column(source: Source) -> None:
    spellings = [s for c in source.columns for s in (c.name, *c.aliases)]
    assert len(source.header_map()) == len(set(spellings))
    for col in source.columns:
        assert col.aliases, f"{source.name}.{col.name} needs a Chinese alias"
        assert all(source.header_map()[a.casefold()] == col.name for a in col.aliases)


@pytest.mark.parametrize("source", SOURCES.values(), ids=list(SOURCES))
def test_keys_and_time_columns_are_declared_required_columns(source: Source) -> None:
    for name in (*source.key, source.time_column):
        assert source.column(name).required and not source.column(name).nullable


def test_enums_accept_their_chinese_labels() -> None:
    for source in SOURCES.values():
        for col in source.columns:
            if col.kind is Kind.ENUM:
                assert col.values and set(col.values.values()) == set(col.canonical_values)
                assert any(not v.isascii() for v in col.values), col.name
