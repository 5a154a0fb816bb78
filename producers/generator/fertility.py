"""Pregnancies and births: conceptions paced by the preset's ASFR, then records, outcomes, births.

The conception hazard is recalibrated every month per single year of age: the births the ASFR
asks for (women aged a x ASFR(a + 0.75) / 12, births come ~9 months later) are spread over the
women then able to conceive (not pregnant, not using a method, 60+ days after the last
pregnancy ended; unmarried women at a small relative rate). Realised TFR thus follows the input
whatever the contraception and marriage dynamics, and spacing follows from gestation: a next
live birth is at least 60 + 230 days after the last one (the register's 150-day rule holds).
"""

from __future__ import annotations

import numpy as np

from producers.generator import rates
from producers.generator.rand import Table
from producers.generator.sim import Sim
from producers.generator.state import ALIVE, MARRIED, NONE
from producers.generator.writer import day_iso

_OUTCOMES = Table(range(len(rates.OUTCOMES)), rates.OUTCOME_P)
LIVE, MISCARRIAGE, ABORTION, STILLBIRTH = 0, 1, 2, 3
RECORDED = -1  # preg_rec once pregnancy.recorded has been written


def conceive(sim: Sim, first: int, last: int, free: np.ndarray | None = None) -> int:
    """Draw this month's conceptions; returns how many. `free` defaults to the month's free mask."""
    s = sim.state
    p = s.p
    ages = s.ages(first)
    women = (p.view("sex") == 1) & (p.view("status") == ALIVE)
    W = np.bincount(ages[women], minlength=rates.MAX_AGE + 1)[: rates.MAX_AGE + 1]
    able = women & (p.view("preg_end") == 0) & (p.view("contra") == NONE)
    able &= (first - p.view("last_end") >= 60) & (ages >= 12) & (ages <= 49)
    able &= sim.free_mask(first) if free is None else free
    idx = np.nonzero(able)[0]
    if idx.size == 0:
        return 0
    weight = np.where(p.marital[idx] == MARRIED, 1.0, sim.hz.unmarried_fertility)
    E = np.bincount(ages[idx], weights=weight, minlength=rates.MAX_AGE + 1)[: rates.MAX_AGE + 1]
    asfr = sim.asfr
    at_birth = 0.25 * asfr + 0.75 * np.append(asfr[1:], 0.0)  # age at the birth ~ age now + 0.75
    per_conception = rates.OUTCOME_P[LIVE] * (1.0 + rates.TWIN_RATE)
    needed = W * at_birth / 12.0 / per_conception
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.clip(np.where(E > 0, needed / E, 0.0), 0.0, 0.5)
    chosen = idx[sim.r.gen.random(idx.size) < h[ages[idx]] * weight]
    r = sim.r
    for w in chosen.tolist():
        day = r.between(first, last)
        outcome = _OUTCOMES.draw(r)
        if outcome == LIVE:
            end = day + int(min(290, max(230, r.normal(266, 10))))
            known = day + r.between(45, 120)
            p.preg_twins[w] = 1 if r.chance(rates.TWIN_RATE) else 0
        elif outcome == STILLBIRTH:
            end, known = day + r.between(170, 280), day + r.between(45, 120)
        elif outcome == MISCARRIAGE:
            end = day + r.between(45, 130)
            known = day + r.between(30, end - day - 5) if r.chance(0.6) else 0
        else:
            end = day + r.between(35, 80)
            known = day + r.between(28, end - day - 3) if r.chance(0.4) else 0
        p.preg_end[w], p.preg_rec[w], p.preg_out[w] = end, known, outcome
    return int(chosen.size)


