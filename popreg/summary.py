"""The demo's closing summary, read only through the public HTTP API (as any client would)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

HEADLINE = [
    "population",
    "households",
    "births",
    "deaths",
    "tfr",
    "srb",
    "share_order_3_plus",
    "cpr_modern",
    "in_migrants",
    "out_migrants",
    "net_migration",
]
DISTRICT = ["population", "births", "tfr", "in_migrants", "out_migrants"]
# The last whole year with districts: they were abolished on 1 July 2025.
DISTRICT_YEAR = 2024


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:,.1f}"
    return f"{value:,}"


class Api:
    def __init__(self, url: str, token: str):
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120)

    def get(self, path: str, **params: str) -> dict[str, Any]:
        reply = self.http.get(path, params=params)
        reply.raise_for_status()
        return reply.json()

    def values(self, area: str, period: str, names: list[str]) -> dict[str, Any]:
        return self.get("/v1/indicators", area=area, period=period, names=",".join(names))["values"]


def _short(name: str) -> str:
    for long, short in (("Thành phố ", "TP "), ("Thị xã ", "TX "), ("Huyện ", ""), ("Tỉnh ", "")):
        if name.startswith(long):
            return short + name[len(long) :]
    return name


def _years(first: int, last: int) -> list[str]:
    return [str(y) for y in range(first, last + 1)]


def print_summary(url: str, token: str, province: str, console: Console, first_year: int | None = None) -> None:
    api = Api(url, token)
    this_year = date.today().year
    years = _years(first_year or this_year - 5, this_year)
    unit = api.get(f"/v1/areas/{province}")
    table = Table(
        title=f"{unit['name']} ({province}): headline indicators by year ({years[-1]} up to today)",
        title_justify="left",
    )
    table.add_column("indicator")
    for y in years:
        table.add_column(y, justify="right")
    rows = {y: api.values(province, y, HEADLINE) for y in years}
    for name in HEADLINE:
        table.add_row(name, *[_fmt(rows[y].get(name)) for y in years])
    console.print(table)
    _districts(api, province, console)


def _districts(api: Api, province: str, console: Console) -> None:
    """Districts in the last whole year they existed, with migration followed person by person
    beside what adding up communes gives (the legacy warehouse's method, DOMAIN.md problem 2)."""
    period = str(DISTRICT_YEAR)
    unit = api.get(f"/v1/areas/{province}", on=f"{DISTRICT_YEAR}-12-31")
    table = Table(
        title=f"districts of {unit['name']} in {period}: migration by following people vs by adding up communes",
        title_justify="left",
    )
    for col in ("district", "population", "births", "TFR", "in", "in: Σ communes", "out", "out: Σ communes"):
        table.add_column(col, justify="left" if col == "district" else "right")
    shown = [(province, unit["name"])] + [(k["code"], k["name"]) for k in unit["children"]]
    for code, name in shown:
        v = api.values(code, period, DISTRICT)
        m = api.get(f"/v1/areas/{code}/migration", period=period)
        summed = m["sum_of_communes"]
        table.add_row(
            _short(name),
            _fmt(v.get("population")),
            _fmt(v.get("births")),
            _fmt(v.get("tfr")),
            _fmt(v.get("in_migrants")),
            _fmt(summed.get("in_migrants")),
            _fmt(v.get("out_migrants")),
            _fmt(summed.get("out_migrants")),
        )
    console.print(table)
    console.print(
        "[dim]in / out: persons followed across the unit's own boundary. Σ communes: "
        "what adding up the communes' figures gives, as the legacy warehouse does."
    )
    console.print(
        "[dim]A move between two communes of one district is an out- and an in-move of "
        "those communes, but not of the district: adding up communes counts it anyway "
        "(and a move between districts twice at province level). popreg follows each "
        "person, so a figure counts only moves that cross its own boundary.[/]"
    )
