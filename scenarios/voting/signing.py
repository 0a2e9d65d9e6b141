"""The organiser's signing key: Ed25519 (``cryptography``), its private half locked by the organiser secret.

The key pair is made when the organiser secret is first set. The public key is stored in the
clear, printed on the header sheet of the ballot slips and published with the result; the
private key is stored only encrypted with AES-256-GCM under a key derived from the organiser
secret by scrypt, so signing a result needs the secret, and rotating the secret re-encrypts
the same key (the printed public key stays valid).
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planning.base.errors import PlanningError
from scenarios.voting.ballots import canonical_json

ALGORITHM = "Ed25519"
_AAD = b"shenghuoquan-organiser-key/1"
_SCRYPT_N = 2**14


@dataclass(frozen=True)
class LockedKey:
    """A key pair as stored: public key in hex, private key encrypted under the organiser secret."""

    public_key: str
    salt: bytes
    nonce: bytes
    sealed: bytes


def new_key(secret: str) -> LockedKey:
    """A fresh key pair, its private half locked with ``secret``."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    return _lock(_raw_private(private), _raw_public(private), secret)


def unlock(key: LockedKey, secret: str):
    """The private key (``Ed25519PrivateKey``); ``organiser_key_locked`` when ``secret`` does not open it."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = AESGCM(_derive(secret, key.salt)).decrypt(key.nonce, key.sealed, _AAD)
    except InvalidTag:
        raise PlanningError("organiser_key_locked") from None
    private = Ed25519PrivateKey.from_private_bytes(raw)
    if _raw_public(private) != bytes.fromhex(key.public_key):
        raise PlanningError("organiser_key_locked")
    return private


def relock(key: LockedKey, old_secret: str, new_secret: str) -> LockedKey:
    """The same key pair, locked with ``new_secret`` instead of ``old_secret``."""
    private = unlock(key, old_secret)
    return _lock(_raw_private(private), bytes.fromhex(key.public_key), new_secret)


def signed_bytes(published: Mapping[str, Any]) -> bytes:
    """The bytes the organiser signs: the canonical JSON of the published result without its signature."""
    return canonical_json({k: v for k, v in published.items() if k != "signature"}).encode("utf-8")


def sign(private, payload: bytes) -> str:
    """Hex Ed25519 signature of ``payload``."""
    return private.sign(payload).hex()


def signature_valid(public_key_hex: str, payload: bytes, signature_hex: str) -> bool:
    """Whether ``signature_hex`` is the key's signature of ``payload`` (False for malformed input too)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(bytes.fromhex(signature_hex), payload)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def fingerprint(public_key_hex: str) -> str:
    """The first 80 bits of sha256(public key) in five groups, as printed on the slips: ``3F9A 07C2 …``."""
    digest = hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:20].upper()
    return " ".join(digest[i:i + 4] for i in range(0, 20, 4))


def _lock(raw_private: bytes, raw_public: bytes, secret: str) -> LockedKey:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = AESGCM(_derive(secret, salt)).encrypt(nonce, raw_private, _AAD)
    return LockedKey(raw_public.hex(), salt, nonce, sealed)


def _derive(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=8, p=1, dklen=32)


def _raw_private(private) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())


def _raw_public(private) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
