"""The report forms over the real stack (the projections' hand-worked scenario): figures from the
indicator function, data-quality counts, the three formats, the HTTP endpoint and the command."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from infra import db
from infra.gazetteer_store import builtin_gazetteer, load_builtin
from infra.settings import Settings
from infra.spreadsheets import XLSX_MEDIA_TYPE
from infra.tokens import create_token
from infra.topics import REVIEW
from projections import versions
from projections.http import reports as reports_api
from projections.http.api import build_read_app
from projections.read.indicators import compute_indicators
from projections.reports.forms import build_report
from tests.support.projection import A, C, produce, scenario, sink_until_caught_up
from tests.support.synthetic import EventFactory, at

pytestmark = pytest.mark.integration

HELD = {
    "event_id": "held-9",
    "type": "birth",
    "commune": C,
    "occurred_on": "2024-05-05",
    "recorded_at": at("2024-05-06").isoformat(),
    "collector_id": "ctv-1",
    "reason": "mother_too_young",
    "rule": "the mother is a woman aged 10-60 on the date",
    "detail": "aged 9",
    "held_at": at("2024-05-06").isoformat(),
    "submission": {"event_id": "held-9"},
}


@pytest.fixture(scope="module")
def env(make_settings: Callable[..., Settings]) -> Iterator[tuple[Settings, Any]]:
    settings = make_settings()
    pool = db.open_pool(settings, max_size=4)
    load_builtin(pool)
    yield settings, pool
    pool.close()


@pytest.fixture(scope="module")
async def fed(env: Any) -> Any:
    settings, pool = env
    f = EventFactory(builtin_gazetteer())
    await produce(settings, f, scenario(f))
    await produce(settings, f, [HELD], topic=REVIEW)
    with pool.connection() as conn:
        live = versions.ensure_live(conn)
    await sink_until_caught_up(settings, live, pool)
    return env


def report(fed: Any, area: str, period: str, known_on: str | None = None) -> dict[str, Any]:
    with fed[1].connection() as conn:
        return build_report(conn, area, period, known_on)


def rows(found: dict[str, Any]) -> dict[str, Any]:
    return {r["name"]: r for s in found["sections"] for r in s["rows"]}


def test_the_commune_monthly_form_takes_its_figures_from_the_indicator_function(fed: Any) -> None:
    found = report(fed, A, "2024-01")
    assert (found["form"]["code"], found["form"]["level"], found["period_matches_form"]) == ("01-DSX", "commune", True)
    assert found["warnings"] == []
    assert [u["code"] for u in found["area"]["path"]] == ["14", "116", A]
    with fed[1].connection() as conn:
        direct = compute_indicators(conn, A, "2024-01")["values"]
    assert {k: found["values"][k] for k in direct} == direct  # never counted again
    # by hand: C1 born to P1 on 20 January (recorded on 10 March: 50 days late); H1 and H2 in A
    assert rows(found)["births"]["value"] == 1 and rows(found)["births_female"]["value"] == 1
    assert (rows(found)["population"]["value"], rows(found)["households"]["value"]) == (5, 2)
    q = found["quality"]
    assert (q["received"], q["accepted"], q["held"], q["late"]) == (1, 1, 0, 1)
    # as known on 1 February the birth was not recorded yet
    then = report(fed, A, "2024-01", "2024-02-01")
    assert then["known_on"] == "2024-02-01" and rows(then)["births"]["value"] == 0 and then["quality"]["late"] == 0


def test_district_quarterly_and_province_yearly_forms_and_a_period_of_another_kind(fed: Any) -> None:
    q2 = report(fed, "116", "2024-Q2")
    assert (q2["form"]["code"], q2["period_matches_form"], q2["warnings"]) == ("01-DSH", True, [])
    r = rows(q2)
    # C2 (corrected to 2 April, third child of P3); P7 C -> A between districts; P5 B -> A stays inside 116
    assert (r["births"]["value"], r["births_order_3_plus"]["value"], r["births_order_2"]["value"]) == (1, 1, 0)
    assert (r["in_migrants"]["value"], r["out_migrants"]["value"], r["deaths"]["value"]) == (1, 0, 0)
    year = report(fed, "14", "2024")
    assert (year["form"]["level"], year["form"]["usual_period"], year["period_matches_form"]) == (
        "province",
        "year",
        True,
    )
    assert (rows(year)["marriages"]["value"], rows(year)["child_marriages"]["value"]) == (1, 1)
    country = report(fed, "VN", "2024")
    assert (country["form"]["level"], country["area"]["name"], country["period_matches_form"]) == (
        "country",
        "Việt Nam",
        True,
    )
    assert rows(country)["births"]["value"] == 2 and rows(country)["in_migrants"]["value"] == 0  # P8 D -> B stays in VN
    month = report(fed, "116", "2024-03")
    assert month["period_matches_form"] is False
    assert [w["code"] for w in month["warnings"]] == ["period_kind"]


def test_held_submissions_by_reason_and_collector(fed: Any) -> None:
    found = report(fed, C, "2024-05")
    q = found["quality"]
    assert (q["received"], q["accepted"], q["held"]) == (1, 0, 1)
    assert q["held_by_reason"] == {"mother_too_young": 1}
    assert q["by_collector"] == [{"collector": "ctv-1", "accepted": 0, "late": 0, "held": 1}]
    assert rows(found)["held_by_reason.mother_too_young"]["value"] == 1
    with pytest.raises(ValueError, match="99998"):
        report(fed, "99998", "2024")


@pytest.fixture(scope="module")
def client(fed: Any) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings, pool = fed
    tokens = {"VN": create_token(pool, "analyst", "VN").token, "118": create_token(pool, "clerk", "118").token}
    app = build_read_app(settings)
    app.include_router(reports_api.router)
    with TestClient(app) as c:
        yield c, tokens


def _get(client: Any, token: str, **params: Any) -> Any:
    c, tokens = client
    return c.get("/v1/reports", params=params, headers={"Authorization": f"Bearer {tokens[token]}"})


def test_reports_endpoint_in_three_formats_with_scopes(client: Any) -> None:
    r = _get(client, "VN", area=A, period="2024-01")
    assert r.status_code == 200 and r.json()["values"]["births"] == 1
    r = r_csv = _get(client, "VN", area=A, period="2024-01", format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert not r.content.startswith(b"\xef\xbb\xbf")  # for programs: no BOM unless asked
    table = list(csv.DictReader(io.StringIO(r.text)))
    births = [row for row in table if row["name"] == "births"]
    assert births == [{**births[0], "area": A, "period": "2024-01", "form": "01-DSX", "section": "flows", "value": "1"}]
    r = _get(client, "VN", area="14", period="2024", format="html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in r.text and "size: A4" in r.text and "Sơn La" in r.text
    assert 'data-name="child_marriages"' in r.text
    assert _get(client, "118", area=C, period="2024-05").status_code == 200
    assert _get(client, "118", area=A, period="2024-01").status_code == 403
    bad = _get(client, "VN", area=A, period="2024-13")
    assert bad.status_code == 422 and "period" in bad.json()["detail"]
    assert _get(client, "VN", area=A, period="2024", format="pdf").status_code == 422
    excel = _get(client, "VN", area=A, period="2024-01", format="csv", bom="true")
    assert excel.content.startswith(b"\xef\xbb\xbf") and excel.content[3:] == r_csv.content
    book = _get(client, "VN", area=A, period="2024-01", format="xlsx")
    assert book.status_code == 200 and book.headers["content-type"] == XLSX_MEDIA_TYPE
    rows = CalamineWorkbook.from_filelike(io.BytesIO(book.content)).get_sheet_by_index(0).to_python()
    assert [r for r in rows if r[7] == "births"][0][10] == 1
    assert "/v1/reports" in client[0].get("/openapi.json").json()["paths"]


def _popreg(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "POPREG_TOPIC_PREFIX": settings.topic_prefix,
        "POPREG_PG_DATABASE": settings.pg_database,
        "POPREG_PG_PORT": str(settings.pg_port),
        "POPREG_KAFKA_BOOTSTRAP": settings.bootstrap,
        "POPREG_ENV": "test",
        "POPREG_HOME": str(settings.home_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "popreg", "report", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_cli_report_writes_each_format_and_refuses_bad_input(fed: Any, tmp_path: Any) -> None:
    settings = fed[0]
    out = _popreg(settings, "--area", "116", "--period", "2024-03", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert "usually made per quarter" in out.stderr
    assert any(row["section"] == "warning" for row in csv.DictReader(io.StringIO(out.stdout)))
    page = tmp_path / "report.html"
    out = _popreg(settings, "--area", A, "--period", "2024-01", "--format", "html", "--out", str(page))
    assert out.returncode == 0, out.stderr
    assert "Biểu số" in page.read_text(encoding="utf-8")
    out = _popreg(settings, "--area", A, "--period", "2024-01", "--known-on", "2024-02-01")
    assert out.returncode == 0 and '"known_on": "2024-02-01"' in out.stdout
    saved = tmp_path / "report.csv"
    out = _popreg(settings, "--area", A, "--period", "2024-01", "--format", "csv", "--out", str(saved))
    assert out.returncode == 0 and saved.read_bytes().startswith(b"\xef\xbb\xbf"), out.stderr  # for Excel
    book = tmp_path / "report.xlsx"
    out = _popreg(settings, "--area", A, "--period", "2024-01", "--format", "xlsx", "--out", str(book))
    assert out.returncode == 0, out.stderr
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_index(0).to_python()
    assert [r for r in rows if r[7] == "births"][0][10] == 1
    bad = _popreg(settings, "--area", "1234", "--period", "2024")
    assert bad.returncode == 2 and "area" in bad.stderr
