"""Moves: single people, couples with their young children, whole households, and arrivals.

Rates are rates.Hazards (per person-year, L, anchored on the 2019 census and PCFPS [V6][V19][V20]);
single people move with the age profile of rates.individual_move_age_factor. Arrivals from other
provinces or abroad are unknown to the register, so they come with a person.registered in their
new household, then the move_in (EVENTS.md).
"""

from __future__ import annotations

import numpy as np

from producers.generator import rates
from producers.generator.moves import depart, new_household, other_commune, relocate
from producers.generator.rand import Table
from producers.generator.sim import Sim
from producers.generator.state import ALIVE, MARRIED, NEVER, NONE
from producers.generator.writer import SECOND

KINDS = ("household", "commune", "district", "province", "abroad")
_FACTOR = np.array([rates.individual_move_age_factor(a) for a in range(rates.MAX_AGE + 1)])


def age_norm(sim: Sim, ages: np.ndarray) -> float:
    """Mean age factor of the people at risk, so the rates hold as averages (computed once)."""
    p = sim.state.p
    risk = (p.view("status") == ALIVE) & (p.view("marital") != MARRIED) & (ages >= 15)
    return float(_FACTOR[np.minimum(ages[risk], 100)].mean()) if risk.any() else 1.0


def singles(sim: Sim, first: int, last: int, ages: np.ndarray, free: np.ndarray) -> None:
    hz, p = sim.hz, sim.state.p
    rates_ = (hz.move_household, hz.move_commune, hz.move_district, hz.move_province, hz.move_abroad)
    kinds = Table(KINDS, rates_)
    risk = free & (p.view("marital") != MARRIED) & (ages >= 15)
    prob = sum(rates_) * _FACTOR[np.minimum(ages, 100)] / sim.move_norm / 12.0
    for person in np.nonzero(risk & (sim.r.gen.random(p.n) < prob))[0].tolist():
        day = sim.r.between(first, last)
        kids = [k for k in sim.kids(person) if p.hh[k] == p.hh[person]] if p.sex[person] else []
        if any(not sim.free(k, day) for k in kids):
            continue
        _go(sim, [person, *kids], kinds.draw(sim.r), day, join_existing=not kids)


def families(sim: Sim, first: int, last: int, free: np.ndarray) -> None:
    """A married couple and her children under 15 move to a new household (a split or a move)."""
    p, r = sim.state.p, sim.r
    wives = free & (p.view("sex") == 1) & (p.view("marital") == MARRIED)
    kinds = Table(KINDS, (0.40, 0.22, 0.15, 0.18, 0.05))
    for w in np.nonzero(wives & (r.gen.random(p.n) < sim.hz.family_move / 12.0))[0].tolist():
        day = r.between(first, last)
        h = int(p.spouse[w])
        if h == NONE or not sim.free(h, day) or p.hh[h] != p.hh[w]:
            continue
        kids = [k for k in sim.kids(w) if p.hh[k] == p.hh[w]]
        if any(not sim.free(k, day) for k in kids):
            continue
        _go(sim, [h, w, *kids], kinds.draw(r), day, join_existing=False)


def households(sim: Sim, first: int, last: int, free: np.ndarray) -> None:
    """Whole households move away: to another commune, another district or another province."""
    s, r = sim.state, sim.r
    p, h = s.p, s.h
    alive = p.view("status") == ALIVE
    blocked = np.bincount(p.view("hh")[alive & ~free], minlength=h.n)[: h.n] > 0
    movable = (h.view("size") > 0) & ~blocked
    chosen = np.nonzero(movable & (r.gen.random(h.n) < sim.hz.household_move / 12.0))[0]
    if chosen.size == 0:
        return
    members = np.nonzero(alive & np.isin(p.view("hh"), chosen))[0]
    by_home: dict[int, list[int]] = {}
    for person in members.tolist():
        by_home.setdefault(int(p.hh[person]), []).append(person)
    kinds = Table(("commune", "district", "province"), (0.4, 0.3, 0.3))
    for home in chosen.tolist():
        group = by_home.get(home, [])[:50]
        if group:
            _go(sim, group, kinds.draw(r), r.between(first, last), join_existing=False)


