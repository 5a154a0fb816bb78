"""Response models of the read API's CONTRACT.md operations (typed in OpenAPI).

`extra="allow"`: a field added to a response later is passed through, never dropped by the model;
the documented ones are typed here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class IndicatorsOut(_Open):
    area: str = Field(description="the area code as normalised (VN, 2, 3 or 5 digits)")
    level: Literal["commune", "district", "province", "country"]
    period: str = Field(description="YYYY-MM, YYYY-Qn or YYYY")
    known_on: str | None = Field(description="the knowledge date (YYYY-MM-DD) or null for now")
    # Passed through as computed (no coercion of a figure); the schema says what each value is.
    values: dict[str, Any] = Field(
        description="each indicator: counts are integers, ratios and rates numbers, null where a denominator is zero",
        json_schema_extra={
            "additionalProperties": {"anyOf": [{"type": "integer"}, {"type": "number"}, {"type": "null"}]}
        },
    )


class ProgressOut(_Open):
    submitted: int = Field(description="accepted submissions on the submissions topic")
    processed: int = Field(description="of them, judged by the register")
    projected: int = Field(description="log records in the projections")
    log_end: int
    register_caught_up: bool
    projections_caught_up: bool


class HealthOut(_Open):
    status: Literal["ok", "degraded"]
    postgres: str | None = Field(None, description="ok, or the error")
    kafka: str | None = Field(None, description="ok, or the error")
    projection: dict[str, Any] | None = Field(None, description="the live projection version read")
