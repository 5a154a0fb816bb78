"""The occurrence-exposure cube (polars): segments split on the Lexis diagram, events counted.

Each constant-state segment is cut at every 1 January and every birthday, so each piece lies in
one calendar year and one completed age (a Lexis square, as the HFD does for period rates);
exposure is days / 365.25. Events are put in the cell of the state just before them, at the
person's completed age on the day. Segments are read in chunks and aggregated piece by piece.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

KEYS = ["year", "commune", "district", "province", "age", "sex", "parity", "marital"]
COUNTS = [
    "births",
    "births_male",
    "births_female",
    "deaths",
    "first_marriages",
    "marriages",
    "divorces",
    "out_moves_commune",
    "out_moves_district",
    "out_moves_province",
    "in_moves_commune",
    "in_moves_district",
    "in_moves_province",
]
# The cube's columns and types, so that an area with nobody in it still has every column.
CUBE_SCHEMA = {
    "year": pl.Int32,
    "commune": pl.String,
    "district": pl.String,
    "province": pl.String,
    "age": pl.Int16,
    "sex": pl.String,
    "parity": pl.Int16,
    "marital": pl.String,
    "person_years": pl.Float64,
    **{n: pl.Int64 for n in COUNTS},
}
YEAR_DAYS = 365.25


def month_day(d: pl.Expr) -> pl.Expr:
    """MMDD as an integer (Int32: polars months are Int8, and 12 x 100 would overflow them)."""
    return d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)


def birthday_in(year: pl.Expr, birth: pl.Expr) -> pl.Expr:
    m, d = birth.dt.month(), birth.dt.day()
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    feb29 = (m == 2) & (d == 29)
    return pl.when(feb29 & ~leap).then(pl.date(year, 3, 1)).otherwise(pl.date(year, m, d))


def _leaps(year: pl.Expr) -> pl.Expr:
    """Leap days from year 1 to the end of `year` (Gregorian)."""
    return year // 4 - year // 100 + year // 400


def jan1(year: pl.Expr) -> pl.Expr:
    """1 January of `year` in days since 1970-01-01, by arithmetic (no date objects per row)."""
    return 365 * (year - 1970) + _leaps(year - 1) - 477  # 477 = leap days up to 1969


def lexis_exposure(seg: pl.DataFrame) -> pl.DataFrame:
    """Person-years by cube cell for a chunk of segments (all in integer days)."""
    b = pl.col("birth_date")
    by = b.dt.year().cast(pl.Int32)
    doy = b.dt.ordinal_day().cast(pl.Int32)
    frame = seg.select(
        *KEYS[1:4],
        "sex",
        "parity",
        "marital",
        by=by,
        month=b.dt.month(),
        feb29=(b.dt.month() == 2) & (b.dt.day() == 29),
        doy=doy,
        leap_b=b.dt.is_leap_year().cast(pl.Int32),
        s=pl.col("start").cast(pl.Int32),
        e=pl.col("end").cast(pl.Int32),
        year=pl.int_ranges(
            pl.col("start").dt.year(), (pl.col("end") - pl.duration(days=1)).dt.year() + 1, dtype=pl.Int32
        ),
    ).explode("year")
    y = pl.col("year")
    leap_y = (((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)).cast(pl.Int32)
    # The birthday in year y as a day of the year: 29 February is day 60 (1 March in common years).
    doy_y = (
        pl.when(pl.col("feb29"))
        .then(60)
        .when(pl.col("month") >= 3)
        .then(pl.col("doy") - pl.col("leap_b") + leap_y)
        .otherwise(pl.col("doy"))
    )
    frame = frame.with_columns(
        ys=pl.max_horizontal("s", jan1(y)), ye=pl.min_horizontal("e", jan1(y + 1)), bday=jan1(y) + doy_y - 1
    )
    keys = [*KEYS[1:4], "sex", "parity", "marital"]
    before = frame.select(
        "year",
        *keys,
        age=(y - pl.col("by") - 1).cast(pl.Int16),
        days=(pl.min_horizontal("ye", "bday") - pl.col("ys")).clip(lower_bound=0),
    )
    after = frame.select(
        "year",
        *keys,
        age=(y - pl.col("by")).cast(pl.Int16),
        days=(pl.col("ye") - pl.max_horizontal("ys", "bday")).clip(lower_bound=0),
    )
    pieces = pl.concat([before, after]).filter(pl.col("days") > 0)
    return pieces.group_by(KEYS).agg(days=pl.col("days").sum().cast(pl.Int64))


def event_counts(ev: pl.DataFrame) -> pl.DataFrame:
    d, b = pl.col("date"), pl.col("birth_date")
    age = d.dt.year() - b.dt.year() - (month_day(d) < month_day(b)).cast(pl.Int32)
    kind = pl.col("kind")
    out, inn = kind == "out_move", kind == "in_move"
    flags = {
        "births": kind == "birth",
        "births_male": (kind == "birth") & (pl.col("child_sex") == "M"),
        "births_female": (kind == "birth") & (pl.col("child_sex") == "F"),
        "deaths": kind == "death",
        "first_marriages": (kind == "marriage") & pl.col("first_marriage").fill_null(False),
        "marriages": kind == "marriage",
        "divorces": kind == "divorce",
    }
    for level in ("commune", "district", "province"):
        flags[f"out_moves_{level}"] = out & pl.col(f"crosses_{level}").fill_null(False)
        flags[f"in_moves_{level}"] = inn & pl.col(f"crosses_{level}").fill_null(False)
    return (
        ev.with_columns(year=d.dt.year().cast(pl.Int32), age=age.cast(pl.Int16))
        .group_by(KEYS)
        .agg([f.cast(pl.Int64).sum().alias(n) for n, f in flags.items()])
    )


def _chunks(path: Path, columns: list[str], rows: int):
    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=rows, columns=columns):
        yield pl.from_arrow(batch)


def _merge(parts: list[pl.DataFrame]) -> pl.DataFrame:
    both = pl.concat(parts, how="vertical_relaxed")
    return both.group_by(KEYS).agg([pl.col("days").sum()] + [pl.col(n).sum() for n in COUNTS])


def build_cube(segments: Path, events: Path, chunk_rows: int = 250_000) -> pl.DataFrame:
    """The cube from the segments and events files, read chunk by chunk; partial sums are merged
    every few chunks, so memory stays near the size of the cube itself."""
    seg_cols = ["birth_date", "start", "end", "commune", "district", "province", "sex", "parity", "marital"]
    cols = KEYS + ["days"] + COUNTS
    parts: list[pl.DataFrame] = []
    for chunk in _chunks(segments, seg_cols, chunk_rows):
        part = lexis_exposure(chunk).with_columns([pl.lit(0, pl.Int64).alias(n) for n in COUNTS])
        parts.append(part.select(cols))
        if len(parts) >= 4:
            parts = [_merge(parts)]
    for chunk in _chunks(events, None, chunk_rows):
        parts.append(event_counts(chunk).with_columns(days=pl.lit(0, pl.Int64)).select(cols))
    if not parts:
        return pl.DataFrame(schema=CUBE_SCHEMA)
    cube = _merge(parts)
    return (
        cube.with_columns(person_years=pl.col("days") / YEAR_DAYS)
        .drop("days")
        .select(KEYS + ["person_years"] + COUNTS)
        .sort(KEYS, nulls_last=True)
    )


def od_flows(moves: Path) -> pl.DataFrame:
    mv = pl.read_parquet(moves)
    out = []
    for level in ("commune", "district", "province"):
        part = mv.filter(pl.col(f"crosses_{level}")).select(
            year=pl.col("date").dt.year().cast(pl.Int32),
            level=pl.lit(level),
            origin=pl.col(f"origin_{level}").fill_null("UNKNOWN"),
            destination=pl.col(f"dest_{level}").fill_null("UNKNOWN"),
            sex=pl.col("sex"),
        )
        out.append(part)
    flows = (
        pl.concat(out).group_by(["year", "level", "origin", "destination", "sex"]).agg(moves=pl.len().cast(pl.Int64))
    )
    return flows.sort(["level", "year", "origin", "destination", "sex"])


def hfd_text(cube: pl.DataFrame, title: str) -> str:
    """Births by order, exposure and ASFR by year and single age, laid out like HFD *RR.txt files."""
    women = cube.filter(pl.col("sex") == "F")
    order = pl.col("parity").fill_null(0) + 1
    table = (
        women.group_by(["year", "age"])
        .agg(
            Total=pl.col("births").sum(),
            B1=pl.col("births").filter(order == 1).sum(),
            B2=pl.col("births").filter(order == 2).sum(),
            B3=pl.col("births").filter(order == 3).sum(),
            B4=pl.col("births").filter(order == 4).sum(),
            B5p=pl.col("births").filter(order >= 5).sum(),
            Exposure=pl.col("person_years").sum(),
        )
        .filter(pl.col("age").is_between(12, 55))
        .sort(["year", "age"])
    )
    lines = [
        title,
        "Births by birth order, exposure (woman-years) and ASFR, Lexis squares "
        "(calendar year x completed age); ages 12-55",
        "",
    ]
    lines.append(
        f"{'Year':>6}{'Age':>6}{'Total':>10}{'B1':>8}{'B2':>8}{'B3':>8}{'B4':>8}{'B5p':>8}{'Exposure':>14}{'ASFR':>10}"
    )
    for r in table.iter_rows(named=True):
        asfr = r["Total"] / r["Exposure"] if r["Exposure"] else float("nan")
        lines.append(
            f"{r['year']:>6}{r['age']:>6}{r['Total']:>10}{r['B1']:>8}{r['B2']:>8}{r['B3']:>8}"
            f"{r['B4']:>8}{r['B5p']:>8}{r['Exposure']:>14.2f}{asfr:>10.5f}"
        )
    return "\n".join(lines) + "\n"
