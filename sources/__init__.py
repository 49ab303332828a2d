"""Source systems -> canonical Polars frames: the schema, readers, parsers and the synthetic city."""
