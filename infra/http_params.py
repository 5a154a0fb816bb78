"""The query and path parameters the HTTP surfaces share, with their documented shape, one definition.

The patterns are published in OpenAPI (so a client or an API tester knows what is valid); the
routes still parse the values themselves and answer a 422 problem in words ("use YYYY-MM ...")
for anything else, so the messages people read do not become regular-expression dumps.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

AREA_PATTERN = r"^(VN|[0-9]{2}|[0-9]{3}|[0-9]{5})$"
# Years 1900-2099: the register's history (and its dates) lie there.
PERIOD_PATTERN = r"^(19|20)[0-9]{2}(-(0[1-9]|1[0-2])|-Q[1-4])?$"
DAY_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# A calendar day is published as JSON Schema's `date` format (a pattern cannot rule out 31 June).
DAY_SCHEMA = {"format": "date", "pattern": DAY_PATTERN}
ID_PATTERN = r"^\S{1,64}$"

AreaQuery = Annotated[
    str,
    Query(
        description="VN, or a province (2 digits), district (3) or commune (5) code",
        json_schema_extra={"pattern": AREA_PATTERN},
    ),
]
PeriodQuery = Annotated[
    str,
    Query(
        description="YYYY-MM (a month), YYYY-Qn (a quarter) or YYYY (a year)",
        json_schema_extra={"pattern": PERIOD_PATTERN},
    ),
]
OptionalPeriodQuery = Annotated[
    str | None, Query(description="YYYY-MM, YYYY-Qn or YYYY", json_schema_extra={"pattern": PERIOD_PATTERN})
]
KnownOnText = Annotated[
    str | None,
    Query(
        description="as the register knew it at the end of this day (YYYY-MM-DD)",
        json_schema_extra=DAY_SCHEMA,
    ),
]
AreaPath = Annotated[str, Path(pattern=AREA_PATTERN, description="VN, a province, district or commune code")]
RecordId = Annotated[
    str,
    Path(description="the record's identifier (1-64 characters, no spaces)", json_schema_extra={"pattern": ID_PATTERN}),
]
