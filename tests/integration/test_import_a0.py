"""`popreg import-a0` with the example book and with bad rows, against the real stack."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from infra.settings import Settings
from producers.a0 import event_id
from tests.support.gateway import popreg, read_submissions

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "a0-example.csv"
HEADER = (
    "commune,household_id,address,person_id,full_name,sex,birth_date,relation_to_head,"
    "marital_status,mother_id,contraception_method,contraception_since"
)


async def test_example_book_imports_once_and_again_changes_nothing(make_settings) -> None:
    settings: Settings = make_settings()  # its own topics: the counts below are exact
    first = popreg(settings, "import-a0", str(EXAMPLE))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "18 rows, 4 households, 0 bad rows; events: 27 accepted, 0 duplicate, 0 invalid" in first.stdout
    again = popreg(settings, "import-a0", str(EXAMPLE))
    assert again.returncode == 0
    assert "events: 0 accepted, 27 duplicate, 0 invalid" in again.stdout

    head = event_id("person.registered", "HC4140100000021")
    household = event_id("household.registered", "03646-105-002")
    found = await read_submissions(settings, {head, household, event_id("person.registered", "TE1140200000045")})
    assert len(found) == 3  # and each exactly once
    person = orjson.loads(found[head][1])
    assert person["type"] == "person.registered" and person["source"] == {
        "channel": "import",
        "collector_id": "ctv-03646-05",
    }
    assert person["payload"]["full_name"] == "Nguyễn Văn Hùng" and person["payload"]["relation_to_head"] == "head"
    assert orjson.loads(found[household][1])["payload"]["head_person_id"] == "HC4140100000021"


async def test_bad_rows_are_reported_with_line_and_column(settings: Settings, tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text(
        "\n".join(
            [
                HEADER,
                "03658,h-a0-1,Bản Hài,p-a0-1,Quàng Văn Páo,M,1975-01-15,head,married,,,",
                "03658,h-a0-1,,p-a0-2,Lường Thị Ên,X,1979-06-10,spouse,married,,,",  # line 3: sex
                "03658,h-a0-1,,p-a0-3,Quàng Thị Xuân,F,2003-10-05,child,never_married,p-a0-2,vòng,31/13/2020",  # line 4: date
                "99999,h-a0-2,Bản Mới,p-a0-4,Giàng A Dơ,M,1990-03-01,head,married,,,",  # line 5: commune
                "03658,h-a0-3,,p-a0-5,Sùng Thị Mỷ,F,1994-07-07,head,married,,,",  # line 6: address
                "03658,h-a0-4,Bản Hài,p-a0-6,Giàng Thị Pà,F,2014-02-11",  # line 7: short
                "03658,h-a0-4,Bản Hài,p-a0-7,Giàng Thị Dua,F,2020-05-30,head,never_married,,triệt sản nữ,2999-01-01",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    done = popreg(settings, "import-a0", str(book), "--registered-on", "2021-01-01")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert f"bad row {book}: line 3, column sex: 'X' is not one of F, M" in out
    assert f"bad row {book}: line 4, column contraception_since: '31/13/2020' is not a date" in out
    assert f"bad row {book}: line 5, column commune: household.registered: no commune 99999" in out
    assert f"bad row {book}: line 6, column address: the household needs its address" in out
    assert f"bad row {book}: line 7, column (row): 7 values for 12 columns" in out
    future = next(line for line in out.splitlines() if "line 8" in line)
    assert "column contraception_since: contraception.started:" in future and "future" in future
    assert "7 rows, 4 households, 6 bad rows" in out
    good = {event_id("person.registered", p) for p in ("p-a0-1", "p-a0-5", "p-a0-7")}
    good.add(event_id("household.registered", "h-a0-1"))
    bad = {event_id("person.registered", p) for p in ("p-a0-2", "p-a0-3", "p-a0-4", "p-a0-6")}
    assert set(await read_submissions(settings, good | bad)) == good


def test_a_wrong_header_refuses_the_file(settings: Settings, tmp_path: Path) -> None:
    book = tmp_path / "typo.csv"
    book.write_text(HEADER.replace("full_name", "fullname") + "\n", encoding="utf-8")
    done = popreg(settings, "import-a0", str(book), "--registered-on", "2021-01-01")
    assert done.returncode == 2
    assert "unknown column 'fullname'" in done.stdout and "missing column 'full_name'" in done.stdout
    no_date = tmp_path / "nodate.csv"
    no_date.write_text(HEADER + "\n", encoding="utf-8")
    assert popreg(settings, "import-a0", str(no_date)).returncode == 2
