"""The forecast's counts over the projections' hand-worked scenario (issue 17), and a stored forecast
computed again when a late record changes its base period, but not for facts after the base date."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from infra.settings import Settings
from projections import versions
from projections.forecast.inputs import ForecastInputError, load_counts, load_scope
from projections.forecast.service import get_forecast
from projections.read.areas import refresh_area_map
from projections.read.indicators import compute_indicators
from tests.support.projection import A, B, C, feed, opened, scenario
from tests.support.synthetic import EventFactory

pytestmark = pytest.mark.integration
BASE = date(2024, 12, 31)


@pytest.fixture(scope="module")
def env(make_settings: Callable[..., Settings]) -> Iterator[tuple[Settings, Any, EventFactory]]:
    with opened(make_settings()) as found:
        yield found


@pytest.fixture(scope="module")
async def fed(env: Any) -> Any:
    settings, pool, f = env
    await feed(settings, pool, f, scenario(f))
    return env


def _counts(pool: Any, years: int = 1) -> Any:
    with pool.connection() as conn, conn.transaction():
        live = versions.ensure_live(conn)
        versions.use_schema(conn, live.schema)
        refresh_area_map(conn, live.rules)
        scope = load_scope(conn, "14", BASE)
        counts, period = load_counts(conn, scope, BASE, years, None)
    return scope, counts, period


def test_counts_by_hand(fed: Any) -> None:
    scope, c, period = _counts(fed[1])
    assert period["period_from"] == date(2023, 12, 31) and c.years == pytest.approx(366 / 365.25)
    a, b, cc = (scope.units.index(x) for x in (A, B, C))
    # the base population is the register's population on the base date, commune by commune
    with fed[1].connection() as conn:
        for unit in (A, B, C):
            found = compute_indicators(conn, unit, "2024", names=["population"])["values"]["population"]
            assert c.pop[scope.units.index(unit)].sum() == found
    # A by hand: P1, P2, C1 (H1); P3, P4 (his death voided), C2, P7 (moved in) (H2); P5 (H6); and
    # P10, who took over P11's arrival in A on 1 October when P11 was merged into her
    assert c.pop[a].sum() == 9
    # births: C1 (girl, mother 24) on 20 January, C2 (boy, mother 33) in A
    assert c.births[a, 24, 1] == 1 and c.births[a, 33, 0] == 1 and c.births.sum() == 2
    assert c.deaths.sum() == 0  # P4's death was voided
    # moves between units of the province, following people: P5 B -> A (1 May), P7 C -> A (10 June),
    # P10 C -> A (1 October: the merge made P11's arrival hers)
    assert c.od[b, a] == 1 and c.od[cc, a] == 2 and c.od.sum() == 3
    assert c.out_moves[b].sum() == 1 + 1  # P5 to A, and P9 to Hà Nội's commune D (15 September)
    # arrivals from beyond the province: P8 from D into B (5 August, aged 43)
    assert c.in_moves[b, 0, 43] == 1
    # person-years: P1 (F, born 1 July 1999) lived all of 2024 in A: 182 days aged 24, 184 aged 25
    assert c.exposure[a, 1, 24] >= 182 / 365.25 - 1e-9


def test_a_late_record_in_the_base_period_refreshes_the_stored_forecast(fed: Any) -> None:
    settings, pool, f = fed
    with pool.connection() as conn:
        conn.autocommit = True
        first = get_forecast(conn, "14", BASE, 3, sims=50, years=1)
        again = get_forecast(conn, "14", BASE, 3, sims=50, years=1)
    assert first["stored"] is False and again["stored"] is True
    assert first["rates"]["observed"]["births"] == 2

    async def late_birth() -> None:
        rec = f.record(
            "birth",
            "2024-11-02",
            C,
            {"child_id": "C3", "household_id": "H4", "mother_id": "P10", "sex": "F"},
            recorded_at="2025-01-20",
            birth_order=1,
            mother_age=31,
        )
        await feed(settings, pool, f, [rec])

    import asyncio

    asyncio.run(late_birth())
    with pool.connection() as conn:
        conn.autocommit = True
        refreshed = get_forecast(conn, "14", BASE, 3, sims=50, years=1)
        base_2023 = get_forecast(conn, "14", date(2023, 12, 31), 1, sims=0, years=1)
    assert refreshed["stored"] is False and refreshed["rates"]["observed"]["births"] == 3
    assert base_2023["rates"]["observed"]["births"] == 0


def test_bad_bases_are_refused_with_their_field(fed: Any) -> None:
    with fed[1].connection() as conn:
        conn.autocommit = True
        with pytest.raises(ForecastInputError) as before:
            get_forecast(conn, "14", date(2019, 6, 30), 3, sims=0)
        with pytest.raises(ForecastInputError) as future:
            get_forecast(conn, "14", date(2999, 1, 1), 3, sims=0)
        with pytest.raises(ForecastInputError) as scenario_:
            get_forecast(conn, "14", BASE, 3, "boom", sims=0)
    assert (before.value.field, before.value.missing) == ("base", True)
    assert (future.value.field, future.value.missing) == ("base", True)
    assert (scenario_.value.field, scenario_.value.missing) == ("scenario", False)
