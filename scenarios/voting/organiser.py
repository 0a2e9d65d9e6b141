"""The organiser secret: stored only as an scrypt hash, checked before organiser actions."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from planning.base.errors import PlanningError

MIN_LENGTH = 8
SCRYPT_N = 2**14  # ~16 MiB and tens of milliseconds: cheap for a meeting, costly for guessing


def hash_secret(secret: str, salt: bytes | None = None, n: int = SCRYPT_N) -> tuple[bytes, bytes]:
    """(salt, scrypt hash) of a new secret; refuses secrets shorter than ``MIN_LENGTH``."""
    if len(secret) < MIN_LENGTH:
        raise PlanningError("organiser_secret_too_short", min_length=MIN_LENGTH)
    salt = salt if salt is not None else secrets.token_bytes(16)
    return salt, _scrypt(secret, salt, n)


def check_secret(secret: str | None, salt: bytes, expected: bytes, n: int) -> None:
    """Raise ``organiser_secret_missing`` / ``organiser_secret_wrong`` unless ``secret`` matches."""
    if not secret:
        raise PlanningError("organiser_secret_missing")
    if not hmac.compare_digest(_scrypt(secret, salt, n), expected):
        raise PlanningError("organiser_secret_wrong")


def _scrypt(secret: str, salt: bytes, n: int) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=8, p=1, dklen=32)
