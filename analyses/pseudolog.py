"""A stand-in log from raw submissions, for trying the analyses on generated histories at scale
without running the register (benchmarks, method checks). It is NOT the canonical log: nothing
is checked against person state; each valid submission is wrapped as a RegisterEvent with the
area of its recording commune on its occurrence date. Duplicates, voids, merges and corrections
are left for the export to apply, as it does on the real log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from events import InvalidSubmission, decode_submission, subject_ids


def pseudo_log(lines: Iterable[bytes], gazetteer: Any) -> Iterator[bytes]:
    """RegisterEvent JSON lines for the valid submissions whose commune the gazetteer knows."""
    paths: dict[tuple[str, Any], dict[str, Any] | None] = {}
    for offset, line in enumerate(lines):
        try:
            sub = decode_submission(line)
        except InvalidSubmission:
            continue
        key = (sub.commune, sub.occurred_on)
        if key not in paths:
            path = gazetteer.resolve(sub.commune, sub.occurred_on)
            paths[key] = None if path is None else path.model_dump(mode="json")
        area = paths[key]
        if area is None:
            continue
        event = orjson.loads(line)
        context = {
            "accepted_at": event["recorded_at"],
            "submission_offset": offset,
            "area": area,
            "subjects": [s for s in subject_ids(sub) if s],
        }
        yield orjson.dumps({"event": event, "context": context})
