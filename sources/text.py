"""Text normalisation shared by readers and matchers: NFKC for matching, originals for display."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\u3000\ufeff]+")


def header_key(header: object) -> str:
    """A header cell reduced for matching: NFKC, no spaces or BOM, no '*' required-marks, case-folded."""
    text = unicodedata.normalize("NFKC", "" if header is None else str(header))
    return _SPACES.sub("", text).strip("*＊:：").casefold()
