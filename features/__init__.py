"""Point-in-time features and art. 41 labels, pure Polars; every function takes ``as_of``.

``inputs`` gathers the lake's sources, ``visibility`` says what was known when, one module per
signal family builds its columns, ``table`` joins them into one row per (uscc, as_of), and
``labels`` derives mass-layoff starts from the enrolment changes.
"""