def record_pregnancies(sim: Sim, first: int, last: int) -> None:
    p = sim.state.p
    rec = p.view("preg_rec")
    for w in np.nonzero((rec >= first) & (rec <= last) & (p.view("status") == ALIVE))[0].tolist():
        day = int(p.preg_rec[w])
        if p.frozen_until[w] > day:
            p.preg_rec[w] = 0  # wrongly recorded dead: the collaborator skips her this time
            continue
        payload = {"person_id": sim.em.pid(w)}
        if p.preg_out[w] in (LIVE, STILLBIRTH):
            payload["expected_on"] = day_iso(int(p.preg_end[w]) + sim.r.between(-10, 10))
        p.preg_rec[w] = RECORDED
        sim.mark(w)
        done = sim.em.event("pregnancy.recorded", day, int(p.commune[w]), payload, persons=(w,), collector=int(p.hh[w]))
        if done and sim.r.chance(sim.noise.double_entry):
            again = sim.em.event(
                "pregnancy.recorded", day, int(p.commune[w]), payload, persons=(w,), collector=int(p.hh[w])
            )
            if again:
                sim.queue[sim.month + sim.r.between(1, 3)].append(("void", again[0], w, "nhập trùng"))
                sim.truth.noise["double_entries"] += 1


def end_pregnancies(sim: Sim, first: int, last: int) -> None:
    p = sim.state.p
    end = p.view("preg_end")
    for w in np.nonzero((end >= first) & (end <= last) & (p.view("status") == ALIVE))[0].tolist():
        day, outcome, known = int(p.preg_end[w]), int(p.preg_out[w]), int(p.preg_rec[w]) == RECORDED
        p.preg_end[w], p.preg_rec[w], p.last_end[w] = 0, 0, day
        sim.mark(w)
        if known or outcome in (LIVE, STILLBIRTH):
            sim.em.event(
                "pregnancy.ended",
                day,
                int(p.commune[w]),
                {"person_id": sim.em.pid(w), "outcome": rates.OUTCOMES[outcome]},
                persons=(w,),
                collector=int(p.hh[w]),
            )
        if outcome == LIVE:
            for _ in range(2 if p.preg_twins[w] else 1):
                _birth(sim, w, day, plurality=2 if p.preg_twins[w] else 1)


def _birth(sim: Sim, mother: int, day: int, plurality: int) -> None:
    p, r = sim.state.p, sim.r
    order = int(p.parity[mother]) + 1
    male = r.chance(sim.p_male[min(order, 3) - 1])
    father = int(p.spouse[mother]) if p.marital[mother] == MARRIED else NONE
    if father != NONE and (p.status[father] != ALIVE or p.frozen_until[father] > day):
        father = NONE
    surname = int(p.surname[father if father != NONE else mother])
    hh = int(p.hh[mother])
    child = sim.new_person(hh, 0 if male else 1, day, int(p.eth[mother]), surname, mother=mother)
    p.parity[mother], p.last_birth[mother] = order, day
    sim.mark(child)
    payload = {
        "child_id": sim.em.pid(child),
        "household_id": sim.em.hid(hh),
        "mother_id": sim.em.pid(mother),
        "sex": "M" if male else "F",
    }
    if father != NONE:
        payload["father_id"] = sim.em.pid(father)
    unnamed = r.chance(sim.noise.unnamed_birth)
    if not unnamed:
        payload["full_name"] = sim.names.full(r, int(p.eth[child]), surname, not male)
    weight = r.normal(3100 if plurality == 1 else 2500, 420)
    payload["birth_weight_g"] = int(min(4800, max(900, weight)) // 10 * 10)
    if plurality > 1:
        payload["plurality"] = plurality
    mother_age = int((day - int(p.birth[mother])) / 365.2425)
    sim.truth.add_birth(int(day_iso(day)[:4]), mother_age, male, order)
    persons = (child, mother) if father == NONE else (child, mother, father)
    if not sim.em.event("birth", day, int(p.commune[mother]), payload, persons=persons, households=(hh,), collector=hh):
        return
    if unnamed:
        sim.queue[sim.month + r.between(1, 3)].append(("name", child))
    elif r.chance(sim.noise.rename):
        sim.queue[sim.month + r.between(2, 8)].append(("rename", child))
