"""Join codes and tokens.

A join code is six random letters and digits from an alphabet without look-alikes (no 0/O, 1/I/L,
2/Z, 5/S, 8/B): 24⁶ ≈ 190 million codes, drawn by `secrets`, so the next class's code cannot be
guessed by counting from this one; join attempts are rate limited on top of that.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "ACDEFGHJKMNPQRTUVWXY3479"
CODE_LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """What a student typed → the code: case and spaces do not matter."""
    return "".join(ch for ch in text.upper() if not ch.isspace() and ch != "-")[:16]


def is_well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    """Only this hash is stored: a copied database does not let anyone act as a student."""
    return hashlib.sha256(token.encode()).hexdigest()


def teacher_cookie_value(teacher_token: str) -> str:
    """The teacher's browser keeps a value derived from the token, not the token itself."""
    return hmac.new(teacher_token.encode(), b"playground-teacher-cookie", hashlib.sha256).hexdigest()


def is_teacher_token(given: str | None, teacher_token: str | None) -> bool:
    if not given or not teacher_token:
        return False
    return hmac.compare_digest(given.encode(), teacher_token.encode())


def is_teacher_cookie(given: str | None, teacher_token: str | None) -> bool:
    if not given or not teacher_token:
        return False
    return hmac.compare_digest(given.encode(), teacher_cookie_value(teacher_token).encode())
