"""The rule set a projection version is built and read under (stored with the version). Pure.

A rule change is a new projection version and a rebuild (OpenCRVS pins each record to its form
version; NOTES-KAFKA-FAUST.md): the old version keeps answering under its rules until the swap.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from events.calendar import LEGAL_MARRIAGE_AGE, MOVE_MATCH_MONTHS

Boundaries = Literal["as_of_date", "current"]


class Rules(BaseModel):
    """Fold rules (legal ages, move matching) and read rules (boundaries, indicator definitions)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Defaults: the shared rules of events/calendar.py (a version stores the values it was built with).
    legal_age_male: int = LEGAL_MARRIAGE_AGE["M"]
    legal_age_female: int = LEGAL_MARRIAGE_AGE["F"]
    move_match_months: int = Field(MOVE_MATCH_MONTHS, ge=0)  # calendar months, last day included
    # as_of_date: a commune counts in the units it belonged to on each day (a commune that
    # ended counts in its successor's afterwards); current: every day in today's units, so the
    # history of old communes is re-aggregated into the units of the 1 July 2025 reform.
    boundaries: Boundaries = "as_of_date"
    definitions: dict[str, int] = Field(default_factory=dict)  # indicator -> definition version

    @field_validator("definitions")
    @classmethod
    def _known_definitions(cls, value: dict[str, int]) -> dict[str, int]:
        from projections.definitions import check_definitions

        check_definitions(value)
        return dict(sorted(value.items()))

    def definition(self, name: str) -> int:
        return self.definitions.get(name, 1)


DEFAULT_RULES = Rules()
