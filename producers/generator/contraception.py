"""Contraception episodes of married women 15-49: starts, stops with a reason, and switches.

Stops follow each method's monthly hazard (rates.METHOD_STOP; IUD from [V29]); women with fewer
than two children also stop to have one ("wants_child"). After other stops 70 % switch to another
method at once [V29]. Starts depend on parity (rates.Hazards, L) and draw methods so the stock
mix stays near the 2020 mix (IUD 45 %) [V18].
"""

from __future__ import annotations

import numpy as np

from producers.generator import rates
from producers.generator.sim import Sim
from producers.generator.state import MARRIED, NONE

_STOP = np.array(rates.METHOD_STOP)
_STERILE = {i for i, m in enumerate(rates.METHODS) if m.endswith("sterilization")}


def episodes(sim: Sim, first: int, last: int, ages: np.ndarray, free: np.ndarray) -> None:
    p, r, hz = sim.state.p, sim.r, sim.hz
    women = free & (p.view("sex") == 1) & (ages >= 15) & (ages <= 49)
    contra = p.view("contra")
    users = women & (contra != NONE)
    young_family = (p.view("parity") < 2) & (ages < 40) & (p.view("marital") == MARRIED)
    stop_p = np.where(users, _STOP[np.maximum(contra, 0)], 0.0)
    want_p = np.where(users & young_family, hz.wants_child_stop, 0.0)
    u = r.gen.random(p.n)
    for w in np.nonzero(users & (u < stop_p + want_p))[0].tolist():
        method = int(p.contra[w])
        wants = u[w] >= stop_p[w]
        reason = "wants_child" if wants else ("side_effects" if r.chance(0.5) else "other")
        day = r.between(first, last)
        sim.mark(w)
        sim.em.event(
            "contraception.stopped",
            day,
            int(p.commune[w]),
            {"person_id": sim.em.pid(w), "method": rates.METHODS[method], "reason": reason},
            persons=(w,),
            collector=int(p.hh[w]),
        )
        p.contra[w] = NONE
        if not wants and p.marital[w] == MARRIED and r.chance(rates.SWITCH_AFTER_STOP):
            _start(sim, w, day, avoid=method)
    able = women & (contra == NONE) & (p.view("marital") == MARRIED) & (p.view("preg_end") == 0)
    able &= first - p.view("last_end") >= 45
    parity = np.minimum(p.view("parity"), 2)
    start_p = np.array((hz.start_parity0, hz.start_parity1, hz.start_parity2))[parity]
    for w in np.nonzero(able & (r.gen.random(p.n) < start_p))[0].tolist():
        if p.busy[w] == sim.month:
            continue
        sim.mark(w)
        _start(sim, w, r.between(first, last), avoid=NONE)


def _start(sim: Sim, woman: int, day: int, avoid: int) -> None:
    p, r = sim.state.p, sim.r
    method = sim.start_table.draw(r)
    for _ in range(4):
        if method != avoid and not (method in _STERILE and p.parity[woman] < 2):
            break
        method = sim.start_table.draw(r)
    else:
        method = 0 if avoid != 0 else 1  # an IUD, or the pill after an IUD
    p.contra[woman] = method
    sim.em.event(
        "contraception.started",
        day,
        int(p.commune[woman]),
        {"person_id": sim.em.pid(woman), "method": rates.METHODS[method]},
        persons=(woman,),
        collector=int(p.hh[woman]),
    )
