"""Marriages and divorces.

Women marry at the preset's first-marriage hazard (or remarry); each is matched with an unmarried
man about `marriage_gap` years older, from her commune (60 %), her district or elsewhere in the
province. The bride usually joins the groom's household (virilocal, 78 %), sometimes he joins
hers (12 %), or they found a new one (10 %) (L). The move is written before the marriage, so both
live in the recorded commune on the day. Only couples the register can identify (a marriage fact
or an A0 head/spouse pair) divorce, as the register checks they are married to each other.
"""

from __future__ import annotations

import numpy as np

from producers.generator.moves import new_household, other_commune, relocate
from producers.generator.sim import Sim
from producers.generator.state import ALIVE, DIVORCED, MARRIED, NEVER, NONE, WIDOWED

_AGE_KEY = 128


def marriages(sim: Sim, first: int, last: int, ages: np.ndarray, free: np.ndarray) -> None:
    p, hz = sim.state.p, sim.hz
    female = p.view("sex") == 1
    single = (p.view("marital") != MARRIED) & free & (ages >= 13) & (ages <= 60)
    marital = p.view("marital")
    annual = np.where(
        marital == NEVER,
        sim.first_marriage[np.minimum(ages, 100)],
        np.where(ages < 45, hz.remarriage_young, hz.remarriage_old),
    )
    annual = np.where((marital == DIVORCED) | (marital == WIDOWED) | (marital == NEVER), annual, 0.0)
    monthly = 1.0 - (1.0 - annual) ** (1.0 / 12.0)  # an annual probability spread over 12 months
    women = np.nonzero(single & female & (sim.r.gen.random(p.n) < monthly))[0]
    if women.size == 0:
        return
    men = np.nonzero(single & ~female & (ages >= 16))[0]
    keys = p.commune[men].astype(np.int64) * _AGE_KEY + np.minimum(ages[men], _AGE_KEY - 1)
    order = np.argsort(keys, kind="stable")
    men, keys = men[order], keys[order]
    taken: set[int] = set()
    for w in women.tolist():
        man = _match(sim, w, int(ages[w]), men, keys, taken, first)
        if man is not None:
            taken.add(man)
            _wed(sim, man, w, sim.r.between(first, last))


def _match(sim: Sim, woman: int, age: int, men: np.ndarray, keys: np.ndarray, taken: set[int], day: int) -> int | None:
    """An unmarried man as close as possible to the target age, the nearest ages tried first.

    Trying exact ages outward (older or younger first at random) keeps the age gap unbiased
    where single men thin out with age; a uniform pick in a window would favour younger men.
    """
    r = sim.r
    target = age + sim.marriage_gap()
    if target < 20 and r.chance(0.85):
        target = r.between(20, 23)  # few men marry under the legal age of 20 (flagged when they do)
    home = int(sim.state.p.commune[woman])
    local = r.u() < 0.6
    plan = [(home, 1)] if local else []
    for _ in range(3):
        other = other_commune(sim, home, day, same_district=r.u() < 0.75)
        if other is not None:
            plan.append((other, 1))
    plan.append((home, 2))  # no match this month: she may marry later (men's ages stay apart)
    for commune, widest in plan:
        base = commune * _AGE_KEY
        for width in range(widest + 1):
            edges = (target,) if width == 0 else (target + width, target - width)
            if width and r.chance(0.5):
                edges = edges[::-1]
            for a in edges:
                if a < 16 or a >= _AGE_KEY:
                    continue
                lo = int(np.searchsorted(keys, base + a, "left"))
                hi = int(np.searchsorted(keys, base + a, "right"))
                for _ in range(min(3, hi - lo)):
                    m = int(men[lo + r.below(hi - lo)])
                    if m not in taken:
                        return m
    return None


def _wed(sim: Sim, man: int, woman: int, day: int) -> None:
    s, r = sim.state, sim.r
    p = s.p
    u = r.u()
    if u < 0.78:
        relocate(sim, [woman], int(p.hh[man]), day)
    elif u < 0.90:
        relocate(sim, [man], int(p.hh[woman]), day)
    else:
        made = new_household(sim, int(p.commune[man]), day)
        if made is None:
            relocate(sim, [woman], int(p.hh[man]), day)
        else:
            relocate(sim, [man], made[0], day)
            relocate(sim, [woman], made[0], day)
    for person, sex in ((man, "M"), (woman, "F")):
        sim.truth.add_marriage(sex, (day - int(p.birth[person])) / 365.25, p.marital[person] == NEVER)
    sim.wed(man, woman, known=True)
    sim.em.event(
        "marriage",
        day,
        int(p.commune[man]),
        {"person_ids": [sim.em.pid(man), sim.em.pid(woman)]},
        persons=(man, woman),
        collector=int(p.hh[man]),
    )


def divorces(sim: Sim, first: int, last: int, ages: np.ndarray, free: np.ndarray) -> None:
    p = sim.state.p
    # only couples the register can tell apart (a marriage fact or an A0 head/spouse pair)
    wives = (p.view("sex") == 1) & (p.view("marital") == MARRIED) & (p.view("union_known") == 1) & free
    candidates = np.nonzero(wives & (sim.r.gen.random(p.n) < sim.hz.divorce / 12.0))[0]
    for w in candidates.tolist():
        h = int(p.spouse[w])
        day = sim.r.between(first, last)
        if h == NONE or p.status[h] != ALIVE or not sim.free(h, day) or p.hh[h] != p.hh[w]:
            continue
        sim.em.event(
            "divorce",
            day,
            int(p.commune[w]),
            {"person_ids": [sim.em.pid(h), sim.em.pid(w)]},
            persons=(h, w),
            collector=int(p.hh[w]),
        )
        p.marital[w] = p.marital[h] = DIVORCED
        p.spouse[w] = p.spouse[h] = NONE
        p.union_known[w] = p.union_known[h] = 0
        sim.mark(w, h)
        if sim.r.chance(0.5):  # she leaves with her young children to a new household nearby
            made = new_household(sim, int(p.commune[w]), day)
            if made is not None:
                kids = [k for k in sim.kids(w) if sim.free(k, day) and p.hh[k] == p.hh[w]]
                relocate(sim, [w, *kids], made[0], day)
