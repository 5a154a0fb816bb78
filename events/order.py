"""The order of one day's facts, for every reader of the log: the register's timelines, the
projection folds and the analyses sort a person's facts by (occurred_on, day_rank(type), then the
order they became known). Pure.

Why this order:
- a person exists before anything happens to them: a household, then the registration or birth
  that introduces a person, first; a person.registered and a move_in of the same newcomer on one
  day (one batch of a collaborator) read as one arrival from outside the register;
- a collaborator who records a move_out and a move_in of the same person on one day means the
  person left one commune and arrived in another that day: the departure comes before the
  arrival, so the move_in completes the move_out (one move, both ends known), whichever of the two
  was recorded first;
- changes of state (unions, contraception: a stop before a start is a switch, pregnancies) follow;
- a death comes last: whatever else happened that day happened while the person was alive
  (a mother who dies giving birth, a newborn who dies the day it is born).
"""

from __future__ import annotations

DAY_ORDER: dict[str, int] = {
    "household.registered": 0,
    "person.registered": 1,
    "birth": 1,
    "move_out": 2,
    "move_in": 3,
    "household.member_moved": 4,
    "persons.merged": 4,
    "marriage": 5,
    "divorce": 5,
    "contraception.stopped": 5,
    "contraception.started": 6,
    "pregnancy.recorded": 6,
    "pregnancy.ended": 7,
    "person.corrected": 7,
    "review.overridden": 7,
    "event.voided": 7,
    "death": 9,
}
OTHER_RANK = 7  # a type this table does not name sorts with the corrections


def day_rank(event_type: str) -> int:
    """Where facts of this type stand among one day's facts (lower first)."""
    return DAY_ORDER.get(event_type, OTHER_RANK)