def _go(sim: Sim, group: list[int], kind: str, day: int, join_existing: bool) -> None:
    p, r = sim.state.p, sim.r
    if kind in ("province", "abroad"):
        depart(sim, group, day, abroad=kind == "abroad")
        return
    here = int(p.commune[group[0]])
    if kind == "household":
        dest_commune = here
    else:
        found = other_commune(sim, here, day, same_district=kind == "commune")
        if found is None:
            return
        dest_commune = found
    dest = sim.pick_household(dest_commune, day) if join_existing and r.chance(0.5) else None
    if dest is None or dest == p.hh[group[0]]:
        made = new_household(sim, dest_commune, day)
        if made is None:
            return
        dest = made[0]
    changed = sim.places.code(here, day) != sim.places.code(dest_commune, day)
    sim.truth.moves["between_communes" if changed else "within_commune"] += len(group)
    relocate(sim, group, dest, day)


def arrivals(sim: Sim, first: int, last: int, population: int) -> None:
    """People from other provinces or abroad settle here (person.registered + move_in)."""
    hz, r, s = sim.hz, sim.r, sim.state
    count = int(r.gen.poisson(population * (hz.in_province + hz.in_abroad) / 12.0))
    share_abroad = hz.in_abroad / (hz.in_province + hz.in_abroad)
    for _ in range(count):
        anchor = r.below(s.p.n)
        if s.p.status[anchor] != ALIVE:
            continue
        day = r.between(first, last)
        commune = int(s.p.commune[anchor])
        origin = "ABROAD" if r.chance(share_abroad) else sim.places.elsewhere(r, day) if r.chance(0.9) else None
        _arrive(sim, commune, day, origin)


def _arrive(sim: Sim, commune: int, day: int, origin: str | None) -> None:
    r, p, em = sim.r, sim.state.p, sim.em
    kinh = sim.names.groups.index("Kinh") if "Kinh" in sim.names.groups else 0
    eth = kinh if r.chance(0.6) else sim.eth_by_commune[commune].draw(r)
    family = r.chance(0.35)
    home = sim.pick_household(commune, day) if not family and r.chance(0.5) else None
    if home is None:
        made = new_household(sim, commune, day)
        if made is None:
            return
        home, at = made
    else:
        at = em.natural(day)
    people: list[tuple[int, str]] = []
    if family:
        wife_age = r.between(20, 40)
        man = sim.new_person(
            home,
            0,
            day - int((wife_age + sim.marriage_gap()) * 365.2425) - r.below(365),
            eth,
            sim.names.surname(r, eth),
        )
        woman = sim.new_person(home, 1, day - int(wife_age * 365.2425) - r.below(365), eth, sim.names.surname(r, eth))
        sim.wed(man, woman, known=True)  # registered as head and spouse
        people += [(man, "head"), (woman, "spouse")]
        n_kids = r.below(3)
        for k in range(n_kids):
            birth = day - 400 - k * 900 - r.below(300)
            kid = sim.new_person(home, r.below(2), birth, eth, int(p.surname[man]), mother=woman)
            people.append((kid, "child"))
        p.parity[woman] = n_kids + (1 if r.chance(0.15) else 0)
        p.last_birth[woman] = p.last_end[woman] = day - 400 if n_kids else 0
    else:
        age = r.between(17, 35)
        sex = r.below(2)
        person = sim.new_person(
            home, sex, day - int(age * 365.2425) - r.below(365), eth, sim.names.surname(r, eth), marital=NEVER
        )
        people.append((person, "head" if sim.state.h.size[home] == 1 else "other"))
    for n, (person, relation) in enumerate(people):  # one second apart: mothers before children
        name = sim.names.full(r, int(p.eth[person]), int(p.surname[person]), bool(p.sex[person]))
        payload = sim.person_payload(person, relation, name, on=day)
        em.event(
            "person.registered",
            day,
            commune,
            payload,
            persons=(person,),
            households=(home,),
            at=at + n * SECOND,
            collector=home,
        )
    payload = {"person_ids": [em.pid(x) for x, _ in people], "household_id": em.hid(home)}
    if origin is not None:
        payload["from_commune"] = origin
    if em.event(
        "move_in", day, commune, payload, persons=tuple(x for x, _ in people), households=(home,), at=at, collector=home
    ):
        sim.truth.noise["arrivals_registered"] += len(people)
    sim.truth.moves["from_abroad" if origin == "ABROAD" else "from_other_province"] += len(people)
    sim.mark(*(x for x, _ in people))
