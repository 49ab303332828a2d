"""Password hashes: scrypt (RFC 7914), memory-hard, from the standard library.

The parameters are OWASP's (N=2^17, r=8, p=1: 128 MiB and about a fifth of a second per hash) and
are written into each hash, so raising them later leaves old hashes readable; ``needs_rehash``
tells when a hash was made with weaker ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
N, R, P = 2**17, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 10


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, n, r, p)
    return f"{SCHEME}${n}${r}${p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed hash matches nothing."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(key)
        actual = _derive(password, base64.b64decode(salt), int(n), int(r), int(p), length=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != SCHEME or (int(parts[1]), int(parts[2]), int(parts[3])) < (N, R, P)


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used, as one Chinese sentence, or None."""
    if len(password) < MIN_LENGTH:
        return f"密码至少需要 {MIN_LENGTH} 个字符。"
    if password.isdigit() or password.isalpha():
        return "密码不能只由数字或只由字母组成。"
    return None


def _derive(password: str, salt: bytes, n: int, r: int, p: int, *, length: int = KEY_BYTES) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * n * r * p, dklen=length
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
