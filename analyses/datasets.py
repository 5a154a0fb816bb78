"""The exported data sets: every column with its type and meaning (docs/analyses.md mirrors this)."""

from __future__ import annotations

import pyarrow as pa

S, D, I16, I32, F64, B = pa.string(), pa.date32(), pa.int16(), pa.int32(), pa.float64(), pa.bool_()
PERSON = [
    ("person_key", S, "pseudonymous person key (HMAC-SHA256 of the register id, 16 hex)"),
    ("sex", S, "M or F (latest correction known)"),
    ("birth_date", D, "date of birth (latest correction known)"),
]
AREA = [
    ("commune", S, "commune code (5 digits) of residence"),
    ("district", S, "district code (3 digits; empty after the 1 July 2025 reform)"),
    ("province", S, "province code (2 digits)"),
]
STATE = [
    ("marital", S, "marital status: never_married, married, divorced, separated, widowed"),
    ("parity", I16, "live births so far (women; empty for men)"),
    ("contraception", S, "method in use, or none"),
]

COLUMNS: dict[str, list[tuple[str, pa.DataType, str]]] = {
    "persons": PERSON
    + [
        ("mother_key", S, "pseudonymous key of the mother, when the register knows her"),
        ("entry_date", D, "first day in the register (birth, registration or arrival)"),
        ("entry_type", S, "birth, baseline (registered in an existing household) or in_migration"),
        ("death_date", D, "date of death, if before the end of the range"),
        ("baseline_parity", I16, "women: live births before entering the register"),
        (
            "parity_source",
            S,
            "where baseline_parity comes from: birth (0), ceb (children_ever_born), children (children registered with her as mother), none (assumed 0)",
        ),
        ("first_observed", D, "first day observed in the area inside the range"),
        ("last_observed", D, "day after the last day observed in the area inside the range"),
        ("entry_reason", S, "how observation began: birth, baseline, in_migration, period_start, boundary_change"),
        ("exit_reason", S, "how observation ended: death, emigration, censored"),
        ("stays", I16, "number of separate stays in the area"),
        ("migrant", B, "arrived from outside the register, or moved at least once"),
    ],
    "spells": PERSON
    + [
        ("spell_type", S, "residence, union, parity or contraception"),
        ("spell_no", I16, "order of the spell among the person's spells of that type"),
        (
            "state",
            S,
            "residence: commune code; union: marital status; parity: number of live births; contraception: method",
        ),
        ("start", D, "day the state began, if known (empty: began before the register knew, day unknown)"),
        ("entry", D, "first day observed in this state (later than start: left-truncated)"),
        ("end", D, "day observation of the spell ended (exclusive)"),
        ("left_truncated", B, "observation began after the state began (or its start is unknown)"),
        (
            "end_reason",
            S,
            "event (the state changed), death, emigration (left the area), censored (end of range, boundary change)",
        ),
        (
            "end_detail",
            S,
            "what ended it: marriage, divorce, widowed, birth, a stop reason (wants_child, side_effects, other, unknown), switched, failure, moved, out, death",
        ),
        (
            "next_state",
            S,
            "state that followed: marital status, next parity, next method within 30 days (or none), destination commune",
        ),
    ]
    + [(n, t, d.replace("of residence", "of residence at entry")) for n, t, d in AREA],
    "segments": PERSON
    + [
        ("start", D, "first day of the piece"),
        ("end", D, "day after the last day (exclusive)"),
    ]
    + AREA
    + STATE
    + [
        ("sons", I16, "live-born sons so far (women)"),
        ("daughters", I16, "live-born daughters so far (women)"),
    ],
    "events": PERSON
    + [
        ("date", D, "day the event occurred"),
        ("kind", S, "birth (to this woman), death, marriage, divorce, widowed, out_move, in_move"),
    ]
    + AREA
    + STATE
    + [
        ("child_sex", S, "births: sex of the child"),
        ("birth_order", I16, "births: order of the child among the mother's live births"),
        ("first_marriage", B, "marriages: the person's first marriage"),
        ("crosses_commune", B, "moves: crosses a commune boundary"),
        ("crosses_district", B, "moves: crosses a district boundary"),
        ("crosses_province", B, "moves: crosses a province boundary"),
        ("sons_before", I16, "births: sons born earlier"),
        ("daughters_before", I16, "births: daughters born earlier"),
        ("composition_known", B, "births: the sexes of all earlier children are known"),
    ],
    "counting_process": [
        ("person_key", S, "pseudonymous person key"),
        ("start", F64, "age in years at the start of the interval (exclusive)"),
        ("stop", F64, "age in years at its end (inclusive: the event time)"),
        ("event", B, "a live birth at stop"),
        ("births", I16, "live births at stop (twins: 2)"),
        ("start_date", D, "first day of the interval"),
        ("stop_date", D, "day of stop"),
        ("parity", I16, "live births before the interval"),
        ("sons", I16, "sons before"),
        ("daughters", I16, "daughters before"),
        ("marital", S, "marital status"),
        ("contraception", S, "method in use, or none"),
    ]
    + AREA
    + [
        ("migrant", B, "arrived from outside the register or moved before the interval"),
        ("years_since_last_birth", F64, "years since the last live birth at start (empty at parity 0 or unknown)"),
        ("calendar_start", F64, "decimal calendar year at start"),
    ],
    "moves": PERSON
    + [
        ("move_no", I16, "order of the move among the person's moves"),
        ("date", D, "day of the move (departure, or arrival if no departure was recorded)"),
        ("out_date", D, "move_out day, if recorded"),
        ("in_date", D, "move_in day, if the arrival was recorded"),
        ("age", I16, "completed age on the day of the move"),
        ("origin_commune", S, "commune left (ABROAD, UNKNOWN)"),
        ("origin_district", S, "its district"),
        ("origin_province", S, "its province"),
        ("dest_commune", S, "commune of arrival, or the declared destination (ABROAD, UNKNOWN)"),
        ("dest_district", S, "its district"),
        ("dest_province", S, "its province"),
        ("confirmed", B, "the arrival was recorded by the register"),
        ("crosses_commune", B, "counts at commune level"),
        ("crosses_district", B, "counts at district level"),
        ("crosses_province", B, "counts at province level"),
        ("return_commune", B, "back to a commune lived in before"),
        ("return_district", B, "back to a district lived in before"),
        ("return_province", B, "back to a province lived in before"),
    ],
    "od_flows": [
        ("year", I32, "calendar year of the move"),
        ("level", S, "commune, district or province"),
        ("origin", S, "origin unit at that level (ABROAD, UNKNOWN)"),
        ("destination", S, "destination unit"),
        ("sex", S, "M or F"),
        ("moves", pa.int64(), "person-moves crossing that level"),
    ],
    "residence_sequences": [
        ("person_key", S, "pseudonymous person key"),
        ("sex", S, "M or F"),
        ("birth_year", I32, "year of birth"),
        ("year", I32, "calendar year"),
        ("state", S, "state on 31 December (alphabet in docs/analyses.md)"),
    ]
    + AREA,
    "exposure_cube": [
        ("year", I32, "calendar year (Lexis square: age in completed years x calendar year)"),
    ]
    + AREA
    + [
        ("age", I16, "completed age"),
        ("sex", S, "M or F"),
        ("parity", I16, "women: live births before (empty for men)"),
        ("marital", S, "marital status"),
        ("person_years", F64, "exposure: days lived in the cell / 365.25"),
        ("births", pa.int64(), "live births to women in the cell"),
        ("births_male", pa.int64(), "of which boys"),
        ("births_female", pa.int64(), "of which girls"),
        ("deaths", pa.int64(), "deaths"),
        ("first_marriages", pa.int64(), "first marriages"),
        ("marriages", pa.int64(), "all marriages"),
        ("divorces", pa.int64(), "divorces"),
        ("out_moves_commune", pa.int64(), "moves out crossing a commune boundary"),
        ("out_moves_district", pa.int64(), "moves out crossing a district boundary"),
        ("out_moves_province", pa.int64(), "moves out crossing a province boundary"),
        ("in_moves_commune", pa.int64(), "moves in crossing a commune boundary (cell after arrival)"),
        ("in_moves_district", pa.int64(), "moves in crossing a district boundary"),
        ("in_moves_province", pa.int64(), "moves in crossing a province boundary"),
    ],
    "log": [
        ("event_key", S, "pseudonymous key of the event_id"),
        ("type", S, "event type (EVENTS.md)"),
        ("occurred_on", D, "when it happened"),
        ("recorded_at", S, "when it was written down (RFC 3339, as submitted)"),
        ("accepted_at", S, "when the register accepted it"),
        ("commune", S, "commune of the event's area path"),
        ("district", S, "its district"),
        ("province", S, "its province"),
        ("person_keys", pa.list_(S), "pseudonymous keys of the persons it is about (the register's subjects)"),
        ("household_key", S, "pseudonymous key of the household"),
        ("birth_order", I16, "births: the mother's live births including this one"),
        ("mother_age", I16, "births: the mother's completed age"),
        ("sex", S, "births and registrations: sex of the child or person"),
        ("method", S, "contraception: method"),
        ("reason", S, "contraception.stopped: reason"),
        ("outcome", S, "pregnancy.ended: outcome"),
        ("from_commune", S, "move_in: declared origin (commune, ABROAD)"),
        ("to_commune", S, "move_out: declared destination (commune, ABROAD)"),
        ("target_event_key", S, "event.voided / review.overridden: key of the event it names"),
        ("flags", pa.list_(S), "the register's flags (e.g. child_marriage, same_commune)"),
        ("partition", I32, "Kafka partition (empty when read from a file)"),
        ("offset", pa.int64(), "Kafka offset, or line number in the replay file"),
    ],
}
# Row tuples from analyses.rows carry these columns in this order.
ROW_SETS = ("persons", "spells", "segments", "events", "moves", "counting_process", "residence_sequences")


def schema(name: str) -> pa.Schema:
    return pa.schema([(n, t) for n, t, _ in COLUMNS[name]])
