"""`import-a0` rate and memory: a synthetic A0 export of N rows imported through the ingest path.

Writes the CSV to a temporary file (streamed), imports it into a fresh database and unique
topics on the local stack (both removed at the end), and prints rows/s, events/s and the peak
resident memory, which stays flat as the row count grows (the file is never held in memory).

    python bench/bench_import_a0.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra import db, kafka_admin, migrate  # noqa: E402
from infra.settings import Settings  # noqa: E402
from producers.a0 import import_a0  # noqa: E402
from producers.a0_format import COLUMNS  # noqa: E402
from producers.runtime import open_ingest  # noqa: E402

COMMUNES = ["03646", "03649", "03652", "03658", "03661", "03664", "03667", "03670"]
FAMILY = ["Lò", "Cầm", "Quàng", "Lường", "Nguyễn", "Giàng", "Sùng", "Vì"]
MIDDLE_M, MIDDLE_F = "Văn", "Thị"
GIVEN_M = ["Thắng", "Páo", "Hùng", "Minh", "Khánh", "Dơ"]
GIVEN_F = ["Hoa", "Mai", "Ên", "Xuân", "Mỷ", "Lan"]


def write_rows(path: Path, rows: int) -> int:
    """Households of 1–7 persons (head, spouse, children); returns the number of households."""
    households = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        written = 0
        while written < rows:
            commune = COMMUNES[households % len(COMMUNES)]
            hid = f"{commune}-{households // 300:03d}-{households:07d}"
            family = FAMILY[households % len(FAMILY)]
            size = min(1 + households % 7, rows - written)
            for k in range(size):
                head, wife = k == 0, k == 1
                female = wife or (k > 1 and k % 2 == 0)
                pid = f"P{households:08d}{k}"
                given = (GIVEN_F if female else GIVEN_M)[(households + k) % 6]
                name = f"{family} {MIDDLE_F if female else MIDDLE_M} {given}"
                birth = f"{1960 + households % 25 if k < 2 else 2000 + (households + k) % 20}-0{1 + k % 9}-1{k}"
                relation = "head" if head else "spouse" if wife else "child"
                marital = "married" if k < 2 else "never_married"
                mother = f"P{households:08d}1" if k > 1 and size > 1 else ""
                method = "iud" if wife and households % 3 == 0 else ""
                out.writerow(_row(commune, hid, head, pid, name, female, birth, relation, marital, mother, method))
            written += size
            households += 1
    return households


def _row(
    commune: str,
    hid: str,
    head: bool,
    pid: str,
    name: str,
    female: bool,
    birth: str,
    relation: str,
    marital: str,
    mother: str,
    method: str,
) -> list[str]:
    values = {
        "commune": commune,
        "household_id": hid,
        "address": "Bản Hài, tổ 2" if head else "",
        "registered_on": "2021-01-01",
        "person_id": pid,
        "full_name": name,
        "sex": "F" if female else "M",
        "birth_date": birth,
        "relation_to_head": relation,
        "marital_status": marital,
        "mother_id": mother,
        "ethnicity": "Thái",
        "contraception_method": method,
        "contraception_since": "2018-05-01" if method else "",
    }
    return [values.get(c, "") for c in COLUMNS]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(settings: Settings, path: Path) -> tuple[float, object]:
    async with open_ingest(settings) as service:
        start = time.perf_counter()
        report = await import_a0(service, path)
        return time.perf_counter() - start, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    base = Settings(home=ROOT / ".popreg")
    tag = f"bencha0{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={"topic_prefix": f"{tag}.", "pg_database": f"popreg_{tag}"})
    db.create_database(base.dsn, settings.pg_database)
    try:
        migrate.apply_migrations(settings.dsn)
        kafka_admin.ensure_topics(settings)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "a0.csv"
            households = write_rows(path, args.rows)
            size_mb = path.stat().st_size / 1e6
            before = peak_rss_mb()
            seconds, report = asyncio.run(run(settings, path))
        events = report.events  # type: ignore[attr-defined]
        print(f"rows {report.rows} ({size_mb:.0f} MB, {households} households), bad rows {report.bad_rows}")  # type: ignore[attr-defined]
        print(
            f"import: {seconds:.1f}s = {report.rows / seconds:,.0f} rows/s, "  # type: ignore[attr-defined]
            f"{events.total / seconds:,.0f} events/s ({events.accepted} accepted, {events.invalid} invalid)"
        )
        print(f"peak RSS: {peak_rss_mb():.0f} MB (before the import: {before:.0f} MB)")
    finally:
        db.drop_database(base.dsn, settings.pg_database)
        kafka_admin.delete_topics(settings, [t for t in kafka_admin.list_topics(settings) if t.startswith(f"{tag}.")])


if __name__ == "__main__":
    main()
