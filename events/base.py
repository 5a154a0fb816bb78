"""Shared building blocks of the wire contract: frozen closed models and field types."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def _nfc(value: str) -> str:
    # Phones send decomposed Vietnamese (e.g. "o" + U+0302 + U+0301); one form keeps names comparable.
    return unicodedata.normalize("NFC", value)


class Frozen(BaseModel):
    """A closed, immutable model: a typo in a field name is an error, never a silent drop."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class FieldRule(ValueError):
    """A rule across fields that is reported on one field (`field`, relative to the model).

    Raised from model validators, so that the error reads `payload.person_ids: ...` and an
    entry app can put it next to the right input, not on the whole submission.
    """

    def __init__(self, field: str, msg: str):
        super().__init__(msg)
        self.field = field


Text = Annotated[str, AfterValidator(_nfc)]
NonEmptyText = Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_nfc)]
Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, strip_whitespace=True),
    Field(description="producer-chosen identifier, 1-64 characters (UUID recommended)"),
]
CommuneCode = Annotated[
    str,
    StringConstraints(pattern=r"^\d{5}$"),
    Field(description="GSO commune code, 5 digits"),
]
# A move's other end: a commune, "ABROAD", or absent when unknown.
PlaceCode = Annotated[
    str,
    StringConstraints(pattern=r"^(\d{5}|ABROAD)$"),
    Field(description='a 5-digit commune code or "ABROAD"'),
]
NationalId = Annotated[str, StringConstraints(pattern=r"^\d{12}$"), Field(description="CCCD, 12 digits")]
