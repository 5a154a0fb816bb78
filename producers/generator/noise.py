"""Field noise: how real collection differs from the clean history (DOMAIN.md, problems 1-3).

Rates are per opportunity and configurable; the defaults keep the noise a small share.
Invalid lines are corrupted copies that `events.validate_submission` must refuse.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import orjson

from producers.generator.rand import Rand


@dataclass(frozen=True)
class NoiseConfig:
    late: float = 0.12  # share of facts written down weeks to months late
    late_days: tuple[int, int] = (21, 180)
    duplicate: float = 0.01  # share of lines uploaded twice (same event_id, same content)
    unnamed_birth: float = 0.30  # newborns recorded without a name, named later (person.corrected)
    rename: float = 0.03  # named newborns renamed later (renamed when ill, DOMAIN.md)
    missing_move_out: float = 0.10  # moves inside the province whose move_out is never recorded
    wrong_death: float = 0.02  # per real death: a living person recorded dead, voided later
    double_entry: float = 0.01  # per pregnancy.recorded: entered twice, the copy voided later
    duplicate_person: float = 0.002  # baseline persons registered twice, merged later
    invalid: float = 0.0005  # per line: an extra malformed or contract-breaking line

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def none(cls) -> NoiseConfig:
        return cls(0.0, (21, 180), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


INVALID_KINDS = ("malformed_json", "unknown_field", "bad_commune_code", "bad_date", "bad_type")


def corrupt(r: Rand, line: dict[str, Any], new_event_id: str) -> tuple[str, bytes]:
    """An invalid variant of a clean line, with its own event id so it never shadows the fact."""
    kind = INVALID_KINDS[r.below(len(INVALID_KINDS))]
    bad = dict(line, event_id=new_event_id, payload=dict(line["payload"]))
    match kind:
        case "malformed_json":
            raw = orjson.dumps(bad)
            return kind, raw[: max(10, len(raw) * 2 // 3)]  # a line cut off by a dropped upload
        case "unknown_field":
            bad["payload"]["ghi_chu"] = "nhập thêm"  # a field the contract does not have
        case "bad_commune_code":
            bad["commune"] = bad["commune"][:4]  # a digit lost: 4 digits
        case "bad_date":
            day = bad["occurred_on"]
            bad["occurred_on"] = f"{day[8:10]}/{day[5:7]}/{day[0:4]}"  # dd/mm/yyyy from a form
        case _:
            bad["type"] = bad["type"].replace(".", "_") + "x"  # an unknown event type
    return kind, orjson.dumps(bad)
