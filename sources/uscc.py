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


_CODE_VALUE = np.full(256, -1, dtype=np.int64)
_CODE_VALUE[np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(len(ALPHABET))
_WEIGHT_VECTOR = np.asarray(WEIGHTS, dtype=np.int64)
SHAPE = f"^[{ALPHABET}]{{18}}$"


def valid_block(block: bytes) -> np.ndarray:
    """For ``block`` = k well-shaped 18-character codes laid end to end: k booleans, check character right.

    One NumPy pass over the bytes (a lookup, a matrix-vector product), so millions of codes cost
    milliseconds; the shape (length, alphabet) must have been checked before.
    """
    values = _CODE_VALUE[np.frombuffer(block, dtype=np.uint8).reshape(-1, 18)]
    expected = (31 - (values[:, :17] @ _WEIGHT_VECTOR) % 31) % 31
    result: np.ndarray = values[:, 17] == expected
    return result


def valid_series(codes: pl.Series) -> pl.Series:
    """Per code: True when valid, False when malformed or wrong check character, null where null."""
    shaped = codes.str.contains(SHAPE)
    ok = shaped.fill_null(False).to_numpy()
    valid = np.zeros(codes.len(), dtype=bool)
    if ok.any():
        block = codes.filter(ok).str.join("").item().encode("ascii")
        valid[ok] = valid_block(block)
    return pl.select(
        pl.when(codes.is_null()).then(None).otherwise(pl.Series(valid)).alias(codes.name)
    ).to_series()


def valid_expr(column: str | pl.Expr) -> pl.Expr:
    """Polars expression: True where the (normalised, upper-case) code is valid, null where null."""
    code = pl.col(column) if isinstance(column, str) else column
    return code.map_batches(valid_series, return_dtype=pl.Boolean)


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
