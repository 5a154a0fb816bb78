"""How a change of residence is written: inside a commune, between communes, out of the province.

Inside one commune (same code on the day) it is `household.member_moved` per person; between
communes a `move_out` at the origin (sometimes never recorded: noise) and a `move_in` at the
destination; out of the province or abroad only a `move_out` (never matched by a move-in).
"""

from __future__ import annotations

from producers.generator.sim import Sim
from producers.generator.state import LEFT


def new_household(sim: Sim, commune: int, day: int, at: int | None = None) -> tuple[int, int] | None:
    """Register a new household; returns it and the second it was recorded (None: not recorded)."""
    h = sim.state.new_household(commune)
    done = sim.em.event(
        "household.registered",
        day,
        commune,
        {"household_id": sim.em.hid(h), "address": sim.address(commune, day, h)},
        at=at,
        new_household=h,
        collector=h,
    )
    return (h, done[1]) if done else None


def relocate(sim: Sim, persons: list[int], dest: int, day: int, at: int | None = None) -> None:
    """Move persons (all in one household) into household `dest` of the province on `day`."""
    p, places, em = sim.state.p, sim.places, sim.em
    persons = [x for x in persons if p.hh[x] != dest]
    if not persons:
        return
    origin = int(p.commune[persons[0]])
    target = int(sim.state.h.commune[dest])
    collector = int(p.hh[persons[0]])
    if places.code(origin, day) == places.code(target, day):
        for person in persons:
            em.event(
                "household.member_moved",
                day,
                target,
                {"person_id": em.pid(person), "household_id": em.hid(dest)},
                persons=(person,),
                households=(dest,),
                at=at,
                collector=dest,
            )
    else:
        ids = [em.pid(x) for x in persons]
        if sim.r.chance(sim.noise.missing_move_out):
            sim.truth.noise["move_in_without_move_out"] += 1
        else:
            em.event(
                "move_out",
                day,
                origin,
                {"person_ids": ids, "to_commune": places.code(target, day)},
                persons=tuple(persons),
                at=at,
                collector=collector,
            )
        em.event(
            "move_in",
            day,
            target,
            {"person_ids": ids, "household_id": em.hid(dest), "from_commune": places.code(origin, day)},
            persons=tuple(persons),
            households=(dest,),
            at=at,
            collector=dest,
        )
    for person in persons:
        sim.state.join(person, dest)
    sim.mark(*persons)


def depart(sim: Sim, persons: list[int], day: int, abroad: bool) -> None:
    """Persons leave the province: a move_out whose move_in, if any, is outside this register."""
    p, em, r = sim.state.p, sim.em, sim.r
    origin = int(p.commune[persons[0]])
    payload: dict = {"person_ids": [em.pid(x) for x in persons]}
    if abroad:
        payload["to_commune"] = "ABROAD"
    elif r.chance(0.8):  # the family often says where they go; otherwise the destination is unknown
        payload["to_commune"] = sim.places.elsewhere(r, day)
    if em.event("move_out", day, origin, payload, persons=tuple(persons), collector=int(p.hh[persons[0]])):
        sim.truth.noise["unmatched_move_outs"] += 1
    sim.truth.moves["abroad" if abroad else "out_of_province"] += len(persons)
    for person in persons:
        sim.state.leave(person, LEFT)
    sim.mark(*persons)


def other_commune(sim: Sim, commune: int, day: int, same_district: bool) -> int | None:
    """A commune with a different code on `day`: in the same district, or in another one.

    After the 2025 reform there are no districts: any other commune of the province.
    """
    places, r = sim.places, sim.r
    here = places.code(commune, day)
    if places.has_districts(day):
        district = places.communes[commune].district
        if same_district:
            pool = places.by_district[district]
        else:
            others = [d for d in places.district_list if d != district]
            if not others:
                return None
            pool = places.by_district[r.pick(others)]
    else:
        pool = range(len(places.communes))
    for _ in range(8):
        c = pool[r.below(len(pool))]
        if places.code(c, day) != here:
            return c
    return None
