"""`popreg quality compare --totals FILE.csv` over the projections' hand-worked scenario (issue 18,
"against outside totals"): the register's population on each line's date, by sex, the error in
per cent per area and level, and bad lines refused with their field in Vietnamese and English."""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from infra.gazetteer_store import builtin_gazetteer
from infra.settings import Settings
from projections.quality.totals import TotalsFileError, compare, read_totals, summary
from projections.read.indicators import compute_indicators
from tests.support.projection import A, C, feed, opened, popreg, scenario
from tests.support.synthetic import EventFactory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def env(make_settings: Callable[..., Settings]) -> Iterator[tuple[Settings, Any, EventFactory]]:
    with opened(make_settings()) as found:
        yield found


@pytest.fixture(scope="module")
async def fed(env: Any) -> Any:
    settings, pool, f = env
    await feed(settings, pool, f, scenario(f))
    return env


def _popreg(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return popreg(settings, "quality", "compare", *args, timeout=120)


def test_the_register_on_each_date_beside_the_outside_totals(fed: Any) -> None:
    # By hand (tests/support/projection.py): in A on 31 January 2024, P1 F, P2 M, P3 F, P4 M
    # (his death was voided) and C1 F born 20 January: 5 = 2 M + 3 F. On 2 May 2024 C2 M
    # (born 2 April) is there too and P5 is between his move out of B (1 May) and into A (3 May): 6.
    text = (
        "area,date,population,population_male,population_female\n"
        f"{A},2024-01-31,5,2,3\n"
        f"{A},02/05/2024,8,4,4\n"
        "116,2024-06-30,10,,\n"
    )
    with fed[1].connection() as conn:
        totals, errors = read_totals(text.encode(), builtin_gazetteer())
        assert errors == []
        found = compare(conn, totals)
        june = compute_indicators(conn, "116", "2024-06", names=["population"])["values"]["population"]
    first, second, district = found
    assert first["population"] == {"outside": 5, "register": 5, "difference": 0, "error_pct": 0.0}
    assert (first["population_male"]["register"], first["population_female"]["register"]) == (2, 3)
    assert second["date"] == "2024-05-02" and second["population"]["register"] == 6
    assert second["population"]["error_pct"] == -25.0 and second["population_male"]["register"] == 3
    # a day's stock is the month's end stock when the day ends the month: one definition of a stock
    assert district["population"]["register"] == june and district["population_male"]["outside"] is None
    levels = {r["level"]: r for r in summary(found)}
    assert levels["commune"]["areas"] == 2 and levels["commune"]["outside"] == 13
    assert levels["commune"]["register"] == 11 and levels["commune"]["mean_abs_error_pct"] == 12.5


def test_known_on_reads_the_register_as_it_was(fed: Any) -> None:
    # C1's birth (20 January) was recorded on 10 March: on 1 February the register had 4 in A.
    with fed[1].connection() as conn:
        totals, _ = read_totals(f"area,date,population\n{A},2024-01-31,5\n".encode(), builtin_gazetteer())
        then = compare(conn, totals, date(2024, 2, 1))[0]
    assert then["population"]["register"] == 4 and then["known_on"] == "2024-02-01"


def test_bad_lines_are_refused_with_their_field_and_the_rest_compared(fed: Any, tmp_path: Path) -> None:
    settings = fed[0]
    totals = tmp_path / "census.csv"
    totals.write_text(
        "\ufeffMã đơn vị;Ngày;Dân số;Nam;Nữ\n"
        f"{A};31/01/2024;5;2;3\n"
        "99999;2024-01-31;10;5;5\n"  # line 3: no such commune
        f"{C};2024-13-01;10;5;5\n"  # line 4: not a date
        f"{C};2024-01-31;-4;;\n"  # line 5: negative
        f"{C};2024-01-31;10;6;5\n"  # line 6: 6 + 5 != 10
        f"{C};2024-01-31;1.000;;\n"  # line 7: 1,000 written the Vietnamese way: fine
        f"{C};2099-01-01;10;;\n",
        encoding="utf-8",
    )  # line 8: in the future
    done = _popreg(settings, "--totals", str(totals), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = orjson.loads(done.stdout)
    assert [r["line"] for r in report["results"]] == [2, 7]
    assert report["results"][1]["population"]["outside"] == 1000
    refused = {(e["line"], e["column"]) for e in report["refused"]}
    assert refused == {(3, "area"), (4, "date"), (5, "population"), (6, "population"), (8, "date")}
    err = " ".join(done.stderr.split())
    assert "line 3, column area: không có đơn vị 99999 vào ngày 2024-01-31 / no unit 99999 on 2024-01-31" in err
    assert "line 5, column population: '-4' không phải số nguyên không âm / '-4' is not a whole number" in err
    assert "males + females = 11, not the total 10" in err and "2 lines compared, 5 refused" in err
    saved = tmp_path / "out.csv"
    done = _popreg(settings, "--totals", str(totals), "--format", "csv", "--out", str(saved))
    assert done.returncode == 0 and saved.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows[0]["area"] == A and rows[0]["population_error_pct"] == "0.0"
    table = _popreg(settings, "--totals", str(totals))
    assert table.returncode == 0 and "commune: 2 areas" in table.stdout


def test_a_file_that_cannot_be_compared(fed: Any, tmp_path: Path) -> None:
    with pytest.raises(TotalsFileError, match="missing column 'population'"):
        read_totals(b"area,date\n14,2024-01-01\n", builtin_gazetteer())
    bad = tmp_path / "bad.csv"
    bad.write_text("area,day,population\n", encoding="utf-8")
    done = _popreg(fed[0], "--totals", str(bad))
    assert done.returncode == 2 and "unknown column 'day'" in done.stderr
    assert _popreg(fed[0], "--totals", str(tmp_path / "none.csv")).returncode == 2


def test_the_same_comparison_over_http_within_the_token_area(fed: Any) -> None:
    import httpx

    from tests.support.dashboard import compose_app, serve, token

    settings = fed[0]
    body = f"area,date,population,population_male,population_female\n{A},2024-01-31,5,2,3\n00001,2024-01-31,1,1,0\n"
    with serve(compose_app(settings)) as url:
        headers = {"Authorization": f"Bearer {token(settings, 'analyst', '14')}", "Content-Type": "text/csv"}
        r = httpx.post(f"{url}/v1/quality/compare", content=body.encode(), headers=headers, timeout=60)
        assert r.status_code == 200, r.text
        out = r.json()
        assert [x["area"] for x in out["results"]] == [A] and out["results"][0]["population"]["error_pct"] == 0.0
        assert out["refused"] == [
            {
                "line": 3,
                "column": "area",
                "vi": "đơn vị 00001 ngoài phạm vi của thẻ (14)",
                "en": "area 00001 is outside this token's area 14",
            }
        ]
        then = httpx.post(
            f"{url}/v1/quality/compare",
            params={"known_on": "2024-02-01"},
            content=body.encode(),
            headers=headers,
            timeout=60,
        ).json()
        assert then["results"][0]["population"]["register"] == 4
        bad = httpx.post(f"{url}/v1/quality/compare", content=b"area,day\n", headers=headers, timeout=60)
        assert bad.status_code == 422 and "unknown column 'day'" in bad.json()["detail"]
        assert httpx.post(f"{url}/v1/quality/compare", content=body.encode(), timeout=60).status_code == 401
