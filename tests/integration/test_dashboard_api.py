"""The dashboard's JSON endpoints against a generated province on the real stack: every figure
they give equals GET /v1/indicators, the area tree follows the 2025 reform, search ignores
diacritics, and a province token reaches nothing outside its province."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import orjson
import pytest

from infra.gazetteer_store import builtin_gazetteer
from tests.support.dashboard import PROVINCE, Province, close_shared, shared_province

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BEFORE, AFTER = "2025-Q2", "2025-Q4"  # districts, then communes straight under the province


@pytest.fixture(scope="session")
def province(make_settings, tmp_path_factory) -> Province:
    yield shared_province(make_settings, tmp_path_factory.mktemp("dashboard"))
    close_shared()


def indicators(p: Province, area: str, period: str, names: list[str], **extra: str) -> dict:
    return p.json("/v1/indicators", area=area, period=period, names=",".join(names), **extra)["values"]


def test_the_page_and_its_files_are_served_without_a_token_and_without_outside_addresses(province):
    for path in ("/", "/dashboard"):
        page = province.get(path, who="")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<html lang="vi">' in page.text
    assets = re.findall(r'(?:src|href)="(/dashboard/static/[^"]+)"', page.text)
    assert {a.rsplit("/", 1)[1] for a in assets} == {"app.css", "i18n.js", "charts.js", "app.js"}
    for asset in assets:
        got = province.get(asset, who="")
        assert got.status_code == 200, asset
        text = got.text.replace("http://www.w3.org/2000/svg", "")  # a namespace name, not an address
        assert "http://" not in text and "https://" not in text, f"{asset} loads something from outside"
    assert province.get("/dashboard/static/..%2Fsql.py", who="").status_code == 404
    assert province.get("/dashboard/static/router.py", who="").status_code == 404


def test_data_endpoints_need_a_token(province):
    for path in ("/v1/dashboard/me", "/v1/areas/14", "/v1/areas/search?q=son", "/v1/areas/14/map?period=2025"):
        assert province.get(path, who="").status_code == 401, path


def test_me_tells_role_scope_and_where_the_data_lies(province):
    me = province.json("/v1/dashboard/me", who="analyst14")
    assert me["role"] == "analyst" and me["area"] == PROVINCE and me["area_name"] == "Tỉnh Sơn La"
    assert me["may_read_persons"] is False
    assert province.json("/v1/dashboard/me", who="clerk14")["may_read_persons"] is True
    assert me["data"]["events"] > 0 and me["data"]["first"] == "2024-07-01"
    assert re.fullmatch(r"\d{4}-\d{2}", me["default_period"])


@pytest.mark.parametrize("query", ["son la", "Sơn La", "SON LA", "tinh son la", "  sơn   la "])
def test_search_finds_son_la_with_or_without_diacritics(province, query):
    hits = province.json("/v1/areas/search", q=query)["results"]
    assert hits[0]["code"] == "14" and hits[0]["name"] == "Tỉnh Sơn La"


def test_search_finds_communes_and_keeps_to_the_tokens_province(province):
    hits = province.json("/v1/areas/search", q="chieng le", on="2025-01-01")["results"]
    assert any(h["name"] == "Phường Chiềng Lề" and h["code"] == "03646" for h in hits)
    assert province.json("/v1/areas/search", who="analyst14", q="ha noi")["results"] == []
    scoped = province.json("/v1/areas/search", who="analyst14", q="muong", limit=100)["results"]
    assert scoped and all(h["province"] == PROVINCE for h in scoped)


def test_the_tree_has_districts_before_the_reform_and_none_after(province):
    before = province.json("/v1/areas/14", on="2025-06-30")
    assert {c["level"] for c in before["children"]} == {"district"} and len(before["children"]) == 12
    after = province.json("/v1/areas/14", on="2025-12-31")
    assert {c["level"] for c in after["children"]} == {"commune"}
    district = before["children"][0]["code"]
    inside = province.json(f"/v1/areas/{district}", on="2025-06-30")
    assert [p["code"] for p in inside["path"]] == ["VN", "14", district]
    assert all(c["level"] == "commune" and c["lat"] and c["lon"] for c in inside["children"])
    assert len(province.json("/v1/areas/VN", on="2024-12-31")["children"]) == 63
    assert len(province.json("/v1/areas/VN", on="2025-12-31")["children"]) == 34


def test_change_gives_this_and_the_previous_period_as_the_api_does(province):
    names = ["population", "births", "deaths", "net_migration", "srb", "cpr_modern"]
    got = province.json("/v1/areas/14/change", period=BEFORE, names=",".join(names))
    assert got["previous"] == "2025-Q1"
    assert got["values"] == indicators(province, "14", BEFORE, names)
    assert got["previous_values"] == indicators(province, "14", "2025-Q1", names)
    pop = got["change"]["population"]
    assert pop["diff"] == got["values"]["population"] - got["previous_values"]["population"]
    assert got["values"]["population"] > 0


def test_trend_is_the_api_figure_of_each_period(province):
    got = province.json("/v1/areas/14/trend", period="2026-Q2", names="population,births", count=8)
    periods = [s["period"] for s in got["series"]]
    assert periods == ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    for s in got["series"][::3]:
        assert s["values"] == indicators(province, "14", s["period"], ["population", "births"])


def test_pyramid_adds_up_to_the_age_groups_of_the_catalogue(province):
    got = province.json("/v1/areas/14/pyramid", period=AFTER)
    names = [g["indicator"] for g in got["groups"]]
    api = indicators(province, "14", AFTER, names + ["population_male", "population_female"])
    for g in got["groups"]:
        assert g["male"] + g["female"] == api[g["indicator"]], g
    assert sum(g["male"] for g in got["groups"]) == api["population_male"]
    assert sum(g["male"] + g["female"] for g in got["groups"]) > 0


def test_births_by_order_add_up_to_births_and_third_plus(province):
    got = province.json("/v1/areas/14/births", period="2025")
    api = indicators(province, "14", "2025", ["births", "births_male", "births_female", "births_order_3_plus"])
    orders = got["orders"]
    assert got["total"] == api["births"] > 0
    assert orders["3"]["total"] + orders["4+"]["total"] == api["births_order_3_plus"]
    assert sum(o["male"] for o in orders.values()) == api["births_male"]
    assert sum(o["female"] for o in orders.values()) == api["births_female"]


def test_migration_shows_what_summing_communes_would_give(province):
    got = province.json("/v1/areas/14/migration", period="2025")
    true = indicators(province, "14", "2025", ["in_migrants", "out_migrants", "net_migration"])
    assert got["true"] == true
    summed = got["sum_of_communes"]
    # moves between two communes of the province are an in AND an out of communes, nothing for it
    assert summed["in_migrants"] >= true["in_migrants"] and summed["out_migrants"] >= true["out_migrants"]
    assert summed["in_migrants"] - summed["out_migrants"] == summed["net_migration"]
    assert got["differs"] is True and summed["in_migrants"] > true["in_migrants"]
    # at commune level there is nothing to add up: both figures are one and the same
    commune = province.json("/v1/areas/14/map", period="2025", indicator="in_migrants")["units"]
    busiest = max(commune, key=lambda u: u["value"] or 0)["code"]
    own = province.json(f"/v1/areas/{busiest}/migration", period="2025")
    assert own["true"] == own["sum_of_communes"] and own["differs"] is False and own["communes"] == 1


def test_map_places_every_commune_with_the_api_figure(province):
    got = province.json("/v1/areas/14/map", period=BEFORE, indicator="population")
    gazetteer = builtin_gazetteer()
    communes = gazetteer.communes(province=PROVINCE, on=date(2025, 6, 30))
    assert {u["code"] for u in got["units"]} == {c.code for c in communes}
    assert all(u["lat"] and u["lon"] for u in got["units"])
    busiest = sorted(got["units"], key=lambda u: -(u["value"] or 0))[:3]
    for unit in busiest:
        assert unit["value"] == indicators(province, unit["code"], BEFORE, ["population"])["population"] > 0


def test_country_map_has_63_provinces_before_and_the_34_after_the_reform(province):
    before = province.json("/v1/areas/VN/map", period="2024", indicator="population")["units"]
    assert len(before) == 63 and {u["level"] for u in before} == {"province"}
    current = province.json("/v1/areas/VN/map", period="2024", indicator="population", units="current")["units"]
    assert len(current) == 34
    son_la = next(u for u in current if u["code"] == PROVINCE)
    assert son_la["value"] == indicators(province, PROVINCE, "2024", ["population"])["population"]


def test_quality_counts_agree_with_the_review_queue(province):
    got = province.json("/v1/areas/14/quality", period="2025")
    assert got["received"] == got["accepted"] + got["held"]
    assert 0 < got["late"] <= got["accepted"]
    held = [
        i
        for i in province.json("/v1/review")["items"]
        if i["occurred_on"]
        and i["occurred_on"].startswith("2025")
        and i["commune"]
        and builtin_gazetteer().contains(PROVINCE, i["commune"], date.fromisoformat(i["occurred_on"]))
    ]
    assert got["held"] == len({i["event_id"] for i in held})
    by_reason = Counter(reason for _, reason in {(i["event_id"], i["reason"]) for i in held})
    assert got["held_by_reason"] == dict(by_reason)
    assert sum(c["held"] for c in got["by_collector"]) <= got["held"]


def test_pipeline_reports_a_caught_up_pipeline(province):
    got = province.json("/v1/dashboard/pipeline")
    assert got["submitted"] > 0 and got["projected"] > 0
    assert got["register_lag"] == 0 and got["projection_lag"] == 0 and got["sink_rejects"] == 0
    assert got["last_accepted_at"]


def test_a_province_token_reaches_nothing_outside_its_province(province):
    for path in (
        "/v1/areas/01",
        "/v1/areas/01/change",
        "/v1/areas/01/trend",
        "/v1/areas/01/pyramid",
        "/v1/areas/01/births",
        "/v1/areas/01/migration",
        "/v1/areas/01/map",
        "/v1/areas/01/quality",
        "/v1/areas/VN",
        "/v1/areas/VN/map",
        "/v1/areas/00001/change",
    ):
        got = province.get(path, who="analyst14", period="2025")
        assert got.status_code == 403, (path, got.status_code)
    assert province.get("/v1/indicators", who="analyst14", area="01", period="2025").status_code == 403
    assert province.get("/v1/areas/14/map", who="analyst14", period="2025").status_code == 200
    assert province.get("/v1/areas/14/map", who="analyst01", period="2025").status_code == 403


def test_bad_input_is_a_clear_422(province):
    bad = province.get("/v1/areas/14/change", period="2025-13")
    assert bad.status_code == 422 and "YYYY-MM" in bad.json()["detail"]
    bad = province.get("/v1/areas/14/map", period="2025", indicator="nonsense")
    assert bad.status_code == 422 and "nonsense" in bad.json()["detail"]
    bad = province.get("/v1/areas/14/trend", period="2025", known_on="31/12/2025")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.json()["detail"]
    assert province.get("/v1/areas/1234").status_code == 422


def test_no_answer_carries_names_or_national_ids(province):
    texts = [
        province.get(path, period="2025").text
        for path in (
            "/v1/areas/14/quality",
            "/v1/areas/14/map",
            "/v1/areas/14/migration",
            "/v1/areas/14/births",
            "/v1/areas/14/pyramid",
            "/v1/areas/14",
        )
    ]
    people = [
        line["payload"]
        for line in map(orjson.loads, province.source.read_bytes().splitlines()[:400])
        if line.get("type") == "person.registered"
    ]
    secrets = {p[k] for p in people for k in ("full_name", "national_id") if p.get(k)}
    assert len(secrets) > 20
    assert not [s for s in secrets if any(s in t for t in texts)]
    assert all("full_name" not in t and "national_id" not in t for t in texts)
