"""The unified social credit code (统一社会信用代码, GB 32100-2015): check character and builder.

The code is 18 characters from a 31-character alphabet (digits and capitals without I, O, Z, S, V).
Characters 1-17 are weighted by 3^i mod 31 and the 18th is (31 - sum mod 31) mod 31.
"""

from __future__ import annotations

import numpy as np
import polars as pl

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The 18th character for the first 17; raises ValueError on a character outside the alphabet."""
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True when ``code`` is 18 characters of the alphabet with a correct check character."""
    if len(code) != 18 or any(ch not in _VALUE for ch in code):
        return False
    return check_character(code[:17]) == code[17]


def valid_expr(column: str | pl.Expr) -> pl.Expr:
    """Polars expression: True where the (normalised, upper-case) code is valid, null where null.

    Vectorised over the column: each position is mapped to its alphabet value with a lookup,
    weighted and summed, so millions of codes are checked without a Python loop.
    """
    code = pl.col(column) if isinstance(column, str) else column
    shaped = code.str.contains(f"^[{ALPHABET}]{{18}}$")
    lookup = pl.DataFrame({"ch": list(ALPHABET), "v": list(range(31))})
    mapping = dict(zip(lookup["ch"].to_list(), lookup["v"].to_list(), strict=True))
    total = pl.sum_horizontal(
        [
            code.str.slice(i, 1).replace_strict(mapping, default=0, return_dtype=pl.Int64) * w
            for i, w in enumerate(WEIGHTS)
        ]
    )
    expected = ((31 - total % 31) % 31).replace_strict(
        dict(enumerate(ALPHABET)), return_dtype=pl.String
    )
    return pl.when(code.is_null()).then(None).otherwise(shaped & (code.str.slice(17, 1) == expected))


def build_codes(
    rng: np.random.Generator, n: int, *, division: str = "141081", registrar: str = "9", kind: str = "1"
) -> list[str]:
    """``n`` distinct valid codes for one administrative division (default 141081, Houma).

    Layout: registrar (9 = market regulation) · kind (1 = enterprise) · 6-digit division ·
    9-character organisation code (8 body + its own GB 11714 check character) · check character.
    """
    codes: set[str] = set()
    out: list[str] = []
    org_alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    org_weights = (3, 7, 9, 10, 5, 8, 4, 2)
    while len(out) < n:
        need = n - len(out)
        bodies = rng.integers(0, 31, size=(need, 8))
        # Mostly digits, as real organisation codes are.
        bodies = np.where(rng.random(size=(need, 8)) < 0.85, bodies % 10, bodies)
        for row in bodies:
            body = "".join(org_alphabet[i] for i in row)
            s = sum(_VALUE[c] * w for c, w in zip(body, org_weights, strict=True))
            c9 = 11 - s % 11
            org_check = "0" if c9 == 11 else ("X" if c9 == 10 else str(c9))
            first17 = f"{registrar}{kind}{division}{body}{org_check}"
            code = first17 + check_character(first17)
            if code not in codes:
                codes.add(code)
                out.append(code)
    return out
