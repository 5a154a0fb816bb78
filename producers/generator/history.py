"""The month-by-month simulation: each month's facts in a fixed order, then a flush of the lines.

Order within a month: clerks' follow-ups, pregnancy records and outcomes (births), deaths,
marriages, divorces, moves, contraception, conceptions. A person has at most one major event a
month (`Sim.mark`), which keeps every fact consistent with the state on its day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np

from producers.generator import clerks, contraception, fertility, migration, unions
from producers.generator.sim import Sim
from producers.generator.state import ALIVE, DEAD, DIVORCED, MARRIED, NONE
from producers.generator.writer import DAY

Progress = Callable[[int, int, int], None]  # month done, months, lines written


def months(start: date, count: int) -> list[tuple[int, int]]:
    """(first day, last day) ordinals of `count` calendar months from `start`."""
    out = []
    y, m = start.year, start.month
    for _ in range(count):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append((date(y, m, 1).toordinal(), date(ny, nm, 1).toordinal() - 1))
        y, m = ny, nm
    return out


def warm_up(sim: Sim) -> None:
    """Pregnancies under way when the register opens: nine months of conceptions before it."""
    p = sim.state.p
    start = sim.start_day
    for k in range(9, 0, -1):
        first = start - 30 * k
        fertility.conceive(sim, first, first + 29, free=p.view("status") == ALIVE)
    end, rec = p.view("preg_end"), p.view("preg_rec")
    over = (end > 0) & (end < start)
    end[over] = 0
    rec[over] = 0
    early = (rec > 0) & (rec < start)
    rec[early] = start  # known pregnancies are noted at the first visit


def simulate(sim: Sim, calendar: list[tuple[int, int]], progress: Progress | None = None) -> None:
    for m, (first, last) in enumerate(calendar):
        sim.month, sim.month_first = m, first
        year = date.fromordinal(first).year
        clerks.run_queue(sim, first, last)
        fertility.record_pregnancies(sim, first, last)
        fertility.end_pregnancies(sim, first, last)
        ages, free = _now(sim, first)
        p = sim.state.p
        sim.truth.add_exposure(year, ages[(p.view("sex") == 1) & (p.view("status") == ALIVE)])
        dead = deaths(sim, first, last, ages, free)
        clerks.wrong_deaths(sim, first, last, dead, *_now(sim, first))
        unions.marriages(sim, first, last, *_now(sim, first))
        unions.divorces(sim, first, last, *_now(sim, first))
        migration.singles(sim, first, last, *_now(sim, first))
        migration.families(sim, first, last, _now(sim, first)[1])
        migration.households(sim, first, last, _now(sim, first)[1])
        migration.arrivals(sim, first, last, int((p.view("status") == ALIVE).sum()))
        contraception.episodes(sim, first, last, *_now(sim, first))
        fertility.conceive(sim, first, last)
        sim.em.flush((last + 1) * DAY)
        if progress is not None:
            progress(m + 1, len(calendar), sim.em.written)


def _now(sim: Sim, day: int) -> tuple[np.ndarray, np.ndarray]:
    return sim.state.ages(day), sim.free_mask(day)


def deaths(sim: Sim, first: int, last: int, ages: np.ndarray, free: np.ndarray) -> int:
    p = sim.state.p
    q = sim.q_month[p.view("sex"), np.minimum(ages, 100)]
    dying = np.nonzero(free & (sim.r.gen.random(p.n) < q))[0]
    for person in dying.tolist():
        day = sim.r.between(first, last)
        day = max(day, int(p.birth[person]) + 1)
        sim.em.event(
            "death",
            day,
            int(p.commune[person]),
            {"person_id": sim.em.pid(person)},
            persons=(person,),
            collector=int(p.hh[person]),
        )
        sim.truth.deaths += 1
        if day - int(p.birth[person]) < 365:
            sim.truth.infant_deaths += 1
        sim.state.leave(person, DEAD)
        sim.mark(person)
    return int(dying.size)


def snapshot(sim: Sim, day: int) -> dict:
    """Stocks on a day: population, households, age structure, marital status, CPR."""
    p, h = sim.state.p, sim.state.h
    ages = sim.state.ages(day)
    alive = p.view("status") == ALIVE
    n = int(alive.sum())
    women = alive & (p.view("sex") == 1)
    married = women & (p.view("marital") == MARRIED) & (ages >= 15) & (ages <= 49)
    users = married & (p.view("contra") != NONE)
    modern = users & (p.view("contra") != 7)  # 7 = traditional
    adults = alive & (ages >= 15)
    homes = int((h.view("size") > 0).sum())
    males = int((alive & (p.view("sex") == 0)).sum())

    def share(mask: np.ndarray, of: int) -> float | None:
        return round(float(mask.sum()) / of, 4) if of else None

    return {
        "population": n,
        "households": homes,
        "mean_household_size": round(n / homes, 3) if homes else None,
        "sex_ratio": round(100.0 * males / (n - males), 2) if n > males else None,
        "share_0_14": share(alive & (ages < 15), n),
        "share_60_plus": share(alive & (ages >= 60), n),
        "share_divorced_15_plus": share(adults & (p.view("marital") == DIVORCED), int(adults.sum())),
        "married_women_15_49": int(married.sum()),
        "cpr_any": share(users, int(married.sum())),
        "cpr_modern": share(modern, int(married.sum())),
        "dead_total": int((p.view("status") == DEAD).sum()),
    }
