"""Later corrections of the record: names given to newborns, voids of wrong entries, merges.

These are the follow-ups the field noise needs (DOMAIN.md problem 1: newborns are named late and
renamed; entries are wrong; people are written twice). They run from a queue of actions due in a
month, after checking the person can still be recorded (alive, in the province).
"""

from __future__ import annotations

import numpy as np

from producers.generator.sim import Sim
from producers.generator.state import ALIVE, GHOST


def run_queue(sim: Sim, first: int, last: int) -> None:
    for action in sim.queue.pop(sim.month, []):
        kind = action[0]
        day = sim.r.between(first, last)
        if kind in ("name", "rename"):
            _name(sim, action[1], day, kind)
        elif kind == "void":
            _void(sim, action[1], action[2], action[3], day)
        elif kind == "merge":
            _merge(sim, action[1], action[2], day)


def _name(sim: Sim, child: int, day: int, kind: str) -> None:
    p = sim.state.p
    if p.status[child] != ALIVE or p.frozen_until[child] > day:
        return
    name = sim.names.full(sim.r, int(p.eth[child]), int(p.surname[child]), bool(p.sex[child]))
    if sim.em.event(
        "person.corrected",
        day,
        int(p.commune[child]),
        {"person_id": sim.em.pid(child), "changes": {"full_name": name}},
        persons=(child,),
        collector=int(p.hh[child]),
    ):
        sim.truth.noise["newborns_named_later" if kind == "name" else "renamed"] += 1


def _void(sim: Sim, event_id: str, person: int, reason: str, day: int) -> None:
    p = sim.state.p
    commune = int(p.commune[person])
    done = sim.em.event(
        "event.voided",
        day,
        commune,
        {"voided_event_id": event_id, "reason": reason},
        persons=(person,),
        collector=int(p.hh[person]),
    )
    p.frozen_until[person] = min(int(p.frozen_until[person]), day)
    sim.mark(person)
    if done:
        sim.truth.noise["voided_wrong_deaths" if reason.startswith("ghi nhầm") else "voided_double_entries"] += 1


def _merge(sim: Sim, survivor: int, ghost: int, day: int) -> None:
    p = sim.state.p
    if p.status[survivor] != ALIVE or p.frozen_until[survivor] > day or p.status[ghost] != GHOST:
        return  # the clerk never finds the pair: the duplicate stays in the register
    if sim.em.event(
        "persons.merged",
        day,
        int(p.commune[survivor]),
        {"surviving_id": sim.em.pid(survivor), "merged_id": sim.em.pid(ghost)},
        persons=(survivor, ghost),
        collector=int(p.hh[survivor]),
    ):
        sim.truth.noise["persons_merged"] += 1


def wrong_deaths(sim: Sim, first: int, last: int, deaths: int, ages: np.ndarray, free: np.ndarray) -> None:
    """A living person is recorded dead by mistake (a neighbour's death written on the wrong line)."""
    r, p = sim.r, sim.state.p
    for _ in range(int(r.gen.poisson(deaths * sim.noise.wrong_death))):
        person = r.below(p.n)
        if not free[person] or ages[person] < 1 or p.preg_end[person] or p.status[person] != ALIVE:
            continue
        day = r.between(first, last)
        done = sim.em.event(
            "death",
            day,
            int(p.commune[person]),
            {"person_id": sim.em.pid(person)},
            persons=(person,),
            collector=int(p.hh[person]),
        )
        if done is None:
            continue
        months = r.between(1, 2)
        p.frozen_until[person] = last + 31 * months + 31  # until the void is known
        sim.mark(person)
        sim.queue[sim.month + months].append(("void", done[0], person, "ghi nhầm: người này còn sống"))
        sim.truth.noise["wrong_deaths"] += 1
