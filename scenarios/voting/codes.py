"""One-time ballot codes and receipt codes: generation, typo check, hashing.

A ballot code is 13 random symbols from a 32-letter alphabet without 0/O/1/I
(65 bits from :mod:`secrets`) plus one Luhn mod-32 check symbol, shown as
``XXXX-XXXX-XXXX-XX``. The check symbol catches every single mistyped symbol and
most swaps of neighbours, so a typo is refused before any database lookup.
Codes are stored only as salted sha256 hashes.
"""
from __future__ import annotations

import hashlib
import secrets

from planning.base.errors import PlanningError

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
_RANDOM_SYMBOLS = 13  # 13 * 5 bits = 65 bits of entropy
_GROUPS = (4, 4, 4, 2)
_RECEIPT_SYMBOLS = 12  # 60 bits: receipts are public, collisions must stay negligible


def new_ballot_code() -> str:
    """A fresh, grouped ballot code such as ``7KQM-X3RD-9PWE-HT``."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(_RANDOM_SYMBOLS))
    return _group(body + _check_symbol(body))


def normalise_code(text: str) -> str:
    """The canonical grouped form of a typed code, or ``code_malformed``.

    Accepts lower case, spaces and missing or extra dashes; does not guess
    at look-alike letters because the alphabet already excludes them.
    """
    raw = "".join(ch for ch in text.upper() if ch not in "- \t")
    if len(raw) != sum(_GROUPS) or any(ch not in _INDEX for ch in raw):
        raise PlanningError("code_malformed")
    if _check_symbol(raw[:-1]) != raw[-1]:
        raise PlanningError("code_malformed")
    return _group(raw)


def hash_code(code: str, salt: bytes) -> str:
    """Hex sha256 of the poll salt and the canonical code."""
    return hashlib.sha256(salt + normalise_code(code).encode("ascii")).hexdigest()


def new_receipt() -> str:
    """A random receipt code, independent of the ballot code (e.g. ``R-ABCD-EFGH-JKLM``)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(_RECEIPT_SYMBOLS))
    return "R-" + "-".join(body[i : i + 4] for i in range(0, _RECEIPT_SYMBOLS, 4))


def new_salt() -> bytes:
    """A 16-byte random salt for one poll's code hashes."""
    return secrets.token_bytes(16)


def _check_symbol(body: str) -> str:
    # Luhn mod N: double every second symbol from the right, fold digits in base 32
    n = len(ALPHABET)
    total = 0
    for position, ch in enumerate(reversed(body)):
        value = _INDEX[ch] * (2 if position % 2 == 0 else 1)
        total += value // n + value % n
    return ALPHABET[(n - total % n) % n]


def _group(raw: str) -> str:
    parts, start = [], 0
    for size in _GROUPS:
        parts.append(raw[start : start + size])
        start += size
    return "-".join(parts)


def new_nonce() -> str:
    """128 random bits in hex: the secret that hides a ballot inside its chain commitment."""
    return secrets.token_hex(16)


def new_setup_token() -> str:
    """A one-time organiser setup token (80 bits), grouped like a ballot code: ``XXXX-XXXX-XXXX-XXXX``."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(16))
    return "-".join(body[i:i + 4] for i in range(0, 16, 4))
