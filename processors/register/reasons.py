"""Review reason codes and the rule of EVENTS.md each one stands for."""

from __future__ import annotations

from dataclasses import dataclass

REASONS: dict[str, str] = {
    "invalid_submission": "a submission must follow the wire contract v1 (EVENTS.md, envelope and types)",
    "unknown_commune": "the commune where it was recorded must exist in the gazetteer on occurred_on",
    "unknown_person": "the subject must exist in the register",
    "not_yet_registered": "the subject must exist in the register on occurred_on",
    "person_dead": "nothing after a death except corrections and voids",
    "not_resident": "the subject must live in the recorded commune on occurred_on",
    "person_exists": "person.registered: a person_id is chosen when the person first appears and never reused",
    "household_exists": "household.registered: a household_id is chosen when the household first appears and never reused",
    "household_unknown": "the household must exist in the register",
    "household_elsewhere": "the household must be in the recorded commune on occurred_on",
    "already_member": "household.member_moved / move_in: the person must change household",
    "child_exists": "birth: child_id must be new",
    "mother_not_female": "birth: the mother is a woman",
    "mother_age_out_of_range": "birth: the mother is aged 10-60 on the date",
    "birth_spacing": "birth: no second birth to the mother within 150 days unless plurality > 1 on the same date",
    "already_married": "marriage: both not currently married",
    "not_married_to_each_other": "divorce: the two are married to each other",
    "same_person": "a fact about two persons needs two different persons (after merges)",
    "already_merged": "persons.merged: both records must still be separate persons",
    "unknown_event": "event.voided: the voided event must be one the register has received",
    "not_voidable": "event.voided: a void, merge or override is undone by a new correcting fact, not a void",
    "already_voided": "event.voided: an event is voided once",
    "unknown_held_event": "review.overridden: the held event must be in review",
    "already_resolved": "review.overridden: a held event is resolved once",
    "conflict_after_late_event": "late events are applied at occurred_on; a later accepted fact no longer holds",
    "processing_error": "the register could not process the submission (see detail)",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule that failed: its reason code and what exactly was wrong."""

    reason: str
    detail: str
    rule_text: str | None = None  # a conflict names the rule of the later fact that broke

    @property
    def rule(self) -> str:
        return self.rule_text or REASONS[self.reason]
