"""Pseudonymous keys for exports: HMAC-SHA256 of register identifiers under a secret key.

Choice (docs/analyses.md): by default the key is a project key kept in a file beside the local
stack's data (created on first use, never exported), so the same person has the same key in
every export of this installation and analysts can link exports over time. `per_export=True`
draws a fresh random salt per export instead: keys are then stable inside one export only and
two exports cannot be linked. Either way a key cannot be turned back into an identifier without
the secret, and the manifest carries only the key's fingerprint, never the key.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

KEY_BYTES = 32
KEY_HEX = 16  # 64 bits: collision odds ~3e-8 for a province, ~3e-4 for the whole country


@dataclass(frozen=True)
class Pseudonymiser:
    """Maps register identifiers (persons, households, events) to short pseudonymous keys."""

    key: bytes
    mode: str  # "project" or "per-export"

    _cached: Callable[[str], str] = field(init=False, repr=False, compare=False)  # set in __post_init__

    def __post_init__(self) -> None:
        # One person's id recurs in nearby records (a record's facts and its log row, a batch of
        # a household's events): a bounded cache saves most of the HMACs.
        object.__setattr__(self, "_cached", lru_cache(maxsize=1 << 17)(self._digest))

    def _digest(self, identifier: str) -> str:
        return hmac.digest(self.key, identifier.encode(), "sha256").hex()[:KEY_HEX]

    def __call__(self, identifier: str | None) -> str | None:
        return None if identifier is None else self._cached(identifier)

    @property
    def fingerprint(self) -> str:
        """Shows whether two exports used the same key, without revealing it."""
        return hmac.digest(self.key, b"popreg-pseudonym-fingerprint", "sha256").hex()[:12]

    def describe(self) -> dict[str, str]:
        return {"method": "HMAC-SHA256, first 64 bits, hex", "mode": self.mode, "key_fingerprint": self.fingerprint}


def project_pseudonymiser(key_file: Path) -> Pseudonymiser:
    """The installation's stable key, created (mode 0600) the first time it is needed."""
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(KEY_BYTES))
    key = key_file.read_bytes()
    if len(key) < 16:
        raise ValueError(f"{key_file}: pseudonymisation key is too short ({len(key)} bytes, need >= 16)")
    return Pseudonymiser(key, "project")


def per_export_pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(secrets.token_bytes(KEY_BYTES), "per-export")
